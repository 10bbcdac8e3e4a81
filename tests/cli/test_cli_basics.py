"""``yantra-gnn --version``, a ``--help`` that loads no torch, and option help texts."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from yantra_gnn.cli import COMMANDS, build_parser, main
from yantra_gnn.train.config import HELP, flat_names
from yantra_gnn.version import __version__


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"yantra-gnn {__version__}"


def test_help_parser_imports_no_torch() -> None:
    code = (
        "import sys; from yantra_gnn.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "print('torch' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "False"
    for name in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_help_imports_no_torch(command: str) -> None:
    # ``yantra-gnn COMMAND --help`` in a fraction of a second: torch loads in ``run``.
    code = (
        "import sys; from yantra_gnn.cli import main\n"
        f"try:\n    main([{command!r}, '--help'])\nexcept SystemExit as e:\n"
        "    assert e.code == 0\n"
        "print(sorted({'torch', 'torch_geometric'} & set(sys.modules)), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
    assert f"usage: yantra-gnn {command}" in result.stdout


def test_command_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["sandbox", "--help"])
    assert exit_info.value.code == 0
    assert "usage: yantra-gnn sandbox" in capsys.readouterr().out


def test_every_train_setting_has_a_help_line() -> None:
    assert set(HELP) == set(flat_names())
    assert all(text.strip() for text in HELP.values())


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser(commands=[name])
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def test_every_train_option_help_says_more_than_its_default() -> None:
    for action in _subparser("train")._actions:
        if action.option_strings and action.help != argparse.SUPPRESS:
            text = (action.help or "").split("(default:")[0].strip()
            assert text, f"{action.option_strings} has no description"


def test_choice_settings_list_their_values() -> None:
    helps = {a.dest: a.help or "" for a in _subparser("train")._actions}
    assert "mean_max" in helps["pooling"] and "attention" in helps["pooling"]
    assert "syntax" in helps["edges"]
    assert "syntax_dataflow" in helps["edge_grouping"]
    assert "loss" in helps["select_by"]
