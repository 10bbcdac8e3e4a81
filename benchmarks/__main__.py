"""Run the benchmark suite: ``python -m benchmarks [--quick] [--only NAME] [--device cpu]``.

Prints one JSON document (the header: machine, load, versions; one object per entry:
value, unit, the baseline measured in the same run, the ratio, the target and whether
it is met) and then the same as a markdown table. docs/benchmarks.md describes the
entries and holds a full run.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from benchmarks import suite


def _names(values: Sequence[str]) -> list[str]:
    """``--only a,b --only c`` → ``[a, b, c]``."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smaller sizes and {suite.QUICK_REPEATS} rounds (under 2 minutes on 2 cores); "
        "entries say what they shrank",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this entry (repeatable, or a comma list); --list names them",
    )
    parser.add_argument("--list", action="store_true", help="list the entries and exit")
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the models run: cpu (default), cuda, cuda:N, mps or auto",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help=f"interleaved rounds per entry (default {suite.DEFAULT_REPEATS}, "
        f"--quick {suite.QUICK_REPEATS})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads of the training entries (default: the Trainer's, 1); "
        "predict_one measures 1 and 2 threads, predict_batch runs at the Predictor's 1",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="CodeContests-schema jsonl (default: ../shared/data/codecontests_mini.jsonl)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--markdown", type=Path, default=None, help="also write the markdown table here"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="Sparse invariant checks")
    if args.list:
        for item in suite.entries().values():
            target = " and ".join(c.text() for c in item.target) or "none, a bound"
            print(f"{item.name}: {item.title} (target: {target})")
        return 0
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be >= 1, got {args.repeats}")
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    try:
        chosen = suite.select(_names(args.only))
    except KeyError as error:
        parser.error(str(error.args[0]))
    from yantra_gnn.device import resolve_device
    from yantra_gnn.errors import DeviceError

    try:
        device = resolve_device(args.device)
    except DeviceError as error:
        parser.error(str(error))
    context = suite.Context(
        quick=args.quick, repeats=args.repeats, device=device, data=args.data, threads=args.threads
    )
    document = suite.run_suite(chosen, context, suite.command_line(argv))
    text = json.dumps(document, indent=2)
    markdown = suite.render_markdown(document)
    print(text)
    print()
    print(markdown, end="")
    if args.out:
        suite.write_text(args.out, text + "\n")
    if args.markdown:
        suite.write_text(args.markdown, markdown)
    return 1 if any("error" in result for result in document["entries"]) else 0


if __name__ == "__main__":
    sys.exit(main())
