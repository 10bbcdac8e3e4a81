"""Platt scaling of the confidence head, and how calibrated it is.

Platt scaling (Platt 1999, "Probabilistic Outputs for Support Vector Machines and
Comparisons to Regularized Likelihood Methods") fits a temperature ``T > 0`` and a bias
``b`` on held-out data: ``P(correct) = sigmoid(z / T + b)``. With ``b = 0`` it is the
temperature scaling of Guo et al. 2017 ("On Calibration of Modern Neural Networks"),
which cannot fix logits whose offset is wrong (e.g. a model that is too sure "correct"
on every candidate); the bias can. Since ``T > 0`` the map is increasing, so it never
changes the ranking of candidates (AUROC, ranked pass@1), only how sure the
probabilities are. The model applies its saved ``T`` and ``b`` itself
(``ModelConfig.confidence_temperature`` / ``confidence_bias``,
``YantraGNN.confidence_probability``); this module fits them and measures the result:

- :func:`fit_platt`: the ``(T, b)`` that minimise the mean negative log-likelihood (NLL)
  of binary labels: a logistic regression on the logit with a slope ``a = 1 / T`` and an
  intercept ``b``, convex, solved by Newton's method (IRLS) with a backtracking line
  search — deterministic, no random start, no learning rate. ``T`` is kept in
  :data:`TEMPERATURE_BOUNDS`.
- :func:`fit_temperature`: the temperature alone (``b = 0``), by bisection.
- :func:`calibration_summary`: ECE, Brier (the metric functions of
  :mod:`yantra_gnn.evaluation.metrics`) and NLL of logits at a ``(T, b)``.
- :func:`crossfit_platt`: ``(T, b)`` fitted on one half of the problems and applied to
  the other half, and vice versa (the folds of
  :func:`~yantra_gnn.evaluation.protocol.crossfit_thresholds`), so that calibration is
  measured on data its scaling did not see.
- :func:`calibration_report`: the three views the evaluation report shows — the raw
  logits (``T = 1, b = 0``), the model's saved ``(T, b)`` and the cross-fitted ones —
  with their reliability bins.
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
#: L2 penalty ``PLATT_L2 / 2 * (a * rms(z))**2`` on the slope ``a = 1 / T`` in
#: :func:`fit_platt` (scaled by the logits' root mean square, so the same whatever their
#: scale): negligible on real data, it keeps the optimum finite when the logits
#: separate the labels perfectly (then the slope would grow without end).
PLATT_L2 = 1e-6
_NEWTON_STEPS = 100
_LINE_SEARCH_STEPS = 60
_GRADIENT_TOLERANCE = 1e-10


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


def _checked_bias(bias: float) -> float:
    if isinstance(bias, bool) or not math.isfinite(bias):
        raise ConfigError(f"bias must be a finite number, got {bias!r}")
    return float(bias)


def _sigmoid(s: np.ndarray) -> np.ndarray:
    # Written through exp(-|s|) so that no intermediate overflows.
    e = np.exp(-np.abs(s))
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _nll(s: np.ndarray, y: np.ndarray) -> float:
    # -[y log σ(s) + (1-y) log(1-σ(s))] = softplus(s) - y s, computed stably.
    return float(np.mean(np.logaddexp(0.0, s) - y * s))


def apply_temperature(logits: Any, temperature: float = 1.0, bias: float = 0.0) -> np.ndarray:
    """``sigmoid(logits / temperature + bias)`` in float64 (same shape, in [0, 1])."""
    z = np.asarray(logits, dtype=np.float64)
    return _sigmoid(z / _checked_temperature(temperature) + _checked_bias(bias))


def binary_nll(labels: Any, logits: Any, temperature: float = 1.0, bias: float = 0.0) -> float:
    """Mean negative log-likelihood (binary cross-entropy) of ``sigmoid(logits / T + b)``."""
    z, y = _checked(logits, labels)
    if len(z) == 0:
        raise ConfigError("binary_nll: no predictions given")
    return _nll(z / _checked_temperature(temperature) + _checked_bias(bias), y)


def _checked_fit_input(
    name: str, logits: Any, labels: Any, bounds: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, float, float]:
    z, y = _checked(logits, labels)
    low, high = (_checked_temperature(t) for t in bounds)
    if not low < high:
        raise ConfigError(f"temperature bounds must be increasing, got {bounds!r}")
    if len(z) == 0:
        raise ConfigError(f"{name}: no predictions given")
    if y.min() == y.max():
        raise ConfigError(
            f"{name}: every label is the same; a calibration cannot be fitted from one class"
        )
    return z, y, low, high


def fit_temperature(
    logits: Any, labels: Any, *, bounds: tuple[float, float] = TEMPERATURE_BOUNDS
) -> float:
    """The temperature ``T`` in ``bounds`` that minimises the NLL of ``sigmoid(logits / T)``.

    Temperature scaling without a bias (:func:`fit_platt` fits both). Deterministic: the
    NLL is convex in ``b = 1 / T`` (a logistic regression with one coefficient and no
    intercept), so its derivative ``mean((sigmoid(b z) - y) z)`` increases with ``b``
    and the minimum is where it crosses zero, found by bisection in ``log b``. When the
    derivative does not cross zero inside the bounds the nearer bound is returned (e.g.
    logits that rank the labels the wrong way round give the upper bound: predict close
    to 1/2).

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
    z, y, low, high = _checked_fit_input("fit_temperature", logits, labels, bounds)
    if not np.any(z):
        return 1.0

    def slope(log_b: float) -> float:  # d NLL / d b at b = exp(log_b)
        return float(np.mean((_sigmoid(z * math.exp(log_b)) - y) * z))

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


