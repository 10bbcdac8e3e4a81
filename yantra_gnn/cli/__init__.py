"""The ``yantra-gnn`` command line: one sub-command per module of this package.

Every command module defines ``NAME``, ``DESCRIPTION``, ``add_arguments(parser)`` and
``run(args) -> int``; its one-line help is in :data:`COMMANDS`, so that
``yantra-gnn --help`` lists the commands without importing them (they load torch).
:func:`build_parser` adds one sub-parser per command; :func:`main` builds the options of
the command it runs only. The library below this package has no command-line code of
its own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Collection
from typing import Any

from yantra_gnn.version import __version__

#: Command name -> (its module, its one-line help), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "graph": ("yantra_gnn.cli.graph", "build the AST + dataflow graph of a Python file"),
    "download": ("yantra_gnn.cli.download", "download and prepare CodeContests"),
    "shard": (
        "yantra_gnn.cli.shard",
        "write a prepared dataset's graphs as shards for streaming training",
    ),
    "sandbox": (
        "yantra_gnn.cli.sandbox",
        "run a Python program in the sandbox (optionally judge its output)",
    ),
    "train": (
        "yantra_gnn.cli.train",
        "train a model on CodeContests (default: the bundled sample when offline)",
    ),
    "pretrain": (
        "yantra_gnn.cli.pretrain",
        "pretrain on functions of the standard library and installed packages (no tests)",
    ),
    "predict": ("yantra_gnn.cli.predict", "predict confidence, imports and bugs for Python files"),
    "evaluate": (
        "yantra_gnn.cli.evaluate",
        "score a model and honest baselines on a prepared split, HumanEval or ConDefects",
    ),
    "models": (
        "yantra_gnn.cli.models",
        "the local model registry: list, show, add, promote, remove versioned models",
    ),
    "learn": (
        "yantra_gnn.cli.learn",
        "update a model from tested programs streamed as JSON lines on stdin",
    ),
    "serve": (
        "yantra_gnn.cli.serve",
        "keep a model loaded and answer predictions (JSON lines on stdio, or HTTP)",
    ),
}

#: The command modules, in the order ``yantra-gnn --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = tuple(module for module, _ in COMMANDS.values())

__all__ = ["COMMANDS", "COMMAND_MODULES", "build_parser", "main", "run_handler"]


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``yantra-gnn`` parser with every sub-command of :data:`COMMANDS`.

    ``commands``: the sub-commands whose module is imported and whose options are added
    (default: all); the others are listed with their one-line help only.
    """
    parser = argparse.ArgumentParser(
        prog="yantra-gnn",
        description="Graph-native GNN tools for Python code (graphs, training, prediction).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument(
        "--version", action="version", version=f"yantra-gnn {__version__}", help="show the version"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        if commands is not None and name not in commands:
            subparsers.add_parser(name, help=help_text)
            continue
        module = importlib.import_module(module_name)
        command = subparsers.add_parser(name, help=help_text, description=module.DESCRIPTION)
        module.add_arguments(command)
        command.set_defaults(func=module.run)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names: its first word not starting with ``-``.

    The top-level options take no value, so that word is the command (or a typo that
    the parser then reports).
    """
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run ``yantra-gnn`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    parser = build_parser(commands=[command] if command in COMMANDS else [])
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from yantra_gnn.cli.common import run_handler

    return run_handler(f"yantra-gnn {args.command}", args.func, args)


def __getattr__(name: str) -> Any:
    # ``from yantra_gnn.cli import run_handler`` (kept for callers) without importing
    # ``yantra_gnn.cli.common`` for every ``yantra-gnn --help``.
    if name == "run_handler":
        from yantra_gnn.cli.common import run_handler

        return run_handler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    sys.exit(main())
