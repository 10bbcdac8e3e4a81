"""What every command shares: logging set-up and library errors turned into one line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from yantra_gnn.defaults import INFERENCE_PRECISIONS
from yantra_gnn.errors import YantraError
from yantra_gnn.files import read_source_file

#: Libraries whose INFO lines (every HTTP request, every lock taken) would bury the
#: command's own: they log at WARNING and above only while a command runs.
THIRD_PARTY_LOGGERS: tuple[str, ...] = (
    "datasets",
    "filelock",
    "fsspec",
    "httpcore",
    "httpx",
    "huggingface_hub",
    "matplotlib",
    "PIL",
    "urllib3",
)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class TqdmLoggingHandler(logging.Handler):
    """Writes log records with ``tqdm.write``: a progress bar on the terminal is cleared,
    the line printed above it, and the bar redrawn, instead of the line cutting through
    the bar. Writes to the ``sys.stderr`` of the moment (so captured streams work)."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


@contextmanager
def command_logging(verbose: bool = False) -> Iterator[None]:
    """Logging for the length of one command: the library's records at INFO (DEBUG with
    ``verbose``) through :class:`TqdmLoggingHandler` on the root logger, the
    :data:`THIRD_PARTY_LOGGERS` at WARNING. Everything is put back afterwards."""
    root = logging.getLogger()
    handler = TqdmLoggingHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    # Console handlers someone set up before (logging.basicConfig) would print each line
    # a second time, outside tqdm: they are taken off while the command runs.
    console = [
        h
        for h in root.handlers
        if type(h) is logging.StreamHandler and h.stream in (sys.stderr, sys.stdout)
    ]
    levels = {name: logging.getLogger(name).level for name in THIRD_PARTY_LOGGERS}
    root_level = root.level
    for h in console:
        root.removeHandler(h)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for h in console:
            root.addHandler(h)
        root.setLevel(root_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def run_handler(
    prog: str, handler: Callable[[argparse.Namespace], int | None], args: argparse.Namespace
) -> int:
    """Run a command handler with the command's logging, library errors as one line.

    Log lines go through tqdm (:func:`command_logging`), so they never cut through a
    progress bar, and third-party libraries log warnings only.

    Returns the handler's exit code, 1 for a :class:`YantraError` (message on stderr,
    no traceback) and 130 for Ctrl-C.
    """
    with command_logging(verbose=bool(getattr(args, "verbose", False))):
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
    # Here, not at the top: importing yantra_gnn.graph loads torch_geometric, and the
    # parser of ``yantra-gnn --help`` must not.
    from yantra_gnn.graph import DEFAULT_MAX_SOURCE_BYTES

    parser.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_SOURCE_BYTES,
        metavar="N",
        help=f"refuse files larger than N bytes (default {DEFAULT_MAX_SOURCE_BYTES:,})",
    )


def add_precision_argument(parser: argparse.ArgumentParser) -> None:
    """``--precision``: the numeric precision of prediction (``Predictor(precision=...)``)."""
    parser.add_argument(
        "--precision",
        choices=INFERENCE_PRECISIONS,
        default="fp32",
        help="numeric precision of the forward pass (default fp32). bf16: autocast, faster "
        "batches on CPUs with AVX-512 BF16 or AMX, probabilities within about 0.003 of "
        "fp32's; int8: the node-wise products on int8 weights, CPU only, the fastest on "
        "CPUs, probabilities within about 0.015 (docs/model.md)",
    )
