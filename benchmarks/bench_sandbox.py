"""Labelling cost: one program judged on its tests in the sandbox, against bare launches.

The suite's entry ``sandbox_tests`` (``python -m benchmarks --only sandbox_tests``).
In each round, interleaved, with the test's input on stdin and the same interpreter:

- ``S``: :func:`yantra_gnn.sandbox.run_tests` runs the median solution on its
  problem's tests (the first ``LabelSettings().max_tests``, as labelling does; no
  result cache), per test;
- ``P``: an unsandboxed ``python -c SOURCE`` subprocess per test;
- ``B``: a bare ``python -c pass`` subprocess per test.

The program's own work is ``P - B``; what running a test costs besides it, the
*per-test overhead*, is ``S - (P - B)``, set against the bare launch ``B``. (The
median solution's own work can be far larger than a launch, so ``S`` alone would
mostly measure the program.)
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.suite import Baseline, Condition, Context, Measurement, Skipped, entry, median
from yantra_gnn.errors import SandboxError
from yantra_gnn.labels.labelling import LabelSettings, problem_tests, python3_sources


def _median_problem(context: Context) -> dict:
    """The problem of the median solution, else the one whose solution is of median length."""
    problems, _ = context.problems
    source = context.median_source
    for problem in problems:
        if source in python3_sources(problem["solutions"]):
            return problem
    by_length = sorted(problems, key=lambda p: len(python3_sources(p["solutions"])[0]))
    return by_length[len(by_length) // 2]


def _launch(argv: list[str], tests: list[tuple[str, str]]) -> None:
    """One subprocess per test, its input on stdin, its output read and dropped."""
    for stdin, _ in tests:
        subprocess.run(argv, input=stdin.encode(), capture_output=True, timeout=60, check=False)


@entry(
    "sandbox_tests",
    "`sandbox.run_tests`: one program on its tests, overhead per test",
    target=[Condition("ratio", "<=", 1.5)],
)
def sandbox_tests(context: Context) -> Measurement:
    """Per-test overhead of a sandboxed run (ms), against a bare interpreter launch."""
    from yantra_gnn import sandbox

    if not sys.platform.startswith("linux"):
        raise Skipped(f"the sandbox needs Linux; this is {sys.platform}")
    problem = _median_problem(context)
    source = python3_sources(problem["solutions"])[0]
    tests = problem_tests(problem, 5 if context.quick else LabelSettings().max_tests)
    if not tests:
        raise Skipped(f"{problem.get('name')} has no tests")
    reports: list[sandbox.TestReport] = []

    def sandboxed() -> None:
        reports.append(sandbox.run_tests(source, tests, stop_on_first_failure=False))

    try:
        sandboxed()  # the sandbox works here (or Skipped), and the first run is warm-up
    except SandboxError as error:
        raise Skipped(f"the sandbox cannot run here: {error}") from error
    times = context.interleaved(
        {
            "sandbox": sandboxed,
            "bare": lambda: _launch([sys.executable, "-c", "pass"], tests),
            "bare_program": lambda: _launch([sys.executable, "-c", source], tests),
        },
        context.repeats,
    )
    per_test = {name: median(seconds) / len(tests) * 1e3 for name, seconds in times.items()}
    work = per_test["bare_program"] - per_test["bare"]
    overhead = per_test["sandbox"] - work
    first = reports[-1].outcomes[0].result
    passed = min(report.passed for report in reports)
    return Measurement(
        value=overhead,
        unit="ms/test",
        baseline=Baseline("bare `python -c pass` launch", per_test["bare"], "ms/test"),
        details={
            "problem": problem.get("name"),
            "tests": len(tests),
            "quick_fewer_tests": context.quick,
            "passed_in_every_round": passed,
            "source_lines": source.count("\n") + 1,
            "ms_per_test": {name: round(ms, 2) for name, ms in per_test.items()},
            "program_work_ms": round(work, 2),
            "program_time_in_sandbox_ms_median": round(
                median([o.result.time_s for r in reports for o in r.outcomes]) * 1e3, 2
            ),
            "limits": first.limits,
            "syscall_filter": first.syscall_filter,
            "interpreter": sys.executable,
            "rounds": context.repeats,
            "data": context.problems[1],
        },
        note=f"{len(tests)} tests of {problem.get('name')} ({passed} passed), per test: "
        f"sandboxed {per_test['sandbox']:.1f} ms, unsandboxed {per_test['bare_program']:.1f} ms, "
        f"bare launch {per_test['bare']:.1f} ms; overhead = sandboxed - (unsandboxed - bare)",
    )
