"""Run untrusted Python programs against tests, contained, and remember the verdicts.

:func:`run` executes one program in a fresh, limited subprocess; :func:`run_tests`
judges it on ``(input, expected_output)`` tests with
:func:`~yantra_gnn.sandbox.compare.outputs_match`; :class:`ResultCache` keeps the
outcomes. ``docs/sandbox.md`` says what is contained and what is not.

Modules: :mod:`~yantra_gnn.sandbox.process` (one contained run; its child program is
``_bootstrap.py``), :mod:`~yantra_gnn.sandbox.judging` (verdicts on tests),
:mod:`~yantra_gnn.sandbox.cache` (the outcome cache), :mod:`~yantra_gnn.sandbox.compare`
(output comparison).
"""

from yantra_gnn.sandbox.cache import DEFAULT_CACHE_DIR, ResultCache
from yantra_gnn.sandbox.judging import (
    TestOutcome,
    TestReport,
    Verdict,
    judge,
    run_tests,
    run_tests_many,
)
from yantra_gnn.sandbox.process import (
    CGROUP_ALLOWANCE_MB,
    DEFAULT_DISK_MB,
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_MEMORY_MB,
    DEFAULT_TIMEOUT_S,
    MAX_FILE_BYTES,
    MAX_OPEN_FILES,
    MAX_PROCESSES,
    MAX_STDERR_BYTES,
    MAX_WORKERS,
    MIN_MEMORY_MB,
    RunJob,
    RunResult,
    RunStatus,
    limits_mechanism,
    run,
    run_many,
    sandbox_uids,
    syscall_filter,
)

__all__ = [
    "CGROUP_ALLOWANCE_MB",
    "DEFAULT_CACHE_DIR",
    "DEFAULT_DISK_MB",
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
    "limits_mechanism",
    "run",
    "run_many",
    "run_tests",
    "run_tests_many",
    "sandbox_uids",
    "syscall_filter",
]
