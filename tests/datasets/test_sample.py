"""The bundled CodeContests-format sample: schema, counts, sync with its source, and
every solution re-run in the sandbox (correct ones pass every test, incorrect ones fail).
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tools.build_sample import build_sample
from tools.build_sample._model import Problem
from yantra_gnn.datasets.codecontests import PYTHON3, bundled_sample_path

HF_KEYS = {
    "name",
    "description",
    "public_tests",
    "private_tests",
    "generated_tests",
    "source",
    "difficulty",
    "solutions",
    "incorrect_solutions",
    "cf_contest_id",
    "cf_index",
    "cf_points",
    "cf_rating",
    "cf_tags",
    "is_description_translated",
    "untranslated_description",
    "time_limit",
    "memory_limit_bytes",
    "input_file",
    "output_file",
}

#: Limit for the incorrect solutions whose only defect is speed: the builder checked that
#: each needs more than 5x the problem's 2 s limit, so 1 s is far from flaky.
SLOW_TIMEOUT_S = 1.0
#: The problems' memory limit (256 000 000 bytes) in MiB, as the sandbox's address-space cap.
MEMORY_MB = 256_000_000 >> 20


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    """The shipped sample, read as package data (as the training job reads it)."""
    text = bundled_sample_path().read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def all_tests(row: dict) -> list[tuple[str, str]]:
    """Public then private tests of a row as (input, expected output) pairs."""
    pairs: list[tuple[str, str]] = []
    for field in ("public_tests", "private_tests"):
        pairs += list(zip(row[field]["input"], row[field]["output"], strict=True))
    return pairs


def test_sample_has_enough_varied_problems(rows: list[dict]) -> None:
    assert len(rows) >= 40
    names = [row["name"] for row in rows]
    assert len(set(names)) == len(names)
    for number, name in enumerate(names, start=1):
        assert re.fullmatch(rf"yantra_sample_{number:03d}_[a-z0-9_]+", name), name
    tags = {tag for row in rows for tag in row["cf_tags"]}
    assert {"dp", "graphs", "strings", "greedy", "number theory", "binary search"} <= tags


def test_every_row_follows_the_codecontests_schema(rows: list[dict]) -> None:
    for row in rows:
        name = row["name"]
        assert set(row) == HF_KEYS, name
        assert "Input" in row["description"] and "Output" in row["description"], name
        assert "Example" in row["description"], name
        for field in ("public_tests", "private_tests", "generated_tests"):
            tests = row[field]
            assert set(tests) == {"input", "output"}, (name, field)
            assert len(tests["input"]) == len(tests["output"]), (name, field)
            assert all(isinstance(t, str) for t in tests["input"] + tests["output"]), name
        assert len(row["public_tests"]["input"]) >= 2, name
        assert len(row["private_tests"]["input"]) >= 3, name
        assert row["generated_tests"] == {"input": [], "output": []}, name
        for field in ("solutions", "incorrect_solutions"):
            block = row[field]
            assert set(block) == {"language", "solution"}, (name, field)
            assert len(block["solution"]) >= 2, (name, field)
            assert block["language"] == [PYTHON3] * len(block["solution"]), (name, field)
            for source in block["solution"]:
                compile(source, f"<{name} {field}>", "exec")
        sources = row["solutions"]["solution"] + row["incorrect_solutions"]["solution"]
        assert len(set(sources)) == len(sources), f"{name}: duplicated solution"
        assert row["source"] == 2 and row["difficulty"] in (7, 8, 9), name
        assert 800 <= row["cf_rating"] <= 1600, name
        assert row["cf_tags"] and all(isinstance(t, str) for t in row["cf_tags"]), name
        assert row["time_limit"] == {"seconds": 2, "nanos": 0}, name
        assert row["memory_limit_bytes"] == 256_000_000, name
        assert (row["cf_contest_id"], row["cf_index"], row["cf_points"]) == (0, "", 0.0)
        assert row["is_description_translated"] is False
        assert row["untranslated_description"] == row["input_file"] == row["output_file"] == ""


def test_sample_matches_its_source(rows: list[dict]) -> None:
    """The JSONL was rebuilt after the last edit of ``sample_source`` (names, code, tests)."""
    problems = build_sample.all_problems()
    assert [row["name"] for row in rows] == [
        build_sample.problem_name(i, p) for i, p in enumerate(problems, start=1)
    ]
    for row, problem in zip(rows, problems, strict=True):
        assert row["solutions"]["solution"] == problem.correct, row["name"]
        assert row["incorrect_solutions"]["solution"] == problem.incorrect, row["name"]
        assert row["cf_tags"] == problem.tags and row["cf_rating"] == problem.rating
        source_tests = problem.public_tests + problem.private_tests
        for (stdin, expected), (row_in, row_out) in zip(source_tests, all_tests(row), strict=True):
            assert row_in == build_sample.normalise_input(stdin), row["name"]
            if expected is not None:
                assert row_out == build_sample.normalise_output(expected), row["name"]


def test_builder_compares_tokens_and_reflows_statements() -> None:
    assert build_sample.same_tokens("1  2\n\n", "1 2\n")
    assert not build_sample.same_tokens("1 2\n", "12\n")
    assert build_sample.normalise_output("3 \n4\n\n") == "3\n4\n"
    assert build_sample.reflow("Print\nthe sum.\n\nInput\n\nTwo  numbers.") == (
        "Print the sum.\n\nInput\n\nTwo numbers."
    )


def _problem(**changes: object) -> Problem:
    fields: dict = {
        "slug": "double",
        "description": "Print twice n.",
        "public_tests": [("1\n", "2\n"), ("2\n", "4\n")],
        "private_tests": [("0\n", "0\n"), ("-3\n", "-6\n"), ("5\n", None)],
        "correct": ["print(2 * int(input()))\n", "n = int(input())\nprint(n + n)\n"],
        "incorrect": ["print(int(input()) + 2)\n", "print(int(input()) ** 2)\n"],
        "tags": ["math"],
        "rating": 800,
    }
    fields.update(changes)
    return Problem(**fields)


def test_builder_rejects_thin_or_duplicated_problems() -> None:
    build_sample.check_structure([_problem()])
    with pytest.raises(build_sample.SampleBuildError, match="private tests"):
        build_sample.check_structure([_problem(private_tests=[("0\n", "0\n")])])
    with pytest.raises(build_sample.SampleBuildError, match="incorrect solutions"):
        build_sample.check_structure([_problem(incorrect=["print(0)\n"])])
    with pytest.raises(build_sample.SampleBuildError, match="duplicate problem slugs"):
        build_sample.check_structure([_problem(), _problem()])
    with pytest.raises(build_sample.SampleBuildError, match="does not compile"):
        build_sample.check_structure([_problem(incorrect=["print(1\n", "print(2)\n"])])


def test_builder_verifies_by_running() -> None:
    problem = _problem()
    tests = build_sample.resolve_tests(problem)
    assert tests[-1] == ("5\n", "10\n")  # expected output filled in by the reference
    assert build_sample.verify_correct("double", 1, problem.correct[1], tests) < 1.0
    assert build_sample.verify_incorrect("double", 0, problem.incorrect[0], tests, False) == "wa"
    with pytest.raises(build_sample.SampleBuildError, match="wrong answer"):
        build_sample.verify_correct("double", 2, problem.incorrect[1], tests)
    with pytest.raises(build_sample.SampleBuildError, match="passes every test"):
        build_sample.verify_incorrect("double", 2, problem.correct[0], tests, False)
    with pytest.raises(build_sample.SampleBuildError, match="marked slow but gave wa"):
        build_sample.verify_incorrect("double", 0, problem.incorrect[0], tests, True)


@pytest.fixture(scope="module")
def sandbox():
    """The project's sandbox (Linux only: rlimits, pidfds, namespaces)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the sandbox needs Linux")
    from yantra_gnn import sandbox as module

    return module