def _fit_bias(s: np.ndarray, y: np.ndarray) -> float:
    """The ``b`` that minimises the NLL of ``sigmoid(s + b)`` (both label values present).

    The derivative ``mean(sigmoid(s + b)) - mean(y)`` increases with ``b`` and changes
    sign inside ``[logit(rate) - max s, logit(rate) - min s]``; the bracket shrinks at
    every step, and a Newton step that would leave it is replaced by bisection, so it
    always converges.
    """
    rate = float(y.mean())
    logit_rate = math.log(rate) - math.log1p(-rate)
    lo, hi = logit_rate - float(s.max()), logit_rate - float(s.min())
    b = min(max(logit_rate - float(s.mean()), lo), hi)
    for _ in range(2 * _BISECTION_STEPS):
        p = _sigmoid(s + b)
        slope = float(p.mean()) - rate
        if abs(slope) < _GRADIENT_TOLERANCE * 1e-2 or hi - lo <= 1e-15 * max(1.0, abs(b)):
            break
        if slope < 0:
            lo = b
        else:
            hi = b
        curvature = float(np.mean(p * (1.0 - p)))
        newton = b - slope / curvature if curvature > 0 else math.nan
        b = newton if lo < newton < hi else 0.5 * (lo + hi)
    return float(b)


def _platt_objective(a: float, b: float, z: np.ndarray, y: np.ndarray) -> float:
    return _nll(a * z + b, y) + 0.5 * PLATT_L2 * a * a


def _platt_newton(z: np.ndarray, y: np.ndarray) -> tuple[float, float, bool]:
    """Unconstrained minimum of :func:`_platt_objective` over ``(a, b)``, and whether found.

    Newton's method (IRLS) from the usual start (``a = 0``, ``b`` = logit of the positive
    rate), each step shortened by backtracking until the objective decreases enough
    (Armijo); a step that is no descent direction is replaced by the gradient.
    """
    rate = float(y.mean())
    a, b = 0.0, math.log(rate) - math.log1p(-rate)
    value = _platt_objective(a, b, z, y)
    for _ in range(_NEWTON_STEPS):
        p = _sigmoid(a * z + b)
        r, w = p - y, p * (1.0 - p)
        gradient = np.array([np.mean(r * z) + PLATT_L2 * a, np.mean(r)])
        if np.max(np.abs(gradient)) < _GRADIENT_TOLERANCE:
            return a, b, True
        hessian = np.array(
            [[np.mean(w * z * z) + PLATT_L2, np.mean(w * z)], [np.mean(w * z), np.mean(w)]]
        )
        try:
            step = -np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = -gradient
        if not np.isfinite(step).all() or float(gradient @ step) >= 0:
            step = -gradient
        descent = float(gradient @ step)
        if -descent < 1e-24:  # the step cannot lower the objective in float64: a minimum
            return a, b, bool(np.max(np.abs(gradient)) < 1e-6)
        t = 1.0
        for _ in range(_LINE_SEARCH_STEPS):
            a_new, b_new = a + t * float(step[0]), b + t * float(step[1])
            new_value = _platt_objective(a_new, b_new, z, y)
            if new_value <= value + 1e-4 * t * descent:
                break
            t *= 0.5
        else:  # no decrease any more: as close as float64 gets
            return a, b, bool(np.max(np.abs(gradient)) < 1e-6)
        a, b, value = a_new, b_new, new_value
    return a, b, False


