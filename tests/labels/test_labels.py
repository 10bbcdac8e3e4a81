"""Execution-verified labels on problems the tests make."""

from __future__ import annotations

import pytest

from yantra_gnn import sandbox
from yantra_gnn.errors import ConfigError
from yantra_gnn.labels.labelling import (
    LabelSettings,
    imported_modules,
    label_problems,
    problem_tests,
)

FAST = LabelSettings(timeout_s=2.0, max_tests=4, mutants_per_class=1, max_mutants_per_solution=3)


@pytest.fixture(scope="module")
def labelled(request):
    from yantra_test_helpers import DOUBLE, MAX_PAIR, NO_TESTS

    return label_problems([DOUBLE, MAX_PAIR, NO_TESTS], FAST, cache=None, progress=False)


def test_imported_modules():
    source = "import os.path, sys as s\nfrom collections import deque\nfrom . import local\nfrom __future__ import annotations\ntry:\n    import numpy as np\nexcept ImportError:\n    pass\n"
    assert imported_modules(source) == ("collections", "numpy", "os", "sys")
    assert imported_modules("x = 1\n") == ()
    assert imported_modules("import (\n") == ()


def test_confidence_comes_from_running_the_tests(labelled):
    programs, stats = labelled
    by_origin = {}
    for program in programs:
        by_origin.setdefault((program.problem, program.origin), []).append(program)
    solutions = by_origin[("double", "solution")]
    assert len(solutions) == 2  # the C++ solution is not Python 3
    assert all(p.confidence == 1.0 and p.bugs_known and p.bug_classes == () for p in solutions)
    incorrect = by_origin[("double", "incorrect_solution")]
    assert len(incorrect) == 1 and incorrect[0].confidence == 0.0
    assert not incorrect[0].bugs_known  # wrong, but not in a known way
    assert "wrong_answer" in incorrect[0].verdict
    assert stats.incorrect_passed_dropped == 1
    assert stats.problems_without_tests == 1
    assert not any(p.problem == "untested" for p in programs)


def test_kept_mutants_really_differ_and_really_fail(labelled):
    from yantra_test_helpers import DOUBLE, MAX_PAIR

    programs, stats = labelled
    tests = {p["name"]: problem_tests(p, FAST.max_tests) for p in (DOUBLE, MAX_PAIR)}
    originals = {p.source for p in programs if p.origin == "solution"}
    mutants = [p for p in programs if p.origin == "mutant"]
    assert mutants, "expected at least one failing mutant"
    assert sum(stats.mutants_kept.values()) == len(mutants)
    for mutant in mutants:
        assert mutant.source not in originals
        assert mutant.confidence == 0.0 and len(mutant.bug_classes) == 1
        assert mutant.bug_span is not None
        report = sandbox.run_tests(mutant.source, tests[mutant.problem], timeout_s=2.0)
        assert not report.all_passed


def test_rewrites_pass_and_keep_their_group(labelled):
    programs, _ = labelled
    rewrites = [p for p in programs if p.origin == "rewrite"]
    assert rewrites
    for program in rewrites:
        assert program.confidence == 1.0 and program.problem in {"double", "max_pair"}


def test_imports_label_matches_the_program(labelled):
    programs, _ = labelled
    first = next(p for p in programs if p.origin == "solution" and p.problem == "double")
    assert first.imports == ("sys",)


def test_settings_validation():
    with pytest.raises(ConfigError):
        LabelSettings(timeout_s=0)
    with pytest.raises(ConfigError, match="rewrite kinds"):
        LabelSettings(rewrite_kinds=("shuffle",))
    assert LabelSettings().digest() == LabelSettings().digest() != LabelSettings(seed=1).digest()
