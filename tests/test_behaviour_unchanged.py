"""The library computes what it computed before the package was reorganised.

``tests/fixtures/behaviour.json`` holds digests written by ``tests/fixtures/behaviour.py``
before the layout changed: graphs and features of every program in the bundled sample
(bit for bit, with and without stripped imports), the mutants of each, and the weights
of a tiny seeded training run. A change that alters any of them fails here; a change
meant to alter them regenerates the file and says why in its commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import behaviour  # noqa: E402

EXPECTED = json.loads(behaviour.FIXTURE.read_text())
SOURCES = behaviour.sample_sources() + list(behaviour.EXTRA_SOURCES)


def _key(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def test_fixture_covers_every_source():
    assert len(SOURCES) >= 200
    assert set(EXPECTED["graphs"]) == {_key(source) for source in SOURCES}


@pytest.mark.parametrize("strip_imports", [False, True])
def test_graphs_and_features_are_bit_identical(strip_imports):
    from yantra_gnn.graph import CodeGraphBuilder

    expected = EXPECTED["graphs_stripped" if strip_imports else "graphs"]
    builder = CodeGraphBuilder()
    changed = [
        _key(source)
        for source in SOURCES
        if behaviour.graph_digest(builder.build(source, strip_imports=strip_imports))
        != expected[_key(source)]
    ]
    assert not changed, f"{len(changed)} graphs differ from the fixture, e.g. {changed[:3]}"


def test_mutants_are_identical():
    from yantra_gnn.labels.mutate import enumerate_mutants

    changed = [
        _key(source)
        for source in SOURCES
        if behaviour.mutants_digest(enumerate_mutants(source)) != EXPECTED["mutants"][_key(source)]
    ]
    assert not changed, f"mutants of {len(changed)} sources differ, e.g. {changed[:3]}"


def test_seeded_training_reaches_the_same_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    weights = behaviour.trained_weights(tmp_path)
    assert sorted(weights) == sorted(EXPECTED["training"])
    for name, (total, absolute) in EXPECTED["training"].items():
        assert weights[name] == pytest.approx([total, absolute], rel=1e-5, abs=1e-6), name
