"""ConDefects pairs as labelled programs: the judge's verdicts, no sandbox run."""

from __future__ import annotations

from pathlib import Path

import pytest
from yantra_test_helpers import write_condefects

from yantra_gnn.data.dataset import ORIGINS, locate_node
from yantra_gnn.datasets.condefects import ConDefectsPair, load_pairs
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.labels.condefects import (
    ACCEPTED,
    REJECTED,
    fault_span,
    label_pair,
    label_pairs,
    programs_of,
)


def make_pair(faulty: str, correct: str, lines: tuple[int, ...]) -> ConDefectsPair:
    return ConDefectsPair("abc100_a", "abc100", "42", 300, lines, faulty, correct, 1)


def test_a_pair_gives_the_fix_and_the_faulty_version() -> None:
    faulty = "import sys\nn = int(input())\nif n > 0:\n    print(n - 1)\n"
    correct = "import sys\nn = int(input())\nif n > 0:\n    print(n)\n"
    pair = label_pair(make_pair(faulty, correct, (4,)))
    fixed, bad = pair.fixed, pair.faulty
    assert (pair.task, pair.submission_id, pair.fault_lines) == ("abc100_a", "42", (4,))
    # the accepted fix: confidence 1, bug classes unknown (masked)
    assert (fixed.problem, fixed.source, fixed.origin) == ("abc100_a", correct, "solution")
    assert fixed.confidence == 1.0 and fixed.verdict == ACCEPTED
    assert not fixed.bugs_known and fixed.bug_classes == () and fixed.bug_span is None
    assert fixed.detail == "accepted fix of submission 42"
    assert fixed.imports == ("sys",)
    # the rejected submission: confidence 0, class unknown, the fault line known
    assert (bad.problem, bad.source, bad.origin) == ("abc100_a", faulty, "incorrect_solution")
    assert bad.confidence == 0.0 and bad.verdict == REJECTED
    assert not bad.bugs_known and bad.bug_classes == ()
    assert bad.bug_span == (3, 4, 3, 16)  # `print(n - 1)` on line 4
    assert bad.detail == "submission 42 (fault line 4)"
    assert {fixed.origin, bad.origin} <= set(ORIGINS)
    # the span locates the faulty statement in the model's graph
    graph = CodeGraphBuilder().build(faulty, strip_imports=True)
    node = locate_node(graph.node_span, bad.bug_span)
    assert graph.node_span[node].tolist() == [3, 4, 3, 16]


def test_fault_span_edge_cases() -> None:
    source = "a = 1\n\n  b = [1,\n     2]   \n"
    assert fault_span(source, [1]) == (0, 0, 0, 5)
    assert fault_span(source, [2]) is None  # blank
    assert fault_span(source, [3, 4]) == (2, 2, 3, 7)  # first non-blank .. end of the last
    assert fault_span(source, [2, 3]) == (2, 2, 2, 9)
    assert fault_span(source, [9]) is None and fault_span(source, []) is None
    assert fault_span("s = 'é'\nx = 1", [1]) == (0, 0, 0, 8)  # UTF-8 byte columns


def test_unlocated_and_past_the_end_faults() -> None:
    unlocated = label_pair(make_pair("x = 1\nprint(x)\nprint(x)\n", "x = 1\nprint(x)\n", (0,)))
    assert unlocated.fault_lines == () and unlocated.faulty.bug_span is None
    assert unlocated.faulty.detail == "submission 42 (fault not located)"
    past_end = label_pair(make_pair("x = 1", "x = 1\nprint(x)", (2,)))
    assert past_end.fault_lines == (2,) and past_end.faulty.bug_span is None


def test_programs_keep_the_pairing_and_the_task(tmp_path: Path) -> None:
    pairs = label_pairs(load_pairs(write_condefects(tmp_path / "cd.jsonl")))
    programs = programs_of(pairs)
    assert len(programs) == 2 * len(pairs)
    for i, pair in enumerate(pairs):
        fixed, faulty = programs[2 * i], programs[2 * i + 1]
        assert (fixed, faulty) == (pair.fixed, pair.faulty)
        assert fixed.problem == faulty.problem == pair.task
        assert pair.submission_id in fixed.detail and pair.submission_id in faulty.detail
    assert {p.problem for p in programs} == {
        "abc001_a",
        "abc002_b",
        "abc003_c",
        "abc004_d",
        "abc005_e",
    }


@pytest.mark.parametrize("lines", [(1,), (2,)])
def test_labels_are_plain_json(lines: tuple[int, ...]) -> None:
    from yantra_gnn.labels.labelling import LabelledProgram

    pair = label_pair(make_pair("a = 1\nb = 2\n", "a = 1\nb = 3\n", lines))
    for program in (pair.fixed, pair.faulty):
        assert LabelledProgram.from_json(program.to_json()) == program
