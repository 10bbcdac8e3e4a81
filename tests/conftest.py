"""Shared fixtures: the optional shared mini dataset and tiny problems the tests make."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from yantra_test_helpers import DOUBLE, MAX_PAIR, MINI_DATASET, NO_TESTS


@pytest.fixture
def mini_solutions() -> list[str]:
    """Python 3 solutions of the shared CodeContests sample; skips when it is absent."""
    if not MINI_DATASET.exists():
        pytest.skip(f"shared dataset not present at {MINI_DATASET}")
    solutions = []
    with MINI_DATASET.open() as handle:
        for line in handle:
            row = json.loads(line)
            for language, code in zip(
                row["solutions"]["language"], row["solutions"]["solution"], strict=True
            ):
                if language == 3:
                    solutions.append(code)
    return solutions


@pytest.fixture
def tiny_problems() -> list[dict]:
    return [json.loads(json.dumps(p)) for p in (DOUBLE, MAX_PAIR, NO_TESTS)]


@pytest.fixture
def prepared_root(tmp_path: Path) -> Path:
    """A prepared dataset directory: two train problems and one val problem."""
    root = tmp_path / "prepared"
    root.mkdir()
    (root / "train.jsonl").write_text(json.dumps(DOUBLE) + "\n" + json.dumps(MAX_PAIR) + "\n")
    val = dict(MAX_PAIR, name="max_pair_val")
    (root / "val.jsonl").write_text(json.dumps(val) + "\n")
    return root
