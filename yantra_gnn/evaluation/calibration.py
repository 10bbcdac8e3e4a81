"""Temperature scaling of the confidence head, and how calibrated it is.

Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks")
divides the confidence logit by one scalar ``T > 0`` fitted on held-out data:
``P(correct) = sigmoid(z / T)``. It never changes the ranking of candidates (AUROC,
ranked pass@1), only how sure the probabilities are. The model applies its saved ``T``
itself (``ModelConfig.confidence_temperature``, ``YantraGNN.confidence_probability``);
this module fits it and measures the result:

- :func:`fit_temperature`: the ``T`` that minimises the mean negative log-likelihood
  (NLL) of binary labels. With ``b = 1 / T`` the NLL is a one-coefficient logistic
  regression, convex in ``b``, so its minimum is where the derivative crosses zero; it
  is found by bisection in ``log T`` within :data:`TEMPERATURE_BOUNDS` — deterministic,
  no random start, no learning rate.
- :func:`calibration_summary`: ECE, Brier (the metric functions of
  :mod:`yantra_gnn.evaluation.metrics`) and NLL of logits at a temperature.
- :func:`crossfit_temperatures`: ``T`` fitted on one half of the problems and applied to
  the other half, and vice versa (the folds of
  :func:`~yantra_gnn.evaluation.protocol.crossfit_thresholds`), so that calibration is
  measured on data its temperature did not see.
- :func:`calibration_report`: the three views the evaluation report shows — the raw
  logits (``T = 1``), the model's saved ``T`` and the cross-fitted ``T`` — with their
  reliability bins.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.metrics import (
    DEFAULT_CALIBRATION_BINS,
    brier_score,
    expected_calibration_error,
    reliability_bins,
)

#: The range a fitted temperature is kept in. A fit that ends on a bound says the
#: logits carry (almost) no usable signal (upper) or are far too timid (lower).
TEMPERATURE_BOUNDS: tuple[float, float] = (0.01, 100.0)
#: The programs whose confidence is scored and calibrated: the evaluation protocol's
#: confidence candidates (rewrites are left out: they duplicate a solution).
CONFIDENCE_ORIGINS: tuple[str, ...] = ("solution", "incorrect_solution", "mutant")

_BISECTION_STEPS = 100


def _checked(logits: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    if z.shape != y.shape:
        raise ConfigError(f"logits {z.shape} and labels {y.shape} must have the same length")
    if not np.isfinite(z).all():
        raise ConfigError("logits must be finite")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ConfigError("labels must be 0 or 1")
    return z, y


def _checked_temperature(temperature: float) -> float:
    if isinstance(temperature, bool) or not math.isfinite(temperature) or temperature <= 0:
        raise ConfigError(f"temperature must be a finite number > 0, got {temperature!r}")
    return float(temperature)


def apply_temperature(logits: Any, temperature: float = 1.0) -> np.ndarray:
    """``sigmoid(logits / temperature)`` in float64 (``[n]``, in [0, 1])."""
    z = np.asarray(logits, dtype=np.float64) / _checked_temperature(temperature)
    # Written through exp(-|z|) so that no intermediate overflows.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_nll(labels: Any, logits: Any, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood (binary cross-entropy) of ``sigmoid(logits / T)``."""
    z, y = _checked(logits, labels)
    if len(z) == 0:
        raise ConfigError("binary_nll: no predictions given")
    s = z / _checked_temperature(temperature)
    # -[y log σ(s) + (1-y) log(1-σ(s))] = softplus(s) - y s, computed stably.
    return float(np.mean(np.logaddexp(0.0, s) - y * s))


def fit_temperature(
    logits: Any, labels: Any, *, bounds: tuple[float, float] = TEMPERATURE_BOUNDS
) -> float:
    """The temperature ``T`` in ``bounds`` that minimises the NLL of ``sigmoid(logits / T)``.

    Deterministic: the NLL is convex in ``b = 1 / T`` (a logistic regression with one
    coefficient and no intercept), so its derivative
    ``mean((sigmoid(b z) - y) z)`` increases with ``b`` and the minimum is where it
    crosses zero, found by bisection in ``log b``. When the derivative does not cross
    zero inside the bounds the nearer bound is returned (e.g. logits that rank the
    labels the wrong way round give the upper bound: predict close to 1/2).

    Args:
        logits: ``[n]`` raw confidence logits.
        labels: ``[n]`` 0/1 labels (1 = correct).
        bounds: ``(lowest, highest)`` temperature.

    Returns:
        The fitted ``T``; ``1.0`` when the logits are all zero (every ``T`` is as good).

    Raises:
        ConfigError: no rows, only one label value, non-finite logits, non-binary
            labels or bad bounds (a temperature cannot be fitted from one class).
    """
    z, y = _checked(logits, labels)
    low, high = (_checked_temperature(t) for t in bounds)
    if not low < high:
        raise ConfigError(f"temperature bounds must be increasing, got {bounds!r}")
    if len(z) == 0:
        raise ConfigError("fit_temperature: no predictions given")
    if y.min() == y.max():
        raise ConfigError(
            "fit_temperature: every label is the same; a temperature cannot be fitted "
            "from one class"
        )
    if not np.any(z):
        return 1.0

    def slope(log_b: float) -> float:  # d NLL / d b at b = exp(log_b)
        return float(np.mean((apply_temperature(z * math.exp(log_b)) - y) * z))

    lo, hi = -math.log(high), -math.log(low)  # log b, b = 1 / T
    if slope(lo) >= 0:
        return high
    if slope(hi) <= 0:
        return low
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if slope(mid) < 0:
            lo = mid
        else:
            hi = mid
    return float(math.exp(-0.5 * (lo + hi)))


