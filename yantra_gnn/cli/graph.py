"""``yantra-gnn graph FILE.py``: build a file's graph, print a summary, export JSON / DOT,
or draw it as one self-contained HTML page (``--html``, with ``--model`` a heat map of the
model's bug-location scores over the source lines)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from yantra_gnn.cli.common import add_max_bytes_argument, read_source
from yantra_gnn.defaults import DEFAULT_MAX_DRAWN_NODES
from yantra_gnn.errors import ConfigError, SourceError
from yantra_gnn.files import atomic_write_text

if TYPE_CHECKING:
    from torch_geometric.data import Data

    from yantra_gnn.graph.builder import CodeGraphBuilder
    from yantra_gnn.predict import Predictor

NAME = "graph"
DESCRIPTION = (
    "Build the AST + dataflow graph of a Python file and print a summary; "
    "optionally write it as JSON or Graphviz DOT, or draw it as one self-contained HTML "
    "page beside the source (--html), with --model the bug-location scores as a heat map."
)

#: How node probabilities become line scores in the heat map (see the page's legend).
LINE_REDUCE: Literal["sum", "max"] = "sum"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``graph`` options."""
    parser.add_argument("file", type=Path, help="Python source file ('-' reads stdin)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the graph as JSON")
    parser.add_argument("--dot", type=Path, metavar="OUT", help="write the graph as Graphviz DOT")
    parser.add_argument(
        "--dot-edges",
        default=None,
        help="comma-separated edge types for --dot (default: all forward types)",
    )
    parser.add_argument(
        "--html",
        type=Path,
        metavar="OUT",
        help="write one self-contained HTML page (no network): the source beside the graph, "
        "edges coloured by type",
    )
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="with --html: shade the source lines by this model's bug-location scores "
        "(a file from save_model_for_inference, a checkpoint, or a shipped model's name such "
        "as yantra-gnn/default); the graph is then built with imports stripped, as the "
        "model sees the program",
    )
    parser.add_argument(
        "--max-drawn",
        type=int,
        default=DEFAULT_MAX_DRAWN_NODES,
        metavar="N",
        help=f"with --html: draw at most N nodes, the first in source order "
        f"(default {DEFAULT_MAX_DRAWN_NODES}; the page says when it cuts)",
    )
    parser.add_argument(
        "--strip-imports", action="store_true", help="remove import statements first"
    )
    add_max_bytes_argument(parser)


def run(args: argparse.Namespace) -> int:
    # torch and the graph code load here, not for --help
    from yantra_gnn.graph.builder import CodeGraphBuilder
    from yantra_gnn.graph.export import check_edge_types, dumps, summarize, to_dot, to_json

    edge_types = tuple(args.dot_edges.split(",")) if args.dot_edges else None
    check_edge_types(edge_types or ())  # before any work
    if args.model is not None and args.html is None:
        raise ConfigError("--model draws a heat map on the --html page; add --html OUT")
    if args.max_drawn < 1:
        raise ConfigError(f"--max-drawn must be at least 1, got {args.max_drawn}")
    source = read_source(args.file)
    builder = CodeGraphBuilder(max_source_bytes=args.max_bytes)
    predictor = _load_predictor(args.model, builder) if args.model is not None else None
    try:
        if predictor is not None:  # exactly the graph the model reads (imports stripped)
            data = predictor.build_graph(source)
        else:
            data = builder.build(source, strip_imports=args.strip_imports)
    except SourceError as error:
        raise type(error)(f"{args.file}: {error}") from None
    if predictor is not None and not args.strip_imports:
        print("--model: imports stripped, as the model sees the program")
    summary = summarize(data)
    print(f"{args.file}: {summary['nodes']} nodes, {summary['edges']} edges (with reverses)")
    for name, count in summary["edges_per_type"].items():
        print(f"  {name:<14} {count:>6}")
    if summary["has_error"]:
        print(f"  syntax errors: yes ({summary['error_nodes']} ERROR nodes; graph built anyway)")
    else:
        print("  syntax errors: none")
    if args.json:
        args.json.write_text(dumps(to_json(data, source)), encoding="utf-8")
        print(f"wrote {args.json}")
    if args.dot:
        args.dot.write_text(to_dot(data, source, edge_types), encoding="utf-8")
        print(f"wrote {args.dot} (render: dot -Tsvg {args.dot} -o graph.svg)")
    if args.html:
        _write_html(args, source, data, predictor)
    return 0


def _load_predictor(path: str, builder: CodeGraphBuilder) -> Predictor:
    from yantra_gnn.predict import Predictor  # torch model code only when asked for

    return Predictor.from_pretrained(path, device="cpu", builder=builder)


def _write_html(
    args: argparse.Namespace, source: bytes, data: Data, predictor: Predictor | None
) -> None:
    from yantra_gnn.graph.html import line_scores_from_nodes, render_html, split_lines

    line_scores = node_scores = None
    label = "score"
    if predictor is not None:
        import torch

        with torch.inference_mode():
            logits = predictor.model(data).bug_node_logits.float().cpu()
        node_scores = torch.softmax(logits, dim=0)
        line_scores = line_scores_from_nodes(
            data, node_scores, num_lines=len(split_lines(source)), reduce=LINE_REDUCE
        )
        label = (
            f"bug-location probability of the model {args.model}: per line the {LINE_REDUCE} "
            f"over the nodes that start on it (softmax over the graph's {int(data.num_nodes):,} "
            "nodes)"
        )
    page = render_html(
        source,
        data,
        line_scores,
        title=str(args.file),
        node_scores=node_scores,
        score_label=label,
        max_nodes=args.max_drawn,
    )
    atomic_write_text(args.html, page)
    drawn = min(int(data.num_nodes), args.max_drawn)
    cut = f", {drawn:,} of {int(data.num_nodes):,} nodes drawn" if drawn < data.num_nodes else ""
    print(f"wrote {args.html} (open it in a browser{cut})")
