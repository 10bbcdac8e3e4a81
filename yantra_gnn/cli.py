"""The ``yantra-gnn`` command line: one sub-command per job, each registered by its module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from yantra_gnn.errors import YantraError

# Modules that define ``register_cli(subparsers)``; each adds its own sub-command(s)
# whose parser sets ``func=callable(args) -> int``.
_COMMAND_MODULES: tuple[str, ...] = (
    "yantra_gnn.graph.cli",
    "yantra_gnn.data.codecontests",
    "yantra_gnn.data.sandbox",
    "yantra_gnn.train.cli",
    "yantra_gnn.predict",
    "yantra_gnn.evaluation.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yantra-gnn",
        description="Graph-native GNN tools for Python code (graphs, training, prediction).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _COMMAND_MODULES:
        importlib.import_module(module_name).register_cli(subparsers)
    return parser


def run_handler(prog: str, handler: Callable[[argparse.Namespace], int | None], args) -> int:
    """Configure logging, run a command handler, and turn library errors into one line.

    Returns the handler's exit code, 1 for a :class:`YantraError` (message on stderr,
    no traceback) and 130 for Ctrl-C.
    """
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    try:
        return int(handler(args) or 0)
    except YantraError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_handler(f"yantra-gnn {args.command}", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
