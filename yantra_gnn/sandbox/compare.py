"""Judge a program's output against the expected output, like the CodeContests checkers.

Competitive-programming judges rarely compare bytes: they compare whitespace-separated
tokens, and accept real numbers within a tolerance. :func:`outputs_match` does the same,
so that a correct solution that prints ``"3 \\n"`` instead of ``"3\\n"`` or ``0.5000000``
instead of ``0.5`` is labelled correct.

Rules (see ``docs/sandbox.md``):

* Both outputs are split on ASCII whitespace (space, tab, newline, carriage return,
  form feed, vertical tab); the token sequences must have the same length. Trailing
  newlines, blank lines and runs of spaces therefore never matter.
* A pair of tokens matches if they are equal (case-sensitive: ``YES`` is not ``yes``).
* Otherwise, when the *expected* token is a real number written with a decimal point or
  an exponent (``0.5``, ``1e-9``, ``-3.``) and the actual token is a plain decimal
  number, they match if ``|actual - expected| <= float_tol * max(1, |expected|)``
  (absolute or relative error).
* An expected integer token (``10``) needs the exact same token: ``10.0000001``,
  ``10.0`` and ``010`` are all wrong answers for it, as on the judges that print
  integers.
"""

from __future__ import annotations

import math
import re

from yantra_gnn.errors import ConfigError, SourceTypeError

__all__ = ["DEFAULT_FLOAT_TOL", "outputs_match", "tokens_match"]

DEFAULT_FLOAT_TOL = 1e-6
"""Absolute-or-relative tolerance for real-number tokens, the usual 1e-6 of the judges."""

# A plain decimal number: optional sign, digits with an optional fraction, optional exponent.
# Python's float() also takes "inf", "nan", "1_000" and surrounding spaces; judges do not.
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# The expected token must also show that it is a real (a point or an exponent).
_REAL = re.compile(rb"[+-]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][+-]?\d+)?")


def _as_bytes(text: str | bytes, name: str) -> bytes:
    if isinstance(text, bytes):
        return text
    if isinstance(text, str):
        return text.encode("utf-8", errors="surrogateescape")
    raise SourceTypeError(
        f"outputs_match: {name} must be str or bytes, got {type(text).__name__}; "
        "pass the program's decoded stdout and the test's expected output"
    )


def tokens_match(actual: bytes, expected: bytes, float_tol: float = DEFAULT_FLOAT_TOL) -> bool:
    """Whether one output token is an accepted answer for one expected token.

    Both tokens are ASCII-whitespace-free ``bytes``, as produced by ``bytes.split()``.
    """
    if actual == expected:
        return True
    if _REAL.fullmatch(expected) is None or _NUMBER.fullmatch(actual) is None:
        return False
    want = float(expected)
    got = float(actual)
    if not (math.isfinite(want) and math.isfinite(got)):
        return False
    return abs(got - want) <= float_tol * max(1.0, abs(want))


def outputs_match(
    actual: str | bytes, expected: str | bytes, *, float_tol: float = DEFAULT_FLOAT_TOL
) -> bool:
    """Whether a program's output ``actual`` is accepted for the test output ``expected``.

    Args:
        actual: what the program printed (``str`` or raw ``bytes``).
        expected: the test's expected output.
        float_tol: absolute-or-relative tolerance for tokens where the expected token is
            a real number with a decimal point or exponent; must be finite and >= 0.

    Returns:
        ``True`` if the whitespace-separated token sequences have the same length and
        every pair matches under the rules in the module docstring.
    """
    if not isinstance(float_tol, (int, float)) or not (math.isfinite(float_tol) and float_tol >= 0):
        raise ConfigError(
            f"outputs_match: float_tol must be a finite number >= 0, got {float_tol!r}"
        )
    got = _as_bytes(actual, "actual").split()
    want = _as_bytes(expected, "expected").split()
    if len(got) != len(want):
        return False
    return all(tokens_match(a, e, float(float_tol)) for a, e in zip(got, want, strict=True))
