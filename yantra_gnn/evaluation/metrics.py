"""``Evaluator``: one metric contract for every head of ``YantraGNN`` and its baselines.

As in OGB's ``ogb.graphproppred.Evaluator``, an evaluator is built for one task, checks
the input dict it is given (keys, shapes, dtypes, ranges; a :class:`ConfigError` naming
the key otherwise) and returns a flat ``{metric: value}`` dict. The same evaluator
scores the model and every baseline on the same rows, so the numbers are comparable.

Tasks (``Evaluator(task)``; ``Evaluator(task).expected_input_format`` lists the keys):

- ``"imports"`` / ``"bugs"``: multi-label classification (micro and macro precision,
  recall, F1 at a given threshold; per-class values; AUROC per class, macro and micro).
- ``"bug_location"``: top-1 accuracy of the node the model scores highest in a mutated
  graph, next to the accuracy of a uniformly random node.
- ``"confidence"``: AUROC, Brier score, expected calibration error, and ranked pass@1
  per problem next to the pass@1 of a random choice (CodeRanker's protocol).
- ``"embedding"``: MAP@R (the POJ-104 protocol).
- ``"rewrite_retrieval"``: is the nearest neighbour of a rewritten program its original?
- ``"pairs"``: how often a fix scores above its own faulty version (ConDefects pairs).
- ``"fault_line"``: top-1 / top-3 accuracy of a program's lines ranked by their best
  node score against a real bug's fault line, next to a uniformly random line.

Conventions (``docs/evaluation.md`` has the full definitions):

- A value that is undefined on the given rows (AUROC with one label only, recall of a
  class with no positives, a mean over nothing) is ``None``, never a made-up number.
- Ties are never broken by position where a fair rule exists: AUROC uses average ranks,
  ranked pass@1 counts a tie for the best score as a uniform random choice among the
  tied candidates.

The metric functions (:func:`binary_auroc`, :func:`choose_threshold`,
:func:`expected_calibration_error`, :func:`map_at_r`, …) work on plain arrays and can be
used on their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from yantra_gnn.errors import ConfigError

#: The tasks an :class:`Evaluator` can be built for.
TASKS: tuple[str, ...] = (
    "imports",
    "bugs",
    "bug_location",
    "confidence",
    "embedding",
    "rewrite_retrieval",
    "pairs",
    "fault_line",
)

#: The ``k`` of the fault-line top-k accuracies (``Evaluator("fault_line")``).
FAULT_LINE_KS: tuple[int, ...] = (1, 3)

#: Equal-width bins of the expected calibration error and the reliability diagram.
DEFAULT_CALIBRATION_BINS = 15

Metrics = dict[str, float | int | None]


# ---------------------------------------------------------------------- basic metrics
def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values`` ``[n]`` in increasing order; tied values share the mean rank."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    # Boundaries of runs of equal values in the sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + 1 + end) / 2.0
    return ranks


def binary_auroc(y_true: np.ndarray, y_score: np.ndarray) -> float | None:
    """Area under the ROC curve of scores ``[n]`` for binary labels ``[n]``.

    Computed as the Mann-Whitney U statistic with average ranks, so a tie between a
    positive and a negative counts one half. ``None`` when only one label is present
    (the area is undefined).
    """
    y_true = np.asarray(y_true).astype(bool)
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = average_ranks(y_score)
    u = ranks[y_true].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` with 0 for an empty denominator (nothing to be right about)."""
    return float(numerator / denominator) if denominator > 0 else 0.0


def precision_recall_f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts; a zero denominator gives 0."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return precision, recall, f1


