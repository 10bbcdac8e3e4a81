"""A picture of a program graph: one self-contained HTML page, the source beside an SVG.

:func:`render_html` draws the graph that :class:`~yantra_gnn.graph.CodeGraphBuilder`
built from ``source``: on the left the source with line numbers, on the right the
syntax tree laid out by depth (left to right) and source order (top to bottom), with
the other forward edges drawn as coloured curves and a legend of the edge types (click
a type to hide or show it). Hovering a node marks its source lines; hovering a line
marks the nodes that start on it. Optional per-line scores (for example the model's
bug-location probabilities, :func:`line_scores_from_nodes`) shade the source lines as a
red heat map, the score shown on hover.

The page needs no network: CSS and JavaScript are inline, the layout is computed here
(deterministic: the same graph and source give the same bytes). Every piece of the
source is HTML-escaped, so a ``<script>`` in the program stays text. Graphs over
``max_nodes`` nodes are drawn in part (the first nodes in source order) with a note.

This module draws; it never runs a model (``yantra-gnn graph --html --model`` computes
the scores above this layer).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Literal

import torch
from torch_geometric.data import Data

from yantra_gnn.defaults import DEFAULT_MAX_DRAWN_NODES
from yantra_gnn.errors import ConfigError
from yantra_gnn.graph.export import _node_text, _source_lines, kind_name
from yantra_gnn.graph.parse import ERROR_KIND_ID
from yantra_gnn.schema import EDGE_TYPES, FORWARD_EDGE_TYPES

__all__ = [
    "DEFAULT_HIDDEN_EDGE_TYPES",
    "DEFAULT_MAX_DRAWN_NODES",
    "EDGE_COLOURS",
    "line_scores_from_nodes",
    "render_html",
    "split_lines",
]


#: The colour of each forward edge type (reverse edges are implied and not drawn).
EDGE_COLOURS: dict[str, str] = {
    "ast_child": "#9aa0a6",
    "next_sibling": "#bcbd22",
    "next_token": "#8c564b",
    "last_write": "#d62728",
    "last_read": "#ff7f0e",
    "computed_from": "#1f77b4",
    "calls": "#2ca02c",
    "returns_to": "#9467bd",
    "formal_arg": "#17becf",
}

#: Edge types hidden until their legend entry is clicked: the tree layout already shows
#: the order they encode, and drawn they hide the dataflow.
DEFAULT_HIDDEN_EDGE_TYPES: tuple[str, ...] = ("next_sibling", "next_token")

_DASHED = {"next_sibling": "2 2", "next_token": "4 2"}
_DX = 74  # pixels per tree level
_DY = 20  # pixels per leaf row
_MARGIN = 14
_CHAR = 6.6  # approximate width of one 11px monospace character
_HEAT_RGB = "214,39,40"

_SHORT_KINDS = {
    "function_definition": "def",
    "class_definition": "class",
    "decorated_definition": "decorated",
    "expression_statement": "expr",
    "return_statement": "return",
    "argument_list": "args",
    "keyword_argument": "kwarg",
    "default_parameter": "default",
    "typed_parameter": "typed",
    "typed_default_parameter": "typed=",
    "binary_operator": "binop",
    "boolean_operator": "boolop",
    "comparison_operator": "compare",
    "unary_operator": "unary",
    "not_operator": "not",
    "augmented_assignment": "aug_assign",
    "parenthesized_expression": "(…)",
    "conditional_expression": "if_else",
    "list_comprehension": "list_comp",
    "dictionary_comprehension": "dict_comp",
    "generator_expression": "genexp",
    "set_comprehension": "set_comp",
    "for_in_clause": "for_in",
    "expression_list": "exprs",
    "pattern_list": "targets",
    "interpolation": "{…}",
}


def line_scores_from_nodes(
    data: Data,
    node_scores: Sequence[float] | torch.Tensor,
    num_lines: int | None = None,
    reduce: Literal["sum", "max"] = "sum",
) -> list[float]:
    """Per-line scores from per-node scores: each node counts on the line it starts on.

    With ``reduce="sum"`` and node probabilities that sum to 1 over the graph (the
    bug-location head's softmax), a line's score is the probability that the located
    node starts on that line; ``"max"`` keeps the line's most probable node instead.

    Args:
        data: the graph (its ``node_span`` rows, 0-based, give the lines).
        node_scores: one finite score per node.
        num_lines: how many lines to return (default: up to the last line a node starts
            on); nodes that start past the last line count on it.
        reduce: ``"sum"`` or ``"max"``.

    Raises:
        ConfigError: the score count is not the node count, or ``reduce`` is unknown.
    """
    if reduce not in ("sum", "max"):
        raise ConfigError(f"reduce must be 'sum' or 'max', got {reduce!r}")
    scores = torch.as_tensor(node_scores, dtype=torch.float64).reshape(-1).cpu()
    num_nodes = int(data.num_nodes)
    if scores.numel() != num_nodes:
        raise ConfigError(f"got {scores.numel()} node scores for a graph of {num_nodes} nodes")
    rows = data.node_span[:, 0].cpu().long()
    if num_lines is not None:
        if num_lines < 1:
            raise ConfigError(f"num_lines must be at least 1, got {num_lines}")
        rows = rows.clamp(max=num_lines - 1)  # a node past the last line counts on it
    size = num_lines if num_lines is not None else (int(rows.max()) + 1 if num_nodes else 0)
    lines = torch.zeros(size, dtype=torch.float64)
    if num_nodes:
        lines.scatter_reduce_(0, rows, scores, reduce="sum" if reduce == "sum" else "amax")
    return [float(v) for v in lines.tolist()]


def split_lines(source: str | bytes) -> list[str]:
    """The lines of ``source`` as :func:`render_html` shows them (``\\n`` ends a line, as
    for tree-sitter's rows; the newline that ends the file opens no line of its own)."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def render_html(
    source: str | bytes,
    data: Data,
    line_scores: Sequence[float] | None = None,
    title: str = "",
    *,
    node_scores: Sequence[float] | torch.Tensor | None = None,
    score_label: str = "score",
    max_nodes: int = DEFAULT_MAX_DRAWN_NODES,
) -> str:
    """One self-contained HTML page: ``source`` with line numbers beside a drawing of ``data``.

    Args:
        source: the program ``data`` was built from (``str`` or UTF-8 ``bytes``).
        data: its graph from ``CodeGraphBuilder.build`` (``node_span``, ``node_kind``,
            ``edge_index``, ``edge_type``, ``has_error``).
        line_scores: optional score of each source line (``line_scores[i]`` for line
            ``i + 1``; a shorter list leaves the later lines unscored), finite and ≥ 0:
            drawn as a red heat map behind the lines, shaded relative to the highest.
        title: the page's heading (for example the file name).
        node_scores: optional score of each node (finite, ≥ 0), shading the drawn nodes.
        score_label: what the scores are, shown in the heat map's legend.
        max_nodes: draw at most this many nodes (the first in source order), with a note.

    Raises:
        ConfigError: bad scores (wrong count, negative or not finite) or ``max_nodes < 1``.
    """
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ConfigError(f"max_nodes must be a positive int, got {max_nodes!r}")
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    lines = split_lines(text)
    num_nodes = int(data.num_nodes)
    scores = _check_scores(line_scores, "line_scores", len(lines), exact=False)
    nodes = _check_scores(node_scores, "node_scores", num_nodes, exact=True)
    drawn = min(num_nodes, max_nodes)
    spans: list[list[int]] = data.node_span[:drawn].tolist()
    kinds: list[int] = data.node_kind[:drawn].tolist()
    edges = _forward_edges(data, drawn)
    counts = _edge_counts(data)
    svg = _svg(_source_lines(text) or [], spans, kinds, edges, nodes)
    heading = title or "program graph"
    summary = (
        f"{num_nodes:,} nodes · {sum(counts.values()):,} edges (forward; each has a reverse "
        f"edge in the graph) · syntax errors: {'yes' if bool(data.has_error.any()) else 'none'}"
    )
    notes = []
    if drawn < num_nodes:
        last_line = max((span[0] for span in spans), default=0) + 1
        notes.append(
            f"Large graph: drawing the first {drawn:,} of {num_nodes:,} nodes (source order, "
            f"up to line {last_line:,}) and the edges among them; "
            f"{'the source and the heat map cover' if scores is not None else 'the source covers'}"
            " the whole file."
        )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(heading)} · yantra-gnn graph</title>",
        f"<style>{_CSS}</style></head><body>",
        f'<header><h1>{_esc(heading)}</h1><p class="summary">{_esc(summary)}</p>',
        *(f'<p class="note cap">{_esc(note)}</p>' for note in notes),
        _legend(counts),
        _heat_legend(scores, nodes, score_label) if scores is not None or nodes is not None else "",
        "</header>",
        '<main><section id="src" class="pane">',
        _source_rows(lines, scores),
        '</section><section id="graph-pane" class="pane">',
        '<button id="fit" type="button" title="fit the drawing to the pane width">fit</button>',
        svg,
        "</section></main>",
        f"<script>{_JS}</script>",
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


