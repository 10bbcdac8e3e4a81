"""Judge a program on ``(input, expected_output)`` tests: :func:`run_tests`.

Each test is one sandboxed run (as :func:`~yantra_gnn.sandbox.process.run`), judged
with :func:`~yantra_gnn.sandbox.compare.outputs_match` into a :class:`Verdict`;
:func:`run_tests_many` spreads programs over threads, and a
:class:`~yantra_gnn.sandbox.cache.ResultCache` remembers the outcomes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING

from yantra_gnn.errors import DatasetError
from yantra_gnn.sandbox.compare import DEFAULT_FLOAT_TOL, outputs_match
from yantra_gnn.sandbox.process import (
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    RunResult,
    RunStatus,
    _as_bytes,
    _check_platform,
    _check_workers,
    _execute,
    _interpreter,
    _Limits,
    _parallel_map,
    limits_mechanism,
)

if TYPE_CHECKING:  # cache.py imports Verdict from here
    from yantra_gnn.sandbox.cache import ResultCache

__all__ = [
    "TestOutcome",
    "TestReport",
    "Verdict",
    "judge",
    "run_tests",
    "run_tests_many",
]

# Bumped whenever a change to the sandbox (process.py, _bootstrap.py, this module,
# compare.py) can change a run's outcome, so cached outcomes of an older sandbox are
# never reused.
_SANDBOX_VERSION = 2  # 2: per-run cgroup (memory, pids), tmpfs /tmp of disk_mb


class Verdict(str, Enum):
    """How one test went: the run's status, or ``passed`` / ``wrong_answer`` when it ran ok."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"


@dataclass(frozen=True)
class TestOutcome:
    """One test of :func:`run_tests`: its position, verdict and the run behind it."""

    __test__ = False  # not a pytest test class

    index: int
    verdict: Verdict
    result: RunResult

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


@dataclass(frozen=True)
class TestReport:
    """The outcome of running one program on a list of tests.

    ``outcomes`` holds one entry per test that was run, in order; with
    ``stop_on_first_failure`` it ends at the first failing test, so it may be shorter
    than ``num_tests``.
    """

    __test__ = False  # not a pytest test class

    num_tests: int
    outcomes: tuple[TestOutcome, ...]

    @property
    def passed(self) -> int:
        """How many tests passed."""
        return sum(outcome.passed for outcome in self.outcomes)

    @property
    def all_passed(self) -> bool:
        """Whether every one of the ``num_tests`` tests passed."""
        return self.passed == self.num_tests

    @property
    def first_failure(self) -> TestOutcome | None:
        """The first test that did not pass, or ``None``."""
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _outcome_key(
    source: bytes, stdin: bytes, expected: bytes, limits: _Limits, float_tol: float, isolate: bool
) -> str:
    """Cache key of one test outcome: everything the outcome depends on."""
    parts = {
        "sandbox": _SANDBOX_VERSION,
        "python": sys.version,
        "source": _sha256(source),
        "stdin": _sha256(stdin),
        "expected": _sha256(expected),
        "limits": asdict(limits),
        "float_tol": float_tol,
        "isolate": isolate,
        "limits_mechanism": limits_mechanism(),  # per run or per process: outcomes differ
    }
    return _sha256(json.dumps(parts, sort_keys=True).encode())


def _check_tests(tests: Sequence[tuple[str, str]]) -> list[tuple[str | bytes, str | bytes]]:
    if isinstance(tests, (str, bytes)) or not isinstance(tests, Iterable):
        raise DatasetError(
            f"run_tests: tests must be a list of (input, expected_output) pairs, "
            f"got {type(tests).__name__}"
        )
    checked: list[tuple[str | bytes, str | bytes]] = []
    for index, test in enumerate(tests):
        if (
            not isinstance(test, (tuple, list))
            or len(test) != 2
            or not all(isinstance(part, (str, bytes)) for part in test)
        ):
            raise DatasetError(
                f"run_tests: test #{index} must be an (input, expected_output) pair of str, "
                f"got {test!r:.80}"
            )
        checked.append((test[0], test[1]))
    if not checked:
        raise DatasetError(
            "run_tests: the list of tests is empty; a program cannot be judged without tests"
        )
    return checked