def choose_threshold(y_true: Any, y_score: Any) -> float:
    """The score threshold that maximises micro-F1 of ``y_score >= threshold``.

    Meant for a validation split; the threshold is then applied to another split.
    Candidates are the distinct scores; the returned value is the midpoint between the
    best candidate and the next lower distinct score (the lowest score itself when all
    predictions positive is best), so that unseen scores near the boundary fall on the
    side the validation data chose. Equal F1 prefers the higher threshold. With no
    positive label at all nothing can be right: the threshold is just above the largest
    score (predict nothing).

    Args:
        y_true: ``[n]`` or ``[n, C]`` binary labels.
        y_score: same shape, real scores (probabilities or logits).
    """
    truth = np.asarray(_as_array(y_true, "y_true"), dtype=np.float64).reshape(-1)
    score = np.asarray(_as_array(y_score, "y_score"), dtype=np.float64).reshape(-1)
    if truth.shape != score.shape:
        raise ConfigError(
            f"choose_threshold: y_true and y_score differ in shape "
            f"({np.shape(y_true)} vs {np.shape(y_score)})"
        )
    if score.size == 0:
        raise ConfigError("choose_threshold: no scores given; a threshold needs validation data")
    if not np.all(np.isfinite(score)):
        raise ConfigError("choose_threshold: y_score holds NaN or infinite values")
    if not np.all((truth == 0) | (truth == 1)):
        raise ConfigError("choose_threshold: y_true must hold only 0 and 1")
    total_positive = truth.sum()
    if total_positive == 0:
        top = float(score.max())
        return float(np.nextafter(top, np.inf))
    order = np.argsort(-score, kind="mergesort")
    sorted_score, sorted_truth = score[order], truth[order]
    true_positives = np.cumsum(sorted_truth)
    predicted = np.arange(1, len(score) + 1, dtype=np.float64)
    # Only the last position of each run of equal scores is a realisable cut.
    last_of_run = np.r_[sorted_score[1:] != sorted_score[:-1], True]
    f1 = 2 * true_positives / (predicted + total_positive)
    candidates = np.flatnonzero(last_of_run)
    best = candidates[int(np.argmax(f1[candidates]))]  # first maximum = highest threshold
    if best + 1 < len(score):
        return float((sorted_score[best] + sorted_score[best + 1]) / 2.0)
    return float(sorted_score[best])


def brier_score(y_true: np.ndarray, y_prob: np.ndarray) -> float:
    """Mean squared difference between probabilities ``[n]`` and binary outcomes ``[n]``."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    return float(np.mean((y_prob - y_true) ** 2))


def reliability_bins(
    y_true: np.ndarray, y_prob: np.ndarray, num_bins: int = DEFAULT_CALIBRATION_BINS
) -> dict[str, list]:
    """Per-bin counts, mean predicted probability and observed accuracy.

    Bin ``k`` holds probabilities in ``[k / num_bins, (k + 1) / num_bins)``; the last bin
    also holds 1.0. Empty bins have ``None`` confidence and accuracy.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    index = np.minimum((y_prob * num_bins).astype(np.int64), num_bins - 1)
    counts, confidence, accuracy = [], [], []
    for k in range(num_bins):
        members = index == k
        n = int(members.sum())
        counts.append(n)
        confidence.append(float(y_prob[members].mean()) if n else None)
        accuracy.append(float(y_true[members].mean()) if n else None)
    edges = [k / num_bins for k in range(num_bins + 1)]
    return {"edges": edges, "count": counts, "confidence": confidence, "accuracy": accuracy}


def expected_calibration_error(
    y_true: np.ndarray, y_prob: np.ndarray, num_bins: int = DEFAULT_CALIBRATION_BINS
) -> float:
    """ECE: ``sum_k (n_k / n) * |accuracy_k - mean confidence_k|`` over equal-width bins."""
    bins = reliability_bins(y_true, y_prob, num_bins)
    total = sum(bins["count"])
    if total == 0:
        raise ConfigError("expected_calibration_error: no predictions given")
    error = 0.0
    for n, conf, acc in zip(bins["count"], bins["confidence"], bins["accuracy"], strict=True):
        if n:
            error += n / total * abs(acc - conf)
    return float(error)


