"""The confidence's base rate and prior: Bayes' rule on the calibrated odds."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from yantra_gnn.checkpoint import load_model_for_inference, save_model_for_inference
from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.calibration import calibration_report
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Predictor

SMALL = ModelConfig(
    layer_channels=(16, 8),
    head_hidden_channels=8,
    embedding_dim=8,
    import_vocab=("sys", "math"),
    confidence_temperature=0.5,
    confidence_bias=-1.0,
)
SOURCE = "n = int(input())\nprint(n * 2)\n"


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _model(base_rate: float | None) -> YantraGNN:
    torch.manual_seed(0)
    return YantraGNN(dataclasses.replace(SMALL, confidence_base_rate=base_rate))


def test_a_prior_moves_the_calibrated_odds_by_bayes_rule():
    model = _model(0.2)
    logits = torch.tensor([-2.0, 0.0, 1.5])
    calibrated = model.confidence_probability(logits)
    assert torch.allclose(calibrated, torch.sigmoid(logits / 0.5 - 1.0))
    # At its own base rate nothing moves; at 0.5 the odds grow by 4 (0.5/0.5 over 0.2/0.8).
    assert torch.allclose(model.confidence_probability(logits, prior=0.2), calibrated)
    balanced = model.confidence_probability(logits, prior=0.5)
    odds = lambda p: p / (1 - p)  # noqa: E731
    assert torch.allclose(odds(balanced), 4 * odds(calibrated), rtol=1e-5)
    assert torch.equal(torch.argsort(balanced), torch.argsort(calibrated))  # ranking kept
    assert model.prior_shift(0.5) == pytest.approx(-_logit(0.2))


@pytest.mark.parametrize("prior", [0.0, 1.0, -0.1, float("nan"), True])
def test_a_prior_outside_the_open_interval_is_refused(prior):
    with pytest.raises(ConfigError, match="prior must be"):
        _model(0.2).confidence_probability(torch.zeros(1), prior=prior)


def test_a_model_without_a_base_rate_refuses_a_prior():
    with pytest.raises(ConfigError, match="base rate"):
        _model(None).confidence_probability(torch.zeros(1), prior=0.5)


@pytest.mark.parametrize("rate", [0.0, 1.0, 1.5, float("inf"), "0.2"])
def test_an_invalid_base_rate_is_refused(rate):
    with pytest.raises(ConfigError, match="confidence_base_rate"):
        dataclasses.replace(SMALL, confidence_base_rate=rate)


def test_the_base_rate_travels_with_the_model_and_old_dicts_are_unchanged(tmp_path):
    assert "confidence_base_rate" not in SMALL.to_dict()  # files without it: same dict
    path = save_model_for_inference(_model(0.25), tmp_path / "m.safetensors")
    assert load_model_for_inference(path, device="cpu").config.confidence_base_rate == 0.25
    legacy = save_model_for_inference(_model(None), tmp_path / "old.safetensors")
    assert load_model_for_inference(legacy, device="cpu").config.confidence_base_rate is None


def test_predictor_applies_the_default_prior_of_one_half():
    model = _model(0.2)
    logit = model(Predictor(model, "cpu").build_graph(SOURCE)).confidence_logit.detach()
    expected = float(torch.sigmoid(logit / 0.5 - 1.0 + _logit(0.5) - _logit(0.2))[0])
    assert Predictor(model, "cpu").prior == 0.5
    assert Predictor(model, "cpu").predict(SOURCE).confidence == pytest.approx(expected, 1e-5)
    as_calibrated = Predictor(model, "cpu", prior=None).predict(SOURCE).confidence
    assert as_calibrated == pytest.approx(float(torch.sigmoid(logit / 0.5 - 1.0)[0]), 1e-5)
    assert as_calibrated < expected  # a 20 % base rate moved up to 50 %


def test_predictor_on_a_model_without_a_base_rate():
    model = _model(None)
    default = Predictor(model, "cpu")  # the default prior cannot apply: as calibrated
    assert default.prior is None
    assert default.predict(SOURCE).confidence == pytest.approx(
        Predictor(model, "cpu", prior=None).predict(SOURCE).confidence
    )
    with pytest.raises(ConfigError, match="base rate"):
        Predictor(model, "cpu", prior=0.3)  # asked for explicitly: refused, not ignored


def test_calibration_report_moves_the_saved_scaling_to_the_sets_rate():
    rng = np.random.default_rng(0)
    labels = np.repeat([1.0, 0.0], 50)  # this set: half correct
    logits = rng.normal(size=100) + labels
    report = calibration_report(labels, logits, np.arange(100) % 10, 2.0, -1.0, base_rate=0.2)
    rebased = report["rebased"]
    assert (rebased["base_rate"], rebased["set_rate"]) == (0.2, 0.5)
    assert rebased["temperature"] == 2.0
    assert rebased["bias"] == pytest.approx(-1.0 + _logit(0.5) - _logit(0.2))
    assert "rebased" not in calibration_report(labels, logits, np.arange(100) % 10, 2.0, -1.0)


def test_predict_cli_reads_the_prior(tmp_path, capsys):
    from yantra_gnn.cli import main

    path = save_model_for_inference(_model(0.2), tmp_path / "m.safetensors")
    program = tmp_path / "p.py"
    program.write_text(SOURCE)
    outputs = {}
    for prior in ("0.5", "none", "0.2"):
        assert (
            main(["predict", "--model", str(path), "--json", "--prior", prior, str(program)]) == 0
        )
        outputs[prior] = json.loads(capsys.readouterr().out)[0]
    assert outputs["0.5"]["prior"] == 0.5 and outputs["none"]["prior"] is None
    assert outputs["0.2"]["confidence"] == pytest.approx(outputs["none"]["confidence"])
    assert outputs["0.5"]["confidence"] > outputs["none"]["confidence"]
    for bad in ("1", "0", "often"):
        with pytest.raises(SystemExit):
            main(["predict", "--model", str(path), "--prior", bad, str(program)])
        assert "--prior" in capsys.readouterr().err
