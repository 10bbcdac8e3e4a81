"""The problem record of the sample source and helpers to write tests deterministically."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

#: A test: (stdin, expected stdout). ``None`` as expected output means "computed by
#: running the problem's first correct solution"; every other correct solution must
#: then agree with it, which ``build_sample.py`` checks.
Case = tuple[str, "str | None"]


def code(text: str) -> str:
    """Return a solution written as an indented string literal as plain source text."""
    return textwrap.dedent(text).strip("\n") + "\n"


def text(value: str) -> str:
    """Return an indented multi-line statement as plain text without the indentation."""
    return textwrap.dedent(value).strip("\n")


@dataclass(frozen=True)
class Problem:
    """One competitive-programming problem in the CodeContests style.

    ``description`` is the statement with its Input and Output sections; the examples
    (the public tests) are appended by the builder, as CodeContests statements carry
    them. ``slow`` lists indices into ``incorrect`` of solutions whose only defect is
    their running time: the builder checks that they exceed the time limit by a wide
    margin rather than giving a wrong answer.
    """

    slug: str
    description: str
    public_tests: list[Case]
    private_tests: list[Case]
    correct: list[str]
    incorrect: list[str]
    tags: list[str]
    rating: int
    slow: tuple[int, ...] = field(default=())


class Lcg:
    """A tiny linear congruential generator: identical numbers on every Python version.

    ``random.Random`` is stable in practice, but a hand-written generator makes the
    shipped test inputs reproducible without depending on library internals.
    """

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self) -> int:
        """Return the next 31-bit pseudo-random integer."""
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & (0xFFFFFFFFFFFFFFFF)
        return self.state >> 33

    def randint(self, lo: int, hi: int) -> int:
        """Return an integer in ``[lo, hi]`` (both inclusive)."""
        span = hi - lo + 1
        if span <= 1 << 31:
            return lo + self.next() % span
        return lo + ((self.next() << 31) | self.next()) % span

    def ints(self, n: int, lo: int, hi: int) -> list[int]:
        """Return ``n`` integers drawn from ``[lo, hi]``."""
        return [self.randint(lo, hi) for _ in range(n)]

    def word(self, length: int, alphabet: str = "abcdefghijklmnopqrstuvwxyz") -> str:
        """Return a string of ``length`` characters drawn from ``alphabet``."""
        return "".join(alphabet[self.next() % len(alphabet)] for _ in range(length))


def join(values: list[int] | list[str]) -> str:
    """Return the values separated by single spaces."""
    return " ".join(str(v) for v in values)


def lines(*rows: object) -> str:
    """Return the rows as newline-terminated lines: the usual shape of a test input."""
    return "".join(f"{row}\n" for row in rows)
