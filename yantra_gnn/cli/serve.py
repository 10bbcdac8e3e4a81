"""``yantra-gnn serve --model M``: keep a model loaded and answer predictions."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from yantra_gnn.cli.common import add_max_bytes_argument, add_precision_argument
from yantra_gnn.defaults import DEFAULT_MODEL, DEFAULT_NUM_THREADS
from yantra_gnn.errors import ConfigError
from yantra_gnn.home import MODELS_DIR, MODELS_DIR_ENV

if TYPE_CHECKING:
    from yantra_gnn.serve.service import LoadedModel

NAME = "serve"
DESCRIPTION = (
    "Keep a model loaded and answer predictions: JSON lines on stdin/stdout (default) or "
    "HTTP on localhost (--http). Requests that arrive within the batch window share one "
    "forward pass; the model is swapped without a restart by a reload command, "
    "POST /admin/reload or SIGHUP. docs/serving.md describes the protocols."
)

#: Defaults, repeated from yantra_gnn.serve (which imports torch) for --help.
_BATCH_WINDOW_MS = 2.0
_MAX_BATCH = 32
_TOP_K = 5
_MAX_REQUEST_BYTES = 1024 * 1024
_PORT = 8765


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` options."""
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="REF",
        help=f"NAME@VERSION, NAME@latest, NAME@production (the registry), a model file, or "
        f"a shipped model's name (default: {DEFAULT_MODEL})",
    )
    parser.add_argument(
        "--registry",
        default=None,
        metavar="DIR",
        help=f"the model registry (default: ${MODELS_DIR_ENV}, else {MODELS_DIR})",
    )
    parser.add_argument(
        "--http", action="store_true", help="serve HTTP instead of JSON lines on stdin/stdout"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="HTTP address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=_PORT, help=f"HTTP port (default {_PORT}; 0: a free one)"
    )
    parser.add_argument(
        "--max-request-bytes",
        type=int,
        default=_MAX_REQUEST_BYTES,
        metavar="N",
        help=f"refuse HTTP bodies and stdin lines longer than N bytes (default {_MAX_REQUEST_BYTES:,})",
    )
    parser.add_argument(
        "--batch-window-ms",
        type=float,
        default=_BATCH_WINDOW_MS,
        metavar="MS",
        help=f"how long a request waits for others to share its forward pass (default "
        f"{_BATCH_WINDOW_MS:g})",
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=_MAX_BATCH,
        metavar="N",
        help=f"the most requests per forward pass (default {_MAX_BATCH})",
    )
    parser.add_argument(
        "--top-k",
        type=int,
        default=_TOP_K,
        metavar="K",
        help=f"imports and bugs per answer unless a request asks otherwise (default {_TOP_K})",
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N or mps")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_NUM_THREADS,
        metavar="N",
        help=f"CPU threads per forward pass (default {DEFAULT_NUM_THREADS})",
    )
    add_precision_argument(parser)
    add_max_bytes_argument(parser)


def run(args: argparse.Namespace) -> int:
    for name in ("max_request_bytes", "max_batch", "top_k", "threads"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    if args.batch_window_ms < 0:
        raise ConfigError("--batch-window-ms must be >= 0")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be in [0, 65535], got {args.port}")
    from yantra_gnn.graph.builder import CodeGraphBuilder  # torch only past --help
    from yantra_gnn.registry import ModelRegistry
    from yantra_gnn.serve.service import PredictionService, load_model, reload_on_sighup

    registry = ModelRegistry(args.registry)
    builder = CodeGraphBuilder(max_source_bytes=args.max_bytes)

    def loader(requested: str) -> LoadedModel:
        return load_model(
            requested,
            registry=registry,
            device=args.device,
            num_threads=args.threads,
            builder=builder,
            precision=args.precision,
        )

    service = PredictionService(
        loader(args.model),
        loader=loader,
        batch_window_ms=args.batch_window_ms,
        max_batch=args.max_batch,
        top_k=args.top_k,
    )
    try:
        if args.http:
            from yantra_gnn.serve.http import serve_http

            serve_http(
                service, host=args.host, port=args.port, max_request_bytes=args.max_request_bytes
            )
            return 0
        from yantra_gnn.serve.stdio import serve_stdio

        reload_on_sighup(service)
        protocol, saved = sys.stdout.buffer, sys.stdout
        # Anything else that prints goes to stderr: stdout carries the protocol only.
        sys.stdout = sys.stderr
        try:
            serve_stdio(service, sys.stdin.buffer, protocol, max_line_bytes=args.max_request_bytes)
        finally:
            sys.stdout = saved
        return 0
    finally:
        service.close()
