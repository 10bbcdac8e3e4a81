"""What every command shares: log lines through tqdm, quiet third-party loggers."""

from __future__ import annotations

import argparse
import logging
import re
import sys

import pytest
from tqdm import tqdm

from yantra_gnn.cli.common import THIRD_PARTY_LOGGERS, TqdmLoggingHandler, run_handler
from yantra_gnn.errors import ConfigError


@pytest.fixture
def written(monkeypatch) -> list[str]:
    """What goes through ``tqdm.write`` (the spy still writes it, to stderr)."""
    lines: list[str] = []
    real = tqdm.write

    def spy(text, file=None, end="\n", nolock=False):
        lines.append(text)
        real(text, file=file, end=end, nolock=nolock)

    monkeypatch.setattr(tqdm, "write", spy)
    return lines


def test_a_log_line_during_a_command_goes_through_tqdm_write(written, capsys):
    def command(args: argparse.Namespace) -> int:
        logging.getLogger("yantra_gnn.train.trainer").info("epoch 1/2: train loss 0.5")
        return 0

    assert run_handler("yantra-gnn train", command, argparse.Namespace()) == 0
    [line] = [w for w in written if "epoch 1/2" in w]
    assert "INFO yantra_gnn.train.trainer: epoch 1/2: train loss 0.5" in line
    assert capsys.readouterr().err.count("epoch 1/2") == 1  # printed once, on stderr
    # The handler is the command's alone: gone afterwards, and the levels put back.
    root = logging.getLogger()
    assert not [h for h in root.handlers if isinstance(h, TqdmLoggingHandler)]
    logging.getLogger("yantra_gnn").info("after the command")
    assert not [w for w in written if "after the command" in w]


def test_a_log_line_is_printed_above_a_running_progress_bar(capsys):
    def command(args: argparse.Namespace) -> int:
        with tqdm(total=3, file=sys.stderr, desc="labelling", mininterval=0) as bar:
            bar.update(1)
            logging.getLogger("yantra_gnn.labels").warning("a sandbox run timed out")
            bar.update(2)
        return 0

    assert run_handler("yantra-gnn train", command, argparse.Namespace()) == 0
    err = capsys.readouterr().err
    # The bar is cleared before the line and redrawn after it: the line stands alone
    # (a plain handler would append it to the bar's text: "labelling: 33%|…03:49 WARNING").
    [piece] = [p for p in re.split(r"[\r\n]", err) if "timed out" in p]
    assert re.fullmatch(r"\d\d:\d\d:\d\d WARNING yantra_gnn.labels: a sandbox run timed out", piece)
    assert "labelling: 100%" in err.split("timed out")[1]  # the bar carried on below


def test_third_party_info_lines_are_not_printed(written, capsys):
    def command(args: argparse.Namespace) -> int:
        for name in ("httpx", "huggingface_hub", "urllib3", "filelock", "fsspec", "datasets"):
            logging.getLogger(name).info("%s: HTTP Request: GET https://huggingface.co", name)
            logging.getLogger(f"{name}.sub").info("%s.sub: lock acquired", name)
        logging.getLogger("huggingface_hub").warning("the hub is slow")
        return 0

    assert run_handler("yantra-gnn download", command, argparse.Namespace(verbose=True)) == 0
    err = capsys.readouterr().err
    assert "HTTP Request" not in err and "lock acquired" not in err
    assert not [w for w in written if "HTTP Request" in w or "lock acquired" in w]
    assert "the hub is slow" in err  # their warnings still show
    assert {"httpx", "huggingface_hub", "urllib3", "filelock", "fsspec", "datasets"} <= set(
        THIRD_PARTY_LOGGERS
    )


def test_errors_are_still_one_line(capsys):
    def command(args: argparse.Namespace) -> int:
        raise ConfigError("--top-k must be at least 1, got 0")

    assert run_handler("yantra-gnn predict", command, argparse.Namespace()) == 1
    assert (
        capsys.readouterr().err == "yantra-gnn predict: error: --top-k must be at least 1, got 0\n"
    )
