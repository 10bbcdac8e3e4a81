"""Assemble and verify the bundled CodeContests-format sample dataset.

Run from the repository root::

    python -m tools.build_sample.build_sample

Every correct solution is run on every test and must pass all of them well inside the
time limit; every incorrect solution must fail at least one test (wrong answer, runtime
error or time-out), and those marked slow must fail only by time-out and need at least
five times the limit. Expected outputs left as ``None`` in the source are computed by
the first correct solution, so the other correct solutions check them independently.
The JSONL file is written only when every check passes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.build_sample._model import Problem
from yantra_gnn.errors import DatasetError

logger = logging.getLogger("tools.build_sample.build_sample")

#: Modules of this package whose ``PROBLEMS`` make up the sample, in numbering order.
SOURCE_MODULES = (
    "math_problems",
    "string_problems",
    "greedy_problems",
    "array_problems",
    "dp_problems",
    "graph_problems",
    "misc_problems",
)
SOURCE_PACKAGE = "tools.build_sample"

TIME_LIMIT_S = 2.0
#: A correct solution slower than this on any test is rejected (CI machines are slower).
CORRECT_MAX_S = 1.0
#: A "too slow" solution must still be running after this many seconds on its big test.
SLOW_MARGIN = 5.0
MAX_INPUT_BYTES = 200_000
MEMORY_LIMIT_BYTES = 256_000_000
PYTHON3 = 3
DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[2]
    / "yantra_gnn"
    / "datasets"
    / "sample"
    / "codecontests_sample.jsonl"
)


class SampleBuildError(DatasetError):
    """A solution or test of the sample source failed verification."""


@dataclass(frozen=True)
class Run:
    """Outcome of one program on one input: ``status`` is ``ok``, ``re`` or ``tle``."""

    status: str
    stdout: str
    stderr: str
    seconds: float


def run_program(source: str, stdin: str, timeout_s: float) -> Run:
    """Run Python ``source`` on ``stdin`` in a fresh isolated interpreter.

    ``-I`` ignores the environment and user site, ``-S`` skips ``site`` (the solutions
    use the standard library only), which keeps a start-up to a few milliseconds.
    ``int_max_str_digits=0`` lifts Python 3.11's cap on int/str conversions, as the
    project's sandbox does, so a verdict never depends on the Python version.
    """
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", "-X", "int_max_str_digits=0", "-c", source],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return Run("tle", "", "", time.perf_counter() - start)
    seconds = time.perf_counter() - start
    status = "ok" if proc.returncode == 0 else "re"
    return Run(status, proc.stdout, proc.stderr, seconds)


def same_tokens(actual: str, expected: str) -> bool:
    """CodeContests-style check: equal whitespace-separated tokens."""
    return actual.split() == expected.split()


def normalise_output(value: str) -> str:
    """Strip trailing whitespace of every line and end with exactly one newline."""
    return "\n".join(line.rstrip() for line in value.strip("\n").split("\n")) + "\n"


def normalise_input(value: str) -> str:
    """Make a test input end with a newline, as judge inputs do."""
    return value if value.endswith("\n") else value + "\n"


def reflow(statement: str) -> str:
    """Join the hard-wrapped lines of each paragraph, as CodeContests statements are."""
    paragraphs = statement.strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def problem_name(index: int, problem: Problem) -> str:
    """Return the dataset name of the problem numbered ``index`` (from 1)."""
    return f"yantra_sample_{index:03d}_{problem.slug}"


def difficulty_of(rating: int) -> int:
    """Map a Codeforces rating to the CodeContests difficulty enum (7 = A, 8 = B, 9 = C)."""
    if rating <= 1000:
        return 7
    if rating <= 1300:
        return 8
    return 9


def all_problems() -> list[Problem]:
    """Return every problem of the source modules in numbering order."""
    problems: list[Problem] = []
    for name in SOURCE_MODULES:
        problems.extend(importlib.import_module(f"{SOURCE_PACKAGE}.{name}").PROBLEMS)
    return problems


def check_structure(problems: list[Problem]) -> None:
    """Reject problems with too few tests or solutions, duplicates or oversized inputs."""
    slugs = [p.slug for p in problems]
    duplicates = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicates:
        raise SampleBuildError(f"duplicate problem slugs: {duplicates}")
    for p in problems:
        where = f"problem {p.slug!r}"
        if len(p.public_tests) < 2 or len(p.private_tests) < 3:
            raise SampleBuildError(f"{where}: needs >= 2 public and >= 3 private tests")
        if len(p.correct) < 2 or len(p.incorrect) < 2:
            raise SampleBuildError(f"{where}: needs >= 2 correct and >= 2 incorrect solutions")
        if any(out is None for _, out in p.public_tests):
            raise SampleBuildError(f"{where}: public tests must state their output")
        if len(set(p.correct) | set(p.incorrect)) != len(p.correct) + len(p.incorrect):
            raise SampleBuildError(f"{where}: solutions must all differ")
        if any(i >= len(p.incorrect) for i in p.slow):
            raise SampleBuildError(f"{where}: slow index out of range")
        for stdin, _ in p.public_tests + p.private_tests:
            if len(stdin.encode()) > MAX_INPUT_BYTES:
                raise SampleBuildError(f"{where}: a test input exceeds {MAX_INPUT_BYTES} bytes")
        for kind, sources in (("correct", p.correct), ("incorrect", p.incorrect)):
            for i, src in enumerate(sources):
                try:
                    compile(src, f"<{p.slug} {kind} {i}>", "exec")
                except SyntaxError as exc:
                    raise SampleBuildError(
                        f"{where}: {kind} solution {i} does not compile: {exc}"
                    ) from exc


def resolve_tests(problem: Problem) -> list[tuple[str, str]]:
    """Return all tests (public first) with every expected output filled in."""
    tests: list[tuple[str, str]] = []
    for stdin, expected in problem.public_tests + problem.private_tests:
        stdin = normalise_input(stdin)
        if expected is None:
            run = run_program(problem.correct[0], stdin, TIME_LIMIT_S)
            if run.status != "ok":
                raise SampleBuildError(
                    f"problem {problem.slug!r}: reference solution gave {run.status} on a "
                    f"test starting {stdin[:40]!r}: {run.stderr[-300:]}"
                )
            expected = run.stdout
        tests.append((stdin, normalise_output(expected)))
    return tests


def verify_correct(slug: str, index: int, source: str, tests: list[tuple[str, str]]) -> float:
    """Run a correct solution on every test; return its slowest time in seconds."""
    slowest = 0.0
    for t, (stdin, expected) in enumerate(tests):
        run = run_program(source, stdin, TIME_LIMIT_S)
        where = f"problem {slug!r}: correct solution {index} on test {t}"
        if run.status != "ok":
            raise SampleBuildError(f"{where}: {run.status} {run.stderr[-300:]}")
        if not same_tokens(run.stdout, expected):
            raise SampleBuildError(
                f"{where}: wrong answer {run.stdout[:80]!r}, expected {expected[:80]!r}"
            )
        if run.seconds > CORRECT_MAX_S:
            raise SampleBuildError(f"{where}: took {run.seconds:.2f} s > {CORRECT_MAX_S} s")
        slowest = max(slowest, run.seconds)
    return slowest


def verify_incorrect(
    slug: str, index: int, source: str, tests: list[tuple[str, str]], slow: bool
) -> str:
    """Check that an incorrect solution fails; return how (``wa``, ``re`` or ``tle``)."""
    where = f"problem {slug!r}: incorrect solution {index}"
    for stdin, expected in tests:
        run = run_program(source, stdin, TIME_LIMIT_S)
        if run.status == "ok" and same_tokens(run.stdout, expected):
            continue
        verdict = "wa" if run.status == "ok" else run.status
        if verdict == "tle" and not slow:
            raise SampleBuildError(f"{where} times out: mark it slow so the margin is checked")
        if not slow:
            return verdict
        if verdict != "tle":
            raise SampleBuildError(f"{where} is marked slow but gave {verdict}")
        margin = run_program(source, stdin, TIME_LIMIT_S * SLOW_MARGIN)
        if margin.status != "tle":
            raise SampleBuildError(
                f"{where} finished in {margin.seconds:.1f} s: not {SLOW_MARGIN}x the limit"
            )
        return verdict
    raise SampleBuildError(f"{where} passes every test")


def to_record(index: int, problem: Problem, tests: list[tuple[str, str]]) -> dict[str, object]:
    """Return the problem as a row in the Hugging Face ``deepmind/code_contests`` schema."""
    n_public = len(problem.public_tests)
    public, private = tests[:n_public], tests[n_public:]
    examples = "".join(
        f"\n\nInput\n\n{stdin.rstrip()}\n\nOutput\n\n{out.rstrip()}" for stdin, out in public
    )
    heading = "Example" if n_public == 1 else "Examples"
    return {
        "name": problem_name(index, problem),
        "description": f"{reflow(problem.description)}\n\n{heading}{examples}\n",
        "public_tests": {"input": [i for i, _ in public], "output": [o for _, o in public]},
        "private_tests": {"input": [i for i, _ in private], "output": [o for _, o in private]},
        "generated_tests": {"input": [], "output": []},
        "source": 2,
        "difficulty": difficulty_of(problem.rating),
        "solutions": {
            "language": [PYTHON3] * len(problem.correct),
            "solution": list(problem.correct),
        },
        "incorrect_solutions": {
            "language": [PYTHON3] * len(problem.incorrect),
            "solution": list(problem.incorrect),
        },
        "cf_contest_id": 0,
        "cf_index": "",
        "cf_points": 0.0,
        "cf_rating": problem.rating,
        "cf_tags": list(problem.tags),
        "is_description_translated": False,
        "untranslated_description": "",
        "time_limit": {"seconds": int(TIME_LIMIT_S), "nanos": 0},
        "memory_limit_bytes": MEMORY_LIMIT_BYTES,
        "input_file": "",
        "output_file": "",
    }


def _jobs(
    problems: list[Problem], tests: dict[str, list[tuple[str, str]]]
) -> Iterator[tuple[str, str, int, str, bool]]:
    for p in problems:
        for i, src in enumerate(p.correct):
            yield ("correct", p.slug, i, src, False)
        for i, src in enumerate(p.incorrect):
            yield ("incorrect", p.slug, i, src, i in p.slow)


def build(output: Path, jobs: int, only: set[str] | None = None) -> dict[str, object]:
    """Verify every solution of the source and, when all checks pass, write ``output``.

    ``only`` restricts verification to the named slugs (for iterating on one problem);
    nothing is written then. Returns summary figures.
    """
    problems = all_problems()
    check_structure(problems)
    selected = [p for p in problems if only is None or p.slug in only]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        resolved = dict(
            zip([p.slug for p in selected], pool.map(resolve_tests, selected), strict=True)
        )

        def work(job: tuple[str, str, int, str, bool]) -> tuple[str, str, object]:
            kind, slug, i, src, slow = job
            if kind == "correct":
                return kind, slug, verify_correct(slug, i, src, resolved[slug])
            return kind, slug, verify_incorrect(slug, i, src, resolved[slug], slow)

        results = list(pool.map(work, _jobs(selected, resolved)))

    slowest = max(float(v) for kind, _, v in results if kind == "correct")
    verdicts = [str(v) for kind, _, v in results if kind == "incorrect"]
    summary: dict[str, object] = {
        "problems": len(selected),
        "tests": sum(len(t) for t in resolved.values()),
        "correct_solutions": sum(len(p.correct) for p in selected),
        "incorrect_solutions": sum(len(p.incorrect) for p in selected),
        "incorrect_by_verdict": {v: verdicts.count(v) for v in ("wa", "re", "tle")},
        "slowest_correct_run_s": round(slowest, 3),
    }
    if only is None:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for index, problem in enumerate(problems, start=1):
                record = to_record(index, problem, resolved[problem.slug])
                handle.write(json.dumps(record) + "\n")
        tmp.replace(output)
        summary["written"] = str(output)
        summary["bytes"] = output.stat().st_size
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: verify the sample source and write the JSONL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--jobs", type=int, default=2, help="parallel runs (default 2)")
    parser.add_argument("--only", nargs="*", help="verify only these slugs; write nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        summary = build(args.output, args.jobs, set(args.only) if args.only else None)
    except SampleBuildError as exc:
        logger.error("sample build failed, nothing written: %s", exc)
        return 1
    for key, value in summary.items():
        logger.info("%s: %s", key, value)
    logger.info("verified in %.1f s", time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
