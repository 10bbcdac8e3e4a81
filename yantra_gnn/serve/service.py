"""The prediction service behind both servers: the loaded model, requests, answers.

A request is a JSON object ``{"id": ..., "source": "...", "top_k": 5, "embedding":
false}`` (only ``source`` is required); its answer is ``{"id": ..., "model":
"NAME@VERSION", "prediction": {...}}`` or ``{"id": ..., "error": {"code": ...,
"message": ...}}``. :meth:`PredictionService.submit` never raises: a bad request gets
an error answer. Requests are micro-batched (:mod:`yantra_gnn.serve.batching`): those
that arrive within the batch window go through one ``Predictor.predict_graphs`` call.

The model can be swapped while serving (:meth:`PredictionService.reload`): the new one
is loaded completely, then the service's reference is replaced in one assignment. Every
request is answered by the model that was current when it arrived, so requests in
flight finish on the old model and none fails.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yantra_gnn.checkpoint import resolve_model_path
from yantra_gnn.defaults import DEFAULT_NUM_THREADS
from yantra_gnn.device import DeviceLike
from yantra_gnn.errors import ConfigError, YantraError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.predict import Prediction, Predictor
from yantra_gnn.registry import ModelRegistry, parse_reference
from yantra_gnn.serve.batching import MicroBatcher
from yantra_gnn.version import __version__

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BATCH_WINDOW_MS",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_TOP_K",
    "LoadedModel",
    "PredictionService",
    "error_answer",
    "load_model",
    "reload_on_sighup",
]

#: How long a request waits for others to share its forward pass.
DEFAULT_BATCH_WINDOW_MS = 2.0
#: The most requests in one forward pass.
DEFAULT_MAX_BATCH = 32
#: Imports and bugs per answer unless the request asks for another number.
DEFAULT_TOP_K = 5
#: The most imports / bugs a request may ask for.
MAX_TOP_K = 10_000


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model ready to serve: its predictor and what ``GET /model`` tells about it."""

    predictor: Predictor
    #: What was asked for (``NAME@production``, a path, ``yantra-gnn/default``); a reload
    #: without a new reference resolves it again.
    requested: str
    #: ``name``, ``version`` (None outside the registry), ``reference``, ``metrics``,
    #: ``created``, ``feature_spec_version``, ``path``, ``loaded_at``.
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """``NAME@VERSION`` for a registered model, else what was asked for."""
        return str(self.info.get("reference", self.requested))


def load_model(
    requested: str,
    *,
    registry: ModelRegistry | str | os.PathLike[str] | None = None,
    device: DeviceLike = "cpu",
    num_threads: int | None = DEFAULT_NUM_THREADS,
    builder: CodeGraphBuilder | None = None,
    precision: str = "fp32",
) -> LoadedModel:
    """Load a model by registry reference, shipped name or path.

    Raises:
        CheckpointError: as ``Predictor.from_pretrained`` (a reference to nothing, a
            damaged file, another feature spec version).
    """
    registry = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
    path: Path
    info: dict[str, Any]
    if parse_reference(requested) is not None and not Path(requested).expanduser().exists():
        entry = registry.resolve(requested)
        path = entry.path
        card = entry.card
        info = {
            "name": entry.name,
            "version": entry.version,
            "reference": entry.reference,
            "aliases": list(entry.aliases),
            "metrics": entry.metrics,
            "created": card.get("created"),
            "feature_spec_version": card.get("feature_spec_version"),
            "data_fingerprint": card.get("data_fingerprint"),
        }
    else:
        path = resolve_model_path(requested, registry=registry)
        info = {"name": requested, "version": None, "reference": requested, "metrics": {}}
    predictor = Predictor.from_pretrained(
        path, device=device, builder=builder, num_threads=num_threads, precision=precision
    )
    config = predictor.model.config
    info.update(
        path=str(path),
        requested=requested,
        loaded_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        library_version=__version__,
        import_vocab_size=len(config.import_vocab),
        bug_classes=list(config.bug_classes),
        device=str(predictor.device),
    )
    info.setdefault("feature_spec_version", None)
    logger.info("loaded %s (%s) on %s", info["reference"], path, predictor.device)
    return LoadedModel(predictor, requested, info)


