"""The HTTP server's lifecycle on a real uvicorn (localhost, a free port): a model swap
to a new registry version under a stream of concurrent requests (``POST /admin/reload``
in-process, ``SIGHUP`` to ``yantra-gnn serve --http``), request size limits (declared
and chunked bodies) and bad requests, after each of which the server keeps serving."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from serve_test_helpers import PROGRAMS, loaded, tiny_model_file

from yantra_gnn.home import MODELS_DIR_ENV
from yantra_gnn.registry import ModelRegistry
from yantra_gnn.serve.service import PredictionService, load_model

pytest.importorskip("starlette", reason="the serve extra: pip install -e '.[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra: pip install -e '.[serve]'")

from yantra_gnn.serve.http import bind, make_server  # noqa: E402

MAX_BYTES = 4096
#: Client threads sending requests while the model is swapped.
CLIENTS = 4
#: Seconds any wait may take on a loaded machine before the test fails.
TIMEOUT = 60.0


# ---------------------------------------------------------------------------- helpers


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _call(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    chunks: list[bytes] | None = None,
) -> tuple[int, Any]:
    """One request on a fresh connection: ``(status, decoded JSON answer)``.

    ``chunks``: send the body with ``Transfer-Encoding: chunked`` (no Content-Length).
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        headers = {"Content-Type": "application/json"}
        if chunks is not None:
            connection.request(method, path, body=iter(chunks), headers=headers)
        else:
            data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
            connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@dataclass(frozen=True)
class _Answered:
    """One ``POST /predict`` of the load: what was sent, when, and what came back."""

    client: int
    program: int
    sent: float
    answered: float
    status: int
    answer: dict[str, Any]


