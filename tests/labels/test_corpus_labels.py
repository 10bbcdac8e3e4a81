"""Unverified labels for the Python corpus: originals, mutants of distinct bug classes with
their spans, a renamed rewrite in the same group, and determinism."""

from __future__ import annotations

import json.decoder
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from yantra_gnn.datasets.python_corpus import CorpusUnit, units_of_module
from yantra_gnn.errors import ConfigError
from yantra_gnn.labels.corpus import (
    CODE_VERDICT,
    MUTANT_VERDICT,
    label_corpus,
    unit_problem,
)
from yantra_gnn.labels.labelling import imported_modules
from yantra_gnn.schema import BUG_CLASSES

MODULE = textwrap.dedent(
    """\
    import math
    from collections import Counter


    def spread(values, scale):
        total = 0
        for value in values:
            if value > 0 and scale != 0:
                total += math.floor(value * scale)
        return total


    class Tally:
        def __init__(self, words):
            self.counts = Counter(words)
            self.size = len(words)
            self.limit = self.size - 1

        def top(self, n):
            best = sorted(self.counts.items(), key=lambda kv: kv[1])
            return best[-n:] if n < self.size else best
    """
)


@pytest.fixture(scope="module")
def units() -> list[CorpusUnit]:
    """The synthetic units and those of the real ``json/decoder.py``."""
    real = Path(json.decoder.__file__).read_text(encoding="utf-8")
    return units_of_module(MODULE, "pkg/tally.py") + units_of_module(real, "json/decoder.py")


@pytest.fixture(scope="module")
def labelled(units) -> list:
    return label_corpus(units, seed=0)


def test_every_unit_has_its_original_first(units, labelled):
    originals = [p for p in labelled if p.origin == "solution"]
    assert len(originals) == len(units) >= 8
    for unit, program in zip(units, originals, strict=True):
        assert program.problem == unit_problem(unit) == f"{unit.path}::{unit.name}"
        assert program.source == unit.source
        assert program.confidence == 1.0 and program.bugs_known
        assert program.bug_classes == () and program.bug_span is None
        assert program.imports == imported_modules(unit.source)
        assert program.verdict == CODE_VERDICT
        assert program.detail == f"corpus {unit.path}::{unit.name}"
    spread = next(p for p in originals if p.problem == "pkg/tally.py::spread")
    assert spread.imports == ("math",)
    tally = next(p for p in originals if p.problem == "pkg/tally.py::Tally.__init__")
    assert tally.imports == ("collections",)


def test_mutants_are_compiling_bugs_of_distinct_classes_with_spans(units, labelled):
    source_of = {unit_problem(u): u.source for u in units}
    mutants = [p for p in labelled if p.origin == "mutant"]
    per_unit = Counter(p.problem for p in mutants)
    assert max(per_unit.values()) == 2 and len(per_unit) >= len(units) - 2
    for problem in per_unit:
        classes = [p.bug_classes[0] for p in mutants if p.problem == problem]
        assert len(set(classes)) == len(classes)  # distinct bug classes
    for mutant in mutants:
        assert mutant.problem in source_of
        assert mutant.source != source_of[mutant.problem]
        assert len(mutant.bug_classes) == 1 and mutant.bug_classes[0] in BUG_CLASSES
        assert mutant.confidence == 0.0 and mutant.bugs_known
        assert mutant.verdict == MUTANT_VERDICT
        assert mutant.bug_span is not None
        start_row, _, end_row, _ = mutant.bug_span
        assert 0 <= start_row <= end_row < len(mutant.source.split("\n"))
        compile(mutant.source, mutant.problem, "exec", dont_inherit=True)
    assert len({m.bug_classes[0] for m in mutants}) >= 4


def test_rewrites_are_renamed_and_in_the_same_group(units, labelled):
    source_of = {unit_problem(u): u.source for u in units}
    rewrites = [p for p in labelled if p.origin == "rewrite"]
    assert len(rewrites) >= len(units) // 2
    assert len({p.problem for p in rewrites}) == len(rewrites)  # one per unit
    for program in rewrites:
        assert program.problem in source_of and program.source != source_of[program.problem]
        assert program.detail.startswith("renamed ")
        assert program.confidence == 1.0 and program.bug_classes == ()
        assert program.verdict == CODE_VERDICT
        assert program.imports == imported_modules(source_of[program.problem])
        compile(program.source, program.problem, "exec", dont_inherit=True)


def test_labels_are_deterministic_and_seeded(units, labelled):
    assert label_corpus(units, seed=0) == labelled
    other = label_corpus(units, seed=5)
    assert other != labelled
    assert [p for p in other if p.origin == "solution"] == [
        p for p in labelled if p.origin == "solution"
    ]
    # A unit's labels do not depend on the units around it.
    alone = label_corpus(units[2:3], seed=0)
    assert alone == [p for p in labelled if p.problem == unit_problem(units[2])]


def test_mutant_count_and_progress(units):
    none = label_corpus(units[:2], mutants_per_unit=0, progress=True)
    assert not [p for p in none if p.origin == "mutant"]
    one = label_corpus(units[:2], mutants_per_unit=1)
    assert Counter(p.origin for p in one)["mutant"] == 2
    with pytest.raises(ConfigError):
        label_corpus(units, mutants_per_unit=-1)
    assert label_corpus([]) == []
