"""Mutation operators: exact mutant texts, spans, validity, determinism and real failures."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yantra_gnn.errors import ConfigError, SourceEncodingError, SourceTypeError
from yantra_gnn.labels.mutate import BUG_CLASSES, Mutant, enumerate_mutants, sample_mutants

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / ".." / "shared" / "data" / "codecontests_mini.jsonl"

# A real-looking solution (maximum subarray sum) and its tests, written for these tests.
SOLUTION = textwrap.dedent(
    """\
    import sys


    def main():
        data = sys.stdin.read().split()
        n = int(data[0])
        a = list(map(int, data[1 : 1 + n]))
        best = a[0]
        cur = 0
        for x in a:
            cur = max(x, cur + x)
            if n > 0 and cur > best:
                best = cur
        print(best)


    main()
    """
)
SOLUTION_TESTS = [
    ("5\n1 -2 3 4 -1\n", "7"),
    ("3\n-5 -1 -3\n", "-1"),
    ("4\n2 2 -10 5\n", "5"),
    ("1\n7\n", "7"),
    ("6\n3 -1 -1 4 -10 2\n", "5"),
]


def byte_slice(source: str, span: tuple[int, int, int, int]) -> str:
    """The text a (row, byte column) span covers."""
    lines = source.encode("utf-8").split(b"\n")
    start = sum(len(line) + 1 for line in lines[: span[0]]) + span[1]
    end = sum(len(line) + 1 for line in lines[: span[2]]) + span[3]
    return source.encode("utf-8")[start:end].decode("utf-8")


def byte_offset(source: str, row: int, column: int) -> int:
    lines = source.encode("utf-8").split(b"\n")
    return sum(len(line) + 1 for line in lines[:row]) + column


def sources(mutants: list[Mutant], bug_class: str) -> list[str]:
    return [m.source for m in mutants if m.bug_class == bug_class]


@pytest.mark.parametrize(
    ("bug_class", "original", "expected"),
    [
        (
            "wrong_comparison_operator",
            "a, b = 1, 2\nif a < b:\n    print(a)\n",
            ["a, b = 1, 2\nif a <= b:\n    print(a)\n", "a, b = 1, 2\nif a > b:\n    print(a)\n"],
        ),
        (
            "wrong_comparison_operator",
            "s = [1]\nprint(2 not in s, s == [1])\n",
            ["s = [1]\nprint(2 in s, s == [1])\n", "s = [1]\nprint(2 not in s, s != [1])\n"],
        ),
        (
            "wrong_binary_operator",
            "x = 3\ny = x + 2\ny //= 2\nprint(y)\n",
            [
                "x = 3\ny = x - 2\ny //= 2\nprint(y)\n",
                "x = 3\ny = x + 2\ny *= 2\nprint(y)\n",
                "x = 3\ny = x + 2\ny /= 2\nprint(y)\n",
            ],
        ),
        (
            "wrong_boolean_operator",
            "p, q = 1, 0\nif p and not q:\n    print(p)\n",
            [
                "p, q = 1, 0\nif p or not q:\n    print(p)\n",
                "p, q = 1, 0\nif p and q:\n    print(p)\n",
            ],
        ),
        (
            "off_by_one",
            "n = 5\nfor i in range(n):\n    print(i)\n",
            [
                "n = 6\nfor i in range(n):\n    print(i)\n",
                "n = 4\nfor i in range(n):\n    print(i)\n",
                "n = 5\nfor i in range(n + 1):\n    print(i)\n",
                "n = 5\nfor i in range(n - 1):\n    print(i)\n",
            ],
        ),
        (
            "argument_swap",
            "a, b = 1, 2\nprint(a, b, sep=' ')\n",
            ["a, b = 1, 2\nprint(b, a, sep=' ')\n"],
        ),
        (
            "variable_misuse",
            "def f(a, b):\n    return a * 2\n",
            ["def f(a, b):\n    return b * 2\n"],
        ),
        (
            "wrong_assignment_target",
            "x = 1\ny = 2\nprint(x, y)\n",
            ["y = 1\ny = 2\nprint(x, y)\n", "x = 1\nx = 2\nprint(x, y)\n"],
        ),
        (
            "deleted_statement",
            "x = 1\ny = 2\nprint(x)\n",
            ["y = 2\nprint(x)\n", "x = 1\nprint(x)\n", "x = 1\ny = 2\n"],
        ),
        (
            "deleted_statement",
            "x = 1\nif x:\n    y = 1\n",
            ["if x:\n    y = 1\n", "x = 1\nif x:\n    pass\n"],
        ),
        (
            "deleted_statement",
            "a = 1; b = 2\nprint(a)\n",
            ["b = 2\nprint(a)\n", "a = 1\nprint(a)\n", "a = 1; b = 2\n"],
        ),
    ],
)
def test_each_class_makes_the_expected_mutants(
    bug_class: str, original: str, expected: list[str]
) -> None:
    assert sources(enumerate_mutants(original, classes=[bug_class]), bug_class) == expected


def test_off_by_one_does_not_go_below_zero_or_touch_other_literals() -> None:
    mutants = sources(enumerate_mutants("x = [0, 0x10, 1.5]\n", ["off_by_one"]), "off_by_one")
    assert mutants == ["x = [1, 0x10, 1.5]\n"]


def test_range_bound_that_needs_parentheses_gets_them() -> None:
    source = "a = 3\nfor i in range(a << 1):\n    print(i)\n"
    mutants = sources(enumerate_mutants(source, ["off_by_one"]), "off_by_one")
    assert "a = 3\nfor i in range((a << 1) + 1):\n    print(i)\n" in mutants


def test_commutative_calls_are_not_swapped() -> None:
    assert enumerate_mutants("a, b = 1, 2\nprint(max(a, b))\n", ["argument_swap"]) == []


def test_variable_misuse_only_uses_names_bound_before_the_read() -> None:
    source = "def f(a):\n    x = a\n    y = 1\n    return x + y\n"
    mutants = enumerate_mutants(source, ["variable_misuse"])
    # ``x = a``: x and y are bound only after that read, so 'a' has no replacement there.
    assert all(not m.source.startswith("def f(a):\n    x = x") for m in mutants)
    assert all(not m.source.startswith("def f(a):\n    x = y") for m in mutants)
    assert "def f(a):\n    x = a\n    y = 1\n    return a + y\n" in [m.source for m in mutants]
    # Names of another function never leak in.
    other = "def g(q):\n    return q\ndef f(a, b):\n    return a\n"
    assert all(
        "return q\ndef f(a, b):\n    return q" not in m.source for m in enumerate_mutants(other)
    )


def test_spans_point_at_the_changed_text() -> None:
    mutants = enumerate_mutants(SOLUTION)
    assert {m.bug_class for m in mutants} == set(BUG_CLASSES)
    original = SOLUTION.encode("utf-8")
    for mutant in mutants:
        mutated = mutant.source.encode("utf-8")
        if mutant.bug_class == "deleted_statement" and mutant.description.startswith("deleted"):
            # The span is the statement next to the deleted one, unchanged from the original.
            neighbour = byte_slice(mutant.source, mutant.span)
            deleted = byte_slice(SOLUTION, mutant.original_span)
            assert neighbour.strip() and neighbour in SOLUTION
            assert mutant.source.count(deleted) == SOLUTION.count(deleted) - 1
            continue
        # Everything outside the spans is byte-for-byte the original.
        o_start = byte_offset(SOLUTION, *mutant.original_span[:2])
        o_end = byte_offset(SOLUTION, *mutant.original_span[2:])
        m_start = byte_offset(mutant.source, *mutant.span[:2])
        m_end = byte_offset(mutant.source, *mutant.span[2:])
        assert mutated[:m_start] == original[:o_start]
        assert mutated[m_end:] == original[o_end:]
        assert mutated[m_start:m_end] != original[o_start:o_end]


def test_span_of_an_operator_names_the_new_token() -> None:
    (mutant,) = [
        m
        for m in enumerate_mutants("a, b = 1, 2\nif a < b:\n    print(a)\n")
        if m.description.startswith("'<' → '<='")
    ]
    assert mutant.span == (1, 5, 1, 7)
    assert byte_slice(mutant.source, mutant.span) == "<="
    assert mutant.original_span == (1, 5, 1, 6)
    assert mutant.description == "'<' → '<=' at line 2"


def test_span_columns_are_utf8_bytes() -> None:
    source = 's = "é"; a, b = 1, 2; t = a < b\n'
    (mutant,) = [
        m for m in enumerate_mutants(source, ["wrong_comparison_operator"]) if "<=" in m.source
    ]
    assert byte_slice(mutant.source, mutant.span) == "<="
    assert mutant.span[1] == source.encode("utf-8").index(b"<")


def test_deleted_statement_span_is_the_following_statement() -> None:
    (mutant,) = [
        m
        for m in enumerate_mutants("x = 1\ny = 2\nprint(x)\n", ["deleted_statement"])
        if m.source == "x = 1\nprint(x)\n"
    ]
    assert byte_slice(mutant.source, mutant.span) == "print(x)"
    assert byte_slice("x = 1\ny = 2\nprint(x)\n", mutant.original_span) == "y = 2"


def test_every_mutant_differs_and_compiles() -> None:
    mutants = enumerate_mutants(SOLUTION)
    assert len(mutants) > 50
    assert len({(m.bug_class, m.source) for m in mutants}) == len(mutants)
    for mutant in mutants:
        assert mutant.source != SOLUTION
        compile(mutant.source, "<mutant>", "exec")


def test_imports_strings_and_comments_are_never_mutated() -> None:
    source = textwrap.dedent(
        """\
        import sys
        from math import gcd as g, inf
        s = 'a < b + 1'  # c < 2 + 3
        t = f"{len(s) + 1}"
        print(s, t, g(4, 6) + 1)
        """
    )
    mutants = enumerate_mutants(source)
    assert mutants
    for mutant in mutants:
        assert mutant.source.startswith("import sys\nfrom math import gcd as g, inf\n")
        lines = mutant.source.splitlines()
        if mutant.bug_class != "deleted_statement":
            assert "'a < b + 1'  # c < 2 + 3" in mutant.source
            assert 'f"{len(s) + 1}"' in mutant.source
        assert all("import" not in line for line in lines[2:])


@pytest.mark.parametrize(
    "source",
    [
        "def f(:\n    pass\n",  # syntax error
        'print "python 2"\n',  # Python 2
        "",
        "   \n",
        "pass\n",  # nothing to mutate
        "import os\n",
        "x = 1\n\x00",  # NUL byte: compile() refuses it
    ],
)
def test_invalid_or_empty_sources_give_no_mutants(source: str) -> None:
    assert enumerate_mutants(source) == []
    assert sample_mutants(source, per_class=2, seed=0) == []


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(SourceTypeError):
        enumerate_mutants(b"x = 1\n")  # type: ignore[arg-type]
    with pytest.raises(SourceEncodingError):
        enumerate_mutants("x = '\ud800'\n")
    with pytest.raises(ConfigError, match="unknown bug classes"):
        enumerate_mutants("x = 1\n", classes=["typo"])
    with pytest.raises(ConfigError, match="per_class"):
        sample_mutants("x = 1\n", per_class=-1, seed=0)


def test_sample_is_seeded_capped_and_a_subset_of_enumeration() -> None:
    first = sample_mutants(SOLUTION, per_class=3, seed=7)
    again = sample_mutants(SOLUTION, per_class=3, seed=7)
    other = sample_mutants(SOLUTION, per_class=3, seed=8)
    assert first == again
    assert [m.source for m in first] != [m.source for m in other]
    counts = {c: sum(m.bug_class == c for m in first) for c in BUG_CLASSES}
    assert all(count <= 3 for count in counts.values())
    assert counts["variable_misuse"] == 3 and counts["off_by_one"] == 3
    everything = set(enumerate_mutants(SOLUTION))
    assert set(first) <= everything
    only = sample_mutants(SOLUTION, per_class=2, seed=7, classes=["off_by_one"])
    assert len(only) == 2 and {m.bug_class for m in only} == {"off_by_one"}


def test_sampling_is_identical_across_processes() -> None:
    # A child with a fixed, different string-hash seed must choose the same mutants.
    script = (
        "import json, sys\n"
        "from yantra_gnn.labels.mutate import sample_mutants\n"
        "source = sys.stdin.read()\n"
        "print(json.dumps([m.description for m in sample_mutants(source, per_class=2, seed=3)]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=SOLUTION,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    expected = [m.description for m in sample_mutants(SOLUTION, per_class=2, seed=3)]
    assert json.loads(done.stdout) == expected


def _passes(source: str, tests: list[tuple[str, str]]) -> bool:
    for stdin, expected in tests:
        try:
            done = subprocess.run(
                [sys.executable, "-c", source],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=5,
            )
        except subprocess.TimeoutExpired:
            return False
        if done.returncode != 0 or done.stdout.split() != expected.split():
            return False
    return True


def test_sampled_mutants_fail_the_original_tests_when_run() -> None:
    assert _passes(SOLUTION, SOLUTION_TESTS)
    mutants = sample_mutants(SOLUTION, per_class=2, seed=0)
    assert len(mutants) >= 12
    failing = [m for m in mutants if not _passes(m.source, SOLUTION_TESTS)]
    # Most mutants are real bugs; the rest (equivalent mutants) are what labelling filters.
    assert len(failing) >= len(mutants) // 2, [m.description for m in failing]


@pytest.mark.skipif(not MINI.exists(), reason="shared CodeContests mini file not present")
def test_real_solutions_from_the_mini_file() -> None:
    with MINI.open(encoding="utf-8") as handle:
        solutions = [
            json.loads(line)["solutions"]["solution"][0] for line in itertools.islice(handle, 5)
        ]
    for solution in solutions:
        mutants = sample_mutants(solution, per_class=2, seed=0)
        assert len({m.bug_class for m in mutants}) >= 5
        for mutant in mutants:
            assert mutant.source != solution
            compile(mutant.source, "<mutant>", "exec")