# ---------------------------------------------------------------------------- checks


def _check_scores(
    values: Sequence[float] | torch.Tensor | None, name: str, size: int, exact: bool
) -> list[float] | None:
    if values is None:
        return None
    if isinstance(values, torch.Tensor):
        values = values.detach().reshape(-1).cpu().tolist()
    scores = [float(v) for v in values]
    if (len(scores) != size) if exact else (len(scores) > size):
        bound = "" if exact else "at most "
        raise ConfigError(f"{name} has {len(scores)} values, expected {bound}{size}")
    bad = next((v for v in scores if not math.isfinite(v) or v < 0), None)
    if bad is not None:
        raise ConfigError(f"{name} must be finite and >= 0, got {bad}")
    return scores


# ---------------------------------------------------------------------------- edges


def _forward_edges(data: Data, drawn: int) -> list[tuple[int, int, int]]:
    """(source, target, type) of every forward edge between drawn nodes, in a fixed order."""
    edge_index, edge_type = data.edge_index.cpu(), data.edge_type.cpu()
    keep = (edge_type < len(FORWARD_EDGE_TYPES)) & (edge_index < drawn).all(dim=0)
    kept_index, kept_type = edge_index[:, keep], edge_type[keep]
    return [
        (a, b, t) for (a, b), t in zip(kept_index.t().tolist(), kept_type.tolist(), strict=True)
    ]