def judge(result: RunResult, expected: str | bytes, float_tol: float) -> Verdict:
    """The verdict of one finished run against the expected output."""
    if result.status is not RunStatus.OK:
        return Verdict(result.status.value)
    if outputs_match(result.stdout, expected, float_tol=float_tol):
        return Verdict.PASSED
    return Verdict.WRONG_ANSWER


def run_tests(
    source: str | bytes,
    tests: Sequence[tuple[str, str]],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    stop_on_first_failure: bool = True,
    float_tol: float = DEFAULT_FLOAT_TOL,
    cache: ResultCache | None = None,
    isolate: bool = True,
    python: str | None = None,
) -> TestReport:
    """Run ``source`` on each ``(input, expected_output)`` test and judge its output.

    Tests run one after another (use :func:`run_tests_many` to spread programs over
    cores). With ``stop_on_first_failure`` the first failing test ends the report,
    which is all a correct/incorrect label needs. Outcomes found in ``cache`` are not
    run again; new ones are stored there.

    Raises:
        DatasetError: ``tests`` is empty or holds something other than pairs of str.
        ConfigError, SourceTypeError, SandboxError: as :func:`run`.
    """
    _check_platform()
    checked = _check_tests(tests)
    limits = _Limits(timeout_s, memory_mb, max_output_bytes)
    code = _as_bytes(source, "source")
    interpreter = _interpreter(python)
    outcomes = []
    for index, (stdin, expected) in enumerate(checked):
        stdin_bytes = _as_bytes(stdin, f"input of test #{index}")
        key = ""
        found = None
        if cache is not None:
            key = _outcome_key(
                code,
                stdin_bytes,
                _as_bytes(expected, f"expected output of test #{index}"),
                limits,
                float_tol,
                bool(isolate),
            )
            found = cache.get(key)
        if found is not None:
            verdict, result = found
        else:
            result = _execute(code, stdin_bytes, limits, isolate=bool(isolate), python=interpreter)
            verdict = judge(result, expected, float_tol)
            # a timeout says as much about the machine's load as about the program:
            # never remember one, so a busy moment does not become a permanent label
            if cache is not None and verdict is not Verdict.TIMEOUT:
                cache.put(key, verdict, result)
        outcomes.append(TestOutcome(index=index, verdict=verdict, result=result))
        if stop_on_first_failure and verdict is not Verdict.PASSED:
            break
    return TestReport(num_tests=len(checked), outcomes=tuple(outcomes))


def run_tests_many(
    programs: Iterable[tuple[str | bytes, Sequence[tuple[str, str]]]],
    *,
    workers: int | None = None,
    progress: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    stop_on_first_failure: bool = True,
    float_tol: float = DEFAULT_FLOAT_TOL,
    cache: ResultCache | None = None,
    isolate: bool = True,
    python: str | None = None,
) -> list[TestReport]:
    """:func:`run_tests` for many ``(source, tests)`` programs, ``workers`` programs at a
    time (default: one per core); reports come back in the order of ``programs``."""
    items = list(programs)
    for index, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise DatasetError(
                f"run_tests_many: program #{index} must be a (source, tests) pair, "
                f"got {type(item).__name__}"
            )

    def one(item: tuple[str | bytes, Sequence[tuple[str, str]]]) -> TestReport:
        return run_tests(
            item[0],
            item[1],
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            max_output_bytes=max_output_bytes,
            stop_on_first_failure=stop_on_first_failure,
            float_tol=float_tol,
            cache=cache,
            isolate=isolate,
            python=python,
        )

    return _parallel_map(one, items, _check_workers(workers), progress, "programs")
