"""The report's plots (its markdown tables are checked on real reports in test_protocol.py)."""

from __future__ import annotations

import numpy as np
import pytest

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.report import plot_reliability_diagram, write_reliability_plot
from yantra_gnn.evaluation.systems import MODEL, SHORTEST, SystemScores


def test_reliability_diagram_png(tmp_path) -> None:
    path = plot_reliability_diagram(
        {"m": (np.array([1, 0, 1]), np.array([0.8, 0.3, 0.6]))}, tmp_path / "r" / "rel.png"
    )
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_reliability_diagram_needs_a_curve(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no curves"):
        plot_reliability_diagram({}, tmp_path / "rel.png")


def test_reliability_plot_only_for_systems_with_probabilities(sets, tmp_path) -> None:
    _, val = sets
    n = len(val)
    shortest = SystemScores(SHORTEST, confidence_score=np.zeros(n))
    assert write_reliability_plot(val, [shortest], tmp_path / "none.png") is None
    model = SystemScores(MODEL, confidence_prob=np.full(n, 0.5))
    path = write_reliability_plot(val, [model, shortest], tmp_path / "rel.png")
    assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