def _edge_counts(data: Data) -> dict[str, int]:
    """Forward edges per type present in the whole graph, in ``FORWARD_EDGE_TYPES`` order."""
    counts = torch.bincount(data.edge_type.cpu(), minlength=len(EDGE_TYPES)).tolist()
    return {name: counts[i] for i, name in enumerate(FORWARD_EDGE_TYPES) if counts[i]}


# ---------------------------------------------------------------------------- layout


def _layout(
    num_nodes: int, edges: list[tuple[int, int, int]]
) -> tuple[list[float], list[float], list[bool]]:
    """x (by depth), y (leaves one row each, in order; a parent centred on its children)
    and whether each node is a leaf. Iterative: node ids are pre-order, parents first."""
    parent = [-1] * num_nodes
    for a, b, t in edges:
        if t == 0 and a < b and parent[b] < 0:  # ast_child: parent → child
            parent[b] = a
    children: list[list[int]] = [[] for _ in range(num_nodes)]
    for node in range(1, num_nodes):
        if parent[node] >= 0:
            children[parent[node]].append(node)
    depth = [0] * num_nodes
    for node in range(num_nodes):
        if parent[node] >= 0:
            depth[node] = depth[parent[node]] + 1
    leaf = [not kids for kids in children]
    y = [0.0] * num_nodes
    row = 0
    for node in range(num_nodes):
        if leaf[node]:
            y[node] = _MARGIN + 10 + row * _DY
            row += 1
    for node in range(num_nodes - 1, -1, -1):
        if not leaf[node]:
            y[node] = (y[children[node][0]] + y[children[node][-1]]) / 2
    x = [float(_MARGIN + 6 + d * _DX) for d in depth]
    return x, y, leaf


# ---------------------------------------------------------------------------- drawing


