"""Evaluation sets: alignment checks, origins, problem groups and label matrices."""

from __future__ import annotations

import numpy as np
import pytest
from toy_eval_sets import SOLUTIONS, toy_program

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.sets import EvalSet, label_matrix


def test_eval_set_checks_alignment(sets) -> None:
    _, val = sets
    with pytest.raises(ConfigError, match="aligned"):
        EvalSet("bad", val.programs, val.graphs[:-1], val.bug_node)


def test_eval_set_origin_group_and_counts(sets) -> None:
    _, val = sets
    assert len(val) == 4 * len(SOLUTIONS)
    assert val.origin.tolist()[:4] == ["solution", "mutant", "mutant", "rewrite"]
    # Problems sorted by name: count, max, root, sum.
    assert val.group.tolist()[::4] == [0, 2, 3, 1]
    counts = val.counts()
    assert counts["problems"] == len(SOLUTIONS)
    assert counts["by_origin"] == {
        "mutant": 2 * len(SOLUTIONS),
        "rewrite": len(SOLUTIONS),
        "solution": len(SOLUTIONS),
    }


def test_label_matrix_counts_labels_outside_the_columns() -> None:
    programs = [
        toy_program("p", "import sys\nimport math\nprint(1)\n", "solution"),
        toy_program("q", "import os\nprint(2)\n", "solution"),
    ]
    matrix, outside = label_matrix(programs, "imports", ["math", "sys"])
    assert matrix.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert outside == 1
    assert label_matrix(programs, "bug_classes", ["off_by_one"])[0].shape == (2, 1)
    assert np.all(label_matrix(programs, "bug_classes", ["off_by_one"])[0] == 0)