class _Load:
    """``CLIENTS`` threads, each POSTing /predict on one keep-alive connection, in a loop,
    until :meth:`stop`. A request that fails at the HTTP level is kept in ``failures``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.calls: list[_Answered] = []
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)
        ]
        for thread in self._threads:
            thread.start()

    def snapshot(self) -> list[_Answered]:
        with self._lock:
            return list(self.calls)

    def stop(self) -> list[_Answered]:
        """Stop the clients (after their current request); every request answered."""
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT)
        assert not any(thread.is_alive() for thread in self._threads)
        return self.snapshot()

    def _client(self, client: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        number = 0
        while not self._stop.is_set():
            program = (client + number) % len(PROGRAMS)
            body = json.dumps({"id": f"{client}-{number}", "source": PROGRAMS[program]})
            sent = time.monotonic()
            try:
                connection.request("POST", "/predict", body=body.encode())
                response = connection.getresponse()
                status, answer = response.status, json.loads(response.read())
            except Exception as error:  # kept and asserted on: no request may fail
                with self._lock:
                    self.failures.append(f"client {client}: {type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
                self._stop.wait(0.05)
                continue
            with self._lock:
                self.calls.append(
                    _Answered(client, program, sent, time.monotonic(), status, answer)
                )
            number += 1
        connection.close()


def _registry_with_two_versions(root: Path) -> ModelRegistry:
    """``tiny@1`` (seed 0, ``tiny@production``) and ``tiny@2`` (seed 1, other weights)."""
    registry = ModelRegistry(root / "registry")
    registry.register(tiny_model_file(root, seed=0), "tiny", metrics={"seed": 0})
    registry.register(tiny_model_file(root, seed=1), "tiny", metrics={"seed": 1})
    registry.promote("tiny", 1)
    return registry


def _expected_confidences(registry: ModelRegistry) -> dict[str, list[float]]:
    """``{"tiny@1": [confidence of each program], "tiny@2": [...]}``, predicted here."""
    expected = {}
    for reference in ("tiny@1", "tiny@2"):
        predictor = load_model(reference, registry=registry, device="cpu").predictor
        expected[reference] = [predictor.predict(program).confidence for program in PROGRAMS]
    for old, new in zip(expected["tiny@1"], expected["tiny@2"], strict=True):
        assert abs(old - new) > 1e-3  # the versions' weights differ, so do their answers
    return expected


def _assert_swap_under_load(
    load: _Load, expected: dict[str, list[float]], swap_started: float, swapped: float
) -> None:
    """Every request answered validly by the model it names; none failed; every request
    sent after ``swapped`` (when the server showed the new version) answered by it."""
    _wait_until(
        lambda: all(
            sum(1 for call in load.snapshot() if call.client == n and call.sent > swapped) >= 2
            for n in range(CLIENTS)
        ),
        "requests sent after the swap",
    )
    calls = load.stop()
    assert load.failures == []
    for call in calls:
        assert call.status == 200, call.answer
        answer = call.answer
        assert answer["model"] in expected, answer
        assert answer["id"].startswith(f"{call.client}-")
        confidence = answer["prediction"]["confidence"]
        assert confidence == pytest.approx(expected[answer["model"]][call.program], abs=1e-5)
    by_model = {
        reference: [c for c in calls if c.answer["model"] == reference] for reference in expected
    }
    assert by_model["tiny@1"] and by_model["tiny@2"]
    assert all(call.answer["model"] == "tiny@2" for call in calls if call.sent > swapped)
    # Requests were in flight when the swap began, and were answered.
    assert any(call.sent < swap_started < call.answered for call in calls)


def _model_version(port: int) -> int | None:
    status, model = _call(port, "GET", "/model")
    assert status == 200
    return model["version"]


@pytest.fixture
def run_server() -> Iterator[Callable[[PredictionService], int]]:
    """Starts uvicorn servers on free ports (in threads of this process); stops them."""
    started: list[tuple[Any, threading.Thread, PredictionService]] = []

    def start(service: PredictionService) -> int:
        server = make_server(service, max_request_bytes=MAX_BYTES)
        sock = bind("127.0.0.1", 0)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        started.append((server, thread, service))
        _wait_until(lambda: bool(server.started), "the server to start")
        return int(sock.getsockname()[1])

    yield start
    for server, thread, service in started:
        server.should_exit = True
        thread.join(TIMEOUT)
        service.close()


@pytest.fixture
def start_load() -> Iterator[Callable[[int], _Load]]:
    """Starts a :class:`_Load` on a port; stops it at the end of the test, passed or not."""
    loads: list[_Load] = []

    def start(port: int) -> _Load:
        loads.append(_Load(port))
        return loads[-1]

    yield start
    for load in loads:
        load.stop()


# ---------------------------------------------------------------------------- model swap


def test_admin_reload_swaps_to_the_promoted_version_under_load(
    tmp_path, monkeypatch, run_server, start_load
):
    registry = _registry_with_two_versions(tmp_path)
    monkeypatch.setenv(MODELS_DIR_ENV, str(registry.root))  # the service's default loader
    expected = _expected_confidences(registry)
    service = PredictionService(load_model("tiny@production", device="cpu"), batch_window_ms=5)
    port = run_server(service)
    assert _model_version(port) == 1

    load = start_load(port)
    _wait_until(lambda: len(load.snapshot()) >= 2 * CLIENTS, "answers from version 1")
    # A reload that fails keeps the old model serving, and fails no request.
    status, answer = _call(port, "POST", "/admin/reload", {"model": "tiny@9"})
    assert (status, answer["error"]["code"]) == (400, "bad_model")
    assert _model_version(port) == 1

    registry.promote("tiny", 2)
    swap_started = time.monotonic()
    status, answer = _call(port, "POST", "/admin/reload")  # no body: resolve tiny@production again
    swapped = time.monotonic()
    assert status == 200 and answer["reloaded"]["reference"] == "tiny@2"
    _assert_swap_under_load(load, expected, swap_started, swapped)

    status, model = _call(port, "GET", "/model")
    assert status == 200
    assert (model["name"], model["version"], model["reference"]) == ("tiny", 2, "tiny@2")
    assert model["metrics"] == {"seed": 1} and "production" in model["aliases"]
    assert model["requested"] == "tiny@production"  # a later reload follows the alias again
    status, health = _call(port, "GET", "/health")
    assert status == 200 and health["model"] == "tiny@2"


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_to_the_serve_command_swaps_to_the_promoted_version_under_load(tmp_path, start_load):
    registry = _registry_with_two_versions(tmp_path)
    expected = _expected_confidences(registry)
    command = [
        sys.executable,
        "-m",
        "yantra_gnn.cli",
        "serve",
        "--model",
        "tiny@production",
        "--http",
        "--port",
        "0",
        "--device",
        "cpu",
        "--batch-window-ms",
        "5",
        "--max-request-bytes",
        str(MAX_BYTES),
    ]
    env = {**os.environ, MODELS_DIR_ENV: str(registry.root)}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    log: list[str] = []

    def drain(stderr: IO[str]) -> None:  # the server's log, read as it comes
        for line in stderr:
            log.append(line)

    reader = threading.Thread(target=drain, args=(process.stderr,), daemon=True)
    reader.start()
    try:
        _wait_until(
            lambda: any("http://127.0.0.1:" in line for line in log) or process.poll() is not None,
            "the server's address in its log",
        )
        found = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(log))
        assert found is not None, "".join(log)
        port = int(found.group(1))
        assert _model_version(port) == 1

        load = start_load(port)
        _wait_until(lambda: len(load.snapshot()) >= 2 * CLIENTS, "answers from version 1")
        registry.promote("tiny", 2)
        swap_started = time.monotonic()
        process.send_signal(signal.SIGHUP)
        _wait_until(lambda: _model_version(port) == 2, "GET /model to show version 2")
        swapped = time.monotonic()
        _assert_swap_under_load(load, expected, swap_started, swapped)

        # --max-request-bytes reaches the server; a refused body does not stop it.
        status, answer = _call(port, "POST", "/predict", raw=b"x" * (MAX_BYTES + 1))
        assert (status, answer["error"]["code"]) == (413, "too_large")
        status, health = _call(port, "GET", "/health")
        assert status == 200 and health["model"] == "tiny@2"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        reader.join(TIMEOUT)
    assert process.returncode in (0, -signal.SIGTERM), "".join(log)
    assert any("model swapped: tiny@1 -> tiny@2" in line for line in log), "".join(log)


# ---------------------------------------------------------------------------- bad requests


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    service = PredictionService(loaded("tiny@1"), batch_window_ms=5)
    server = make_server(service, max_request_bytes=MAX_BYTES)
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_until(lambda: bool(server.started), "the server to start")
    yield int(sock.getsockname()[1])
    server.should_exit = True
    thread.join(TIMEOUT)
    service.close()


def _assert_still_serving(port: int) -> None:
    status, health = _call(port, "GET", "/health")
    assert status == 200 and health["status"] == "ok"
    status, answer = _call(port, "POST", "/predict", {"id": "ok", "source": PROGRAMS[0]})
    assert status == 200 and answer["id"] == "ok" and "prediction" in answer


def _oversized_body() -> bytes:
    return json.dumps({"id": 1, "source": "x = 1\n" * 100_000}).encode()  # ~600 kB


def _chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


BAD_REQUESTS = [
    # Size limits: refused from Content-Length unread, or while a chunked body streams.
    pytest.param("/predict", {"raw": _oversized_body()}, 413, "too_large", id="declared-too-large"),
    pytest.param(
        "/predict", {"chunks": _chunks(_oversized_body())}, 413, "too_large", id="chunked-too-large"
    ),
    pytest.param(
        "/predict_batch",
        {"raw": b'{"requests": [' + b",".join([b"{}"] * 1025) + b"]}"},
        413,
        "too_large",
        id="batch-of-1025",
    ),
    pytest.param(
        "/admin/reload",
        {"raw": b'{"model": "' + b"x" * MAX_BYTES + b'"}'},
        413,
        "too_large",
        id="reload-too-large",
    ),
    # Malformed JSON, at each route that reads a body.
    pytest.param("/predict", {"raw": b'{"id": 1, "source": '}, 400, "bad_json", id="truncated"),
    pytest.param("/predict", {"raw": b"[" * 3000}, 400, "bad_json", id="nested-too-deep"),
    pytest.param("/predict_batch", {"raw": b"{requests}"}, 400, "bad_json", id="batch-not-json"),
    pytest.param("/admin/reload", {"raw": b"{oops"}, 400, "bad_json", id="reload-not-json"),
    # Not UTF-8: raw bytes are bad JSON; a lone surrogate escape is a bad source.
    pytest.param(
        "/predict",
        {"raw": b'{"id": 1, "source": "x = \xff\xfe\\n"}'},
        400,
        "bad_json",
        id="source-bytes-not-utf8",
    ),
    pytest.param(
        "/predict",
        {"raw": b'{"id": 1, "source": "x = \\ud800\\n"}'},
        422,
        "bad_source",
        id="source-lone-surrogate",
    ),
    # Missing or mistyped fields.
    pytest.param("/predict", {"body": {"id": 1}}, 400, "bad_request", id="no-source"),
    pytest.param(
        "/predict", {"body": {"id": 1, "source": None}}, 400, "bad_request", id="null-source"
    ),
    pytest.param(
        "/predict", {"body": [{"source": PROGRAMS[0]}]}, 400, "bad_request", id="not-an-object"
    ),
    pytest.param(
        "/predict",
        {"body": {"source": PROGRAMS[0], "top_k": "3"}},
        400,
        "bad_request",
        id="top-k-string",
    ),
    # An id that parses but cannot be written back as JSON (a 500 before the fix).
    pytest.param(
        "/predict", {"raw": b'{"id": NaN, "source": "x = 1\\n"}'}, 400, "bad_request", id="id-nan"
    ),
    pytest.param(
        "/predict", {"raw": b'{"id": 1e999, "source": "x = 1\\n"}'}, 400, "bad_request", id="id-inf"
    ),
]


@pytest.mark.parametrize(("path", "send", "status", "code"), BAD_REQUESTS)
def test_bad_requests_get_json_errors_and_the_server_goes_on(port, path, send, status, code):
    got, answer = _call(port, "POST", path, **send)
    assert (got, answer["error"]["code"]) == (status, code), answer
    assert set(answer) == {"id", "error"} and answer["error"]["message"]
    _assert_still_serving(port)


def test_a_chunked_body_within_the_limit_is_answered(port):
    body = json.dumps({"id": "chunked", "source": PROGRAMS[1]}).encode()
    status, answer = _call(port, "POST", "/predict", chunks=[body[:10], body[10:40], body[40:]])
    assert status == 200 and answer["id"] == "chunked" and "prediction" in answer


def test_one_bad_id_in_a_batch_spoils_no_other_answer(port):
    raw = (
        b'{"requests": [{"id": 1, "source": "x = 1\\n"}, {"id": Infinity, "source": "x = 1\\n"},'
        b' {"id": 3, "source": "y = 2\\n"}]}'
    )
    status, batch = _call(port, "POST", "/predict_batch", raw=raw)
    assert status == 200
    first, bad, third = batch["results"]
    assert first["id"] == 1 and "prediction" in first
    assert bad == {"id": None, "error": bad["error"]} and bad["error"]["code"] == "bad_request"
    assert third["id"] == 3 and "prediction" in third
