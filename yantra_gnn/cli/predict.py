"""``yantra-gnn predict FILE.py ...``: confidence, imports and bugs of Python files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from torch_geometric.data import Data

from yantra_gnn.checkpoint import DEFAULT_MODEL
from yantra_gnn.cli.common import add_max_bytes_argument, read_source
from yantra_gnn.errors import ConfigError, YantraError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.predict import DEFAULT_NUM_THREADS, Prediction, Predictor

NAME = "predict"
HELP = "predict confidence, imports and bugs for Python files"
DESCRIPTION = (
    "Run a trained yantra-gnn model on Python files and print, for each, the "
    "confidence that it is correct, the imports it needs and the bugs it may hold."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``predict`` options."""
    parser.add_argument("files", nargs="+", metavar="FILE.py", help="Python source files")
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="PATH|NAME",
        help=f"model file (save_model_for_inference) or a shipped model's name (default: "
        f"{DEFAULT_MODEL}, the model shipped in the package; docs/model_card.md)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--top-k", type=int, default=5, metavar="K", help="imports and bugs to show (default 5)"
    )
    parser.add_argument(
        "--embedding", action="store_true", help="include the 256-d embedding in --json output"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_NUM_THREADS,
        metavar="N",
        help=f"CPU threads per forward pass (default {DEFAULT_NUM_THREADS}: steady latency on a "
        "busy machine; docs/model.md)",
    )
    add_max_bytes_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {args.top_k}")
    predictor = Predictor.from_pretrained(
        args.model,
        device=args.device,
        builder=CodeGraphBuilder(max_source_bytes=args.max_bytes),
        num_threads=args.threads,
    )
    names: list[str] = []
    graphs: list[Data] = []
    failures = 0
    for name in args.files:
        try:
            source = read_source(Path(name))  # its errors name the file
            try:
                graphs.append(predictor.build_graph(source))
            except YantraError as error:
                raise type(error)(f"{name}: {error}") from None
            names.append(name)
        except YantraError as error:
            failures += 1
            sys.stderr.write(f"yantra-gnn predict: error: {error}\n")
    predictions = predictor.predict_graphs(graphs)
    if args.json:
        results = [
            {"file": name, **p.to_dict(args.top_k, include_embedding=args.embedding)}
            for name, p in zip(names, predictions, strict=True)
        ]
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        for name, prediction in zip(names, predictions, strict=True):
            sys.stdout.write(_format_table(name, prediction, args.top_k))
    return 1 if failures else 0


def _format_table(name: str, prediction: Prediction, top_k: int) -> str:
    imports = "  ".join(f"{m} {p:.2f}" for m, p in prediction.imports[:top_k])
    bugs = "  ".join(f"{c} {p:.2f} (lines {s}-{e})" for c, p, (s, e) in prediction.bugs[:top_k])
    syntax = "yes" if prediction.has_error else "no"
    return (
        f"{name}\n"
        f"  confidence     {prediction.confidence:.3f}\n"
        f"  syntax errors  {syntax}\n"
        f"  imports        {imports}\n"
        f"  bugs           {bugs}\n"
    )
