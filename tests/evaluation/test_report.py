"""The model-vs-baselines report on small hand-made evaluation sets (no sandbox, no training).

Mutants here are labelled failing by construction: these tests check the pipeline,
not any number (the model is untrained).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from yantra_gnn.data.dataset import locate_node
from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.report import (
    BAG,
    MODEL,
    NAME_LOOKUP,
    RANDOM,
    SHORTEST,
    EvalSet,
    crossfit_thresholds,
    evaluate_model,
    format_report,
    model_scores,
    rewrite_originals,
)
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.graph.transforms import SyntaxEdgesOnly
from yantra_gnn.labels import mutate, rewrite
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules
from yantra_gnn.nn import ModelConfig, YantraGNN

SOLUTIONS = {
    "count": "import sys\nfrom collections import Counter\nn = int(sys.stdin.readline())\n"
    "c = Counter(sys.stdin.readline().split())\nbest = 0\nfor k in c:\n    if c[k] > best:\n"
    "        best = c[k]\nprint(n - best)\n",
    "root": "import math\nx = int(input())\nr = math.isqrt(x)\nif r * r == x:\n    print(r)\n"
    "else:\n    print(-1)\n",
    "sum": "a, b = map(int, input().split())\ntotal = a + b\nif total > 10:\n    total -= 10\n"
    "print(total)\n",
    "max": "import sys\nvals = list(map(int, sys.stdin.read().split()))\nm = vals[0]\n"
    "for v in vals:\n    if v > m:\n        m = v\nprint(m)\n",
}


def _program(problem: str, source: str, origin: str, mutant=None) -> LabelledProgram:
    return LabelledProgram(
        problem=problem,
        source=source,
        origin=origin,
        detail=origin,
        confidence=0.0 if mutant else 1.0,
        bugs_known=True,
        bug_classes=(mutant.bug_class,) if mutant else (),
        bug_span=tuple(mutant.span) if mutant else None,
        imports=imported_modules(source),
        verdict="by construction",
    )


def make_set(name: str, seed: int) -> EvalSet:
    """Per problem: the solution, two of its mutants and its variable-renaming rewrite."""
    builder = CodeGraphBuilder()
    programs = []
    for problem, source in SOLUTIONS.items():
        programs.append(_program(problem, source, "solution"))
        for mutant in mutate.sample_mutants(source, per_class=1, seed=seed)[:2]:
            programs.append(_program(problem, mutant.source, "mutant", mutant))
        renamed = [r for r in rewrite.rewrites(source, seed=seed) if r.kind == "rename_variables"]
        programs.append(_program(problem, renamed[0].source, "rewrite"))
    graphs = [builder.build(p.source, strip_imports=True) for p in programs]
    bug_node = np.asarray(
        [
            locate_node(g.node_span, p.bug_span) if p.bug_span else -1
            for p, g in zip(programs, graphs, strict=True)
        ]
    )
    return EvalSet(name, programs, graphs, bug_node, {"root": "hand-made"})


@pytest.fixture(scope="module")
def sets() -> tuple[EvalSet, EvalSet]:
    return make_set("toy/train", seed=1), make_set("toy/val", seed=2)


@pytest.fixture(scope="module")
def model() -> YantraGNN:
    torch.manual_seed(0)
    return YantraGNN(ModelConfig(import_vocab=("collections", "math", "sys")))


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
        _program("p", first, "solution"),
        _program("p", second, "solution"),
        _program("q", second, "solution"),  # same text, other problem: never chosen
        _program("p", renamed.source, "rewrite"),
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


def test_model_scores_shapes_and_edge_ablation(sets, model) -> None:
    _, val = sets
    scores = model_scores(model, val.graphs, batch_size=5, device="cpu")
    n = len(val)
    assert scores.confidence_prob.shape == (n,) and scores.embedding.shape == (n, 256)
    assert scores.import_score.shape == (n, 3) and scores.bug_score.shape == (n, 8)
    assert [len(s) for s in scores.node_score] == [g.num_nodes for g in val.graphs]
    # Batching does not change a graph's outputs.
    single = model_scores(model, val.graphs[:1], batch_size=1, device="cpu")
    assert np.allclose(single.embedding[0], scores.embedding[0], atol=1e-5)
    syntax = model_scores(
        model, val.graphs, batch_size=5, device="cpu", transform=SyntaxEdgesOnly()
    )
    assert not np.allclose(syntax.embedding, scores.embedding)


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


def test_eval_set_checks_alignment(sets) -> None:
    _, val = sets
    with pytest.raises(ConfigError, match="aligned"):
        EvalSet("bad", val.programs, val.graphs[:-1], val.bug_node)
