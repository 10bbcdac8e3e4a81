"""Shared fixtures: the optional shared mini dataset, tiny problems the tests make, and a
tiny verified HumanEval candidate set (2 sandbox runs, made once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from yantra_test_helpers import DOUBLE, MAX_PAIR, MINI_DATASET, NO_TESTS

from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates


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


#: The first HumanEval problem with one mutant: two sandbox runs for the whole session.
TINY_HUMANEVAL = HumanEvalSettings(max_mutants_per_problem=1, limit=1)


@pytest.fixture(scope="session")
def tiny_humaneval() -> HumanEvalSettings:
    """Settings of the tiny candidate set held by :func:`humaneval_cache`."""
    return TINY_HUMANEVAL


@pytest.fixture(scope="session")
def humaneval_cache(tmp_path_factory):
    """A cache directory that holds the verified :data:`TINY_HUMANEVAL` candidate set."""
    directory = tmp_path_factory.mktemp("humaneval-cache")
    candidates = build_candidates(TINY_HUMANEVAL, cache_dir=directory, workers=2)
    return directory, candidates
