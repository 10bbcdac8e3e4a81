"""Platt scaling of the confidence head: fitting, measuring, and the report's section."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation import calibration as calibration_module
from yantra_gnn.evaluation import report as report_module
from yantra_gnn.evaluation.calibration import (
    TEMPERATURE_BOUNDS,
    apply_temperature,
    binary_nll,
    calibration_report,
    calibration_summary,
    crossfit_platt,
    fit_platt,
    fit_temperature,
    problem_folds,
)
from yantra_gnn.evaluation.metrics import brier_score, expected_calibration_error
from yantra_gnn.evaluation.protocol import PROTOCOL, crossfit_thresholds, evaluate_model
from yantra_gnn.evaluation.report import format_report
from yantra_gnn.evaluation.systems import MODEL, model_scores
from yantra_gnn.nn import ModelConfig, YantraGNN


def synthetic(true_temperature: float, n: int = 20000, seed: int = 0, true_bias: float = 0.0):
    """Logits and labels drawn (fixed seed) from ``sigmoid(logit / T + b)``."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, n)
    prob = apply_temperature(logits, true_temperature, true_bias)
    labels = (rng.random(n) < prob).astype(np.float64)
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
    # With a bias: sigmoid(z / T + b).
    summary = calibration_summary(labels, logits, 2.0, -0.5)
    prob = 1 / (1 + np.exp(-(logits / 2.0 - 0.5)))
    assert summary["temperature"] == 2.0 and summary["bias"] == -0.5
    assert summary["ece"] == pytest.approx(expected_calibration_error(labels, prob))
    assert summary["brier"] == pytest.approx(brier_score(labels, prob))
    expected_nll = -np.mean(labels * np.log(prob) + (1 - labels) * np.log(1 - prob))
    assert summary["nll"] == pytest.approx(expected_nll)
    assert binary_nll(labels, logits, 2.0, -0.5) == pytest.approx(expected_nll)
    np.testing.assert_allclose(apply_temperature(logits, 2.0, -0.5), prob)
    assert calibration_summary(labels, logits, 2.0)["bias"] == 0.0


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
    with pytest.raises(ConfigError, match="bias must be a finite number"):
        apply_temperature(logits, 1.0, float("inf"))


# ---------------------------------------------------------------------- Platt scaling
@pytest.mark.parametrize(("true_temperature", "true_bias"), [(0.5, -1.0), (2.5, 0.8)])
def test_fit_platt_recovers_a_known_temperature_and_bias(true_temperature, true_bias) -> None:
    logits, labels = synthetic(true_temperature, true_bias=true_bias)
    temperature, bias = fit_platt(logits, labels)
    assert temperature == pytest.approx(true_temperature, rel=0.05)
    assert bias == pytest.approx(true_bias, rel=0.05)
    assert fit_platt(logits, labels) == (temperature, bias)  # deterministic
    after = calibration_summary(labels, logits, temperature, bias)
    assert after["ece"] < 0.02
    # It is the minimum of the NLL over both parameters, not just a better point.
    best = binary_nll(labels, logits, temperature, bias)
    for t, b in ((temperature * 0.98, bias), (temperature * 1.02, bias)):
        assert binary_nll(labels, logits, t, b) > best
    for t, b in ((temperature, bias - 0.02), (temperature, bias + 0.02)):
        assert binary_nll(labels, logits, t, b) > best


def test_platt_fixes_an_offset_that_a_temperature_cannot() -> None:
    # Logits too sure of "correct": the labels are drawn from sigmoid(z / 1.5 - 1.5).
    logits, labels = synthetic(1.5, n=20000, seed=3, true_bias=-1.5)
    t_only = fit_temperature(logits, labels)
    temperature, bias = fit_platt(logits, labels)
    scaled = calibration_summary(labels, logits, t_only)
    platt = calibration_summary(labels, logits, temperature, bias)
    assert platt["nll"] < scaled["nll"] - 0.01
    assert platt["ece"] < scaled["ece"] and platt["ece"] < 0.02
    assert platt["brier"] < scaled["brier"]
    # The ranking is unchanged: the probabilities increase with the logits.
    order = np.argsort(logits)
    assert np.all(np.diff(apply_temperature(logits[order], temperature, bias)) >= 0)


