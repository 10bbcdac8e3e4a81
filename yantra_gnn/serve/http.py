"""The HTTP server (Starlette on uvicorn), for localhost.

Routes::

    POST /predict        {"id": ..., "source": "...", "top_k": 5, "embedding": false}
    POST /predict_batch  {"requests": [{"id": ..., "source": "..."}, ...]}
    GET  /health         {"status": "ok", "model": "NAME@VERSION", "pending": 0, ...}
    GET  /model          name, version, metrics, ... of the current model
    POST /admin/reload   {"model": "NAME@production"} (default: the current reference)

Every answer is JSON, errors included (``{"error": {"code": ..., "message": ...}}``);
bodies larger than ``max_request_bytes`` get 413 without being read. Concurrent
requests share forward passes through the service's micro-batcher, whose worker thread
runs the model, so the event loop never waits on it. Needs the ``serve`` extra.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from typing import TYPE_CHECKING, Any

from yantra_gnn.errors import YantraError
from yantra_gnn.optional import import_optional
from yantra_gnn.serve.service import PredictionService, error_answer, reload_on_sighup

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "MAX_BATCH_REQUESTS", "build_app", "serve_http"]

#: The largest request body accepted (413 beyond).
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
#: The most requests one ``/predict_batch`` call may hold.
MAX_BATCH_REQUESTS = 1024

#: HTTP status of each error code of an answer.
_STATUS = {
    "bad_json": 400,
    "bad_request": 400,
    "too_large": 413,
    "bad_source": 422,
    "bad_model": 400,
    "not_found": 404,
    "method_not_allowed": 405,
    "internal": 500,
}


class _BodyTooLarge(Exception):
    pass


def build_app(
    service: PredictionService, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> Starlette:
    """The Starlette application serving ``service``.

    Raises:
        MissingDependencyError: starlette is not installed (the ``serve`` extra).
    """
    purpose = "the HTTP server (yantra-gnn serve --http)"
    applications = import_optional("starlette.applications", purpose)
    exceptions = import_optional("starlette.exceptions", purpose)
    responses = import_optional("starlette.responses", purpose)
    routing = import_optional("starlette.routing", purpose)

    def respond(answer: dict[str, Any], status: int | None = None) -> JSONResponse:
        if status is None:
            status = _STATUS.get(answer["error"]["code"], 400) if "error" in answer else 200
        return responses.JSONResponse(answer, status_code=status)

    async def read_json(request: Request) -> Any:
        """The decoded body; raises ``_BodyTooLarge`` or ``ValueError``."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_request_bytes:
            raise _BodyTooLarge
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_request_bytes:
                raise _BodyTooLarge
        return json.loads(bytes(body)) if bytes(body).strip() else None

    async def body_or_error(request: Request) -> tuple[Any, JSONResponse | None]:
        try:
            return await read_json(request), None
        except _BodyTooLarge:
            message = f"request body larger than {max_request_bytes} bytes"
            return None, respond(error_answer(None, "too_large", message))
        except (ValueError, RecursionError) as error:
            return None, respond(error_answer(None, "bad_json", f"body is not JSON: {error}"))

    async def predict(request: Request) -> JSONResponse:
        body, error = await body_or_error(request)
        if error is not None:
            return error
        return respond(await asyncio.wrap_future(service.submit(body)))

    async def predict_batch(request: Request) -> JSONResponse:
        body, error = await body_or_error(request)
        if error is not None:
            return error
        items = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(items, list):
            message = 'the body must be {"requests": [{"id": ..., "source": ...}, ...]}'
            return respond(error_answer(None, "bad_request", message))
        if len(items) > MAX_BATCH_REQUESTS:
            message = f"at most {MAX_BATCH_REQUESTS} requests per batch, got {len(items)}"
            return respond(error_answer(None, "too_large", message))
        model = service.current.reference
        futures = [asyncio.wrap_future(service.submit(item)) for item in items]
        results = list(await asyncio.gather(*futures))
        return respond({"model": model, "results": results})

    async def health(request: Request) -> JSONResponse:
        return respond(
            {
                "status": "ok",
                "model": service.current.reference,
                "pending": service.batcher.pending,
                "answered": service.requests_answered,
                "batches": service.batcher.batches_run,
            }
        )

    async def model(request: Request) -> JSONResponse:
        return respond(service.current.info)

    async def reload(request: Request) -> JSONResponse:
        body, error = await body_or_error(request)
        if error is not None:
            return error
        requested = body.get("model") if isinstance(body, dict) else None
        try:
            loaded = await asyncio.to_thread(service.reload, requested)
        except YantraError as failure:
            return respond(error_answer(None, "bad_model", str(failure)))
        except Exception as failure:  # whatever failed, the old model keeps serving
            logger.exception("reload failed")
            message = f"{type(failure).__name__}: {failure}"
            return respond(error_answer(None, "bad_model", message))
        return respond({"reloaded": loaded.info})

    async def http_error(request: Request, failure: Exception) -> JSONResponse:
        status = int(getattr(failure, "status_code", 500))
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "bad_request")
        detail = str(getattr(failure, "detail", "") or failure)
        return respond(error_answer(None, code, detail), status)

    async def server_error(request: Request, failure: Exception) -> JSONResponse:
        logger.exception("request to %s failed", request.url.path, exc_info=failure)
        message = f"{type(failure).__name__}: {failure}"
        return respond(error_answer(None, "internal", message), 500)

    routes = [
        routing.Route("/predict", predict, methods=["POST"]),
        routing.Route("/predict_batch", predict_batch, methods=["POST"]),
        routing.Route("/health", health, methods=["GET"]),
        routing.Route("/model", model, methods=["GET"]),
        routing.Route("/admin/reload", reload, methods=["POST"]),
    ]
    handlers: dict[Any, Any] = {exceptions.HTTPException: http_error, Exception: server_error}
    return applications.Starlette(routes=routes, exception_handlers=handlers)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY on the accepted connections only
    # when the socket says it is TCP; without it each answer's body waits ~40 ms for the
    # client's delayed ACK of its headers (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def make_server(
    service: PredictionService, *, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> Any:
    """A ``uvicorn.Server`` for the app (run it with ``server.run(sockets=[bind(...)])``).

    Raises:
        MissingDependencyError: uvicorn or starlette is not installed.
    """
    uvicorn = import_optional("uvicorn", "the HTTP server (yantra-gnn serve --http)")
    app = build_app(service, max_request_bytes=max_request_bytes)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def serve_http(
    service: PredictionService,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> None:
    """Serve until SIGINT / SIGTERM; SIGHUP reloads the model (:func:`reload_on_sighup`)."""
    server = make_server(service, max_request_bytes=max_request_bytes)
    sock = bind(host, port)
    address = sock.getsockname()
    logger.info(
        "serving %s on http://%s:%d (POST /predict, /predict_batch; GET /health, /model)",
        service.current.reference,
        host,
        address[1],
    )
    reload_on_sighup(service)
    server.run(sockets=[sock])
