"""Temperature scaling of the confidence head: fitting, measuring, and the report's section."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation import report as report_module
from yantra_gnn.evaluation.calibration import (
    TEMPERATURE_BOUNDS,
    apply_temperature,
    binary_nll,
    calibration_report,
    calibration_summary,
    crossfit_temperatures,
    fit_temperature,
    problem_folds,
)
from yantra_gnn.evaluation.metrics import brier_score, expected_calibration_error
from yantra_gnn.evaluation.protocol import PROTOCOL, crossfit_thresholds, evaluate_model
from yantra_gnn.evaluation.report import format_report
from yantra_gnn.evaluation.systems import MODEL, model_scores
from yantra_gnn.nn import YantraGNN


def synthetic(true_temperature: float, n: int = 20000, seed: int = 0):
    """Logits and labels drawn (fixed seed) from ``sigmoid(logit / true_temperature)``."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, n)
    labels = (rng.random(n) < apply_temperature(logits, true_temperature)).astype(np.float64)
    return logits, labels


@pytest.mark.parametrize("true_temperature", [0.5, 2.5])
def test_fit_recovers_a_known_temperature_and_lowers_nll_and_ece(true_temperature) -> None:
    logits, labels = synthetic(true_temperature)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    assert fit_temperature(logits, labels) == fitted  # deterministic
    before = calibration_summary(labels, logits, 1.0)
    after = calibration_summary(labels, logits, fitted)
    assert after["nll"] < before["nll"] and after["ece"] < before["ece"]
    assert after["ece"] < 0.02 and after["brier"] <= before["brier"]
    # It is the minimum of the NLL, not just a better point.
    for nearby in (fitted * 0.98, fitted * 1.02):
        assert binary_nll(labels, logits, nearby) > binary_nll(labels, logits, fitted)


def test_summary_uses_the_metric_functions() -> None:
    logits, labels = synthetic(2.0, n=500)
    summary = calibration_summary(labels, logits, 2.0)
    prob = 1 / (1 + np.exp(-logits / 2.0))
    assert summary["ece"] == pytest.approx(expected_calibration_error(labels, prob))
    assert summary["brier"] == pytest.approx(brier_score(labels, prob))
    expected_nll = -np.mean(labels * np.log(prob) + (1 - labels) * np.log(1 - prob))
    assert summary["nll"] == pytest.approx(expected_nll)
    assert apply_temperature(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_fit_edge_cases() -> None:
    logits, labels = synthetic(1.0, n=400)
    # Logits that rank the labels the wrong way round: the nearest to 1/2 allowed.
    assert fit_temperature(-logits, labels) == TEMPERATURE_BOUNDS[1]
    # Far too timid logits: the lower bound.
    assert fit_temperature(np.where(labels > 0, 1e-4, -1e-4), labels) == TEMPERATURE_BOUNDS[0]
    assert fit_temperature(np.zeros(4), np.array([0, 1, 0, 1])) == 1.0
    with pytest.raises(ConfigError, match="one class"):
        fit_temperature(logits, np.ones_like(labels))
    with pytest.raises(ConfigError, match="no predictions"):
        fit_temperature(np.zeros(0), np.zeros(0))
    with pytest.raises(ConfigError, match="0 or 1"):
        fit_temperature(logits, labels * 0.5)
    with pytest.raises(ConfigError, match="> 0"):
        apply_temperature(logits, 0.0)


def test_crossfit_fits_each_fold_on_the_other() -> None:
    logits, labels = synthetic(2.0, n=4000, seed=1)
    group = np.arange(len(logits)) % 40
    per_row, folds, protocol = crossfit_temperatures(labels, logits, group)
    fold = problem_folds(group)
    assert protocol == "2-fold cross-fit over problems"
    for f in (0, 1):
        assert folds[f] == fit_temperature(logits[fold != f], labels[fold != f])
        assert np.all(per_row[fold == f] == folds[f])
    # The same folds as the thresholds' cross-fitting: problem 0 in fold 0, 1 in fold 1, …
    y, s = np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.1], [0.6], [0.4]])
    thresholds, _, _ = crossfit_thresholds(y, s, np.array([3, 3, 8, 8]))
    assert problem_folds(np.array([3, 3, 8, 8])).tolist() == [0, 0, 1, 1]
    assert thresholds.tolist() == pytest.approx([0.5] * 4)
    # One problem: nothing to fit the other fold on, T stays 1 and the protocol says so.
    per_row, folds, protocol = crossfit_temperatures(labels, logits, np.zeros(len(logits)))
    assert folds == [1.0, None] and np.all(per_row == 1.0) and "kept T = 1" in protocol


