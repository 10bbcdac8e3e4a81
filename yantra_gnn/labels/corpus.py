"""Labels for the Python pretraining corpus (:mod:`yantra_gnn.datasets.python_corpus`).

The corpus units (functions and methods of the standard library and installed packages)
have no tests, so **none of these labels is execution-verified**, unlike those of
:mod:`yantra_gnn.labels.labelling`:

- the original unit is assumed correct (confidence 1, no bug) and a mutant is assumed
  buggy (confidence 0), though a mutant may be equivalent to its original and
  library code may have bugs of its own;
- a renamed rewrite (:func:`yantra_gnn.labels.rewrite.rename_variables`) is assumed
  equivalent (confidence 1).

They are meant for a pretraining stage with the confidence terms switched off: what they
teach is the **bug class** and **bug location** of a mutant (every mutant compiles and
differs from its original only at the mutated span, :mod:`yantra_gnn.labels.mutate`), the
**imports** (read from the unit's prepended import lines) and the **embedding** (the
original, its mutants and its rewrite share one group, ``path::qualified name``). Their
verdicts say so: ``not run: corpus code (unverified)`` and
``not run: corpus mutant (unverified)``.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Sequence

from tqdm.auto import tqdm

from yantra_gnn.datasets.python_corpus import CorpusUnit
from yantra_gnn.errors import ConfigError
from yantra_gnn.labels import failing, mutate, rewrite
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules, mutant_program

logger = logging.getLogger(__name__)

#: Verdict of an original unit or its rewrite: nothing was run.
CODE_VERDICT = "not run: corpus code (unverified)"
#: Verdict of a mutant: nothing was run.
MUTANT_VERDICT = "not run: corpus mutant (unverified)"


def unit_problem(unit: CorpusUnit) -> str:
    """The unit's stable id and embedding group: ``path::qualified name``."""
    return f"{unit.path}::{unit.name}"


def _unit_seed(seed: int, problem: str) -> int:
    """A per-unit seed that depends on the unit's id, not on its position in the list."""
    return zlib.crc32(f"{seed}/{problem}".encode())


def label_unit(
    unit: CorpusUnit, *, seed: int = 0, mutants_per_unit: int = 2
) -> list[LabelledProgram]:
    """The original unit, up to ``mutants_per_unit`` mutants and one renamed rewrite.

    The mutants are of distinct bug classes (one sampled per class with a seed derived from
    ``seed`` and the unit's id, then ``mutants_per_unit`` of those classes chosen with a
    seeded generator), so a unit with fewer applicable classes gets fewer mutants. The
    rewrite is :func:`~yantra_gnn.labels.rewrite.rename_variables`, kept when it compiles;
    a unit without local variables gets none.
    """
    problem = unit_problem(unit)
    unit_seed = _unit_seed(seed, problem)
    out = [
        LabelledProgram(
            problem=problem,
            source=unit.source,
            origin="solution",
            detail=f"corpus {problem}",
            confidence=1.0,
            bugs_known=True,
            bug_classes=(),
            bug_span=None,
            imports=imported_modules(unit.source),
            verdict=CODE_VERDICT,
        )
    ]
    if mutants_per_unit > 0:
        mutants = failing.choose_mutants(
            unit.source,
            per_class=1,
            seed=unit_seed,
            limit=mutants_per_unit,
            subset_seed=f"yantra-corpus/{seed}/{problem}",
        )
        out += [mutant_program(problem, mutant, MUTANT_VERDICT) for mutant in mutants]
    renamed = next(
        (r for r in rewrite.rewrites(unit.source, seed=unit_seed) if r.kind == "rename_variables"),
        None,
    )
    if renamed is not None and mutate.compiles(renamed.source, "<corpus>"):
        out.append(
            LabelledProgram(
                problem=problem,
                source=renamed.source,
                origin="rewrite",
                detail=renamed.description,
                confidence=1.0,
                bugs_known=True,
                bug_classes=(),
                bug_span=None,
                imports=imported_modules(renamed.source),
                verdict=CODE_VERDICT,
            )
        )
    return out


def label_corpus(
    units: Sequence[CorpusUnit],
    *,
    seed: int = 0,
    mutants_per_unit: int = 2,
    progress: bool = False,
) -> list[LabelledProgram]:
    """Label every unit with :func:`label_unit`, in order (unverified labels, see above).

    Deterministic: the same units and ``seed`` give the same programs, and a unit's
    programs do not depend on the other units.

    Raises:
        ConfigError: ``mutants_per_unit`` is negative.
    """
    if isinstance(mutants_per_unit, bool) or mutants_per_unit < 0:
        raise ConfigError(f"mutants_per_unit must be >= 0, got {mutants_per_unit!r}")
    started = time.perf_counter()
    labelled: list[LabelledProgram] = []
    for unit in tqdm(units, desc="corpus labels", unit="unit", disable=not progress):
        labelled += label_unit(unit, seed=seed, mutants_per_unit=mutants_per_unit)
    logger.info(
        "labelled %d corpus programs of %d units in %.1fs (unverified)",
        len(labelled),
        len(units),
        time.perf_counter() - started,
    )
    return labelled
