"""Serving a model: JSON lines over stdio and HTTP on localhost (``yantra-gnn serve``).

- :mod:`yantra_gnn.serve.service`: the loaded model, request checking, answers, hot swap;
- :mod:`yantra_gnn.serve.batching`: micro-batching of requests that arrive together;
- :mod:`yantra_gnn.serve.stdio`: the JSON-lines protocol;
- :mod:`yantra_gnn.serve.http`: the HTTP routes (the ``serve`` extra: starlette, uvicorn).

docs/serving.md describes the protocols.
"""

from __future__ import annotations

from yantra_gnn.serve.batching import MicroBatcher
from yantra_gnn.serve.service import LoadedModel, PredictionService, error_answer, load_model
from yantra_gnn.serve.stdio import serve_stdio

__all__ = [
    "LoadedModel",
    "MicroBatcher",
    "PredictionService",
    "error_answer",
    "load_model",
    "serve_stdio",
]
