"""Run untrusted Python programs against tests, contained, and remember the verdicts.

:func:`run` executes one program in a fresh, limited subprocess; :func:`run_tests`
judges it on ``(input, expected_output)`` tests with
:func:`~yantra_gnn.sandbox.compare.outputs_match`; :class:`ResultCache` keeps the
outcomes. ``docs/sandbox.md`` says what is contained and what is not.
"""

from yantra_gnn.sandbox.process import (
    DEFAULT_CACHE_DIR,
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    MAX_FILE_BYTES,
    MAX_OPEN_FILES,
    MAX_PROCESSES,
    MAX_STDERR_BYTES,
    MAX_WORKERS,
    MIN_MEMORY_MB,
    ResultCache,
    RunJob,
    RunResult,
    RunStatus,
    TestOutcome,
    TestReport,
    Verdict,
    judge,
    run,
    run_many,
    run_tests,
    run_tests_many,
    sandbox_uids,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_MAX_OUTPUT_BYTES",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "MAX_FILE_BYTES",
    "MAX_OPEN_FILES",
    "MAX_PROCESSES",
    "MAX_STDERR_BYTES",
    "MAX_WORKERS",
    "MIN_MEMORY_MB",
    "ResultCache",
    "RunJob",
    "RunResult",
    "RunStatus",
    "TestOutcome",
    "TestReport",
    "Verdict",
    "judge",
    "run",
    "run_many",
    "run_tests",
    "run_tests_many",
    "sandbox_uids",
]
