"""The protocol on small hand-made evaluation sets (no sandbox, no training).

Mutants here are labelled failing by construction: these tests check the pipeline,
not any number (the model is untrained).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy_eval_sets import SOLUTIONS, toy_program

from yantra_gnn.evaluation.protocol import (
    PROTOCOL,
    crossfit_thresholds,
    evaluate_model,
    rewrite_originals,
)
from yantra_gnn.evaluation.report import format_report
from yantra_gnn.evaluation.systems import BAG, MODEL, NAME_LOOKUP, RANDOM, SHORTEST
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.labels import rewrite


def test_rewrite_originals_finds_the_source_solution(sets) -> None:
    _, val = sets
    pairs = rewrite_originals(val.programs, val.graphs)
    assert len(pairs) == len(SOLUTIONS)
    for query, original in pairs:
        assert val.programs[query].origin == "rewrite"
        assert val.programs[original].origin == "solution"
        assert val.programs[original].problem == val.programs[query].problem


def test_rewrite_originals_picks_among_several_solutions() -> None:
    first = "n = int(input())\nprint(n * 2)\n"
    second = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total += i\nprint(total)\n"
    renamed = [r for r in rewrite.rewrites(second) if r.kind == "rename_variables"][0]
    programs = [
        toy_program("p", first, "solution"),
        toy_program("p", second, "solution"),
        toy_program("q", second, "solution"),  # same text, other problem: never chosen
        toy_program("p", renamed.source, "rewrite"),
    ]
    graphs = [CodeGraphBuilder().build(p.source, strip_imports=True) for p in programs]
    assert rewrite_originals(programs, graphs) == [(3, 1)]


def test_crossfit_thresholds_use_the_other_fold() -> None:
    y = np.array([[1], [0], [1], [0]])
    s = np.array([[0.9], [0.1], [0.6], [0.4]])
    per_row, folds, protocol = crossfit_thresholds(y, s, np.array([0, 0, 1, 1]))
    # Fold 0 (problem 0) gets the threshold chosen on problem 1: midpoint of 0.6 and 0.4.
    assert folds == [pytest.approx(0.5), pytest.approx(0.5)]
    assert per_row.tolist() == pytest.approx([0.5, 0.5, 0.5, 0.5])
    assert "cross-fit" in protocol
    _, single, in_sample = crossfit_thresholds(y, s, np.zeros(4, dtype=int))
    assert len(single) == 1 and "in-sample" in in_sample


def test_evaluate_model_report(sets, model, tmp_path) -> None:
    train, val = sets
    report = evaluate_model(model, val, train_set=train, device="cpu", plots=tmp_path)
    metrics = report["metrics"]
    assert set(metrics) == {MODEL, NAME_LOOKUP, BAG, SHORTEST, RANDOM}
    assert set(metrics[MODEL]) >= {"confidence", "imports", "bugs", "bug_location"}
    assert set(metrics[NAME_LOOKUP]) == {"imports"}
    assert set(metrics[SHORTEST]) == {"confidence"}
    rows = report["rows"]
    assert rows["confidence"] == 3 * len(SOLUTIONS)  # rewrites left out
    assert rows["imports"] == len(SOLUTIONS) and rows["rewrite_queries"] == len(SOLUTIONS)
    assert rows["bug_location"] == 2 * len(SOLUTIONS)
    confidence = metrics[MODEL]["confidence"]
    assert confidence["problems_mixed"] == len(SOLUTIONS)
    assert confidence["pass1_random_mixed"] == pytest.approx(1 / 3)
    # A constant score is a random pick; the prior is the training positive rate.
    assert metrics[RANDOM]["confidence"]["auroc"] == 0.5
    assert metrics[RANDOM]["confidence"]["pass1_ranked_mixed"] == pytest.approx(1 / 3)
    assert len(report["thresholds"][MODEL]["imports"]) == 2
    assert metrics[MODEL]["embedding_with_rewrites"]["num_queries"] == 2 * len(SOLUTIONS)
    assert metrics[MODEL]["embedding_solutions"]["map_at_r"] is None  # one solution each
    assert report["protocol"] == PROTOCOL
    json.dumps(report)  # JSON-able as written by the CLI
    assert report["plots"] and (tmp_path / "reliability-toy-val.png").is_file()
    text = format_report(report)
    assert "| AUROC |" in text and "ranked pass@1, mixed problems (n=4)" in text
    assert "| micro F1 |" in text and "### Code embedding" in text


def test_evaluate_model_without_training_data(sets, model) -> None:
    _, val = sets
    report = evaluate_model(model, val, device="cpu")
    assert set(report["metrics"]) == {MODEL, SHORTEST, RANDOM}
    assert "brier" not in report["metrics"][RANDOM]["confidence"]  # no prior without training
    assert "none (untrained baselines only)" in format_report(report)
