"""The JSON-lines server: one request per line on stdin, one answer per line on stdout.

Lines in::

    {"id": 1, "source": "print(1)\\n"}                 a prediction request
    {"id": 2, "command": "reload", "model": "m@2"}     swap the model (default: the same
                                                       reference, resolved again)
    {"id": 3, "command": "model"}                      what the current model is

Answers come out in the order of the lines, one JSON object per line (see
:mod:`yantra_gnn.serve.service` for their shape). A line that is not JSON, too long,
or a request that is not valid gets an error answer; the server keeps going. It stops
at the end of its input, after answering every line. Only the protocol is written to
the output stream; logs go to stderr.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from concurrent.futures import Future
from typing import IO, Any

from yantra_gnn.errors import YantraError
from yantra_gnn.serve.service import PredictionService, error_answer

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX_LINE_BYTES", "serve_stdio"]

#: The longest request line read (longer ones get a ``too_large`` error).
DEFAULT_MAX_LINE_BYTES = 1024 * 1024


def _done(answer: dict[str, Any]) -> Future[dict[str, Any]]:
    future: Future[dict[str, Any]] = Future()
    future.set_result(answer)
    return future


def _read_line(stream: IO[bytes], limit: int) -> tuple[bytes, bool] | None:
    """The next line (without its end) and whether it was cut at ``limit`` bytes (the
    rest of it is read and dropped); ``None`` at the end of the stream."""
    line = stream.readline(limit + 1)
    if not line:
        return None
    if len(line) <= limit or line.endswith(b"\n"):
        return line.rstrip(b"\r\n"), False
    while True:  # drop the rest of the over-long line
        rest = stream.readline(1 << 16)
        if not rest or rest.endswith(b"\n"):
            return b"", True


def _command(service: PredictionService, request: dict[str, Any]) -> dict[str, Any]:
    """Run a ``{"command": ...}`` line and return its answer."""
    request_id = request.get("id")
    command = request.get("command")
    if command == "model":
        return {"id": request_id, "model": service.current.info}
    if command == "reload":
        try:
            loaded = service.reload(request.get("model"))
        except YantraError as error:
            return error_answer(request_id, "bad_model", str(error))
        except Exception as error:  # whatever failed, the old model keeps serving
            logger.exception("reload failed")
            return error_answer(request_id, "bad_model", f"{type(error).__name__}: {error}")
        return {"id": request_id, "reloaded": loaded.info}
    return error_answer(
        request_id, "bad_request", f"unknown command {command!r:.80}; commands: model, reload"
    )


def serve_stdio(
    service: PredictionService,
    reader: IO[bytes],
    writer: IO[bytes],
    *,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> int:
    """Answer the JSON lines of ``reader`` on ``writer`` until ``reader`` ends.

    Requests are handed to the service as they are read (so requests sent together are
    batched together); a writer thread waits for each answer in turn and writes it.
    Returns the number of lines answered.
    """
    answers: queue.SimpleQueue[Future[dict[str, Any]] | None] = queue.SimpleQueue()
    written = 0

    def write_answers() -> None:
        nonlocal written
        while (future := answers.get()) is not None:
            answer = future.result()
            writer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
            writer.flush()
            written += 1

    thread = threading.Thread(target=write_answers, name="yantra-stdio-writer", daemon=True)
    thread.start()
    try:
        while (read := _read_line(reader, max_line_bytes)) is not None:
            line, cut = read
            if cut:
                answers.put(
                    _done(
                        error_answer(None, "too_large", f"line longer than {max_line_bytes} bytes")
                    )
                )
                continue
            if not line.strip():
                continue
            try:
                request = json.loads(line)
            except (ValueError, RecursionError) as error:
                answers.put(_done(error_answer(None, "bad_json", f"not JSON: {error}")))
                continue
            if isinstance(request, dict) and "command" in request:
                answers.put(_done(_command(service, request)))
            else:
                answers.put(service.submit(request))
    finally:
        answers.put(None)
        thread.join()
    return written