def calibration_summary(
    labels: Any,
    logits: Any,
    temperature: float = 1.0,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, float]:
    """``temperature``, ``ece``, ``brier`` and ``nll`` of ``sigmoid(logits / temperature)``."""
    z, y = _checked(logits, labels)
    prob = apply_temperature(z, temperature)
    return {
        "temperature": float(temperature),
        "ece": expected_calibration_error(y, prob, num_bins),
        "brier": brier_score(y, prob),
        "nll": binary_nll(y, z, temperature),
    }


def problem_folds(group: Any) -> np.ndarray:
    """``[n]`` fold 0 / 1 of each row: problems, sorted, alternate between the folds.

    The rule of :func:`~yantra_gnn.evaluation.protocol.crossfit_thresholds`.
    """
    group = np.asarray(group)
    fold_of = {g: i % 2 for i, g in enumerate(np.unique(group))}
    return np.asarray([fold_of[g] for g in group], dtype=np.int64)


def crossfit_temperatures(
    labels: Any, logits: Any, group: Any
) -> tuple[np.ndarray, list[float | None], str]:
    """Per-row temperatures fitted on the *other* fold of problems (2-fold cross-fitting).

    A fold whose other half cannot be fitted (one problem only, or only one label value
    there) keeps ``T = 1`` for its rows; the returned protocol string says so.

    Returns:
        ``[n]`` temperatures, the temperature applied to fold 0 and to fold 1 (``None``
        for an empty fold), and the protocol used.
    """
    z, y = _checked(logits, labels)
    group = np.asarray(group)
    if len(group) != len(z):
        raise ConfigError(f"group has {len(group)} rows for {len(z)} logits")
    fold = problem_folds(group)
    per_row = np.ones(len(z))
    chosen: list[float | None] = []
    unfitted = []
    for f in (0, 1):
        rows, other = fold == f, fold != f
        if not rows.any():
            chosen.append(None)
            continue
        try:
            t = fit_temperature(z[other], y[other])
        except ConfigError:
            t = 1.0
            unfitted.append(f)
        chosen.append(t)
        per_row[rows] = t
    protocol = "2-fold cross-fit over problems"
    if unfitted:
        protocol += f" (fold {' and '.join(map(str, unfitted))} kept T = 1: too little to fit)"
    return per_row, chosen, protocol


def calibration_report(
    labels: Any,
    logits: Any,
    group: Any,
    temperature: float,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, Any]:
    """The model's confidence calibration on one set, three ways.

    - ``uncalibrated``: the raw logits (``T = 1``);
    - ``saved``: the model's own temperature (fitted on the training run's validation
      split: on that split these numbers are in-sample, i.e. optimistic);
    - ``crossfit``: temperatures fitted on one half of this set's problems and applied
      to the other half (see :func:`crossfit_temperatures`): calibration measured on
      problems the temperature did not see.

    Each holds ``temperature``, ``ece``, ``brier``, ``nll`` and ``reliability`` (the bins
    of :func:`~yantra_gnn.evaluation.metrics.reliability_bins`); ``crossfit`` also
    ``fold_temperatures`` and ``protocol``.
    """
    z, y = _checked(logits, labels)
    views: dict[str, Any] = {}
    for name, t in (("uncalibrated", 1.0), ("saved", float(temperature))):
        views[name] = {
            **calibration_summary(y, z, t, num_bins),
            "reliability": reliability_bins(y, apply_temperature(z, t), num_bins),
        }
    per_row, folds, protocol = crossfit_temperatures(y, z, group)
    prob = apply_temperature(z / per_row)
    views["crossfit"] = {
        "temperature": None,
        "fold_temperatures": folds,
        "protocol": protocol,
        "ece": expected_calibration_error(y, prob, num_bins),
        "brier": brier_score(y, prob),
        "nll": binary_nll(y, z / per_row),
        "reliability": reliability_bins(y, prob, num_bins),
    }
    views["num_samples"] = len(z)
    return views