def test_fit_platt_edge_cases_and_bounds() -> None:
    logits, labels = synthetic(1.0, n=400)
    rate = labels.mean()
    # Logits that rank the labels the wrong way round: the highest T (closest to no
    # ranking), and b about the base rate.
    temperature, bias = fit_platt(-logits, labels)
    assert temperature == TEMPERATURE_BOUNDS[1]
    prob = apply_temperature(-logits, temperature, bias)
    assert prob.mean() == pytest.approx(rate, abs=1e-9)  # b is the 1-D optimum
    # Far too timid logits that separate the labels: the lowest T.
    timid = np.where(labels > 0, 1e-4, -1e-4)
    assert fit_platt(timid, labels)[0] == TEMPERATURE_BOUNDS[0]
    # Logits that separate the labels at an ordinary scale: a finite, sharp fit.
    temperature, bias = fit_platt(np.where(labels > 0, 3.0, -2.0), labels)
    assert TEMPERATURE_BOUNDS[0] <= temperature < 0.5 and np.isfinite(bias)
    sharp = apply_temperature(np.where(labels > 0, 3.0, -2.0), temperature, bias)
    assert np.all(np.abs(sharp - labels) < 1e-3)
    # All-zero logits: T = 1 and b = the logit of the positive rate.
    assert fit_platt(np.zeros(4), np.array([0, 1, 1, 1])) == (1.0, pytest.approx(np.log(3.0)))
    assert fit_platt(np.zeros(4), np.array([0, 1, 0, 1])) == (1.0, 0.0)
    # An optimum outside the bounds: T clamped to the nearer one, b refitted for it.
    logits, labels = synthetic(2.5, n=5000, seed=4, true_bias=0.5)
    for bounds, expected in (((0.1, 1.0), 1.0), ((5.0, 10.0), 5.0)):
        temperature, bias = fit_platt(logits, labels, bounds=bounds)
        assert temperature == expected
        # b minimises the NLL at that T: its derivative mean(p - y) is zero.
        prob = apply_temperature(logits, temperature, bias)
        assert prob.mean() == pytest.approx(labels.mean(), abs=1e-9)
        assert binary_nll(labels, logits, temperature, bias) < min(
            binary_nll(labels, logits, temperature, bias + d) for d in (-0.01, 0.01)
        )
    with pytest.raises(ConfigError, match="one class"):
        fit_platt(logits, np.ones_like(labels))
    with pytest.raises(ConfigError, match="no predictions"):
        fit_platt(np.zeros(0), np.zeros(0))
    with pytest.raises(ConfigError, match="0 or 1"):
        fit_platt(logits, labels * 0.5)
    with pytest.raises(ConfigError, match="finite"):
        fit_platt(np.full(3, np.nan), np.array([0, 1, 0]))
    with pytest.raises(ConfigError, match="increasing"):
        fit_platt(logits, labels, bounds=(2.0, 1.0))


def test_fit_platt_without_newton_falls_back_to_the_same_optimum(monkeypatch) -> None:
    logits, labels = synthetic(2.5, n=5000, seed=5, true_bias=-0.7)
    cases = [(logits, labels), (-logits, labels), (np.where(labels > 0, 3.0, -2.0), labels)]
    newton = [fit_platt(z, y) for z, y in cases]
    monkeypatch.setattr(calibration_module, "_NEWTON_STEPS", 0)  # never "converged"
    for (z, y), (temperature, bias) in zip(cases, newton, strict=True):
        assert fit_platt(z, y) == (
            pytest.approx(temperature, rel=1e-6),
            pytest.approx(bias, rel=1e-6, abs=1e-9),
        )


def test_crossfit_fits_each_fold_on_the_other() -> None:
    logits, labels = synthetic(2.0, n=4000, seed=1, true_bias=-0.5)
    group = np.arange(len(logits)) % 40
    temperatures, biases, folds, protocol = crossfit_platt(labels, logits, group)
    fold = problem_folds(group)
    assert protocol == "2-fold cross-fit over problems"
    for f in (0, 1):
        assert folds[f] == fit_platt(logits[fold != f], labels[fold != f])
        assert folds[f] != fit_platt(logits[fold == f], labels[fold == f])  # not its own
        assert np.all(temperatures[fold == f] == folds[f][0])
        assert np.all(biases[fold == f] == folds[f][1])
    # The same folds as the thresholds' cross-fitting: problem 0 in fold 0, 1 in fold 1, …
    y, s = np.array([[1], [0], [1], [0]]), np.array([[0.9], [0.1], [0.6], [0.4]])
    thresholds, _, _ = crossfit_thresholds(y, s, np.array([3, 3, 8, 8]))
    assert problem_folds(np.array([3, 3, 8, 8])).tolist() == [0, 0, 1, 1]
    assert thresholds.tolist() == pytest.approx([0.5] * 4)
    # One problem: nothing to fit the other fold on, (1, 0) stays and the protocol says so.
    temperatures, biases, folds, protocol = crossfit_platt(labels, logits, np.zeros(len(logits)))
    assert folds == [(1.0, 0.0), None] and "kept T = 1, b = 0" in protocol
    assert np.all(temperatures == 1.0) and np.all(biases == 0.0)
    with pytest.raises(ConfigError, match="group has"):
        crossfit_platt(labels, logits, group[:-1])


