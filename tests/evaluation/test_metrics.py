"""Every metric of ``yantra_gnn.evaluation.metrics`` against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.metrics import (
    Evaluator,
    average_ranks,
    binary_auroc,
    brier_score,
    choose_threshold,
    expected_calibration_error,
    map_at_r,
    ranked_pass_at_1,
    reliability_bins,
)


# ---------------------------------------------------------------------- AUROC
def test_average_ranks_share_ties() -> None:
    assert average_ranks(np.array([0.3, 0.1, 0.3, 0.2])).tolist() == [3.5, 1.0, 3.5, 2.0]


def test_auroc_perfect_inverted_and_tied() -> None:
    y = np.array([0, 0, 1, 1])
    assert binary_auroc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert binary_auroc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert binary_auroc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5


def test_auroc_hand_example_with_a_tie() -> None:
    # Positives 0.8 and 0.4; negatives 0.4 and 0.1. Pairs (pos, neg): (0.8, 0.4) 1,
    # (0.8, 0.1) 1, (0.4, 0.4) tie 1/2, (0.4, 0.1) 1 -> 3.5 / 4.
    assert binary_auroc(np.array([1, 0, 1, 0]), np.array([0.8, 0.4, 0.4, 0.1])) == 0.875


def test_auroc_undefined_with_one_label() -> None:
    assert binary_auroc(np.array([1, 1, 1]), np.array([0.1, 0.5, 0.9])) is None
    assert binary_auroc(np.array([0, 0]), np.array([0.1, 0.5])) is None


# ---------------------------------------------------------------------- thresholds, F1
def test_choose_threshold_hand_example() -> None:
    # Cuts: >=0.9 F1 2/3, >=0.8 1/2, >=0.7 4/5 (best), >=0.1 2/3 -> midpoint of 0.7 and 0.1.
    threshold = choose_threshold([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    assert threshold == pytest.approx(0.4)


def test_choose_threshold_all_positive_and_no_positive() -> None:
    assert choose_threshold([1, 1, 1], [0.2, 0.3, 0.4]) == pytest.approx(0.2)
    above = choose_threshold([0, 0], [0.2, 0.3])
    assert above > 0.3
    with pytest.raises(ConfigError, match="shape"):
        choose_threshold([1, 0], [0.1])


def test_multilabel_metrics_hand_example() -> None:
    # Class a: tp 1, fp 1, fn 0; class b: tp 0, fp 0, fn 1; class c: no positives, fp 1.
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0]])
    y_score = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1], [0.2, 0.2, 0.7]])
    out = Evaluator("imports", class_names=["a", "b", "c"]).eval(
        {"y_true": y_true, "y_score": y_score, "threshold": 0.5}
    )
    # Micro: tp 1, fp 2, fn 1 -> P 1/3, R 1/2, F1 2/5.
    assert out["micro_precision"] == pytest.approx(1 / 3)
    assert out["micro_recall"] == pytest.approx(1 / 2)
    assert out["micro_f1"] == pytest.approx(0.4)
    # Class c has no positives: excluded from macro, its per-class values undefined.
    assert out["f1/c"] is None and out["recall/c"] is None and out["support/c"] == 0
    assert out["f1/a"] == pytest.approx(2 / 3) and out["f1/b"] == 0.0
    assert out["macro_classes"] == 2
    assert out["macro_f1"] == pytest.approx(1 / 3)
    assert out["macro_precision"] == pytest.approx(0.25)
    # AUROC: a = 1.0 (0.9 above 0.8, 0.2), b = 1.0 (0.3 above 0.1, 0.2), c undefined.
    assert out["auroc/a"] == 1.0 and out["auroc/b"] == 1.0 and out["auroc/c"] is None
    assert out["auroc_macro"] == 1.0 and out["auroc_classes"] == 2


def test_all_one_predictions() -> None:
    y_true = np.array([[1], [0], [0], [1]])
    out = Evaluator("bugs").eval({"y_true": y_true, "y_score": np.ones((4, 1)), "threshold": 0.5})
    assert out["micro_precision"] == 0.5 and out["micro_recall"] == 1.0
    assert out["micro_f1"] == pytest.approx(2 / 3)
    assert out["auroc/0"] == 0.5  # every score tied


def test_per_row_thresholds() -> None:
    out = Evaluator("imports").eval(
        {
            "y_true": np.array([[1], [1]]),
            "y_score": np.array([[0.6], [0.6]]),
            "threshold": np.array([0.5, 0.7]),
        }
    )
    assert out["micro_recall"] == 0.5


# ---------------------------------------------------------------------- calibration
def test_brier_and_ece_hand_example() -> None:
    y = np.array([1, 0, 1, 1])
    p = np.array([0.9, 0.1, 0.7, 0.75])
    assert brier_score(y, p) == pytest.approx((0.01 + 0.01 + 0.09 + 0.0625) / 4)
    # 15 bins of width 1/15: 0.1 -> bin 1, 0.7 and 0.75 -> bin 10 and 11, 0.9 -> bin 13.
    # Each bin holds one prediction: ECE = mean |y - p| = (0.1 + 0.1 + 0.3 + 0.25) / 4.
    assert expected_calibration_error(y, p) == pytest.approx(0.1875)
    # Two bins: [0, .5) holds 0.1 (acc 0); [.5, 1] holds 0.9, 0.7, 0.75 (acc 1, mean .7833).
    expected = 0.25 * 0.1 + 0.75 * abs(1 - (0.9 + 0.7 + 0.75) / 3)
    assert expected_calibration_error(y, p, num_bins=2) == pytest.approx(expected)


def test_reliability_bins_put_one_in_the_last_bin() -> None:
    bins = reliability_bins(np.array([1, 0]), np.array([1.0, 0.0]), 15)
    assert bins["count"][14] == 1 and bins["count"][0] == 1
    assert bins["accuracy"][7] is None and sum(bins["count"]) == 2


# ---------------------------------------------------------------------- ranked pass@1
def test_ranked_pass_at_1_vs_random() -> None:
    # Problem 0: 1 correct of 3, ranked picks it. Problem 1: 1 of 2, ranked picks the
    # wrong one. Problem 2: both correct (not mixed). Problem 3: a tie of a correct and
    # a wrong candidate for the top score -> 1/2.
    y = np.array([1, 0, 0, 1, 0, 1, 1, 1, 0, 0])
    s = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.7, 0.7, 0.1])
    g = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3])
    out = ranked_pass_at_1(y, s, g)
    assert out["problems_mixed"] == 3 and out["problems_all"] == 4
    assert out["pass1_ranked_mixed"] == pytest.approx((1 + 0 + 0.5) / 3)
    assert out["pass1_random_mixed"] == pytest.approx((1 / 3 + 1 / 2 + 1 / 3) / 3)
    assert out["pass1_ranked_all"] == pytest.approx((1 + 0 + 1 + 0.5) / 4)
    assert out["pass1_random_all"] == pytest.approx((1 / 3 + 1 / 2 + 1 + 1 / 3) / 4)
    assert out["pass_any_all"] == 1.0


def test_constant_score_ranks_like_random() -> None:
    y = np.array([1, 0, 0, 1, 1, 0])
    g = np.array([0, 0, 0, 1, 1, 1])
    out = ranked_pass_at_1(y, np.zeros(6), g)
    assert out["pass1_ranked_all"] == pytest.approx(out["pass1_random_all"])


def test_confidence_evaluator_perfect_and_inverted() -> None:
    y = np.array([1, 0, 1, 0])
    g = np.array([0, 0, 1, 1])
    good = Evaluator("confidence").eval({"y_true": y, "y_prob": [1.0, 0.0, 1.0, 0.0], "group": g})
    assert good["auroc"] == 1.0 and good["brier"] == 0.0 and good["ece"] == 0.0
    assert good["pass1_ranked_mixed"] == 1.0 and good["pass1_random_mixed"] == 0.5
    bad = Evaluator("confidence").eval({"y_true": y, "y_score": [-1, 3, -2, 5], "group": g})
    assert bad["auroc"] == 0.0 and bad["pass1_ranked_mixed"] == 0.0
    assert "brier" not in bad  # raw scores: no calibration metrics


# ---------------------------------------------------------------------- embeddings
def test_map_at_r_hand_example() -> None:
    # Items 0, 1, 2 in group 0, item 3 in group 1 (R = 0: skipped).
    e = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.8, 0.3]])
    out = map_at_r(e, np.array([0, 0, 0, 1]))
    # Query 0 (R=2): ranking 1, 3, 2 -> hits 1, 0 -> AP@R = (1/1) / 2 = 0.5.
    # Query 1 (R=2): sims to 0 .994, 3 .983, 2 .110 -> hits 1, 0 -> 0.5.
    # Query 2 (R=2): sims to 3 .351, 1 .110, 0 0 -> hits 0, 1 -> (1/2) / 2 = 0.25.
    assert out["num_queries"] == 3 and out["num_skipped"] == 1
    assert out["map_at_r"] == pytest.approx((0.5 + 0.5 + 0.25) / 3)
    perfect = map_at_r(
        np.array([[1.0, 0], [1.0, 0.1], [0, 1.0], [0.1, 1.0]]), np.array([0, 0, 1, 1])
    )
    assert perfect["map_at_r"] == 1.0


def test_rewrite_retrieval() -> None:
    e = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2], [0.1, 1.0], [1.0, 0.05]])
    # Query 2 should find 0; query 3 should find 1; item 4 is not a candidate.
    out = Evaluator("rewrite_retrieval").eval(
        {
            "embedding": e,
            "query": np.array([2, 3]),
            "target": np.array([0, 0]),
            "candidate_mask": np.array([True, True, False, False, False]),
        }
    )
    assert out["top1_accuracy"] == 0.5 and out["num_candidates"] == 2


# ---------------------------------------------------------------------- bug location
def test_bug_location_within_span_and_random_floor() -> None:
    # Graph 0: 3 nodes; mutated node 1 spans (0,4)-(0,9); node 2 (0,4)-(0,5) is inside.
    # Graph 1: 2 nodes; mutated node 0; the model picks node 1 (outside).
    # Graph 2: no mutation.
    spans = np.array(
        [[0, 0, 0, 9], [0, 4, 0, 9], [0, 4, 0, 5], [0, 0, 0, 3], [1, 0, 1, 3], [0, 0, 0, 1]]
    )
    out = Evaluator("bug_location").eval(
        {
            "node_score": np.array([0.1, 0.2, 0.9, 0.1, 0.5, 0.0]),
            "batch": np.array([0, 0, 0, 1, 1, 2]),
            "node_span": spans,
            "bug_node": np.array([1, 0, -1]),
        }
    )
    assert out["num_graphs"] == 2
    assert out["top1_accuracy"] == 0.5 and out["top1_exact"] == 0.0
    # Random node: graph 0 has 2 of 3 nodes inside, graph 1 has 1 of 2.
    assert out["random_top1_accuracy"] == pytest.approx((2 / 3 + 1 / 2) / 2)


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("task", "inputs", "message"),
    [
        ("confidence", {"y_score": [0.1]}, "missing 'y_true'"),
        ("confidence", {"y_true": [1, 2], "y_score": [0.1, 0.2]}, "only 0 and 1"),
        ("confidence", {"y_true": [1, 0], "y_prob": [0.1, 1.2]}, "probabilities"),
        ("confidence", {"y_true": [1, 0], "y_score": [0.1]}, "1 rows, expected 2"),
        ("confidence", {"y_true": [1, 0], "y_score": [0.1, float("nan")]}, "NaN"),
        ("confidence", {"y_true": [1, 0]}, "'y_score'"),
        ("confidence", {"y_true": [1, 0], "y_score": [1, 0], "group": [0.5, 1]}, "integers"),
        ("imports", {"y_true": [[1, 0]], "y_score": [[0.1]], "threshold": 0.5}, "must match"),
        ("imports", {"y_true": [1, 0], "y_score": [0.1, 0.2], "threshold": 0.5}, "dimension"),
        ("bugs", {"y_true": [[1]], "y_score": [[0.2]]}, "missing 'threshold'"),
        ("embedding", {"embedding": [[0.0, 0.0]], "group": [0]}, "all-zero"),
        ("embedding", {"embedding": [[1.0, 0.0]], "group": [[0]]}, "dimension"),
        (
            "bug_location",
            {"node_score": [0.1], "batch": [0], "node_span": [[0, 0, 0, 1]], "bug_node": [3]},
            "bug_node",
        ),
        (
            "rewrite_retrieval",
            {"embedding": [[1.0], [1.0]], "query": [0], "target": [1], "candidate_mask": [1, 1]},
            "bool",
        ),
    ],
)
def test_input_validation_names_the_key(task, inputs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        Evaluator(task).eval(inputs)


def test_evaluator_rejects_unknown_task_and_non_dict() -> None:
    with pytest.raises(ConfigError, match="unknown task"):
        Evaluator("accuracy")
    with pytest.raises(ConfigError, match="takes a dict"):
        Evaluator("confidence").eval([1, 0])
    assert "y_true" in Evaluator("confidence").expected_input_format


def test_evaluator_accepts_tensors() -> None:
    out = Evaluator("confidence").eval(
        {"y_true": torch.tensor([1.0, 0.0]), "y_prob": torch.tensor([0.75, 0.25])}
    )
    assert out["auroc"] == 1.0 and math.isclose(out["brier"], 0.0625)
