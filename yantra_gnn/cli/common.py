"""What every command shares: logging set-up and library errors turned into one line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from yantra_gnn.errors import YantraError
from yantra_gnn.files import read_source_file
from yantra_gnn.graph import DEFAULT_MAX_SOURCE_BYTES


def run_handler(
    prog: str, handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace
) -> int:
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


def standalone_main(module_name: str, argv: list[str] | None = None) -> int:
    """``python -m yantra_gnn.cli.<command>``: one command on its own, with ``-v``."""
    import importlib

    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(
        prog=f"python -m {module_name}", description=module.DESCRIPTION
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    return run_handler(parser.prog, module.run, args)


def read_source(path: Path) -> bytes:
    """The bytes of a source file, or of stdin for ``-``; errors name the file."""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    return read_source_file(path)


def add_max_bytes_argument(parser: argparse.ArgumentParser) -> None:
    """``--max-bytes``: the source size cap of the graph builder."""
    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_SOURCE_BYTES,
        metavar="N",
        help=f"refuse files larger than N bytes (default {DEFAULT_MAX_SOURCE_BYTES:,})",
    )
