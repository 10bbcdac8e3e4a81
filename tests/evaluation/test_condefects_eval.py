"""ConDefects evaluation: the pair and fault-line metrics on hand-made scores, the eval set
on a tiny file the tests write, and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from yantra_test_helpers import write_condefects

from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.evaluation.metrics import (
    Evaluator,
    fault_line_accuracy,
    pair_accuracy,
    topk_hit_probability,
)
from yantra_gnn.evaluation.protocol import evaluate_model, evaluate_systems
from yantra_gnn.evaluation.report import format_report
from yantra_gnn.evaluation.sets import EvalSet, condefects_eval_set
from yantra_gnn.evaluation.systems import SystemScores


# ---------------------------------------------------------------------- pairs
def test_pair_accuracy_counts_strict_wins_and_reports_ties() -> None:
    out = pair_accuracy(np.array([0.9, 0.2, 0.5, 0.7]), np.array([0.1, 0.3, 0.5, 0.6]))
    assert out == {
        "pair_accuracy": 0.5,
        "pair_ties": 0.25,
        "pair_accuracy_ties_half": 0.625,
        "num_pairs": 4,
    }
    constant = Evaluator("pairs").eval({"fixed_score": [1.0, 1.0], "faulty_score": [1.0, 1.0]})
    assert constant["pair_accuracy"] == 0.0 and constant["pair_accuracy_ties_half"] == 0.5
    assert pair_accuracy(np.zeros(0), np.zeros(0))["pair_accuracy"] is None


def test_pairs_evaluator_checks_its_input() -> None:
    evaluator = Evaluator("pairs")
    with pytest.raises(ConfigError, match="missing 'faulty_score'"):
        evaluator.eval({"fixed_score": [1.0]})
    with pytest.raises(ConfigError, match="'faulty_score' has 1 rows, expected 2"):
        evaluator.eval({"fixed_score": [1.0, 2.0], "faulty_score": [1.0]})
    with pytest.raises(ConfigError, match="no rows"):
        evaluator.eval({"fixed_score": [], "faulty_score": []})
    assert "fixed_score" in evaluator.expected_input_format


# ---------------------------------------------------------------------- fault line
def test_topk_hit_probability_is_exact() -> None:
    assert topk_hit_probability(0, 4, 1, 1) == 0.25
    assert topk_hit_probability(0, 7, 1, 3) == 3 / 7
    assert topk_hit_probability(2, 3, 1, 3) == 1 / 3  # one place left among 3 tied lines
    assert topk_hit_probability(3, 2, 1, 3) == 0.0  # three lines strictly above
    assert topk_hit_probability(0, 2, 1, 3) == 1.0  # k covers every line
    assert topk_hit_probability(0, 5, 2, 2) == 1 - 3 / 10  # 1 - C(3, 2) / C(5, 2)


def fault_input(graphs: list[tuple[list[float], list[int]]], faults) -> dict:
    """``graphs``: per graph (node scores, node start lines)."""
    return {
        "node_score": np.concatenate([np.asarray(s, dtype=float) for s, _ in graphs]),
        "batch": np.concatenate([np.full(len(s), b) for b, (s, _) in enumerate(graphs)]),
        "node_line": np.concatenate([np.asarray(lines) for _, lines in graphs]),
        "fault_line": np.asarray(faults),
    }


def test_fault_line_ranks_lines_by_their_best_node() -> None:
    graphs = [
        # lines 1, 2, 3, 4; line 3's best node (0.8) is the best: top-1 hit
        ([0.1, 0.8, 0.3, 0.2, 0.5], [1, 3, 3, 2, 4]),
        # lines 1..5; fault line 2 ranks 3rd (0.9 line 5, 0.7 line 1, 0.6 line 2)
        ([0.7, 0.6, 0.1, 0.2, 0.9, 0.0], [1, 2, 3, 4, 5, 5]),
        # lines 1..6; fault line 6 is the worst
        ([0.6, 0.5, 0.4, 0.3, 0.2, 0.1], [1, 2, 3, 4, 5, 6]),
    ]
    out = Evaluator("fault_line").eval(fault_input(graphs, [3, 2, 6]))
    assert out["top1_accuracy"] == pytest.approx(1 / 3)
    assert out["top3_accuracy"] == pytest.approx(2 / 3)
    # random: k / number of lines on which a node starts, per program, averaged
    assert out["random_top1_accuracy"] == pytest.approx((1 / 4 + 1 / 5 + 1 / 6) / 3)
    assert out["random_top3_accuracy"] == pytest.approx((3 / 4 + 3 / 5 + 3 / 6) / 3)
    assert out["num_graphs"] == 3 and out["num_not_located"] == 0
    assert out["mean_candidate_lines"] == 5.0


def test_fault_line_ties_count_as_a_random_pick_and_constant_scores_are_random() -> None:
    # lines 1..4, lines 2 and 3 tied for the top; the fault is on line 3
    tied = [([0.1, 0.9, 0.9, 0.2], [1, 2, 3, 4])]
    out = fault_line_accuracy(*fault_input(tied, [3]).values())
    assert out["top1_accuracy"] == 0.5 and out["top3_accuracy"] == 1.0
    # a constant score is exactly the random expectation, here with two fault lines
    constant = [([0.0] * 5, [1, 2, 3, 4, 5])]
    out = Evaluator("fault_line").eval(fault_input(constant, [[2, 4]]))
    assert out["top1_accuracy"] == out["random_top1_accuracy"] == 2 / 5
    assert out["top3_accuracy"] == out["random_top3_accuracy"] == 1 - 1 / 10  # 1 - C(3,3)/C(5,3)


def test_fault_lines_no_node_starts_on_are_left_out_and_counted() -> None:
    graphs = [
        ([0.5, 0.2], [1, 3]),  # fault on line 2 (blank): no node starts there
        ([0.5, 0.2], [1, 2]),  # no fault: skipped
        ([0.2, 0.5], [1, 2]),  # fault on line 1: ranked second
    ]
    out = Evaluator("fault_line").eval(fault_input(graphs, [[2, 0], [0, 0], [1, 0]]))
    assert out["num_graphs"] == 1 and out["num_not_located"] == 1
    assert out["top1_accuracy"] == 0.0 and out["top3_accuracy"] == 1.0
    assert out["random_top1_accuracy"] == 0.5
    nothing = Evaluator("fault_line").eval(fault_input(graphs[:1], [2]))
    assert nothing["top1_accuracy"] is None and nothing["num_not_located"] == 1


def test_fault_line_evaluator_checks_its_input() -> None:
    evaluator = Evaluator("fault_line")
    good = fault_input([([0.1, 0.2], [1, 2])], [1])
    with pytest.raises(ConfigError, match="missing 'node_line'"):
        evaluator.eval({k: v for k, v in good.items() if k != "node_line"})
    with pytest.raises(ConfigError, match="1-based"):
        evaluator.eval({**good, "node_line": np.array([0, 1])})
    with pytest.raises(ConfigError, match="1-based"):
        evaluator.eval({**good, "fault_line": np.array([-1])})
    with pytest.raises(ConfigError, match="'batch' must index"):
        evaluator.eval({**good, "batch": np.array([0, 1])})
    with pytest.raises(ConfigError, match="'node_line' must hold integers"):
        evaluator.eval({**good, "node_line": np.array([1.0, 2.0])})


# ---------------------------------------------------------------------- eval set
@pytest.fixture(scope="module")
def condefects_file(tmp_path_factory) -> Path:
    return write_condefects(tmp_path_factory.mktemp("condefects") / "cd.jsonl")


def test_condefects_eval_set_holds_pairs_by_task(condefects_file: Path) -> None:
    val = condefects_eval_set(condefects_file, "val", progress=False)
    train = condefects_eval_set(condefects_file, "train", progress=False)
    assert val.name == "condefects/val" and train.name == "condefects/train"
    assert {p.problem for p in val.programs} == {"abc002_b"}
    assert not {p.problem for p in val.programs} & {p.problem for p in train.programs}
    assert len(train) == 2 * 7 and len(val) == 2
    assert train.pairs is not None and train.fault_lines is not None
    for fix, faulty in train.pairs:
        assert train.programs[fix].origin == "solution" and train.programs[fix].confidence == 1
        assert train.programs[faulty].origin == "incorrect_solution"
        assert train.programs[faulty].confidence == 0
        assert train.programs[fix].problem == train.programs[faulty].problem
        assert train.fault_lines[fix] == () and train.fault_lines[faulty]
    assert (train.bug_node == -1).all()
    assert train.info["pairs"] == 7 and train.info["tasks"] == 4
    assert train.counts()["by_origin"] == {"incorrect_solution": 7, "solution": 7}
    limited = condefects_eval_set(condefects_file, "train", limit=1, progress=False)
    assert {p.problem for p in limited.programs} == {"abc001_a"}
    other_seed = condefects_eval_set(condefects_file, "val", seed=1, progress=False)
    assert {p.problem for p in other_seed.programs} == {"abc005_e"}


def test_condefects_eval_set_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such ConDefects file"):
        condefects_eval_set(tmp_path / "missing.jsonl")
    path = write_condefects(tmp_path / "cd.jsonl")
    with pytest.raises(ConfigError, match="no usable ConDefects pair"):
        condefects_eval_set(path, "val", val_fraction=0.0, progress=False)
    with pytest.raises(ConfigError, match="pairs must index"):
        good = condefects_eval_set(path, "val", progress=False)
        EvalSet("x", good.programs, good.graphs, good.bug_node, pairs=np.array([[0, 5]]))


# ---------------------------------------------------------------------- protocol, report
def test_every_system_gets_pair_and_fault_line_metrics(condefects_file: Path) -> None:
    eval_set = condefects_eval_set(condefects_file, "train", progress=False)
    n = len(eval_set)
    perfect = np.asarray([p.confidence for p in eval_set.programs])
    # node scores: 1 on the nodes that start on the fault line, 0 elsewhere
    assert eval_set.fault_lines is not None
    nodes = []
    for graph, lines in zip(eval_set.graphs, eval_set.fault_lines, strict=True):
        start = graph.node_span[:, 0].numpy() + 1
        nodes.append(np.isin(start, lines).astype(float))
    systems = [
        SystemScores("model", confidence_prob=perfect, node_score=nodes),
        SystemScores("random", confidence_score=np.zeros(n)),
    ]
    report = evaluate_systems(eval_set, systems, ["sys"], ["off_by_one"])
    model, random = report["metrics"]["model"], report["metrics"]["random"]
    assert model["pairs"]["pair_accuracy"] == 1.0 and model["confidence"]["auroc"] == 1.0
    assert random["pairs"]["pair_accuracy"] == 0.0 and random["pairs"]["pair_ties"] == 1.0
    located = model["fault_line"]
    # abc005_e-1's fault is the empty line past its last statement: no node starts there
    assert located["num_graphs"] == 6 and located["num_not_located"] == 1
    assert located["top1_accuracy"] == 1.0
    expected = []
    for faulty in eval_set.pairs[:, 1]:
        graph = eval_set.graphs[faulty]
        lines = set((graph.node_span[:, 0] + 1).tolist())
        if set(eval_set.fault_lines[faulty]) & lines:
            expected.append(1 / len(lines))
    assert located["random_top1_accuracy"] == pytest.approx(np.mean(expected))
    assert "fault_line" not in random and "bugs" not in model  # bug classes all unknown
    assert report["rows"]["pairs"] == 7 and report["rows"]["fault_line"] == 7


def test_evaluate_model_reports_condefects(condefects_file: Path, model) -> None:
    train = condefects_eval_set(condefects_file, "train", progress=False)
    val = condefects_eval_set(condefects_file, "val", progress=False)
    report = evaluate_model(model, val, train_set=train, device="cpu")
    metrics = report["metrics"]
    assert {"model", "bag-of-features LR", "shortest", "random"} <= set(metrics)
    assert metrics["bag-of-features LR"]["pairs"]["num_pairs"] == 1
    assert "fault_line" in metrics["model"]
    assert report["eval_set"]["pairs"] == 1 and report["eval_set"]["path"] == str(condefects_file)
    text = format_report(report)
    assert "## condefects/val — 2 programs, 1 problems" in text
    assert "### Real bugs: fix vs faulty (1 pairs)" in text
    assert "### Real bugs: fault line (1 faulty programs)" in text
    assert "| fault line in the top 3 lines |" in text
    assert "Bug classes" not in text
