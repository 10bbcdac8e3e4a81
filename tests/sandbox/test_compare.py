"""Tests of the CodeContests-style output comparison."""

from __future__ import annotations

import pytest

from yantra_gnn.errors import ConfigError, SourceTypeError
from yantra_gnn.sandbox.compare import outputs_match, tokens_match


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("3\n", "3"),
        ("3", "3\n"),
        ("1 2 3\n", "1 2 3"),
        ("1  2\t3 \n\n\n", "1 2 3\n"),
        ("1\n2\n3\n", "1 2 3"),
        ("\r\nYES\r\n", "YES\n"),
        ("", ""),
        ("\n\n", ""),
        ("1.0000001", "1.0"),
        ("0.5000000", "0.5"),
        ("0.5", "0.500000000"),
        ("10", "10.000000"),
        ("100000", "1e5"),
        ("-0.0000004", "0.0"),
        ("1000000.5", "1000000.0"),
        ("3.14159265", "3.141592653589793"),
        ("abc def", "abc def"),
    ],
)
def test_accepted(actual: str, expected: str) -> None:
    assert outputs_match(actual, expected)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("YES", "yes"),
        ("yes", "YES"),
        ("10.0000001", "10"),
        ("10.0", "10"),
        ("010", "10"),
        ("+5", "5"),
        ("1", "2"),
        ("1 2", "1 2 3"),
        ("1 2 3", "1 2"),
        ("", "0"),
        ("0", ""),
        ("1.001", "1.0"),
        ("nan", "0.5"),
        ("inf", "1.5"),
        ("1_0.0", "10.0"),
        ("12", "1 2"),
    ],
)
def test_rejected(actual: str, expected: str) -> None:
    assert not outputs_match(actual, expected)


def test_relative_tolerance_for_large_values() -> None:
    # 1e-6 relative error on 1e9 is 1000: accepted; the same absolute error on 1.0 is not.
    assert outputs_match("1000000900.0", "1000000000.0")
    assert not outputs_match("1000002000.0", "1000000000.0")


def test_custom_tolerance() -> None:
    assert not outputs_match("1.01", "1.0")
    assert outputs_match("1.01", "1.0", float_tol=0.02)
    assert not outputs_match("1.0000001", "1.0", float_tol=0)


def test_bytes_and_unicode() -> None:
    assert outputs_match(b"caf\xc3\xa9 1\n", "café 1")
    assert not outputs_match("café", "cafe")
    # Only ASCII whitespace separates tokens, as on the judges.
    assert not outputs_match("1\u00a02", "1 2")


def test_tokens_match_directly() -> None:
    assert tokens_match(b"2.50", b"2.5")
    assert not tokens_match(b"2", b"3")


def test_bad_arguments() -> None:
    with pytest.raises(SourceTypeError, match="actual"):
        outputs_match(None, "1")  # type: ignore[arg-type]
    with pytest.raises(SourceTypeError, match="expected"):
        outputs_match("1", 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="float_tol"):
        outputs_match("1", "1", float_tol=-1.0)
    with pytest.raises(ConfigError, match="float_tol"):
        outputs_match("1", "1", float_tol=float("nan"))