def fit_platt(
    logits: Any, labels: Any, *, bounds: tuple[float, float] = TEMPERATURE_BOUNDS
) -> tuple[float, float]:
    """The ``(T, b)`` that minimise the NLL of ``sigmoid(logits / T + b)``, ``T`` in ``bounds``.

    Platt scaling: a two-parameter logistic regression of the labels on the logits,
    slope ``a = 1 / T`` and intercept ``b`` (with a negligible L2 penalty
    :data:`PLATT_L2` on ``a``, so that logits that separate the labels perfectly still
    have a finite optimum). The NLL is convex, so Newton's method with a backtracking
    line search finds its minimum (should it not converge, bisection on the slope does);
    deterministic. Its best ``T`` over ``b``
    is convex in ``a`` too, so when the unconstrained optimum has ``a <= 0`` (logits
    that rank the labels the wrong way round) or a ``T`` outside ``bounds``, the best
    allowed ``T`` is the nearer bound, and ``b`` is refitted for it alone (1-D, convex).
    The scaling is increasing, so it never changes the ranking.

    Args:
        logits: ``[n]`` raw confidence logits.
        labels: ``[n]`` 0/1 labels (1 = correct).
        bounds: ``(lowest, highest)`` temperature.

    Returns:
        ``(T, b)``. Logits that are all the same value ``c`` (all zero, say) carry no
        ranking: ``T = 1`` and ``b = logit(positive rate) - c``, the base rate for all.

    Raises:
        ConfigError: no rows, only one label value, non-finite logits, non-binary
            labels or bad bounds (as :func:`fit_temperature`).
    """
    z, y, low, high = _checked_fit_input("fit_platt", logits, labels, bounds)
    if z.min() == z.max():
        rate = float(y.mean())
        return 1.0, float(math.log(rate) - math.log1p(-rate) - z[0])
    # Fitted on logits scaled to unit root mean square (well conditioned, and the L2
    # penalty the same whatever the scale of the logits): a = a_scaled / scale.
    scale = float(np.sqrt(np.mean(z * z)))
    a_scaled, b, converged = _platt_newton(z / scale, y)
    a, a_low, a_high = a_scaled / scale, 1.0 / high, 1.0 / low  # a = 1 / T
    if not converged:
        # Decide by the sign of d/da min_b NLL (convex in a) at the bounds; inside them,
        # bisection in log a.
        def slope(a: float) -> float:
            bias = _fit_bias(a * z, y)
            return float(np.mean((_sigmoid(a * z + bias) - y) * z)) + PLATT_L2 * a * scale**2

        if slope(a_high) <= 0:
            return low, _fit_bias(a_high * z, y)
        if slope(a_low) >= 0:
            return high, _fit_bias(a_low * z, y)
        lo, hi = math.log(a_low), math.log(a_high)
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            if slope(math.exp(mid)) < 0:
                lo = mid
            else:
                hi = mid
        a = math.exp(0.5 * (lo + hi))
        return float(1.0 / a), _fit_bias(a * z, y)
    if a > a_high:  # too sharp even at the lowest temperature (e.g. separable labels)
        return low, _fit_bias(a_high * z, y)
    if a < a_low:  # no usable ranking (a <= 0: the wrong way round): the highest one
        return high, _fit_bias(a_low * z, y)
    return float(1.0 / a), float(b)


def calibration_summary(
    labels: Any,
    logits: Any,
    temperature: float = 1.0,
    bias: float = 0.0,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, float]:
    """``temperature``, ``bias``, ``ece``, ``brier`` and ``nll`` of ``sigmoid(z / T + b)``."""
    z, y = _checked(logits, labels)
    prob = apply_temperature(z, temperature, bias)
    return {
        "temperature": float(temperature),
        "bias": float(bias),
        "ece": expected_calibration_error(y, prob, num_bins),
        "brier": brier_score(y, prob),
        "nll": binary_nll(y, z, temperature, bias),
    }


def problem_folds(group: Any) -> np.ndarray:
    """``[n]`` fold 0 / 1 of each row: problems, sorted, alternate between the folds.

    The rule of :func:`~yantra_gnn.evaluation.protocol.crossfit_thresholds`.
    """
    group = np.asarray(group)
    fold_of = {g: i % 2 for i, g in enumerate(np.unique(group))}
    return np.asarray([fold_of[g] for g in group], dtype=np.int64)


