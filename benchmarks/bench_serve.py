"""Load test of ``yantra-gnn serve --http`` on localhost: throughput, latency, memory.

Usage::

    python benchmarks/bench_serve.py [--model REF] [--requests N] [--memory-requests N]
                                     [--concurrency 1,8,32] [--batch-window-ms MS]

Starts the HTTP server in a subprocess on a free port, warms it up (at the highest
concurrency, so every batch size has been seen), then for each
concurrency level runs ``--requests`` ``POST /predict`` calls from that many client
threads (one keep-alive connection each), over real programs
(``benchmarks/_common.load_solutions``: the shared CodeContests sample, else standard
library files). Then it keeps sending requests until ``--memory-requests`` have been
answered after the warm-up, and compares the server's resident memory (RSS) then with
its RSS after the warm-up and after the levels (RSS is sampled ten times on the way).
Prints one JSON object:

- ``levels``: per concurrency, ``throughput_rps``, ``latency_ms`` p50 / p99 / mean,
  errors, and the server's mean batch size over the level;
- ``memory``: RSS after the warm-up, after the levels and at the end, the growth from
  the levels to the end, and the samples (requests answered, RSS in MiB).

Bounded: each level sends ``--requests`` requests (default 300) and the memory phase
stops at ``--memory-requests`` (default 2000); docs/serving.md gives the figures of a
10,000-request run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_serve.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import load_solutions  # noqa: E402

#: The longest a source may be to be sent (the server's default body limit is 1 MiB).
MAX_SOURCE_CHARS = 20_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB (Linux /proc, else psutil)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / 2**20


def _get(port: int, path: str) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


@contextmanager
def running_server(args: argparse.Namespace) -> Iterator[tuple[subprocess.Popen, int]]:
    """The server subprocess and its port, stopped on exit."""
    port = _free_port()
    command = [
        sys.executable, "-m", "yantra_gnn.cli", "serve", "--http", "--port", str(port),
        "--model", args.model, "--batch-window-ms", str(args.batch_window_ms),
        "--threads", str(args.threads),
    ]  # fmt: skip
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                _get(port, "/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server, port
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def run_clients(port: int, sources: list[str], clients: int, total: int) -> dict:
    """``total`` requests from ``clients`` threads; latencies and throughput."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    lock = threading.Lock()

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        failed = 0
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                break
            body = json.dumps({"id": index, "source": sources[index % len(sources)]}).encode()
            start = time.perf_counter()
            connection.request("POST", "/predict", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            failed += response.status != 200
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    before = _get(port, "/health")
    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    after = _get(port, "/health")
    batches = after["batches"] - before["batches"]
    ms = sorted(1000 * x for x in latencies)
    return {
        "clients": clients,
        "requests": len(ms),
        "errors": errors,
        "throughput_rps": round(len(ms) / wall, 1),
        "latency_ms": {
            "p50": round(ms[len(ms) // 2], 2),
            "p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
            "mean": round(statistics.fmean(ms), 2),
        },
        "mean_batch_size": round((after["answered"] - before["answered"]) / max(batches, 1), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="yantra-gnn/default")
    parser.add_argument("--data", type=Path, default=None, help="CodeContests jsonl")
    parser.add_argument("--requests", type=int, default=300, help="requests per level")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--memory-requests", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--batch-window-ms", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1, help="server CPU threads per forward")
    args = parser.parse_args(argv)
    sources, origin = load_solutions(args.data)
    sources = [s for s in sources if len(s) <= MAX_SOURCE_CHARS]
    levels = [int(c) for c in args.concurrency.split(",")]
    with running_server(args) as (server, port):
        run_clients(port, sources, max(levels), args.warmup)
        rss_warm = _rss_mb(server.pid)
        answered_warm = _get(port, "/health")["answered"]
        results = [run_clients(port, sources, c, args.requests) for c in levels]
        # Memory: RSS sampled every tenth of the remaining requests, at the top level.
        samples = [(_get(port, "/health")["answered"] - answered_warm, _rss_mb(server.pid))]
        remaining = args.memory_requests - samples[0][0]
        step = max(remaining // 10, 1)
        while remaining > 0:
            run_clients(port, sources, max(levels), min(step, remaining))
            remaining -= step
            answered = _get(port, "/health")["answered"] - answered_warm
            samples.append((answered, _rss_mb(server.pid)))
    report = {
        "benchmark": "bench_serve",
        "model": args.model,
        "programs": f"{len(sources)} {origin}",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "batch_window_ms": args.batch_window_ms,
        "levels": results,
        "memory": {
            "requests_after_warmup": samples[-1][0],
            "rss_after_warmup_mb": round(rss_warm, 1),
            "rss_after_levels_mb": round(samples[0][1], 1),
            "rss_after_mb": round(samples[-1][1], 1),
            "growth_after_levels_mb": round(samples[-1][1] - samples[0][1], 1),
            "rss_mb_by_requests": [[n, round(rss, 1)] for n, rss in samples],
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
