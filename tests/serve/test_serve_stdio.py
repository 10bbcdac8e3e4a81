"""The JSON-lines server and the micro-batcher: order, errors, batching, hot swap."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from serve_test_helpers import PROGRAMS, loaded, tiny_model_file

from yantra_gnn.errors import CheckpointError
from yantra_gnn.serve.batching import MicroBatcher
from yantra_gnn.serve.service import LoadedModel, PredictionService, load_model, reload_on_sighup
from yantra_gnn.serve.stdio import serve_stdio


def _serve(service: PredictionService, lines: list[bytes], **kwargs) -> list[dict]:
    out = io.BytesIO()
    serve_stdio(service, io.BytesIO(b"\n".join(lines) + b"\n"), out, **kwargs)
    return [json.loads(line) for line in out.getvalue().decode().splitlines()]


@pytest.fixture
def service():
    models = {"tiny@2": loaded("tiny@2", seed=1)}

    def loader(reference: str) -> LoadedModel:
        if reference not in models:
            raise CheckpointError(f"no model {reference}")
        return models[reference]

    service = PredictionService(loaded("tiny@1"), loader=loader, top_k=2)
    yield service
    service.close()


def test_answers_come_in_request_order(service):
    lines = [json.dumps({"id": i, "source": PROGRAMS[i % 3]}).encode() for i in range(12)]
    answers = _serve(service, lines)
    assert [a["id"] for a in answers] == list(range(12))
    for answer in answers:
        prediction = answer["prediction"]
        assert answer["model"] == "tiny@1"
        assert 0.0 <= prediction["confidence"] <= 1.0
        assert len(prediction["imports"]) == 2  # the service's top_k
        assert "embedding" not in prediction


def test_predictions_match_the_predictor(service):
    [answer] = _serve(service, [json.dumps({"id": "a", "source": PROGRAMS[1]}).encode()])
    expected = service.current.predictor.predict(PROGRAMS[1])
    assert answer["prediction"]["confidence"] == pytest.approx(expected.confidence, abs=1e-6)
    embedded = _serve(service, [json.dumps({"source": PROGRAMS[1], "embedding": True}).encode()])
    assert len(embedded[0]["prediction"]["embedding"]) == 8


def test_bad_lines_get_errors_and_the_server_goes_on(service):
    lines = [
        b"not json",
        b"\xff\xfe{",  # not UTF-8
        b"[1, 2]",
        json.dumps({"id": 1}).encode(),
        json.dumps({"id": 2, "source": 5}).encode(),
        json.dumps({"id": 3, "source": ""}).encode(),
        json.dumps({"id": 4, "source": PROGRAMS[0], "top_k": 0}).encode(),
        json.dumps({"id": 5, "source": PROGRAMS[0], "embedding": "yes"}).encode(),
        json.dumps({"id": [1], "source": PROGRAMS[0]}).encode(),
        json.dumps({"id": 6, "command": "explode"}).encode(),
        b"x" * 5000,  # over the line limit
        b"",  # blank lines are skipped
        json.dumps({"id": 7, "source": "x = (\n"}).encode(),  # syntax error: still predicted
        json.dumps({"id": 8, "source": PROGRAMS[2]}).encode(),
    ]
    answers = _serve(service, lines, max_line_bytes=1000)
    codes = [a.get("error", {}).get("code") for a in answers]
    assert codes == [
        "bad_json",
        "bad_json",
        "bad_request",
        "bad_request",
        "bad_request",
        "bad_source",
        "bad_request",
        "bad_request",
        "bad_request",
        "bad_request",
        "too_large",
        None,
        None,
    ]
    assert [a["id"] for a in answers[3:6]] == [1, 2, 3]
    assert answers[-2]["prediction"]["has_error"] is True
    assert answers[-1]["id"] == 8


def test_reload_command_swaps_the_model_for_later_lines(service):
    lines = [
        json.dumps({"id": 1, "source": PROGRAMS[0]}).encode(),
        json.dumps({"id": 2, "command": "reload", "model": "tiny@2"}).encode(),
        json.dumps({"id": 3, "source": PROGRAMS[0]}).encode(),
        json.dumps({"id": 4, "command": "reload", "model": "nothing@1"}).encode(),
        json.dumps({"id": 5, "command": "model"}).encode(),
    ]
    answers = _serve(service, lines)
    assert answers[0]["model"] == "tiny@1"
    assert answers[1]["reloaded"]["reference"] == "tiny@2"
    assert answers[2]["model"] == "tiny@2"
    assert answers[3]["error"]["code"] == "bad_model"  # the loader failed: model kept
    assert answers[4]["model"]["reference"] == "tiny@2"


def test_batcher_runs_waiting_items_as_one_batch():
    release = threading.Event()
    calls: list[list[int]] = []

    def process(group, items):
        calls.append(list(items))
        if items == [0]:
            release.wait(10)
        return [item * 10 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(process, window_s=0.0, max_batch=8)
    first = batcher.submit(0, group="a")
    while not calls:  # the worker holds item 0
        threading.Event().wait(0.001)
    later = [batcher.submit(i, group="a") for i in range(1, 6)]
    other = batcher.submit(6, group="b")
    release.set()
    assert [f.result(10) for f in [first, *later, other]] == [0, 10, 20, 30, 40, 50, 60]
    assert calls == [[0], [1, 2, 3, 4, 5], [6]]  # a group change starts a new call
    batcher.close()


def test_a_failing_batch_fails_its_items_only():
    def process(group, items):
        if "bad" in items:
            raise RuntimeError("boom")
        return items

    batcher: MicroBatcher[str, str] = MicroBatcher(process, window_s=0.0)
    bad = batcher.submit("bad")
    assert isinstance(bad.exception(10), RuntimeError)
    assert batcher.submit("good").result(10) == "good"
    batcher.close()


def test_in_flight_requests_finish_on_the_old_model(service):
    predictor = service.current.predictor
    started, release = threading.Event(), threading.Event()
    original = predictor.predict_graphs

    def slow(graphs, batch_size=32):
        started.set()
        release.wait(10)
        return original(graphs, batch_size=batch_size)

    predictor.predict_graphs = slow  # type: ignore[method-assign]
    in_flight = service.submit({"id": 1, "source": PROGRAMS[0]})
    assert started.wait(10)
    service.reload("tiny@2")  # while request 1 is in the forward pass
    after = service.submit({"id": 2, "source": PROGRAMS[0]})
    release.set()
    assert in_flight.result(10)["model"] == "tiny@1"
    assert after.result(10)["model"] == "tiny@2"


def test_serve_command_answers_over_stdio(tmp_path: Path):
    model = tiny_model_file(tmp_path)
    requests = "".join(
        json.dumps({"id": i, "source": source}) + "\n" for i, source in enumerate(PROGRAMS)
    )
    result = subprocess.run(
        [sys.executable, "-m", "yantra_gnn.cli", "serve", "--model", str(model)],
        input=requests + "garbage\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]  # stdout: protocol only
    assert [a["id"] for a in answers] == [0, 1, 2, None]
    assert all("prediction" in a for a in answers[:3])
    assert answers[3]["error"]["code"] == "bad_json"


def test_http_without_the_serve_extra_names_it(service, monkeypatch):
    from yantra_gnn.errors import MissingDependencyError
    from yantra_gnn.serve.http import build_app

    for name in ("starlette", "starlette.applications"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependencyError, match=r"yantra-gnn\[serve\]"):
        build_app(service)


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
def test_sighup_reloads_the_current_reference(monkeypatch):
    versions = iter([loaded("tiny@production", seed=1)])
    service = PredictionService(loaded("tiny@production"), loader=lambda ref: next(versions))
    first = service.current
    previous = signal.getsignal(signal.SIGHUP)
    try:
        reload_on_sighup(service)
        os.kill(os.getpid(), signal.SIGHUP)
        for _ in range(1000):  # the reload runs on a thread of its own
            if service.current is not first:
                break
            threading.Event().wait(0.01)
        assert service.current is not first
        assert service.current.info["metrics"] == {"seed": 1}
    finally:
        signal.signal(signal.SIGHUP, previous)
        service.close()


@pytest.mark.parametrize("precision", ["bf16", "int8"])
def test_serve_precision_answers_close_to_fp32(precision):
    requested = "yantra-gnn/default"
    exact = load_model(requested, device="cpu")
    fast = load_model(requested, device="cpu", precision=precision)
    assert fast.predictor.precision == precision
    want = exact.predictor.predict(PROGRAMS[0]).confidence
    assert abs(fast.predictor.predict(PROGRAMS[0]).confidence - want) < 0.01