def ranked_pass_at_1(y_true: np.ndarray, y_score: np.ndarray, group: np.ndarray) -> Metrics:
    """Pass@1 when each problem submits its highest-scored candidate, next to a random pick.

    For every problem (``group``): *ranked* is 1 if the top-scored candidate is correct
    (with a tie for the top score: the fraction of correct candidates among the tied
    ones, i.e. a uniform random choice between them); *random* is the fraction of
    correct candidates (the expected pass@1 of a uniformly random choice). Means are
    reported over problems with at least one correct and one incorrect candidate
    (``*_mixed``: the only problems where ranking can matter) and over all problems
    (``*_all``). ``pass_any_all`` is the fraction of problems with a correct candidate
    (the best any ranker can do).
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_score = np.asarray(y_score, dtype=np.float64)
    group = np.asarray(group)
    ranked_all, random_all, mixed = [], [], []
    any_correct = []
    for g in np.unique(group):
        members = group == g
        truth, score = y_true[members], y_score[members]
        top = score == score.max()
        ranked_all.append(float(truth[top].mean()))
        random_all.append(float(truth.mean()))
        any_correct.append(float(truth.max()))
        mixed.append(0.0 < truth.mean() < 1.0)
    mixed_mask = np.asarray(mixed, dtype=bool)
    ranked = np.asarray(ranked_all)
    random = np.asarray(random_all)

    def mean(values: np.ndarray) -> float | None:
        return float(values.mean()) if len(values) else None

    return {
        "pass1_ranked_mixed": mean(ranked[mixed_mask]),
        "pass1_random_mixed": mean(random[mixed_mask]),
        "pass1_ranked_all": mean(ranked),
        "pass1_random_all": mean(random),
        "pass_any_all": mean(np.asarray(any_correct)),
        "problems_mixed": int(mixed_mask.sum()),
        "problems_all": len(ranked),
    }


def _normalise_rows(embedding: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(embedding, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ConfigError("embedding holds an all-zero row; cosine similarity is undefined for it")
    return embedding / norms


def map_at_r(embedding: np.ndarray, group: np.ndarray, chunk_size: int = 1024) -> Metrics:
    """MAP@R of cosine-similarity retrieval (Musgrave et al. 2020; the POJ-104 protocol).

    Every item queries all the *other* items; the relevant ones are those of its group,
    ``R`` of them. ``AP@R = (1/R) * sum_{k<=R} P@k * rel_k`` over the top ``R`` results
    (ties in similarity keep index order). Queries with ``R = 0`` are skipped.

    Args:
        embedding: ``[n, d]`` float (normalised here).
        group: ``[n]`` int, the problem of each item.
    """
    vectors = _normalise_rows(np.asarray(embedding, dtype=np.float64))
    group = np.asarray(group)
    n = len(group)
    relevant_counts = np.array([int((group == g).sum()) - 1 for g in group])
    scores: list[float] = []
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        similarity = vectors[start:stop] @ vectors.T
        for row, i in enumerate(range(start, stop)):
            r = relevant_counts[i]
            if r == 0:
                continue
            sims = similarity[row].copy()
            sims[i] = -np.inf  # never retrieve the query itself
            order = np.argsort(-sims, kind="mergesort")[:r]
            hits = (group[order] == group[i]).astype(np.float64)
            precision_at_k = np.cumsum(hits) / np.arange(1, r + 1)
            scores.append(float((precision_at_k * hits).sum() / r))
    return {
        "map_at_r": float(np.mean(scores)) if scores else None,
        "num_queries": len(scores),
        "num_skipped": int(n - len(scores)),
    }


def nearest_neighbour_accuracy(
    embedding: np.ndarray, query: np.ndarray, target: np.ndarray, candidate_mask: np.ndarray
) -> Metrics:
    """Fraction of queries whose most cosine-similar candidate is their target.

    Args:
        embedding: ``[n, d]`` float.
        query: ``[q]`` indices of the query items.
        target: ``[q]`` index of the item each query should retrieve (a candidate).
        candidate_mask: ``[n]`` bool, the items that may be retrieved (the query itself
            never is).
    """
    vectors = _normalise_rows(np.asarray(embedding, dtype=np.float64))
    candidates = np.flatnonzero(candidate_mask)
    hits = []
    for q, t in zip(query, target, strict=True):
        pool = candidates[candidates != q]
        similarity = vectors[pool] @ vectors[q]
        hits.append(float(pool[int(np.argmax(similarity))] == t))
    return {
        "top1_accuracy": float(np.mean(hits)) if hits else None,
        "num_queries": len(hits),
        "num_candidates": int(len(candidates)),
    }


def span_within(inner: Sequence[int], outer: Sequence[int]) -> bool:
    """Whether span ``inner`` (start row, start col, end row, end col) lies inside ``outer``."""
    return (outer[0], outer[1]) <= (inner[0], inner[1]) and (inner[2], inner[3]) <= (
        outer[2],
        outer[3],
    )


def bug_location_accuracy(
    node_score: np.ndarray, batch: np.ndarray, node_span: np.ndarray, bug_node: np.ndarray
) -> Metrics:
    """Top-1 bug-location accuracy over the graphs with a known mutated node.

    In each graph ``b`` with ``bug_node[b] >= 0`` the predicted node is the argmax of
    ``node_score`` over its nodes (ties: the first). It is *correct* when it is the
    mutated node or its span lies within the mutated node's span (a sub-expression of
    the changed code); ``top1_exact`` counts only the node itself.
    ``random_top1_accuracy`` is the expected accuracy of a uniformly random node under
    the same rule (the fraction of the graph's nodes inside the span), as a floor.

    Args:
        node_score: ``[N]`` float, one score per node of all graphs.
        batch: ``[N]`` long, the graph of each node (``0 .. B-1``, nodes of a graph
            contiguous as in a PyG batch).
        node_span: ``[N, 4]`` long.
        bug_node: ``[B]`` long, index of the mutated node *within its graph*, or -1.
    """
    within, exact, random = [], [], []
    boundaries = np.r_[0, np.cumsum(np.bincount(batch, minlength=len(bug_node)))]
    for b, target in enumerate(bug_node):
        if target < 0:
            continue
        start, stop = boundaries[b], boundaries[b + 1]
        spans = node_span[start:stop]
        predicted = int(np.argmax(node_score[start:stop]))
        target_span = spans[target]
        inside = [span_within(s, target_span) for s in spans]
        within.append(float(predicted == target or inside[predicted]))
        exact.append(float(predicted == target))
        random.append(float(np.mean(inside)))  # the mutated node is inside its own span
    return {
        "top1_accuracy": float(np.mean(within)) if within else None,
        "top1_exact": float(np.mean(exact)) if exact else None,
        "random_top1_accuracy": float(np.mean(random)) if random else None,
        "num_graphs": len(within),
    }


def pair_accuracy(fixed_score: np.ndarray, faulty_score: np.ndarray) -> Metrics:
    """How often a fix scores above its own faulty version (``[P]`` scores each).

    ``pair_accuracy`` counts strict wins only; ``pair_ties`` is the share of tied pairs
    and ``pair_accuracy_ties_half`` counts a tie one half (the AUROC of each pair on its
    own: 0.5 for a constant score).
    """
    fixed = np.asarray(fixed_score, dtype=np.float64)
    faulty = np.asarray(faulty_score, dtype=np.float64)
    if len(fixed) == 0:
        return {
            "pair_accuracy": None,
            "pair_ties": None,
            "pair_accuracy_ties_half": None,
            "num_pairs": 0,
        }
    wins = float(np.mean(fixed > faulty))
    ties = float(np.mean(fixed == faulty))
    return {
        "pair_accuracy": wins,
        "pair_ties": ties,
        "pair_accuracy_ties_half": wins + ties / 2.0,
        "num_pairs": len(fixed),
    }


def topk_hit_probability(above: int, tied: int, tied_hits: int, k: int) -> float:
    """P(one of ``tied_hits`` wanted items is among the first ``k``) when ``above`` items
    rank strictly first and the next ``tied`` (wanted ones included) are in uniformly
    random order: ``1 - C(tied - tied_hits, m) / C(tied, m)`` with ``m = k - above``."""
    m = k - above
    if m <= 0 or tied_hits <= 0:
        return 0.0
    if m >= tied:
        return 1.0
    total = math.comb(tied, m)
    return (total - math.comb(tied - tied_hits, m)) / total


def fault_line_accuracy(
    node_score: np.ndarray,
    batch: np.ndarray,
    node_line: np.ndarray,
    fault_line: np.ndarray,
    ks: Sequence[int] = FAULT_LINE_KS,
) -> Metrics:
    """Top-k accuracy of ranking a program's lines by their best node score.

    In each graph, the *candidate lines* are the distinct lines on which at least one
    node starts (``node_line``); a line's score is the highest score of the nodes that
    start on it. Top-k is a hit when one of the graph's fault lines is among the ``k``
    best lines; lines with equal scores are in uniformly random order, so a tie at the
    cut counts the probability of a hit (:func:`topk_hit_probability`) and a constant
    score gets exactly the random expectation. ``random_top{k}_accuracy`` is that
    expectation for a uniformly random order of the candidate lines, per graph
    ``1 - C(n - f, k) / C(n, k)`` (``k / n`` for one fault line), averaged.

    Graphs with no fault line (all 0) are skipped; graphs whose fault lines are not
    candidate lines (blank, comment or import lines, past the end: no node starts
    there) cannot be hit by any ranking and are left out of the means, counted in
    ``num_not_located``.

    Args:
        node_score: ``[N]`` float, one score per node of all graphs.
        batch: ``[N]`` int, the graph of each node (sorted, as in a PyG batch).
        node_line: ``[N]`` int, the 1-based line each node starts on.
        fault_line: ``[B]`` or ``[B, L]`` int, 1-based fault lines of each graph
            (0 = none / padding).
        ks: the ``k`` values.
    """
    faults = fault_line.reshape(len(fault_line), -1)
    boundaries = np.r_[0, np.cumsum(np.bincount(batch, minlength=len(faults)))]
    hits: dict[int, list[float]] = {k: [] for k in ks}
    random: dict[int, list[float]] = {k: [] for k in ks}
    lines_per_graph: list[int] = []
    not_located = 0
    for b in range(len(faults)):
        wanted = {int(x) for x in faults[b] if x > 0}
        if not wanted:
            continue
        start, stop = boundaries[b], boundaries[b + 1]
        lines = node_line[start:stop]
        scores = node_score[start:stop]
        candidates = np.unique(lines)
        best = np.full(len(candidates), -np.inf)
        np.maximum.at(best, np.searchsorted(candidates, lines), scores)
        is_fault = np.isin(candidates, sorted(wanted))
        if not is_fault.any():
            not_located += 1
            continue
        top = best[is_fault].max()
        above = int((best > top).sum())
        tied = int((best == top).sum())
        tied_hits = int((is_fault & (best == top)).sum())
        n, f = len(candidates), int(is_fault.sum())
        for k in ks:
            hits[k].append(topk_hit_probability(above, tied, tied_hits, k))
            random[k].append(topk_hit_probability(0, n, f, k))
        lines_per_graph.append(n)
    out: Metrics = {}
    for k in ks:
        out[f"top{k}_accuracy"] = float(np.mean(hits[k])) if hits[k] else None
        out[f"random_top{k}_accuracy"] = float(np.mean(random[k])) if random[k] else None
    out["num_graphs"] = len(lines_per_graph)
    out["num_not_located"] = not_located
    out["mean_candidate_lines"] = float(np.mean(lines_per_graph)) if lines_per_graph else None
    return out


def multilabel_metrics(
    y_true: np.ndarray,
    y_score: np.ndarray,
    threshold: np.ndarray | float,
    class_names: Sequence[str],
) -> Metrics:
    """Micro/macro precision, recall and F1 at ``threshold``, and AUROC, per class too.

    Micro values pool every (row, class) cell. Macro values average over the classes
    with at least one positive label (``macro_classes`` of them); a class without
    positives has undefined recall, so its per-class precision/recall/F1 are ``None``
    and it is left out of the macro average (its false positives still count in the
    micro values). AUROC is per class where both labels occur, averaged over those
    (``auroc_macro``), and over the pooled cells (``auroc_micro``).
    """
    predicted = y_score >= np.asarray(threshold, dtype=np.float64).reshape(-1, 1)
    truth = y_true.astype(bool)
    tp = (predicted & truth).sum(axis=0).astype(np.float64)
    fp = (predicted & ~truth).sum(axis=0).astype(np.float64)
    fn = (~predicted & truth).sum(axis=0).astype(np.float64)
    out: Metrics = {}
    micro = precision_recall_f1(tp.sum(), fp.sum(), fn.sum())
    out["micro_precision"], out["micro_recall"], out["micro_f1"] = micro
    per_class_prf = []
    aurocs = []
    for c, name in enumerate(class_names):
        support = int(truth[:, c].sum())
        out[f"support/{name}"] = support
        p: float | None
        r: float | None
        f: float | None
        if support > 0:
            p, r, f = precision_recall_f1(tp[c], fp[c], fn[c])
            per_class_prf.append((p, r, f))
        else:
            p = r = f = None
        out[f"precision/{name}"], out[f"recall/{name}"], out[f"f1/{name}"] = p, r, f
        auc = binary_auroc(truth[:, c], y_score[:, c])
        out[f"auroc/{name}"] = auc
        if auc is not None:
            aurocs.append(auc)
    if per_class_prf:
        values = np.asarray(per_class_prf)
        out["macro_precision"], out["macro_recall"], out["macro_f1"] = (
            float(v) for v in values.mean(axis=0)
        )
    else:
        out["macro_precision"] = out["macro_recall"] = out["macro_f1"] = None
    out["macro_classes"] = len(per_class_prf)
    out["auroc_macro"] = float(np.mean(aurocs)) if aurocs else None
    out["auroc_classes"] = len(aurocs)
    out["auroc_micro"] = binary_auroc(truth.reshape(-1), y_score.reshape(-1))
    out["num_samples"] = int(truth.shape[0])
    out["num_positive_labels"] = int(truth.sum())
    out["num_predicted_labels"] = int(predicted.sum())
    return out


# ---------------------------------------------------------------------- input checking
def _as_array(value: Any, key: str) -> np.ndarray:
    """``value`` (tensor, array or nested list) as a numpy array; a clear error otherwise."""
    if isinstance(value, torch.Tensor):
        if value.is_sparse:
            value = value.to_dense()
        return value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{key!r} cannot be read as an array: {error}") from error
    if array.dtype == object:
        raise ConfigError(
            f"{key!r} must be a rectangular array of numbers, got a ragged or mixed sequence"
        )
    return array


class Evaluator:
    """Scores predictions of one task: ``Evaluator(task).eval(input_dict) -> {metric: value}``.

    Args:
        task: one of :data:`TASKS`.
        class_names: column names for ``"imports"`` / ``"bugs"`` (used in per-class
            metric keys such as ``f1/collections``); default ``"0"``, ``"1"``, …
        num_bins: equal-width bins of the expected calibration error.

    Raises:
        ConfigError: an unknown task, or (from :meth:`eval`) an input dict with a
            missing key or a value of the wrong shape, dtype or range.
    """

    def __init__(
        self,
        task: str,
        *,
        class_names: Sequence[str] | None = None,
        num_bins: int = DEFAULT_CALIBRATION_BINS,
    ) -> None:
        if task not in TASKS:
            raise ConfigError(f"Evaluator: unknown task {task!r}; choose one of {TASKS}")
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
            raise ConfigError(f"Evaluator: num_bins must be a positive int, got {num_bins!r}")
        self.task = task
        self.class_names = tuple(class_names) if class_names is not None else None
        self.num_bins = num_bins

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(task={self.task!r})"

    @property
    def expected_input_format(self) -> str:
        """What :meth:`eval` expects for this task (keys, shapes, dtypes)."""
        return _INPUT_FORMATS[self.task]

    def eval(self, input_dict: Mapping[str, Any]) -> Metrics:
        """Check ``input_dict`` and return the task's metrics (``None`` where undefined)."""
        if not isinstance(input_dict, Mapping):
            raise ConfigError(
                f"Evaluator({self.task!r}).eval takes a dict, got {type(input_dict).__name__}; "
                f"expected: {self.expected_input_format}"
            )
        method = getattr(self, f"_eval_{self.task}")
        return method(input_dict)

    # ------------------------------------------------------------------ input helpers
    def _get(
        self,
        input_dict: Mapping[str, Any],
        key: str,
        *,
        ndim: int | tuple[int, ...],
        kind: str,
        rows: int | None = None,
    ) -> np.ndarray:
        """``input_dict[key]`` checked: number of dimensions, dtype kind, row count, finite.

        ``kind``: ``"binary"`` (0/1 or bool), ``"float"``, ``"prob"`` (in [0, 1]),
        ``"int"`` (integer dtype), ``"bool"``.
        """
        where = f"Evaluator({self.task!r}): {key!r}"
        if key not in input_dict:
            raise ConfigError(
                f"Evaluator({self.task!r}): input_dict is missing {key!r}; "
                f"expected: {self.expected_input_format}"
            )
        array = _as_array(input_dict[key], key)
        dims = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in dims:
            raise ConfigError(
                f"{where} must have {' or '.join(map(str, dims))} dimension(s), got shape "
                f"{array.shape}"
            )
        if rows is not None and array.ndim > 0 and array.shape[0] != rows:
            raise ConfigError(f"{where} has {array.shape[0]} rows, expected {rows}")
        if kind == "bool":
            if array.dtype != np.bool_:
                raise ConfigError(f"{where} must be a bool array, got dtype {array.dtype}")
            return array
        if kind == "int":
            if not np.issubdtype(array.dtype, np.integer):
                raise ConfigError(f"{where} must hold integers, got dtype {array.dtype}")
            return array.astype(np.int64)
        if array.dtype == np.bool_:
            array = array.astype(np.float64)
        if not np.issubdtype(array.dtype, np.number):
            raise ConfigError(f"{where} must hold numbers, got dtype {array.dtype}")
        array = array.astype(np.float64)
        if not np.all(np.isfinite(array)):
            raise ConfigError(f"{where} holds NaN or infinite values")
        if kind == "binary" and not np.all((array == 0) | (array == 1)):
            raise ConfigError(f"{where} must hold only 0 and 1 (labels), got other values")
        if kind == "prob" and (array.size and (array.min() < 0 or array.max() > 1)):
            raise ConfigError(
                f"{where} must hold probabilities in [0, 1], got values in "
                f"[{array.min():.4g}, {array.max():.4g}]; pass raw scores as 'y_score'"
            )
        return array

    def _check_batch(self, batch: np.ndarray, graphs: int, per_graph_key: str) -> None:
        """``batch`` (graph of each node) indexes the ``graphs`` rows of ``per_graph_key``
        and is sorted, each graph's nodes contiguous as in a PyG batch."""
        if batch.size and (batch.min() < 0 or batch.max() >= graphs):
            raise ConfigError(
                f"Evaluator({self.task!r}): 'batch' must index the {graphs} graphs of "
                f"{per_graph_key!r}, got values in [{batch.min()}, {batch.max()}]"
            )
        if np.any(np.diff(batch) < 0):
            raise ConfigError(
                f"Evaluator({self.task!r}): 'batch' must be sorted (each graph's nodes "
                "contiguous, as in a PyG batch)"
            )

    def _nonempty(self, rows: int, key: str) -> None:
        if rows == 0:
            raise ConfigError(f"Evaluator({self.task!r}): {key!r} has no rows; nothing to score")

    # ------------------------------------------------------------------ tasks
    def _multilabel(self, input_dict: Mapping[str, Any]) -> Metrics:
        y_true = self._get(input_dict, "y_true", ndim=2, kind="binary")
        self._nonempty(y_true.shape[0], "y_true")
        y_score = self._get(input_dict, "y_score", ndim=2, kind="float", rows=y_true.shape[0])
        if y_score.shape != y_true.shape:
            raise ConfigError(
                f"Evaluator({self.task!r}): 'y_score' has shape {y_score.shape}, "
                f"'y_true' {y_true.shape}; they must match"
            )
        threshold = self._get(input_dict, "threshold", ndim=(0, 1), kind="float")
        if threshold.ndim == 1 and threshold.shape[0] != y_true.shape[0]:
            raise ConfigError(
                f"Evaluator({self.task!r}): 'threshold' is a scalar or one value per row "
                f"({y_true.shape[0]}), got {threshold.shape[0]} values"
            )
        names = self.class_names or tuple(str(c) for c in range(y_true.shape[1]))
        if len(names) != y_true.shape[1]:
            raise ConfigError(
                f"Evaluator({self.task!r}): {len(names)} class_names for "
                f"{y_true.shape[1]} columns of 'y_true'"
            )
        return multilabel_metrics(y_true, y_score, threshold, names)

    def _eval_imports(self, input_dict: Mapping[str, Any]) -> Metrics:
        return self._multilabel(input_dict)

    def _eval_bugs(self, input_dict: Mapping[str, Any]) -> Metrics:
        return self._multilabel(input_dict)

    def _eval_bug_location(self, input_dict: Mapping[str, Any]) -> Metrics:
        bug_node = self._get(input_dict, "bug_node", ndim=1, kind="int")
        node_score = self._get(input_dict, "node_score", ndim=1, kind="float")
        nodes = node_score.shape[0]
        batch = self._get(input_dict, "batch", ndim=1, kind="int", rows=nodes)
        node_span = self._get(input_dict, "node_span", ndim=2, kind="int", rows=nodes)
        if node_span.shape[1] != 4:
            raise ConfigError(
                f"Evaluator('bug_location'): 'node_span' must be [N, 4], got {node_span.shape}"
            )
        graphs = bug_node.shape[0]
        self._check_batch(batch, graphs, "bug_node")
        sizes = np.bincount(batch, minlength=graphs)
        if np.any(bug_node >= sizes) or np.any(bug_node < -1):
            raise ConfigError(
                "Evaluator('bug_location'): 'bug_node' must be -1 or a node index within its graph"
            )
        if np.any((bug_node >= 0) & (sizes == 0)):
            raise ConfigError("Evaluator('bug_location'): a graph with a bug_node has no nodes")
        return bug_location_accuracy(node_score, batch, node_span, bug_node)

    def _eval_confidence(self, input_dict: Mapping[str, Any]) -> Metrics:
        y_true = self._get(input_dict, "y_true", ndim=1, kind="binary")
        n = y_true.shape[0]
        self._nonempty(n, "y_true")
        y_prob = None
        if "y_prob" in input_dict:
            y_prob = self._get(input_dict, "y_prob", ndim=1, kind="prob", rows=n)
        if "y_score" in input_dict:
            y_score = self._get(input_dict, "y_score", ndim=1, kind="float", rows=n)
        elif y_prob is not None:
            y_score = y_prob
        else:
            raise ConfigError(
                "Evaluator('confidence'): input_dict needs 'y_score' (any real, higher = "
                "more likely correct) or 'y_prob' (probabilities); "
                f"expected: {self.expected_input_format}"
            )
        out: Metrics = {
            "auroc": binary_auroc(y_true, y_score),
            "num_samples": n,
            "positive_rate": float(y_true.mean()),
        }
        if y_prob is not None:
            out["brier"] = brier_score(y_true, y_prob)
            out["ece"] = expected_calibration_error(y_true, y_prob, self.num_bins)
        if "group" in input_dict:
            group = self._get(input_dict, "group", ndim=1, kind="int", rows=n)
            out.update(ranked_pass_at_1(y_true, y_score, group))
        return out

    def _eval_embedding(self, input_dict: Mapping[str, Any]) -> Metrics:
        embedding = self._get(input_dict, "embedding", ndim=2, kind="float")
        self._nonempty(embedding.shape[0], "embedding")
        group = self._get(input_dict, "group", ndim=1, kind="int", rows=embedding.shape[0])
        return map_at_r(embedding, group)

    def _eval_rewrite_retrieval(self, input_dict: Mapping[str, Any]) -> Metrics:
        embedding = self._get(input_dict, "embedding", ndim=2, kind="float")
        n = embedding.shape[0]
        query = self._get(input_dict, "query", ndim=1, kind="int")
        target = self._get(input_dict, "target", ndim=1, kind="int", rows=query.shape[0])
        mask = self._get(input_dict, "candidate_mask", ndim=1, kind="bool", rows=n)
        for key, values in (("query", query), ("target", target)):
            if values.size and (values.min() < 0 or values.max() >= n):
                raise ConfigError(
                    f"Evaluator('rewrite_retrieval'): {key!r} must index the {n} embeddings"
                )
        if target.size and not mask[target].all():
            raise ConfigError(
                "Evaluator('rewrite_retrieval'): every 'target' must be a candidate "
                "('candidate_mask' True)"
            )
        if np.any(query == target):
            raise ConfigError("Evaluator('rewrite_retrieval'): a query cannot be its own target")
        return nearest_neighbour_accuracy(embedding, query, target, mask)

    def _eval_pairs(self, input_dict: Mapping[str, Any]) -> Metrics:
        fixed = self._get(input_dict, "fixed_score", ndim=1, kind="float")
        self._nonempty(fixed.shape[0], "fixed_score")
        faulty = self._get(input_dict, "faulty_score", ndim=1, kind="float", rows=fixed.shape[0])
        return pair_accuracy(fixed, faulty)

    def _eval_fault_line(self, input_dict: Mapping[str, Any]) -> Metrics:
        fault_line = self._get(input_dict, "fault_line", ndim=(1, 2), kind="int")
        node_score = self._get(input_dict, "node_score", ndim=1, kind="float")
        nodes = node_score.shape[0]
        batch = self._get(input_dict, "batch", ndim=1, kind="int", rows=nodes)
        node_line = self._get(input_dict, "node_line", ndim=1, kind="int", rows=nodes)
        graphs = fault_line.shape[0]
        self._check_batch(batch, graphs, "fault_line")
        if np.any(fault_line < 0) or (nodes and node_line.min() < 1):
            raise ConfigError(
                "Evaluator('fault_line'): lines are 1-based: 'node_line' must be >= 1 and "
                "'fault_line' >= 0 (0 = none)"
            )
        return fault_line_accuracy(node_score, batch, node_line, fault_line)


_INPUT_FORMATS: dict[str, str] = {
    "imports": (
        "{'y_true': [n, V] 0/1, 'y_score': [n, V] float, 'threshold': float or [n] "
        "(predict y_score >= threshold; choose it on validation data with choose_threshold)}"
    ),
    "bugs": (
        "{'y_true': [n, C] 0/1, 'y_score': [n, C] float, 'threshold': float or [n] "
        "(predict y_score >= threshold; choose it on validation data with choose_threshold)}"
    ),
    "bug_location": (
        "{'node_score': [N] float, 'batch': [N] int (graph of each node, sorted), "
        "'node_span': [N, 4] int, 'bug_node': [B] int (mutated node within its graph, -1: none)}"
    ),
    "confidence": (
        "{'y_true': [n] 0/1, 'y_score': [n] float and/or 'y_prob': [n] in [0, 1] "
        "(y_prob adds Brier and ECE), optional 'group': [n] int problem (adds ranked pass@1)}"
    ),
    "embedding": "{'embedding': [n, d] float, 'group': [n] int (items of a group are relevant)}",
    "rewrite_retrieval": (
        "{'embedding': [n, d] float, 'query': [q] int, 'target': [q] int, "
        "'candidate_mask': [n] bool}"
    ),
    "pairs": (
        "{'fixed_score': [P] float, 'faulty_score': [P] float (pair i: a fix and its own "
        "faulty version; higher = more likely correct)}"
    ),
    "fault_line": (
        "{'node_score': [N] float, 'batch': [N] int (graph of each node, sorted), "
        "'node_line': [N] int (1-based line each node starts on), 'fault_line': [B] or "
        "[B, L] int (1-based fault lines of each graph, 0 = none)}"
    ),
}
