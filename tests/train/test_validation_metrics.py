"""The per-epoch validation metrics, the balanced validation score and the ranking diagnostic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from yantra_gnn.data.dataset import ORIGINS
from yantra_gnn.evaluation.metrics import ranked_pass_at_1
from yantra_gnn.train.metrics import headline_metrics, validation_score
from yantra_gnn.train.selection import SCORE_METRICS


def test_validation_score_is_the_mean_over_heads_each_counted_once():
    metrics = {
        "confidence_auroc": 0.6,
        "confidence_pass1_ranked": 0.2,  # confidence = 0.4
        "import_auroc": 0.8,
        "bug_auroc": 0.5,
        "bug_location_top1": 0.1,
        "embedding_map_at_r": float("nan"),  # undefined: the head is left out
        "confidence_ece": 0.9,  # not part of the score
    }
    assert validation_score(metrics) == pytest.approx((0.4 + 0.8 + 0.5 + 0.1) / 4)
    assert math.isnan(validation_score({}))
    assert set(SCORE_METRICS) == {"confidence", "imports", "bugs", "bug_location", "embedding"}


def test_a_scorer_blind_to_mutants_ranks_below_a_random_pick():
    """The bias of docs/results.md on a toy set: each problem has one correct program and
    four failing mutants of it; a scorer that cannot tell them apart gives each mutant
    the original's score plus a little noise. Pairwise it is a coin toss, yet the
    original is the top candidate only when all four mutants fall below it (1/16), far
    below the random pick's 1/5."""
    rng = np.random.default_rng(0)
    problems, mutants = 400, 4
    group = np.repeat(np.arange(problems), mutants + 1)
    correct = np.tile([1] + [0] * mutants, problems)
    original = rng.normal(size=problems)
    score = np.repeat(original, mutants + 1) + 0.01 * rng.normal(size=group.size) * (correct == 0)
    mutant_above = (score[correct == 0] > np.repeat(original, mutants)).mean()
    assert 0.45 < mutant_above < 0.55
    result = ranked_pass_at_1(correct, score, group)
    assert result["pass1_random_mixed"] == pytest.approx(1 / (mutants + 1))
    assert result["pass1_ranked_mixed"] < 0.5 * result["pass1_random_mixed"]


def _predictions(confidence, correct, group, origin):
    n = len(confidence)
    return {
        "confidence": np.asarray(confidence, dtype=float),
        "correct": np.asarray(correct, dtype=bool),
        "group": np.asarray(group),
        "origin": np.asarray([ORIGINS.index(o) for o in origin]),
        "import_scores": np.full((n, 1), 0.5),
        "import_labels": np.tile([[True], [False]], (n // 2, 1)),
        "bug_scores": np.full((n, 1), 0.5),
        "bug_labels": np.zeros((n, 1), dtype=bool),
        "bug_mask": np.zeros(n, dtype=bool),
        "bug_node": np.full(n, -1),
        "embedding": np.eye(n),
        "node_score": np.zeros(n),
        "node_batch": np.arange(n),
        "node_span": np.zeros((n, 4), dtype=int),
    }


def test_headline_metrics_rank_the_evaluate_candidates_and_report_confidence_per_origin():
    # one problem: the rewrite scores highest, the solution second, the mutant last
    p = _predictions(
        confidence=[0.6, 0.9, 0.3, 0.2],
        correct=[1, 1, 0, 0],
        group=[0, 0, 0, 0],
        origin=["solution", "rewrite", "mutant", "incorrect_solution"],
    )
    metrics = headline_metrics(p)
    # rewrites are not candidates (as in `yantra-gnn evaluate`): pass@1 = the solution
    assert metrics["confidence_pass1_ranked"] == 1.0
    assert metrics["confidence_pass1_random"] == pytest.approx(1 / 3)
    assert metrics["confidence_mean_solution"] == pytest.approx(0.6)
    assert metrics["confidence_mean_rewrite"] == pytest.approx(0.9)
    assert metrics["confidence_mean_mutant"] == pytest.approx(0.3)
    assert metrics["confidence_mean_incorrect_solution"] == pytest.approx(0.2)
