"""Shared fixtures: a tiny verified HumanEval candidate set (2 sandbox runs, made once)."""

from __future__ import annotations

import pytest

from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates

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
