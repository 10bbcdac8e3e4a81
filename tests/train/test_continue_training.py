"""Incremental learning: continue a tiny model with replay, report, promotion rule."""

from __future__ import annotations

import csv
import json
import math

import pytest
from yantra_test_helpers import TINY_TRAINING

from yantra_gnn.errors import ConfigError
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.registry import ModelRegistry
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.continue_training import pass_rate, promotion_decision, success_only

SMALL = {**TINY_TRAINING, "calibrate": False}


@pytest.fixture
def base_model(prepared_root, tmp_path, monkeypatch):
    """A tiny model trained one epoch on ``prepared_root`` (its run folder's model file)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("YANTRA_MODELS_DIR", str(tmp_path / "models"))
    config = TrainConfig.from_dict(
        {"data": str(prepared_root), "output": str(tmp_path / "base"), "epochs": 1, **SMALL}
    )
    return Trainer(config).fit().inference_model


def continued(prepared_root, tmp_path, model, name, **settings) -> TrainConfig:
    return TrainConfig.from_dict(
        {
            "data": str(prepared_root),
            "output": str(tmp_path / name),
            "epochs": 1,
            "continue_from": str(model),
            "replay_size": 3,
            **SMALL,
            **settings,
        }
    )


def test_continuing_replays_old_data_lowers_lr_and_reports_both_sets(
    prepared_root, tmp_path, base_model
):
    config = continued(prepared_root, tmp_path, base_model, "cont", lr=1e-3, promote_to="tiny")
    result = Trainer(config).fit()
    report = result.continuation
    assert report is not None
    saved = json.loads((result.output / "continue_report.json").read_text())
    assert json.dumps(saved, sort_keys=True) == json.dumps(report, sort_keys=True)  # NaNs too
    assert report["replay_data"] == str(prepared_root)  # recorded with the base model
    assert report["replayed_graphs"] == 3 and report["dropped_positives"] == 0
    assert math.isclose(report["lr"], 1e-4)
    rows = list(csv.DictReader((result.output / "metrics.csv").open()))
    assert math.isclose(float(rows[0]["lr"]), 1e-4)
    for name in ("old_val", "new_val"):
        for model in ("old", "new"):
            assert {"score", "confidence_auroc", "import_auroc"} <= set(report["sets"][name][model])
    # margin 0.02 on the same data: registered; promoted exactly when the rule allows
    promotion = report["promotion"]
    assert promotion["registered"] == "tiny@1"
    aliases = ModelRegistry().aliases("tiny")
    assert ("production" in aliases) == promotion["allowed"] == promotion["promoted"]


@pytest.mark.parametrize(("margin", "promoted"), [(-1.0, False), (1e9, True)])
def test_promotion_follows_the_margin(prepared_root, tmp_path, base_model, margin, promoted):
    config = continued(
        prepared_root,
        tmp_path,
        base_model,
        "cont",
        promote_to="tiny",
        promote_margin=margin,
        replay_size=0,
    )
    promotion = Trainer(config).fit().continuation["promotion"]
    assert (promotion["allowed"], promotion["promoted"]) == (promoted, promoted)
    assert promotion["registered"] == "tiny@1"
    assert ModelRegistry().aliases("tiny") == ({"production": 1} if promoted else {})


def test_promotion_rule():
    sets = {"old_val": {"old": {"score": 0.8}, "new": {"score": 0.77}}}
    assert promotion_decision(sets, 0.05)[0]
    assert not promotion_decision(sets, 0.02)[0]
    nan = {"old_val": {"old": {"score": math.nan}, "new": {"score": 0.9}}}
    assert not promotion_decision(nan, 1.0)[0]


def program(confidence: float, verdict: str) -> LabelledProgram:
    return LabelledProgram(
        "p", "print(1)", "solution", "s", confidence, True, (), None, (), verdict
    )


def test_success_only_rule_on_stored_labels():
    passing, failing = program(1.0, "passed 3/3"), program(0.0, "wrong_answer on test 2")
    partial = program(1.0, "passed 8/10")  # not made by labelling; a pass rate below 0.9
    assert (pass_rate(passing), pass_rate(failing), pass_rate(partial)) == (1.0, 0.0, 0.8)
    kept, dropped = success_only([passing, failing, partial], 0.9)
    assert kept == [passing, failing] and dropped == 1
    assert success_only([passing, failing, partial], 0.8) == ([passing, failing, partial], 0)


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"replay_size": -1}, "replay_size"),
        ({"continue_lr_scale": 0.0}, "continue_lr_scale"),
        ({"continue_lr_scale": 2.0}, "continue_lr_scale"),
        ({"min_pass_rate": 0.0}, "min_pass_rate"),
        ({"min_pass_rate": 1.5}, "min_pass_rate"),
        ({"promote_margin": math.nan}, "promote_margin"),
        ({"promote_to": "m"}, "need continue_from"),
        ({"replay_data": "old"}, "need continue_from"),
        ({"continue_from": "m.safetensors", "init_from": "p.safetensors"}, "only one"),
        ({"continue_from": "m.safetensors", "promote_to": "bad name"}, "promote_to"),
    ],
)
def test_bad_continue_settings_are_config_errors(settings, match):
    with pytest.raises(ConfigError, match=match):
        TrainConfig.from_dict(settings)


def test_a_missing_model_or_unknown_old_data_is_refused_before_any_work(
    prepared_root, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    missing = continued(prepared_root, tmp_path, tmp_path / "nope.safetensors", "a")
    with pytest.raises(ConfigError, match="does not exist"):
        Trainer(missing)
    lone = tmp_path / "lone.safetensors"
    lone.write_bytes(b"")  # no best_model.pt next to it: its training data is unknown
    with pytest.raises(ConfigError, match="--replay-data"):
        Trainer(continued(prepared_root, tmp_path, lone, "b"))
    with pytest.raises(ConfigError, match="not a prepared dataset"):
        Trainer(continued(prepared_root, tmp_path, lone, "c", replay_data=str(tmp_path)))
    assert not (tmp_path / "a").exists() and not (tmp_path / "home").exists()
