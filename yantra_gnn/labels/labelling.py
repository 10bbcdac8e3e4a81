"""Execution-verified labels for every program the model trains on.

Nothing here is trusted from a file or drawn at random:

- **confidence**: 1 for a program that passes every test when *we* run it in the
  sandbox, 0 for one that fails (a dataset's incorrect solutions, mutants confirmed to
  fail, and "correct" solutions that fail here with a wrong answer or a crash);
- **bugs**: mutants of passing solutions (:mod:`yantra_gnn.labels.mutate`), kept only when
  running the tests shows they fail (:mod:`yantra_gnn.labels.failing`); each records its
  class and the mutated span.
  Passing programs have no bug; a dataset's incorrect solutions have an *unknown* bug
  (their bug head is masked);
- **imports**: the top-level modules the program imports, read from its import
  statements (the model's input graph is built with ``strip_imports=True``);
- **group**: the problem, so that solutions and verified rewrites
  (:mod:`yantra_gnn.labels.rewrite`) of one problem are positives for the embedding head.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields

from yantra_gnn import sandbox
from yantra_gnn.datasets.codecontests import PYTHON3
from yantra_gnn.errors import ConfigError
from yantra_gnn.graph import scopes
from yantra_gnn.graph.parse import parse_flat, python_language
from yantra_gnn.labels import failing, mutate, rewrite

logger = logging.getLogger(__name__)

_F_NAME = python_language().field_id_for_name("name")
_F_MODULE_NAME = python_language().field_id_for_name("module_name")


@dataclass(frozen=True)
class LabelSettings:
    """How labels are made; part of the dataset cache key.

    Attributes:
        timeout_s: wall-clock limit of one test run.
        memory_mb: address-space limit of one test run.
        max_tests: run at most this many tests per problem (public first).
        mutants_per_class: mutants tried per bug class and passing solution.
        max_mutants_per_solution: cap on mutants tried per solution (spread over classes).
        rewrite_kinds: semantics-preserving rewrites tried as embedding positives
            (``strip_comments`` is left out by default: the graph drops comments, so it
            would only duplicate the original's graph).
        seed: seeds mutant sampling and renaming.
    """

    timeout_s: float = sandbox.DEFAULT_TIMEOUT_S
    memory_mb: int = sandbox.DEFAULT_MEMORY_MB
    max_tests: int = 10
    mutants_per_class: int = 1
    max_mutants_per_solution: int = 4
    rewrite_kinds: tuple[str, ...] = ("rename_variables", "mirror_comparisons")
    seed: int = 0

    def __post_init__(self) -> None:
        if self.timeout_s <= 0 or self.memory_mb < 32 or self.max_tests < 1:
            raise ConfigError(
                f"LabelSettings: timeout_s > 0, memory_mb >= 32 and max_tests >= 1 are "
                f"required, got {self.timeout_s}, {self.memory_mb}, {self.max_tests}"
            )
        if self.mutants_per_class < 0 or self.max_mutants_per_solution < 0:
            raise ConfigError("LabelSettings: mutant counts must be >= 0")
        unknown = set(self.rewrite_kinds) - set(rewrite.REWRITE_KINDS)
        if unknown:
            raise ConfigError(
                f"LabelSettings: unknown rewrite kinds {sorted(unknown)}; "
                f"choose from {rewrite.REWRITE_KINDS}"
            )

    def digest(self) -> str:
        """Short stable hash of the settings (for cache keys)."""
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class LabelledProgram:
    """One program with its labels.

    Attributes:
        problem: name of the problem (the embedding group).
        source: the program text.
        origin: ``solution``, ``incorrect_solution``, ``mutant`` or ``rewrite``.
        detail: which one (``solution 0``, the mutation or rewrite made, …).
        confidence: 1.0 passes every test we ran, 0.0 fails one.
        bugs_known: whether ``bug_classes`` is known (False for dataset incorrect solutions
            and for ConDefects pairs, :mod:`yantra_gnn.labels.condefects`).
        bug_classes: the bug classes present (empty for passing programs).
        bug_span: the mutated span ``(start_row, start_col, end_row, end_col)`` (a real
            bug's fault line for ConDefects) or ``None``.
        imports: top-level modules the program imports.
        verdict: how the run went, e.g. ``passed 10/10`` or ``wrong_answer on test 3``.
    """

    problem: str
    source: str
    origin: str
    detail: str
    confidence: float
    bugs_known: bool
    bug_classes: tuple[str, ...]
    bug_span: tuple[int, int, int, int] | None
    imports: tuple[str, ...]
    verdict: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, row: dict) -> LabelledProgram:
        span = row.get("bug_span")
        return cls(
            **{
                **row,
                "bug_classes": tuple(row["bug_classes"]),
                "imports": tuple(row["imports"]),
                "bug_span": tuple(span) if span is not None else None,
            }
        )


@dataclass
class LabelStats:
    """What labelling found (written to the dataset's ``labels_stats.json``)."""

    problems: int = 0
    problems_without_tests: int = 0
    solutions_passed: int = 0
    solutions_failed_here: Counter = field(default_factory=Counter)
    incorrect_failed: int = 0
    incorrect_passed_dropped: int = 0
    mutants_tried: Counter = field(default_factory=Counter)
    mutants_kept: Counter = field(default_factory=Counter)
    rewrites_tried: Counter = field(default_factory=Counter)
    rewrites_kept: Counter = field(default_factory=Counter)
    programs_run: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            out[item.name] = dict(sorted(value.items())) if isinstance(value, Counter) else value
        return out


def imported_modules(source: str) -> tuple[str, ...]:
    """Sorted top-level modules ``source`` imports (``from a.b import c`` → ``a``).

    Relative imports and ``__future__`` are left out; syntax errors are tolerated.
    """
    tree = parse_flat(source.encode("utf-8", "replace"))
    modules = set()
    for v in range(len(tree)):
        k = tree.kind[v]
        if k == scopes.IMPORT_STATEMENT:
            names = [c for c in tree.children[v] if tree.field_id[c] == _F_NAME]
        elif k == scopes.IMPORT_FROM_STATEMENT:
            names = [c for c in tree.children[v] if tree.field_id[c] == _F_MODULE_NAME]
        else:
            continue
        for c in names:
            if tree.kind[c] == scopes.ALIASED_IMPORT:
                c = next((g for g in tree.children[c] if tree.field_id[g] == _F_NAME), -1)
            if c >= 0 and tree.kind[c] == scopes.DOTTED_NAME:
                top = tree.text(c).split(".")[0].strip()
                if top and top != "__future__":
                    modules.add(top)
    return tuple(sorted(modules))


def problem_tests(problem: dict, max_tests: int) -> list[tuple[str, str]]:
    """``(input, expected output)`` pairs: public, then private, then generated tests."""
    tests: list[tuple[str, str]] = []
    for key in ("public_tests", "private_tests", "generated_tests"):
        block = problem.get(key) or {}
        tests += list(zip(block.get("input", []), block.get("output", []), strict=False))
    return tests[:max_tests]


def python3_sources(block: dict | None) -> list[str]:
    """The Python 3 programs of a ``solutions`` / ``incorrect_solutions`` block."""
    block = block or {}
    return [
        code
        for language, code in zip(
            block.get("language", []), block.get("solution", []), strict=False
        )
        if language == PYTHON3 and isinstance(code, str) and code.strip()
    ]


def _verdict(report: sandbox.TestReport) -> str:
    failure = report.first_failure
    if failure is None:
        return f"passed {report.passed}/{report.num_tests}"
    return f"{failure.verdict.value} on test {failure.index}"


def _labelled(
    problem: str,
    code: str,
    origin: str,
    detail: str,
    report: sandbox.TestReport,
    *,
    bugs_known: bool,
) -> LabelledProgram:
    """A program without a known bug, labelled by its own run: confidence is whether it
    passed every test (mutants: :func:`mutant_program`)."""
    return LabelledProgram(
        problem=problem,
        source=code,
        origin=origin,
        detail=detail,
        confidence=float(report.all_passed),
        bugs_known=bugs_known,
        bug_classes=(),
        bug_span=None,
        imports=imported_modules(code),
        verdict=_verdict(report),
    )


def mutant_program(problem: str, mutant: mutate.Mutant, verdict: str) -> LabelledProgram:
    """A mutant whose run failed: confidence 0, its bug class and mutated span known."""
    return LabelledProgram(
        problem=problem,
        source=mutant.source,
        origin="mutant",
        detail=mutant.description,
        confidence=0.0,
        bugs_known=True,
        bug_classes=(mutant.bug_class,),
        bug_span=mutant.span,
        imports=imported_modules(mutant.source),
        verdict=verdict,
    )


def label_problems(
    problems: Sequence[dict],
    settings: LabelSettings | None = None,
    *,
    cache: sandbox.ResultCache | None = None,
    workers: int | None = None,
    progress: bool = True,
) -> tuple[list[LabelledProgram], LabelStats]:
    """Run, mutate and rewrite every problem's programs; return the labelled programs.

    Two rounds of sandboxed runs, each spread over the cores: first the dataset's
    solutions and incorrect solutions, then mutants and rewrites of the solutions that
    passed.
    """
    settings = settings or LabelSettings()
    stats = LabelStats(problems=len(problems))
    started = time.perf_counter()

    def run_tests(programs: list[tuple[str, list[tuple[str, str]]]]) -> list[sandbox.TestReport]:
        if not programs:
            return []
        return sandbox.run_tests_many(
            programs,
            timeout_s=settings.timeout_s,
            memory_mb=settings.memory_mb,
            cache=cache,
            workers=workers,
            progress=progress,
        )

    # Round 1: the dataset's own programs.
    round_one: list[tuple[int, str, str, str]] = []  # (problem index, origin, detail, source)
    tests_of: dict[int, list[tuple[str, str]]] = {}
    for p, problem in enumerate(problems):
        tests = problem_tests(problem, settings.max_tests)
        if not tests:
            stats.problems_without_tests += 1
            continue
        tests_of[p] = tests
        for i, code in enumerate(python3_sources(problem.get("solutions"))):
            round_one.append((p, "solution", f"solution {i}", code))
        for i, code in enumerate(python3_sources(problem.get("incorrect_solutions"))):
            round_one.append((p, "incorrect_solution", f"incorrect solution {i}", code))
    reports = run_tests([(code, tests_of[p]) for p, _, _, code in round_one])
    stats.programs_run += len(round_one)

    labelled: list[LabelledProgram] = []
    passing: list[tuple[int, int, str]] = []  # (problem index, solution number, source)
    for (p, origin, detail, code), report in zip(round_one, reports, strict=True):
        name = problems[p].get("name", f"problem {p}")
        passed = report.all_passed
        if origin == "solution":
            if passed:
                stats.solutions_passed += 1
                passing.append((p, len(passing), code))
            else:
                failure = report.first_failure
                if failure is None:  # a report that did not pass has a failing test
                    raise AssertionError(f"{name} {detail}: failed without a failing test")
                stats.solutions_failed_here[failure.verdict.value] += 1
                if failure.verdict in (sandbox.Verdict.TIMEOUT, sandbox.Verdict.MEMORY_LIMIT):
                    continue  # may be this machine's speed, not the program: no label
        elif passed:
            stats.incorrect_passed_dropped += 1  # our tests cannot tell it is wrong
            continue
        else:
            stats.incorrect_failed += 1
        labelled.append(_labelled(name, code, origin, detail, report, bugs_known=passed))

    # Round 2: mutants (must fail) and rewrites (must pass) of passing solutions.
    mutants = failing.failing_mutants(
        [
            failing.choose_mutants(
                code,
                per_class=settings.mutants_per_class,
                seed=settings.seed + number,
                limit=settings.max_mutants_per_solution,
                subset_seed=f"{settings.seed}:{number}",  # str seeds hash stably
            )
            for _, number, code in passing
        ],
        lambda jobs: run_tests([(source, tests_of[passing[i][0]]) for i, source in jobs]),
        lambda report: report.all_passed,
    )
    stats.mutants_tried.update(mutants.tried_by_class())
    stats.mutants_kept.update(mutants.kept_by_class())
    rewrites_of = [
        [
            rewritten
            for rewritten in rewrite.rewrites(code, seed=settings.seed + number)
            if rewritten.kind in settings.rewrite_kinds
        ]
        for _, number, code in passing
    ]
    for rewritten in (r for rewrites in rewrites_of for r in rewrites):
        stats.rewrites_tried[rewritten.kind] += 1
    rewrite_reports = iter(
        run_tests(
            [
                (rewritten.source, tests_of[p])
                for (p, _, _), rewrites in zip(passing, rewrites_of, strict=True)
                for rewritten in rewrites
            ]
        )
    )
    stats.programs_run += mutants.runs + sum(len(rewrites) for rewrites in rewrites_of)
    for i, (p, _, _) in enumerate(passing):  # per solution: its failing mutants, its rewrites
        name = problems[p].get("name", f"problem {p}")
        for mutant, report in mutants.failing[i]:
            labelled.append(mutant_program(name, mutant, _verdict(report)))
        for rewritten in rewrites_of[i]:
            report = next(rewrite_reports)
            if report.all_passed:
                stats.rewrites_kept[rewritten.kind] += 1
                labelled.append(
                    _labelled(
                        name,
                        rewritten.source,
                        "rewrite",
                        rewritten.description,
                        report,
                        bugs_known=True,
                    )
                )
    stats.seconds = time.perf_counter() - started
    logger.info(
        "labelled %d programs of %d problems in %.1fs (%d sandbox programs)",
        len(labelled),
        len(problems),
        stats.seconds,
        stats.programs_run,
    )
    return labelled, stats
