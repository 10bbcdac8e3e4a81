"""Mutate, run, keep the mutants that fail: how every bug label is made.

The CodeContests labels (:func:`yantra_gnn.labels.labelling.label_problems`) and the
HumanEval candidate set (:func:`yantra_gnn.evaluation.humaneval.build_candidates`) make
bugs the same way:

1. :func:`choose_mutants`: sample a few mutants per bug class of a correct program
   (:func:`~yantra_gnn.labels.mutate.sample_mutants`), optionally drop some, and keep a
   seeded subset of at most ``limit``;
2. :func:`failing_mutants`: run every chosen mutant of every program in one batch (the
   caller says how: its tests, or a check program, in the sandbox) and keep those that
   fail. A mutant that passes is equivalent as far as the tests can tell: not a bug.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from yantra_gnn.labels.mutate import Mutant, sample_mutants

R = TypeVar("R")


def choose_mutants(
    source: str,
    *,
    per_class: int,
    seed: int,
    limit: int,
    subset_seed: str,
    keep: Callable[[Mutant], bool] | None = None,
) -> list[Mutant]:
    """The mutants of ``source`` to run.

    ``per_class`` sampled per bug class with ``seed``, those ``keep`` accepts (default:
    all), then, when more than ``limit`` remain, ``limit`` of them chosen with
    ``random.Random(subset_seed)`` (a string seed: the same in every process), in the
    order :func:`~yantra_gnn.labels.mutate.sample_mutants` gives.
    """
    mutants = sample_mutants(source, per_class=per_class, seed=seed)
    if keep is not None:
        mutants = [m for m in mutants if keep(m)]
    if limit < len(mutants):
        rng = random.Random(subset_seed)
        chosen = set(rng.sample(range(len(mutants)), limit))
        mutants = [m for i, m in enumerate(mutants) if i in chosen]
    return mutants


@dataclass(frozen=True)
class MutantRuns(Generic[R]):
    """What running the mutants of some programs found (lists are per program, in order).

    Attributes:
        tried: the mutants run.
        failing: the mutants that failed, each with the outcome of its run.
    """

    tried: list[list[Mutant]]
    failing: list[list[tuple[Mutant, R]]]

    @property
    def runs(self) -> int:
        """Number of mutants run."""
        return sum(len(mutants) for mutants in self.tried)

    def tried_by_class(self, programs: Iterable[int] | None = None) -> Counter[str]:
        """Mutants run per bug class (of ``programs``, default all)."""
        indices = range(len(self.tried)) if programs is None else programs
        return Counter(m.bug_class for i in indices for m in self.tried[i])

    def kept_by_class(self, programs: Iterable[int] | None = None) -> Counter[str]:
        """Failing mutants per bug class (of ``programs``, default all)."""
        indices = range(len(self.failing)) if programs is None else programs
        return Counter(m.bug_class for i in indices for m, _ in self.failing[i])


def failing_mutants(
    mutants: Sequence[Sequence[Mutant]],
    run: Callable[[list[tuple[int, str]]], Sequence[R]],
    passed: Callable[[R], bool],
) -> MutantRuns[R]:
    """Run the mutants of each program and keep those that fail.

    Args:
        mutants: per program, the mutants to try (e.g. from :func:`choose_mutants`).
        run: runs ``(program index, mutant source)`` jobs in one batch (e.g. with
            :func:`yantra_gnn.sandbox.run_tests_many` on that program's tests) and returns
            one outcome per job, in order. Not called when there is nothing to run.
        passed: whether an outcome is a pass (the mutant is then dropped).
    """
    tried = [list(program_mutants) for program_mutants in mutants]
    jobs = [
        (index, mutant) for index, program_mutants in enumerate(tried) for mutant in program_mutants
    ]
    outcomes = run([(index, mutant.source) for index, mutant in jobs]) if jobs else []
    failing: list[list[tuple[Mutant, R]]] = [[] for _ in tried]
    for (index, mutant), outcome in zip(jobs, outcomes, strict=True):
        if not passed(outcome):
            failing[index].append((mutant, outcome))
    return MutantRuns(tried, failing)
