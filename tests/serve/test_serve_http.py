"""The HTTP server on a real uvicorn (localhost, a free port): routes, errors, batching
of concurrent requests, size limits and a model swap."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from serve_test_helpers import PROGRAMS, loaded

from yantra_gnn.errors import CheckpointError
from yantra_gnn.serve.service import LoadedModel, PredictionService

pytest.importorskip("starlette", reason="the serve extra: pip install -e '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra: pip install -e '.[serve]'")

from yantra_gnn.serve.http import bind, make_server  # noqa: E402

MAX_BYTES = 4096


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, PredictionService]]:
    models = {"tiny@2": loaded("tiny@2", seed=1), "tiny@1": loaded("tiny@1")}

    def loader(reference: str) -> LoadedModel:
        if reference not in models:
            raise CheckpointError(f"no model {reference}")
        return models[reference]

    service = PredictionService(models["tiny@1"], loader=loader, batch_window_ms=5)
    uvicorn_server = make_server(service, max_request_bytes=MAX_BYTES)
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=uvicorn_server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    for _ in range(500):  # wait until it answers
        try:
            if _call(port, "GET", "/health")[0] == 200:
                break
        except OSError:
            threading.Event().wait(0.02)
    yield port, service
    uvicorn_server.should_exit = True
    thread.join(10)
    service.close()


def _call(
    port: int, method: str, path: str, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, json.loads(payload)


def test_health_and_model(server):
    port, _ = server
    status, health = _call(port, "GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["model"] == "tiny@1"
    status, model = _call(port, "GET", "/model")
    assert status == 200
    assert model["name"] == "tiny@1" and model["metrics"] == {"seed": 0}


def test_predict_and_predict_batch(server):
    port, service = server
    status, answer = _call(port, "POST", "/predict", {"id": "x", "source": PROGRAMS[0]})
    assert status == 200 and answer["id"] == "x" and answer["model"] == "tiny@1"
    expected = service.current.predictor.predict(PROGRAMS[0]).confidence
    assert answer["prediction"]["confidence"] == pytest.approx(expected, abs=1e-6)
    requests = [{"id": i, "source": s} for i, s in enumerate(PROGRAMS)] + [{"id": 9, "source": ""}]
    status, batch = _call(port, "POST", "/predict_batch", {"requests": requests})
    assert status == 200
    assert [r["id"] for r in batch["results"]] == [0, 1, 2, 9]
    assert (
        "prediction" in batch["results"][2] and batch["results"][3]["error"]["code"] == "bad_source"
    )


@pytest.mark.parametrize(
    ("path", "raw", "status", "code"),
    [
        ("/predict", b"{not json", 400, "bad_json"),
        ("/predict", b'{"id": 1}', 400, "bad_request"),
        ("/predict", b'{"id": 1, "source": 3}', 400, "bad_request"),
        ("/predict", b'{"id": 1, "source": "   "}', 422, "bad_source"),
        ("/predict", b"", 400, "bad_request"),
        ("/predict", b'{"source": "' + b"x" * MAX_BYTES + b'"}', 413, "too_large"),
        ("/predict_batch", b'{"sources": []}', 400, "bad_request"),
        ("/nowhere", b"{}", 404, "not_found"),
    ],
)
def test_bad_requests_get_json_errors(server, path, raw, status, code):
    port, _ = server
    got, answer = _call(port, "POST", path, raw=raw)
    assert (got, answer["error"]["code"]) == (status, code)
    assert _call(port, "GET", "/health")[0] == 200  # still serving


def test_wrong_method_is_a_json_error(server):
    port, _ = server
    status, answer = _call(port, "GET", "/predict")
    assert status == 405 and answer["error"]["code"] == "method_not_allowed"


def test_concurrent_requests_are_all_answered(server):
    port, service = server
    before = len(service.batcher.batch_sizes)
    with ThreadPoolExecutor(16) as pool:
        results = list(
            pool.map(
                lambda i: _call(port, "POST", "/predict", {"id": i, "source": PROGRAMS[i % 3]}),
                range(48),
            )
        )
    assert [(status, answer["id"]) for status, answer in results] == [(200, i) for i in range(48)]
    assert sum(service.batcher.batch_sizes[before:]) == 48


def test_reload_swaps_the_model_and_a_failed_reload_keeps_it(server):
    port, _ = server
    status, answer = _call(port, "POST", "/admin/reload", {"model": "missing@1"})
    assert status == 400 and answer["error"]["code"] == "bad_model"
    assert _call(port, "GET", "/health")[1]["model"] == "tiny@1"
    status, answer = _call(port, "POST", "/admin/reload", {"model": "tiny@2"})
    assert status == 200 and answer["reloaded"]["reference"] == "tiny@2"
    assert _call(port, "POST", "/predict", {"source": PROGRAMS[0]})[1]["model"] == "tiny@2"
    status, _ = _call(port, "POST", "/admin/reload", {"model": "tiny@1"})
    assert status == 200
