"""``yantra-gnn predict FILE.py ...``: confidence, imports and bugs of Python files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from yantra_gnn.cli.common import add_max_bytes_argument, add_precision_argument, read_source
from yantra_gnn.defaults import (
    DEFAULT_MODEL,
    DEFAULT_NUM_THREADS,
    DEFAULT_PRIOR,
    DEFAULT_THRESHOLD,
)
from yantra_gnn.errors import ConfigError, YantraError

if TYPE_CHECKING:
    from torch_geometric.data import Data

    from yantra_gnn.predict import Prediction

NAME = "predict"
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
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        metavar="T",
        help=f"call a file likely correct when its confidence is at least T (default "
        f"{DEFAULT_THRESHOLD}; the confidence is calibrated)",
    )
    parser.add_argument(
        "--prior",
        type=_prior,
        default=DEFAULT_PRIOR,
        metavar="P|none",
        help=f"share of correct programs you expect before reading one (default "
        f"{DEFAULT_PRIOR}); the calibrated confidence is moved to it by Bayes' rule. 'none': "
        "the confidence as calibrated, at the base rate of the model's validation "
        "candidates (docs/model_card.md)",
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
    add_precision_argument(parser)
    add_max_bytes_argument(parser)


def _prior(text: str) -> float | None:
    """``--prior``: a share in (0, 1), or ``none``."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share of correct programs in (0, 1) or 'none', got {text!r}"
        ) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1) (or 'none'), got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.top_k < 1:
        raise ConfigError(f"--top-k must be at least 1, got {args.top_k}")
    if not 0.0 <= args.threshold <= 1.0:
        raise ConfigError(f"--threshold must be in [0, 1], got {args.threshold}")
    from yantra_gnn.graph.builder import CodeGraphBuilder  # torch only past --help
    from yantra_gnn.predict import Predictor

    predictor = Predictor.from_pretrained(
        args.model,
        device=args.device,
        builder=CodeGraphBuilder(max_source_bytes=args.max_bytes),
        num_threads=args.threads,
        precision=args.precision,
        prior=args.prior,
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
            {
                "file": name,
                **p.to_dict(args.top_k, include_embedding=args.embedding),
                "likely_correct": p.likely_correct(args.threshold),
                "threshold": args.threshold,
                "prior": predictor.prior,
            }
            for name, p in zip(names, predictions, strict=True)
        ]
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        ascii_only = not _can_write("\u2265")
        for name, prediction in zip(names, predictions, strict=True):
            sys.stdout.write(
                _format_table(name, prediction, args.top_k, args.threshold, ascii_only)
            )
    return 1 if failures else 0


def _can_write(text: str) -> bool:
    """Whether stdout's encoding can write ``text`` (``≥`` on a non-UTF-8 console)."""
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _format_table(
    name: str, prediction: Prediction, top_k: int, threshold: float, ascii_only: bool = False
) -> str:
    """One file's block: the verdict first, then the numbers behind it; the bug location
    once (the bug-location head points at one place per program, whatever the class)."""
    imports = "  ".join(f"{m} {p:.2f}" for m, p in prediction.imports[:top_k])
    bugs = "  ".join(f"{c} {p:.2f}" for c, p, _ in prediction.bugs[:top_k])
    syntax = "yes" if prediction.has_error else "no"
    lines = [
        name,
        f"  verdict        {prediction.verdict(threshold, ascii_only=ascii_only)}",
        f"  confidence     {prediction.confidence:.3f}",
        f"  syntax errors  {syntax}",
        f"  imports        {imports}",
        f"  bugs           {bugs}",
    ]
    if prediction.bug_lines is not None:
        start, end = prediction.bug_lines
        where = f"line {start}" if start == end else f"lines {start}-{end}"
        lines.append(f"  bug location   {where} (where a bug is most likely, if there is one)")
    return "\n".join(lines) + "\n"