def _run_all(jobs: list[tuple[str, int, str, list, float]], sandbox) -> list:
    """Run ``(name, index, source, tests, timeout)`` jobs two at a time; keep the order."""

    def one(job: tuple[str, int, str, list, float]):
        _, _, source, tests, timeout_s = job
        return sandbox.run_tests(
            source, tests, timeout_s=timeout_s, memory_mb=MEMORY_MB, stop_on_first_failure=True
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(one, jobs))


def test_correct_solutions_pass_every_test(rows: list[dict], sandbox) -> None:
    jobs = [
        (row["name"], i, source, all_tests(row), float(row["time_limit"]["seconds"]))
        for row in rows
        for i, source in enumerate(row["solutions"]["solution"])
    ]
    failures = []
    for (name, i, _, _, _), report in zip(jobs, _run_all(jobs, sandbox), strict=True):
        if not report.all_passed:
            bad = report.first_failure
            failures.append(f"{name} correct #{i}: test {bad.index} {bad.verdict.value}")
    assert not failures, "\n".join(failures)


def test_incorrect_solutions_fail_a_test(rows: list[dict], sandbox) -> None:
    """Each incorrect solution fails, and the way it fails is the one it was written for:
    the too-slow ones by time-out, every other one by a wrong answer or a crash."""
    slow = {
        build_sample.problem_name(i, p): set(p.slow)
        for i, p in enumerate(build_sample.all_problems(), start=1)
    }
    jobs = []
    for row in rows:
        limit = float(row["time_limit"]["seconds"])
        for i, source in enumerate(row["incorrect_solutions"]["solution"]):
            timeout_s = SLOW_TIMEOUT_S if i in slow[row["name"]] else limit
            jobs.append((row["name"], i, source, all_tests(row), timeout_s))
    failures = []
    for (name, i, _, _, _), report in zip(jobs, _run_all(jobs, sandbox), strict=True):
        bad = report.first_failure
        if bad is None:
            failures.append(f"{name} incorrect #{i} passes every test")
            continue
        timed_out = bad.verdict is sandbox.Verdict.TIMEOUT
        if timed_out != (i in slow[name]):
            failures.append(f"{name} incorrect #{i}: unexpected {bad.verdict.value}")
    assert not failures, "\n".join(failures)