def error_answer(request_id: Any, code: str, message: str) -> dict[str, Any]:
    """``{"id": ..., "error": {"code": ..., "message": ...}}``.

    Codes: ``bad_json``, ``bad_request``, ``too_large``, ``bad_source``, ``bad_model``,
    ``internal``.
    """
    return {"id": request_id, "error": {"code": code, "message": message}}


@dataclass(frozen=True)
class _Request:
    id: Any
    source: str
    top_k: int
    embedding: bool


class PredictionService:
    """Answers prediction requests with the current model, micro-batched.

    Args:
        model: the model to start with.
        loader: loads a model by reference (for :meth:`reload`); default
            :func:`load_model` with the first model's device and thread count.
        batch_window_ms: how long the first request of a batch waits for others.
        max_batch: the most requests per forward pass.
        top_k: imports and bugs per answer unless a request says otherwise.
    """

    def __init__(
        self,
        model: LoadedModel,
        *,
        loader: Callable[[str], LoadedModel] | None = None,
        batch_window_ms: float = DEFAULT_BATCH_WINDOW_MS,
        max_batch: int = DEFAULT_MAX_BATCH,
        top_k: int = DEFAULT_TOP_K,
    ) -> None:
        if batch_window_ms < 0:
            raise ConfigError(f"batch window must be >= 0 ms, got {batch_window_ms}")
        if max_batch < 1:
            raise ConfigError(f"max batch must be >= 1, got {max_batch}")
        if top_k < 1:
            raise ConfigError(f"top_k must be >= 1, got {top_k}")
        self._current = model
        self._loader = loader
        self._reload_lock = threading.Lock()
        self.top_k = top_k
        self.requests_answered = 0
        self.batcher: MicroBatcher[_Request, dict[str, Any]] = MicroBatcher(
            self._process, window_s=batch_window_ms / 1000.0, max_batch=max_batch
        )

    @property
    def current(self) -> LoadedModel:
        """The model new requests go to."""
        return self._current

    def submit(self, request: Any) -> Future[dict[str, Any]]:
        """Queue one decoded JSON request; the future's result is its answer (never an
        exception: a bad request gets an error answer)."""
        parsed = self._parse(request)
        if isinstance(parsed, dict):
            done: Future[dict[str, Any]] = Future()
            done.set_result(parsed)
            return done
        inner = self.batcher.submit(parsed, group=self._current)
        outer: Future[dict[str, Any]] = Future()

        def finish(future: Future[dict[str, Any]]) -> None:
            error = future.exception()
            if error is None:
                outer.set_result(future.result())
            else:
                outer.set_result(
                    error_answer(parsed.id, "internal", f"{type(error).__name__}: {error}")
                )

        inner.add_done_callback(finish)
        return outer

    def reload(self, requested: str | None = None) -> LoadedModel:
        """Load ``requested`` (default: resolve the current reference again, so that
        ``NAME@production`` picks up a newly promoted version), then make it current.

        Requests already submitted finish on the model they were sent to.

        Raises:
            CheckpointError: the new model cannot be loaded (the old one stays current).
            ConfigError: ``requested`` is not a string.
        """
        if requested is None:
            requested = self._current.requested
        if not isinstance(requested, str) or not requested:
            raise ConfigError(f"model must be a non-empty string, got {requested!r:.100}")
        with self._reload_lock:  # one load at a time
            loader = self._loader or self._default_loader
            new = loader(requested)
            old, self._current = self._current, new
        logger.info("model swapped: %s -> %s", old.reference, new.reference)
        return new

    def close(self) -> None:
        """Answer what is queued, then stop the worker."""
        self.batcher.close()

    def _default_loader(self, requested: str) -> LoadedModel:
        predictor = self._current.predictor
        return load_model(
            requested,
            device=predictor.device,
            num_threads=predictor.num_threads,
            builder=predictor.builder,
            precision=predictor.precision,
        )

    def _parse(self, request: Any) -> _Request | dict[str, Any]:
        """The checked request, or the error answer for it."""
        if not isinstance(request, dict):
            return error_answer(
                None, "bad_request", f"a request is a JSON object, got {type(request).__name__}"
            )
        request_id = request.get("id")
        if not (request_id is None or isinstance(request_id, str | int | float | bool)) or (
            # NaN / Infinity / 1e999 parse, but cannot be written back as strict JSON
            isinstance(request_id, float) and not math.isfinite(request_id)
        ):
            return error_answer(None, "bad_request", "id must be a string, a finite number or null")
        source = request.get("source")
        if source is None:
            return error_answer(request_id, "bad_request", 'missing field "source"')
        if not isinstance(source, str):
            return error_answer(
                request_id, "bad_request", f'"source" must be a string, got {type(source).__name__}'
            )
        top_k = request.get("top_k", self.top_k)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
            return error_answer(
                request_id, "bad_request", f'"top_k" must be an int in [1, {MAX_TOP_K}]'
            )
        embedding = request.get("embedding", False)
        if not isinstance(embedding, bool):
            return error_answer(request_id, "bad_request", '"embedding" must be true or false')
        return _Request(request_id, source, top_k, embedding)

    def _process(self, model: LoadedModel, requests: list[_Request]) -> list[dict[str, Any]]:
        """One batch, on the batcher's thread: graphs, one forward pass, answers."""
        predictor = model.predictor
        answers: list[dict[str, Any] | None] = [None] * len(requests)
        graphs, positions = [], []
        for index, request in enumerate(requests):
            try:
                graphs.append(predictor.builder.build(request.source, strip_imports=True))
                positions.append(index)
            except YantraError as error:
                answers[index] = error_answer(request.id, "bad_source", str(error))
            except Exception as error:  # a parser crash must not take the batch down
                logger.exception("building the graph of request %r failed", request.id)
                answers[index] = error_answer(
                    request.id, "internal", f"{type(error).__name__}: {error}"
                )
        if graphs:
            for index, prediction in self._predict(predictor, graphs, positions, requests):
                request = requests[index]
                if isinstance(prediction, dict):
                    answers[index] = prediction
                    continue
                answers[index] = {
                    "id": request.id,
                    "model": model.reference,
                    "prediction": prediction.to_dict(
                        request.top_k, include_embedding=request.embedding
                    ),
                }
        self.requests_answered += len(requests)
        return [
            answer if answer is not None else error_answer(r.id, "internal", "no answer")
            for answer, r in zip(answers, requests, strict=True)
        ]

    @staticmethod
    def _predict(
        predictor: Predictor, graphs: list[Any], positions: list[int], requests: list[_Request]
    ) -> list[tuple[int, Prediction | dict[str, Any]]]:
        """``(request index, prediction or error answer)`` for each graph: one forward
        pass, or one per graph when the batch fails (so one bad graph spoils nothing)."""
        try:
            predictions = predictor.predict_graphs(graphs, batch_size=len(graphs))
            return list(zip(positions, predictions, strict=True))
        except Exception:
            if len(graphs) == 1:
                raise
            logger.exception("batch of %d failed; predicting one by one", len(graphs))
        results: list[tuple[int, Prediction | dict[str, Any]]] = []
        for index, graph in zip(positions, graphs, strict=True):
            try:
                results.append((index, predictor.predict_graphs([graph])[0]))
            except Exception as error:
                message = f"{type(error).__name__}: {error}"
                results.append((index, error_answer(requests[index].id, "internal", message)))
        return results


def reload_on_sighup(service: PredictionService) -> None:
    """On SIGHUP, reload the service's model reference in a background thread, so that
    ``NAME@production`` moves to a newly promoted version (POSIX, from the main thread
    only; elsewhere nothing is installed). A failed reload keeps the current model."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return

    def reload_in_background() -> None:
        try:
            service.reload()
        except YantraError as error:
            logger.error(
                "reload on SIGHUP failed, keeping %s: %s", service.current.reference, error
            )

    def handler(signum: int, frame: Any) -> None:
        threading.Thread(target=reload_in_background, name="yantra-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, handler)