def _svg(
    source_lines: list[bytes],
    spans: list[list[int]],
    kinds: list[int],
    edges: list[tuple[int, int, int]],
    node_scores: list[float] | None,
) -> str:
    n = len(spans)
    x, y, leaf = _layout(n, edges)
    names: dict[int, str] = {}
    labels: list[str] = []
    snippets: list[str] = []
    anchor: list[float] = []  # where dataflow curves meet a node: the end of a leaf's label
    for i in range(n):
        if kinds[i] not in names:
            names[kinds[i]] = kind_name(kinds[i])
        snippet = _node_text(source_lines, spans[i], limit=40)
        snippets.append(snippet)
        if leaf[i]:
            label = snippet or names[kinds[i]]
            label = label if len(label) <= 24 else label[:23] + "…"
            anchor.append(x[i] + 10 + _CHAR * len(label))
        else:
            label = _short_kind(names[kinds[i]])
            anchor.append(x[i])
        labels.append(label)
    width = max([200.0, *anchor])
    by_type: dict[int, list[str]] = {}
    for a, b, t in edges:
        if FORWARD_EDGE_TYPES[t] in _SYNTAX_DRAWN:
            path, reach = _syntax_path(t, x[a], y[a], x[b], y[b])
        else:
            path, reach = _flow_path(anchor[a], y[a], anchor[b], y[b])
        width = max(width, reach)
        by_type.setdefault(t, []).append(f'<path d="{path}"/>')
    # Nodes are shaded from the lowest score to the highest: a model's node scores are
    # close together (a softmax over hundreds of nodes), and 0 → max would shade them all.
    low, top = (min(node_scores), max(node_scores)) if node_scores else (0.0, 0.0)
    node_parts = []
    for i in range(n):
        kind = kinds[i]
        name = names[kind]
        r0, c0, r1, c1 = spans[i]
        classes = "n" + (" leaf" if leaf[i] else "") + (" err" if kind == ERROR_KIND_ID else "")
        tooltip = f"#{i} {name}" + (f" “{snippets[i]}”" if snippets[i] else "")
        tooltip += f"  L{r0 + 1}:{c0}–L{r1 + 1}:{c1}"
        style = ""
        if node_scores is not None:
            tooltip += f"  score {_fmt(node_scores[i])}"
            alpha = (node_scores[i] - low) / (top - low) if top > low else 0.0
            style = f' style="fill:rgba({_HEAT_RGB},{alpha:.3f})"'
        if leaf[i]:
            text = f'<text x="8" y="4">{_esc(labels[i])}</text>'
        else:
            text = f'<text class="k" x="7" y="-5">{_esc(labels[i])}</text>'
        node_parts.append(
            f'<g class="{classes}" data-r0="{r0}" data-r1="{r1}" '
            f'transform="translate({x[i]:.1f},{y[i]:.1f})">'
            f'<circle r="{4.5 if leaf[i] else 5.5}"{style}/>{text}'
            f"<title>{_esc(tooltip)}</title></g>"
        )
    height = max(y, default=0.0) + _MARGIN + 10
    width += _MARGIN
    markers = "".join(
        f'<marker id="arrow-{name}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" '
        f'markerHeight="6" orient="auto"><path d="M0,0L8,4L0,8z" fill="{colour}"/></marker>'
        for name, colour in EDGE_COLOURS.items()
    )
    hidden = " ".join(f"hide-{name}" for name in DEFAULT_HIDDEN_EDGE_TYPES)
    groups = []
    for t in sorted(by_type):
        name = FORWARD_EDGE_TYPES[t]
        dash = f' stroke-dasharray="{_DASHED[name]}"' if name in _DASHED else ""
        arrow = "" if name == "ast_child" else f' marker-end="url(#arrow-{name})"'
        groups.append(
            f'<g class="e e-{name}" stroke="{EDGE_COLOURS[name]}"{dash}{arrow}>'
            + "".join(by_type[t])
            + "</g>"
        )
    return (
        f'<svg id="graph" class="{hidden}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="program graph">'
        f"<defs>{markers}</defs>" + "".join(groups) + "".join(node_parts) + "</svg>"
    )


_SYNTAX_DRAWN = ("ast_child", "next_sibling", "next_token")


def _syntax_path(t: int, x1: float, y1: float, x2: float, y2: float) -> tuple[str, float]:
    """The SVG path of a syntax edge (between node centres) and how far right it reaches."""
    name = FORWARD_EDGE_TYPES[t]
    if name == "ast_child":  # elbow: along the parent's row, down the bar, into the child
        bar = x2 - 12
        return f"M{x1:.1f},{y1:.1f}H{bar:.1f}V{y2:.1f}H{x2 - 5:.1f}", x2
    if name == "next_sibling":  # siblings share a column: a small bow to the left
        bow = min(x1, x2) - 10
    else:  # next_token: leaf to the next leaf, a small bow to the right
        bow = max(x1, x2) + 12
    return f"M{x1:.1f},{y1:.1f}C{bow:.1f},{y1:.1f} {bow:.1f},{y2:.1f} {x2:.1f},{y2:.1f}", x2


