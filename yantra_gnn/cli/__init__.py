"""The ``yantra-gnn`` command line: one sub-command per module of this package.

Every command module defines ``NAME``, ``HELP``, ``DESCRIPTION``,
``add_arguments(parser)`` and ``run(args) -> int``; :func:`build_parser` adds one
sub-parser per module in :data:`COMMAND_MODULES`. The library below this package has
no command-line code of its own.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from yantra_gnn.cli.common import run_handler

#: The command modules, in the order ``yantra-gnn --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "yantra_gnn.cli.graph",
    "yantra_gnn.cli.download",
    "yantra_gnn.cli.sandbox",
    "yantra_gnn.cli.train",
    "yantra_gnn.cli.pretrain",
    "yantra_gnn.cli.predict",
    "yantra_gnn.cli.evaluate",
)

__all__ = ["COMMAND_MODULES", "build_parser", "main", "run_handler"]


def build_parser() -> argparse.ArgumentParser:
    """The ``yantra-gnn`` parser with every sub-command of :data:`COMMAND_MODULES`."""
    parser = argparse.ArgumentParser(
        prog="yantra-gnn",
        description="Graph-native GNN tools for Python code (graphs, training, prediction).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        command = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.DESCRIPTION
        )
        module.add_arguments(command)
        command.set_defaults(func=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``yantra-gnn`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_handler(f"yantra-gnn {args.command}", args.func, args)


if __name__ == "__main__":
    sys.exit(main())
