"""Human-readable views of a graph: a summary, JSON and Graphviz DOT."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from torch_geometric.data import Data

from yantra_gnn.errors import ConfigError
from yantra_gnn.graph.parse import ERROR_KIND_ID, python_language
from yantra_gnn.schema import EDGE_TYPES, FORWARD_EDGE_TYPES


def kind_name(kind: int) -> str:
    """The tree-sitter kind name of a ``node_kind`` value (``ERROR`` for 65535).

    Raises:
        KeyError: ``kind`` is no kind of the grammar.
    """
    if kind == ERROR_KIND_ID:
        return "ERROR"
    name = python_language().node_kind_for_id(kind)
    if name is None:
        raise KeyError(f"tree-sitter-python has no node kind {kind}")
    return name


def _node_text(source_lines: list[bytes], span: list[int], limit: int = 40) -> str:
    start_row, start_col, end_row, end_col = span
    line = source_lines[start_row] if start_row < len(source_lines) else b""
    text = line[start_col : end_col if end_row == start_row else None].decode("utf-8", "replace")
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(data: Data) -> dict[str, Any]:
    """Node count, edge counts per type (forward types only; reverses mirror them), errors."""
    counts = Counter(EDGE_TYPES[t] for t in data.edge_type.tolist())
    kinds = data.node_kind.tolist()
    return {
        "nodes": int(data.num_nodes),
        "edges": int(data.edge_index.size(1)),
        "edges_per_type": {name: counts.get(name, 0) for name in FORWARD_EDGE_TYPES},
        "has_error": bool(data.has_error.item()),
        "error_nodes": sum(1 for k in kinds if k == ERROR_KIND_ID),
        "feature_nonzeros": int(data.x._nnz()) if data.x.is_sparse else int((data.x != 0).sum()),
    }


def to_json(data: Data, source: str | bytes | None = None) -> dict[str, Any]:
    """A JSON-able dict: nodes (kind, span, text, feature columns) and typed edges."""
    lines = _source_lines(source)
    x = data.x.coalesce() if data.x.is_sparse else data.x.to_sparse()
    rows, cols = x.indices().tolist()
    values = x.values().tolist()
    features: list[dict[str, float]] = [{} for _ in range(int(data.num_nodes))]
    for row, col, value in zip(rows, cols, values, strict=True):
        features[row][str(col)] = value
    nodes = []
    for i, (kind, span) in enumerate(
        zip(data.node_kind.tolist(), data.node_span.tolist(), strict=True)
    ):
        node = {"id": i, "kind": kind_name(kind), "span": span, "features": features[i]}
        if lines is not None:
            node["text"] = _node_text(lines, span)
        nodes.append(node)
    edges = [
        {"source": a, "target": b, "type": EDGE_TYPES[t]}
        for (a, b), t in zip(data.edge_index.t().tolist(), data.edge_type.tolist(), strict=True)
    ]
    return {"summary": summarize(data), "nodes": nodes, "edges": edges}


_DOT_STYLE = {
    "ast_child": 'color="gray40"',
    "next_sibling": 'color="gray70", style=dotted',
    "next_token": 'color="gray70", style=dashed',
    "last_write": 'color="red"',
    "last_read": 'color="orange"',
    "computed_from": 'color="blue"',
    "calls": 'color="darkgreen", penwidth=2',
    "returns_to": 'color="purple"',
    "formal_arg": 'color="teal"',
}


def check_edge_types(names: Iterable[str]) -> None:
    """Raise :class:`ConfigError` listing the valid names if any is not a forward edge type."""
    unknown = sorted(set(names) - set(FORWARD_EDGE_TYPES))
    if unknown:
        raise ConfigError(
            f"unknown edge type(s) {unknown}; choose from {', '.join(FORWARD_EDGE_TYPES)}"
        )


def to_dot(
    data: Data, source: str | bytes | None = None, edge_types: tuple[str, ...] | None = None
) -> str:
    """Graphviz DOT of the graph's forward edges (reverse edges are implied).

    Raises:
        ConfigError: ``edge_types`` names a type that is not a forward edge type.
    """
    check_edge_types(edge_types or ())
    lines = _source_lines(source)
    wanted = set(edge_types or FORWARD_EDGE_TYPES)
    out = ["digraph code {", '  node [shape=box, fontname="monospace", fontsize=10];']
    for i, (kind, span) in enumerate(
        zip(data.node_kind.tolist(), data.node_span.tolist(), strict=True)
    ):
        label = kind_name(kind)
        if lines is not None and not label.endswith(("statement", "definition", "module", "block")):
            label += "\\n" + _node_text(lines, span, limit=24)
        label = label.replace('"', '\\"')
        out.append(f'  n{i} [label="{label}\\nL{span[0] + 1}"];')
    for (a, b), t in zip(data.edge_index.t().tolist(), data.edge_type.tolist(), strict=True):
        name = EDGE_TYPES[t]
        if name in wanted:
            out.append(f'  n{a} -> n{b} [{_DOT_STYLE[name]}, tooltip="{name}"];')
    out.append("}")
    return "\n".join(out) + "\n"


def _source_lines(source: str | bytes | None) -> list[bytes] | None:
    if source is None:
        return None
    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    return data.split(b"\n")


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)
