"""``yantra-gnn graph FILE.py``: build a file's graph, print a summary, export JSON / DOT."""

from __future__ import annotations

import argparse
from pathlib import Path

from yantra_gnn.cli.common import add_max_bytes_argument, read_source
from yantra_gnn.errors import SourceError
from yantra_gnn.graph.builder import CodeGraphBuilder
from yantra_gnn.graph.export import check_edge_types, dumps, summarize, to_dot, to_json

NAME = "graph"
HELP = "build the AST + dataflow graph of a Python file"
DESCRIPTION = (
    "Build the AST + dataflow graph of a Python file and print a summary; "
    "optionally write it as JSON or Graphviz DOT."
)


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
        "--strip-imports", action="store_true", help="remove import statements first"
    )
    add_max_bytes_argument(parser)


def run(args: argparse.Namespace) -> int:
    edge_types = tuple(args.dot_edges.split(",")) if args.dot_edges else None
    check_edge_types(edge_types or ())  # before any work
    source = read_source(args.file)
    builder = CodeGraphBuilder(max_source_bytes=args.max_bytes)
    try:
        data = builder.build(source, strip_imports=args.strip_imports)
    except SourceError as error:
        raise type(error)(f"{args.file}: {error}") from None
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
    return 0