def crossfit_platt(
    labels: Any, logits: Any, group: Any
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float] | None], str]:
    """Per-row ``(T, b)`` fitted (:func:`fit_platt`) on the *other* fold of problems.

    2-fold cross-fitting over problems. A fold whose other half cannot be fitted (one
    problem only, or only one label value there) keeps ``T = 1, b = 0`` for its rows;
    the returned protocol string says so.

    Returns:
        ``[n]`` temperatures, ``[n]`` biases, the ``(T, b)`` applied to fold 0 and to
        fold 1 (``None`` for an empty fold), and the protocol used.
    """
    z, y = _checked(logits, labels)
    group = np.asarray(group)
    if len(group) != len(z):
        raise ConfigError(f"group has {len(group)} rows for {len(z)} logits")
    fold = problem_folds(group)
    temperatures, biases = np.ones(len(z)), np.zeros(len(z))
    chosen: list[tuple[float, float] | None] = []
    unfitted = []
    for f in (0, 1):
        rows, other = fold == f, fold != f
        if not rows.any():
            chosen.append(None)
            continue
        try:
            t, b = fit_platt(z[other], y[other])
        except ConfigError:
            t, b = 1.0, 0.0
            unfitted.append(f)
        chosen.append((t, b))
        temperatures[rows], biases[rows] = t, b
    protocol = "2-fold cross-fit over problems"
    if unfitted:
        protocol += (
            f" (fold {' and '.join(map(str, unfitted))} kept T = 1, b = 0: too little to fit)"
        )
    return temperatures, biases, chosen, protocol


def calibration_report(
    labels: Any,
    logits: Any,
    group: Any,
    temperature: float,
    bias: float = 0.0,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
    base_rate: float | None = None,
) -> dict[str, Any]:
    """The model's confidence calibration on one set, three ways (four with ``base_rate``).

    - ``uncalibrated``: the raw logits (``T = 1, b = 0``);
    - ``saved``: the model's own ``(T, b)`` (fitted on the training run's validation
      split: on that split these numbers are in-sample, i.e. optimistic);
    - ``crossfit``: ``(T, b)`` fitted on one half of this set's problems and applied to
      the other half (see :func:`crossfit_platt`): calibration measured on problems the
      scaling did not see.

    Each holds ``temperature``, ``bias`` (``None`` for ``crossfit``: one per fold),
    ``ece``, ``brier``, ``nll`` and ``reliability`` (the bins of
    :func:`~yantra_gnn.evaluation.metrics.reliability_bins`); ``crossfit`` also
    ``fold_temperatures``, ``fold_biases`` (fold 0, fold 1; ``None`` for an empty fold)
    and ``protocol``.
    """
    z, y = _checked(logits, labels)
    views: dict[str, Any] = {}
    for name, t, b in (("uncalibrated", 1.0, 0.0), ("saved", float(temperature), float(bias))):
        views[name] = {
            **calibration_summary(y, z, t, b, num_bins),
            "reliability": reliability_bins(y, apply_temperature(z, t, b), num_bins),
        }
    temperatures, biases, folds, protocol = crossfit_platt(y, z, group)
    scaled = z / temperatures + biases
    prob = apply_temperature(scaled)
    views["crossfit"] = {
        "temperature": None,
        "bias": None,
        "fold_temperatures": [None if f is None else f[0] for f in folds],
        "fold_biases": [None if f is None else f[1] for f in folds],
        "protocol": protocol,
        "ece": expected_calibration_error(y, prob, num_bins),
        "brier": brier_score(y, prob),
        "nll": binary_nll(y, scaled),
        "reliability": reliability_bins(y, prob, num_bins),
    }
    set_rate = float(y.mean()) if len(y) else 0.0
    if base_rate is not None and 0.0 < set_rate < 1.0:
        shift = math.log(set_rate / (1 - set_rate)) - math.log(base_rate / (1 - base_rate))
        t, b = float(temperature), float(bias) + shift
        views["rebased"] = {
            **calibration_summary(y, z, t, b, num_bins),
            "base_rate": float(base_rate),
            "set_rate": set_rate,
            "reliability": reliability_bins(y, apply_temperature(z, t, b), num_bins),
        }
    views["num_samples"] = len(z)
    return views