def test_calibration_report_views() -> None:
    logits, labels = synthetic(2.0, n=2000, seed=2)
    group = np.arange(len(logits)) % 20
    result = calibration_report(labels, logits, group, temperature=2.0)
    assert result["num_samples"] == 2000
    assert result["uncalibrated"]["temperature"] == 1.0 and result["saved"]["temperature"] == 2.0
    assert result["saved"]["ece"] == pytest.approx(calibration_summary(labels, logits, 2.0)["ece"])
    assert result["crossfit"]["ece"] < result["uncalibrated"]["ece"]
    assert len(result["crossfit"]["fold_temperatures"]) == 2
    assert sum(result["saved"]["reliability"]["count"]) == 2000
    json.dumps(result)


# ---------------------------------------------------------------------- in the report
@pytest.fixture(scope="module")
def calibrated(model) -> YantraGNN:
    """The evaluation tests' untrained model with a saved temperature of 2."""
    copy = YantraGNN(dataclasses.replace(model.config, confidence_temperature=2.0))
    copy.load_state_dict(model.state_dict())
    return copy.eval()


def test_model_scores_are_calibrated_and_keep_the_raw_logits(sets, model, calibrated) -> None:
    _, val = sets
    raw = model_scores(model, val.graphs, device="cpu")
    scaled = model_scores(calibrated, val.graphs, device="cpu")
    assert raw.confidence_temperature == 1.0 and scaled.confidence_temperature == 2.0
    np.testing.assert_allclose(scaled.confidence_logit, raw.confidence_logit, atol=1e-6)
    expected = torch.sigmoid(torch.from_numpy(raw.confidence_logit) / 2.0).numpy()
    np.testing.assert_allclose(scaled.confidence_prob, expected, atol=1e-6)
    np.testing.assert_allclose(
        raw.confidence_prob, torch.sigmoid(torch.from_numpy(raw.confidence_logit)), atol=1e-6
    )


def test_report_shows_calibration_before_and_after(sets, calibrated, tmp_path, monkeypatch):
    train, val = sets
    drawn = {}
    real_plot = report_module.plot_reliability_diagram

    def spy(curves, path, **kwargs):
        drawn.update(curves)
        return real_plot(curves, path, **kwargs)

    monkeypatch.setattr(report_module, "plot_reliability_diagram", spy)
    report = evaluate_model(calibrated, val, train_set=train, device="cpu", plots=tmp_path)
    section = report["calibration"][MODEL]
    assert section["saved"]["temperature"] == 2.0 and section["uncalibrated"]["temperature"] == 1.0
    assert section["num_samples"] == report["rows"]["confidence"]
    # The confidence table's model column is the calibrated confidence.
    assert report["metrics"][MODEL]["confidence"]["ece"] == pytest.approx(
        section["saved"]["ece"], abs=1e-6
    )
    assert report["metrics"][MODEL]["confidence"]["brier"] == pytest.approx(
        section["saved"]["brier"], abs=1e-6
    )
    assert "calibration" in PROTOCOL
    json.dumps(report)
    text = format_report(report)
    assert "Confidence calibration of the model" in text
    assert "| uncalibrated logits | 1.000 |" in text
    assert "| saved temperature (fitted on the training run's validation split) | 2.000 |" in text
    assert "cross-fitted on this set" in text and "in-sample" in text
    # The diagram draws the model calibrated and uncalibrated.
    assert {f"{MODEL}, T = 2.00", f"{MODEL}, T = 1 (uncalibrated)"} <= set(drawn)


def test_report_of_an_uncalibrated_model_says_so(sets, model) -> None:
    _, val = sets
    report = evaluate_model(model, val, device="cpu")
    section = report["calibration"][MODEL]
    assert section["saved"]["ece"] == section["uncalibrated"]["ece"]
    assert "saved temperature (1: this model was not calibrated)" in format_report(report)