def test_calibration_report_views() -> None:
    logits, labels = synthetic(2.0, n=2000, seed=2, true_bias=-0.5)
    group = np.arange(len(logits)) % 20
    result = calibration_report(labels, logits, group, temperature=2.0, bias=-0.5)
    assert result["num_samples"] == 2000
    assert result["uncalibrated"]["temperature"] == 1.0 and result["uncalibrated"]["bias"] == 0.0
    assert result["saved"]["temperature"] == 2.0 and result["saved"]["bias"] == -0.5
    assert result["saved"]["ece"] == pytest.approx(
        calibration_summary(labels, logits, 2.0, -0.5)["ece"]
    )
    assert result["saved"]["nll"] < result["uncalibrated"]["nll"]
    crossfit = result["crossfit"]
    assert crossfit["temperature"] is None and crossfit["bias"] is None
    assert crossfit["ece"] < result["uncalibrated"]["ece"]
    _, _, folds, _ = crossfit_platt(labels, logits, group)
    assert crossfit["fold_temperatures"] == [t for t, _ in folds]
    assert crossfit["fold_biases"] == [b for _, b in folds]
    assert sum(result["saved"]["reliability"]["count"]) == 2000
    json.dumps(result)
    # Without a bias the saved view is temperature scaling alone.
    plain = calibration_report(labels, logits, group, 2.0)
    assert plain["saved"]["bias"] == 0.0
    assert plain["saved"]["nll"] == pytest.approx(binary_nll(labels, logits, 2.0))


def test_model_applies_its_saved_temperature_and_bias(model) -> None:
    config = dataclasses.replace(model.config, confidence_temperature=2.0, confidence_bias=-0.5)
    calibrated = YantraGNN(config)
    logit = torch.linspace(-6.0, 6.0, 13)
    expected = torch.sigmoid(logit / 2.0 - 0.5)
    assert torch.allclose(calibrated.confidence_probability(logit), expected)
    assert calibrated.confidence_probability(torch.zeros(1)).item() == pytest.approx(
        1 / (1 + np.exp(0.5))
    )
    only_bias = YantraGNN(ModelConfig(**{**model.config.to_dict(), "confidence_bias": 1.0}))
    assert torch.allclose(only_bias.confidence_probability(logit), torch.sigmoid(logit + 1.0))
    assert torch.equal(model.confidence_probability(logit), torch.sigmoid(logit))


# ---------------------------------------------------------------------- in the report
@pytest.fixture(scope="module")
def calibrated(model) -> YantraGNN:
    """The evaluation tests' untrained model with a saved temperature of 2 and bias -0.5."""
    config = dataclasses.replace(model.config, confidence_temperature=2.0, confidence_bias=-0.5)
    copy = YantraGNN(config)
    copy.load_state_dict(model.state_dict())
    return copy.eval()


def test_model_scores_are_calibrated_and_keep_the_raw_logits(sets, model, calibrated) -> None:
    _, val = sets
    raw = model_scores(model, val.graphs, device="cpu")
    scaled = model_scores(calibrated, val.graphs, device="cpu")
    assert raw.confidence_temperature == 1.0 and scaled.confidence_temperature == 2.0
    assert raw.confidence_bias == 0.0 and scaled.confidence_bias == -0.5
    np.testing.assert_allclose(scaled.confidence_logit, raw.confidence_logit, atol=1e-6)
    expected = torch.sigmoid(torch.from_numpy(raw.confidence_logit) / 2.0 - 0.5).numpy()
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
    assert section["saved"]["bias"] == -0.5 and section["uncalibrated"]["bias"] == 0.0
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
    assert "| model confidence | T | b | ECE, 15 bins | Brier | NLL |" in text
    assert "| uncalibrated logits | 1.000 | 0.000 |" in text
    assert (
        "| saved calibration (fitted on the training run's validation split) | 2.000 | -0.500 |"
        in text
    )
    folds = section["crossfit"]
    crossfit_cells = " / ".join(f"{t:.3f}" for t in folds["fold_temperatures"])
    crossfit_cells += " | " + " / ".join(f"{b:.3f}" for b in folds["fold_biases"])
    assert f"(T, b applied to fold 0 / fold 1) | {crossfit_cells} |" in text
    assert "cross-fitted on this set" in text and "in-sample" in text
    # The diagram draws the model calibrated and uncalibrated.
    assert {f"{MODEL}, T = 2.00, b = -0.50", f"{MODEL}, T = 1, b = 0 (uncalibrated)"} <= set(drawn)


def test_report_of_an_uncalibrated_model_says_so(sets, model) -> None:
    _, val = sets
    report = evaluate_model(model, val, device="cpu")
    section = report["calibration"][MODEL]
    assert section["saved"]["ece"] == section["uncalibrated"]["ece"]
    assert "saved calibration (T = 1, b = 0: this model was not calibrated)" in format_report(
        report
    )