def _flow_path(x1: float, y1: float, x2: float, y2: float) -> tuple[str, float]:
    """A dataflow curve bowing right, further for rows further apart; how far it reaches."""
    right = max(x1, x2)
    bow = right + 22 + min(140.0, 0.22 * abs(y2 - y1))
    if y1 == y2 and x1 == x2:  # a self loop
        return (
            f"M{x1:.1f},{y1:.1f}C{bow:.1f},{y1 - 14:.1f} {bow:.1f},{y1 + 14:.1f} "
            f"{x1 + 4:.1f},{y1 + 3:.1f}",
            bow,
        )
    reach = right + 0.75 * (bow - right)
    return f"M{x1:.1f},{y1:.1f}C{bow:.1f},{y1:.1f} {bow:.1f},{y2:.1f} {x2:.1f},{y2:.1f}", reach


def _short_kind(name: str) -> str:
    short = _SHORT_KINDS.get(name, name)
    for suffix, replacement in (("_statement", ""), ("_clause", ""), ("_expression", "")):
        if short.endswith(suffix) and short != suffix:
            short = short[: -len(suffix)] + replacement
    return short if len(short) <= 10 else short[:9] + "…"


def _legend(counts: dict[str, int]) -> str:
    items = []
    for name, count in counts.items():
        dash = "dashed" if name in _DASHED else "solid"
        off = " off" if name in DEFAULT_HIDDEN_EDGE_TYPES else ""
        items.append(
            f'<li class="key{off}" data-type="{name}" title="click to hide or show">'
            f'<span class="sw" style="border-top:3px {dash} {EDGE_COLOURS[name]}"></span>'
            f'{name} <span class="count">{count:,}</span></li>'
        )
    return (
        '<ul id="legend" aria-label="edge types (click to hide or show)">'
        + "".join(items)
        + '<li class="hint">click a type to hide or show it · hover a node or a line</li></ul>'
    )


def _heat_legend(scores: list[float] | None, nodes: list[float] | None, label: str) -> str:
    parts = [f"heat map: {_esc(label)}"]
    if scores is not None:
        top = max(scores, default=0.0)
        best = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:3]
        links = ", ".join(
            f'<a href="#L{i + 1}">line {i + 1} ({_fmt(scores[i])})</a>'
            for i in best
            if scores[i] > 0
        )
        parts.append(f"lines shaded from 0 to the highest, {_fmt(top)}")
        if links:
            parts.append(f"highest: {links}")
    if nodes is not None:
        parts.append(
            f"nodes shaded from the lowest score ({_fmt(min(nodes, default=0.0))}) "
            f"to the highest ({_fmt(max(nodes, default=0.0))})"
        )
    return '<p id="heat-legend"><span class="bar"></span> ' + " · ".join(parts) + "</p>"


def _source_rows(lines: list[str], scores: list[float] | None) -> str:
    top = max(scores, default=0.0) if scores else 0.0
    rows = []
    for i, line in enumerate(lines):
        attributes = f'class="ln" id="L{i + 1}" data-r="{i}"'
        if scores is not None and i < len(scores):
            alpha = 0.85 * scores[i] / top if top > 0 else 0.0
            attributes = (
                f'class="ln heat" id="L{i + 1}" data-r="{i}" '
                f'title="line {i + 1}: {_fmt(scores[i])}" '
                f'style="background-color:rgba({_HEAT_RGB},{alpha:.3f})"'
            )
        rows.append(
            f'<div {attributes}><span class="no">{i + 1}</span>'
            f'<span class="code">{_esc(line)}</span></div>'
        )
    return "".join(rows)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#202124;
