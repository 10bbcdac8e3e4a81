"""Shared fixtures: the optional shared mini dataset, tiny problems the tests make, and a
tiny verified HumanEval candidate set (2 sandbox runs, made once)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The Hugging Face caches of the whole session go to a temporary folder, set here, at
# import, before any test module imports ``datasets`` or ``huggingface_hub`` (both read
# these variables once, when imported): ``datasets.load_dataset("json", ...)`` of the
# data tests would otherwise leave lock files and Arrow caches in the user's
# ``~/.cache/huggingface``. The folder is removed when the session ends.
HF_TEST_CACHE = Path(tempfile.mkdtemp(prefix="yantra-tests-hf-"))
#: The user's caches, which the tests must leave alone (read before this file sets the
#: variables, and before any test changes ``HOME``); ``tests/test_environment.py``
#: reads them from ``YANTRA_TESTS_USER_HF_CACHES``.
_USER_HF_HOME = os.environ.get("HF_HOME") or str(
    Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "huggingface"
)
USER_HF_CACHES = sorted(
    {_USER_HF_HOME, os.environ.get("HF_DATASETS_CACHE") or f"{_USER_HF_HOME}/datasets"}
)
os.environ["YANTRA_TESTS_USER_HF_CACHES"] = os.pathsep.join(USER_HF_CACHES)
os.environ["HF_HOME"] = str(HF_TEST_CACHE)
os.environ["HF_DATASETS_CACHE"] = str(HF_TEST_CACHE / "datasets")
os.environ["HF_HUB_CACHE"] = str(HF_TEST_CACHE / "hub")
atexit.register(shutil.rmtree, HF_TEST_CACHE, ignore_errors=True)
from yantra_test_helpers import DOUBLE, MAX_PAIR, MINI_DATASET, NO_TESTS  # noqa: E402

from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates  # noqa: E402


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
