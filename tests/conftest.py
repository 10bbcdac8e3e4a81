"""Shared test helpers: readable edge labels and the optional shared mini dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yantra_gnn.graph import EDGE_TYPES, CodeGraphBuilder

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI_DATASET = REPO_ROOT.parent / "shared" / "data" / "codecontests_mini.jsonl"


def node_label(source: str, span: list[int]) -> str:
    """``text@line`` of a node (first line of its text), e.g. ``x@3``."""
    start_row, start_col, end_row, end_col = span
    line = source.encode().split(b"\n")[start_row]
    text = line[start_col : end_col if end_row == start_row else None].decode().strip()
    return f"{text}@{start_row + 1}"


def labelled_edges(source: str, edge_type: str, **build_kwargs) -> set[tuple[str, str]]:
    """The edges of one type as ``(source label, target label)`` pairs."""
    data = CodeGraphBuilder().build(source, **build_kwargs)
    wanted = EDGE_TYPES.index(edge_type)
    spans = data.node_span.tolist()
    return {
        (node_label(source, spans[a]), node_label(source, spans[b]))
        for (a, b), t in zip(data.edge_index.t().tolist(), data.edge_type.tolist(), strict=True)
        if t == wanted
    }


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