background:#fff;display:flex;flex-direction:column;height:100vh}
header{padding:8px 14px;border-bottom:1px solid #dadce0;flex:none}
h1{font-size:16px;margin:0 0 2px}
p{margin:2px 0}
.summary{color:#5f6368}
.note{background:#fef7e0;border:1px solid #f9ab00;padding:3px 8px;border-radius:4px}
#legend{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px 14px}
.key{cursor:pointer;user-select:none;white-space:nowrap}
.key.off{opacity:.4}
.key .count{color:#5f6368}
.sw{display:inline-block;width:22px;vertical-align:middle;margin-right:5px}
.hint{color:#80868b;font-style:italic}
#heat-legend .bar{display:inline-block;width:60px;height:10px;vertical-align:middle;
background:linear-gradient(90deg,rgba(214,39,40,0),rgba(214,39,40,.85));border:1px solid #ccc}
main{flex:1;display:flex;min-height:0}
.pane{overflow:auto;height:100%}
#src{flex:0 0 40%;border-right:1px solid #dadce0;padding:6px 0;
font:12px/18px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
.ln{height:18px;white-space:pre;tab-size:4;padding-right:10px}
.ln .no{display:inline-block;width:4.5em;padding-right:1em;text-align:right;color:#9aa0a6;
user-select:none}
.ln.hl{background-image:linear-gradient(rgba(26,115,232,.22),rgba(26,115,232,.22));
box-shadow:inset 3px 0 0 #1a73e8}
.ln:target .no{color:#d62728;font-weight:bold}
#graph-pane{flex:1;position:relative}
#fit{position:sticky;top:6px;left:calc(100% - 50px);z-index:1;font-size:11px}
#graph-pane.fit svg{width:100%;height:auto}
svg{display:block}
svg .e{fill:none;stroke-width:1.4;stroke-opacity:.75}
svg .e-ast_child{stroke-width:1;stroke-opacity:.6}
svg .n circle{fill:#fff;stroke:#5f6368;stroke-width:1.3}
svg .n.leaf circle{stroke:#1a73e8}
svg .n.err circle{stroke:#d62728;stroke-width:2.5}
svg .n text{font:11px ui-monospace,"DejaVu Sans Mono",Menlo,monospace;fill:#202124}
svg .n text.k{font-size:10px;fill:#80868b}
svg .n{cursor:pointer}
svg .n.on circle{stroke:#1a73e8;stroke-width:3}
svg .n.on text{fill:#1a73e8;font-weight:bold}
""" + "".join(f"svg.hide-{name} .e-{name}{{display:none}}\n" for name in FORWARD_EDGE_TYPES)

_JS = """
(function(){
var svg=document.getElementById('graph'),src=document.getElementById('src');
var pane=document.getElementById('graph-pane'),lines=src.querySelectorAll('.ln');
var nodes=svg.querySelectorAll('g.n'),byLine={};
for(var i=0;i<nodes.length;i++){var r=nodes[i].getAttribute('data-r0');
(byLine[r]=byLine[r]||[]).push(nodes[i]);}
function span(n){return [+n.getAttribute('data-r0'),+n.getAttribute('data-r1')];}
function mark(n,on){var s=span(n);n.classList.toggle('on',on);
for(var r=s[0];r<=s[1]&&r<lines.length;r++)lines[r].classList.toggle('hl',on);}
function nodeOf(e){return e.target.closest?e.target.closest('g.n'):null;}
function lineOf(e){return e.target.closest?e.target.closest('.ln'):null;}
svg.addEventListener('mouseover',function(e){var n=nodeOf(e);if(n)mark(n,true);});
svg.addEventListener('mouseout',function(e){var n=nodeOf(e);if(n)mark(n,false);});
svg.addEventListener('click',function(e){var n=nodeOf(e);
if(n&&lines[span(n)[0]])lines[span(n)[0]].scrollIntoView({block:'center'});});
function markLine(e,on){var l=lineOf(e);if(!l)return;
(byLine[l.getAttribute('data-r')]||[]).forEach(function(n){n.classList.toggle('on',on);});}
src.addEventListener('mouseover',function(e){markLine(e,true);});
src.addEventListener('mouseout',function(e){markLine(e,false);});
src.addEventListener('click',function(e){var l=lineOf(e);if(!l)return;
var ns=byLine[l.getAttribute('data-r')];
if(ns)ns[0].scrollIntoView({block:'center',inline:'center'});});
document.querySelectorAll('#legend .key').forEach(function(k){
k.addEventListener('click',function(){var t=k.getAttribute('data-type');
svg.classList.toggle('hide-'+t);k.classList.toggle('off');});});
document.getElementById('fit').addEventListener('click',function(){
pane.classList.toggle('fit');});
document.body.setAttribute('data-ready','1');
})();
"""
