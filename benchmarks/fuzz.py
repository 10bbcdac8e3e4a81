"""Fuzz the graph builder and the predictor with generated hostile inputs.

Runs ``CodeGraphBuilder.build`` (and ``Predictor.predict`` / ``predict_batch`` on a tiny
untrained model, and batching of the built graphs) on generated inputs for a fixed time,
in a worker process under an address-space limit, and prints one JSON object: inputs,
inputs per minute, outcomes, failures (the first few reproducers saved to a folder), the
most seconds one input took and the worker's peak RSS.

    python -m benchmarks.fuzz --minutes 3 --seed 0 [--memory-mb 3072] [--out runs/fuzz]

A *failure* is an exception that is not one of the library's documented errors
(:mod:`yantra_gnn.errors`), a worker that died (a crash, or killed past its memory), an
input that took more than ``--max-seconds`` of CPU (default 5; wall time is reported
too, but on a loaded machine it also counts the other processes), a hang (no reply in
60 s), or a prediction that is not a probability. Inputs: random token soup and random unicode (lone surrogates, NULs, odd line
ends included), random bytes, real programs and mutants of them (deleted, duplicated and
inserted spans, broken indentation, truncation, flipped bytes), nesting up to 200,000
deep (brackets, blocks, lambdas, unary operators, attribute and call chains), and large
repetitive programs up to past the 1 MB source cap.

``tests/test_fuzz_properties.py`` runs the same worker (:class:`FuzzWorker`) and
mutations (:func:`apply_mutations`, :func:`nested_source`) under hypothesis.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pickle
import platform
import random
import select
import struct
import subprocess
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Most seconds one input may take before it counts as a failure.
MAX_SECONDS = 5.0
#: Address space of the worker (torch and the model take ~1 GiB of it).
DEFAULT_MEMORY_MB = 3072
#: Seconds without a reply after which the worker is killed as hung.
HANG_SECONDS = 60.0

# ---------------------------------------------------------------------------- inputs
#: Pieces of Python (and of broken Python) that random soups and mutations draw from.
TOKENS: tuple[str, ...] = (
    *"()[]{}:;,.=+-*/%@&|^~<>!'\"#\\\n\t ",
    "def ", "class ", "lambda ", "if ", "elif ", "else:", "for ", " in ", "while ",
    "try:", "except ", "finally:", "with ", " as ", "return ", "yield ", "await ",
    "async ", "import ", "from ", "global ", "nonlocal ", "del ", "pass", "break",
    "continue", "raise ", "assert ", "not ", " and ", " or ", " is ", "match ", "case ",
    "print(", "input()", "x", "y", "_", "self", "None", "True", "0", "1.5e3", "0x1F",
    "'''", '"""', "f'{", "}'", "b'", "r'", "**", "//", ":=", "->", "...", "    ",
    "\r\n", "\r", "\x00", "\x0c", "\ufeff", "\u2028", "é", "λ", "\U0001f600", "\ud800",
)  # fmt: skip
#: Kinds of nesting :func:`nested_source` makes.
NESTING: tuple[str, ...] = (
    "parens", "brackets", "braces", "blocks", "lambdas", "not", "minus", "attributes",
    "calls", "subscripts", "binary", "comprehensions", "fstrings", "decorators", "elifs",
    "strings",
)  # fmt: skip
#: What :func:`apply_mutations` can do to a program.
MUTATIONS: tuple[str, ...] = (
    "delete", "duplicate", "insert", "replace", "swap_lines", "indent", "dedent", "truncate",
)  # fmt: skip


def nested_source(kind: str, depth: int) -> str:
    """A program nested ``depth`` deep in one way (``kind`` of :data:`NESTING`)."""
    depth = max(1, depth)
    if kind == "parens":
        return "x = " + "(" * depth + "1" + ")" * depth + "\n"
    if kind == "brackets":
        return "x = " + "[" * depth + "]" * depth + "\n"
    if kind == "braces":
        return "x = " + "{1: " * depth + "2" + "}" * depth + "\n"
    if kind == "blocks":
        keywords = ("if x:", "while y:", "for i in z:", "with a as b:", "try:", "def f():")
        lines = [" " * i + keywords[i % len(keywords)] for i in range(min(depth, 2_000))]
        return "\n".join(lines) + "\n" + " " * min(depth, 2_000) + "pass\n"
    if kind == "lambdas":
        return "f = " + "lambda: " * depth + "0\n"
    if kind == "not":
        return "x = " + "not " * depth + "y\n"
    if kind == "minus":
        return "x = " + "-" * depth + "1\n"
    if kind == "attributes":
        return "x = a" + ".b" * depth + "\n"
    if kind == "calls":
        return "x = f" + "()" * depth + "\n"
    if kind == "subscripts":
        return "x = a" + "[0]" * depth + "\n"
    if kind == "binary":
        return "x = " + "y + " * depth + "1\n"
    if kind == "comprehensions":
        return "x = " + "[" * depth + "i for i in y" + "]" * depth + "\n"
    if kind == "fstrings":
        inner = "x"
        for level in range(min(depth, 200)):
            quote = "'\""[level % 2]
            inner = f"f{quote}{{{inner}}}{quote}"
        return f"y = {inner}\n"
    if kind == "decorators":
        return "@d\n" * depth + "def f():\n    pass\n"
    if kind == "elifs":
        return "if x:\n    pass\n" + "elif x:\n    x = x + 1\n" * depth
    if kind == "strings":
        return "x = (" + "'a' " * depth + ")\n"
    raise ValueError(f"no nesting kind {kind!r}; choose one of {NESTING}")


def apply_mutations(source: str, mutations: list[tuple[str, float, float, str]]) -> str:
    """``source`` after each ``(what, position, extent, token)`` of ``mutations``:
    ``position`` and ``extent`` are fractions (of the text, of 64 characters), ``what``
    one of :data:`MUTATIONS`, ``token`` what an insertion or a replacement puts in."""
    text = source
    for what, position, extent, token in mutations:
        at = int(position * len(text)) if text else 0
        span = 1 + int(extent * 64)
        if what == "delete":
            text = text[:at] + text[at + span :]
        elif what == "duplicate":
            text = text[:at] + text[at : at + span] * 2 + text[at + span :]
        elif what == "insert":
            text = text[:at] + token + text[at:]
        elif what == "replace":
            text = text[:at] + token + text[at + 1 :]
        elif what in ("swap_lines", "indent", "dedent"):
            lines = text.split("\n")
            i = int(position * len(lines)) % len(lines)
            if what == "swap_lines":
                j = int(extent * len(lines)) % len(lines)
                lines[i], lines[j] = lines[j], lines[i]
            elif what == "indent":
                lines[i] = " " * span + lines[i]
            else:
                lines[i] = lines[i].lstrip()
            text = "\n".join(lines)
        elif what == "truncate":
            text = text[:at]
        else:
            raise ValueError(f"no mutation {what!r}; choose one of {MUTATIONS}")
    return text


def _random_mutations(rng: random.Random) -> list[tuple[str, float, float, str]]:
    return [
        (rng.choice(MUTATIONS), rng.random(), rng.random() ** 3, rng.choice(TOKENS))
        for _ in range(rng.randint(1, 8))
    ]


def _random_text(rng: random.Random) -> str:
    if rng.random() < 0.6:  # token soup: close to Python, far from valid
        return "".join(rng.choice(TOKENS) for _ in range(int(rng.expovariate(1 / 60))))
    # any code point, lone surrogates included
    return "".join(chr(rng.randrange(0x110000)) for _ in range(int(rng.expovariate(1 / 40))))


def _large_source(rng: random.Random) -> str:
    """A large repetitive program, up to past the 1 MB cap."""
    size = int(10 ** rng.uniform(5, 6.05))
    shape = rng.random()
    if shape < 0.2:  # one huge multiple assignment (its dataflow was quadratic)
        n = size // 12
        return ", ".join(f"a{i}" for i in range(n)) + " = " + " + ".join(f"b{i}" for i in range(n))
    if shape < 0.3:  # many calls of a function of many parameters
        params = ", ".join(f"p{i}" for i in range(300))
        call = "f(" + ", ".join("x" for _ in range(300)) + ")\n"
        return f"def f({params}):\n    pass\n" + call * max(1, size // len(call))
    unit = rng.choice(
        (
            "x = x + 1\n",
            "if x:\n    x = x + 1\n",
            "while x:\n    y = x\n    x = y - 1\n",
            "def f(a, b):\n    return a + b\n",
            "a, b = b, a\n",
        )
    )
    return unit * max(1, size // len(unit))


def generate(rng: random.Random, programs: list[str]) -> tuple[str, str | bytes]:
    """One input: ``(its kind, the source)``."""
    roll = rng.random()
    if roll < 0.002:
        return "large", _large_source(rng)
    if roll < 0.25:
        return "random_text", _random_text(rng)
    if roll < 0.35:
        return "random_bytes", rng.randbytes(int(rng.expovariate(1 / 200)))
    if roll < 0.40:
        # mostly up to 2,000 deep; 1 in 20 up to 200,000 (those take seconds each)
        top = 200_000 if rng.random() < 0.05 else 2_000
        depth = int(10 ** rng.uniform(0, math.log10(top)))
        return "nesting", nested_source(rng.choice(NESTING), depth)
    program = rng.choice(programs)
    if roll < 0.52:
        return "program", program
    mutant = apply_mutations(program, _random_mutations(rng))
    if rng.random() < 0.15:  # broken UTF-8: flipped bytes
        data = bytearray(mutant.encode("utf-8", "surrogatepass"))
        for _ in range(rng.randint(1, 4)):
            if data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return "mutant_bytes", bytes(data)
    return "mutant", mutant


def seed_programs(limit: int | None = None) -> tuple[list[str], str]:
    """Real programs to mutate (CodeContests solutions, else standard library files)."""
    from benchmarks._common import load_solutions

    return load_solutions(limit=limit)


# ---------------------------------------------------------------------------- the worker
_HEADER = struct.Struct("<I")


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int, timeout_s: float | None = None) -> Any:
    """The next message on ``fd``; ``EOFError`` when the writer is gone,
    ``TimeoutError`` after ``timeout_s`` without one."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    buffer = b""
    needed = _HEADER.size
    header_done = False
    while True:
        while len(buffer) < needed:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TimeoutError
            chunk = os.read(fd, max(needed - len(buffer), 1 << 16))
            if not chunk:
                raise EOFError
            buffer += chunk
        if header_done:
            return pickle.loads(buffer[:needed])
        (size,) = _HEADER.unpack(buffer[: _HEADER.size])
        buffer = buffer[_HEADER.size :]
        needed, header_done = size, True


@dataclass
class Outcome:
    """What one fuzz call did.

    ``kind``: ``"ok"``, ``"documented"`` (a :mod:`yantra_gnn.errors` class), ``"failure"``
    (any other exception, or a wrong result), ``"crash"`` (the worker died) or
    ``"hang"`` (no reply within :data:`HANG_SECONDS`).
    """

    kind: str
    error: str = ""
    message: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    rss_mb: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    traceback: str = ""

    @property
    def failed(self) -> bool:
        return self.kind in ("failure", "crash", "hang")


class FuzzWorker:
    """A Python process that runs fuzz operations under ``RLIMIT_AS`` (its address space
    after loading torch, the library and a tiny untrained model, plus ``memory_mb``).

    ``call(op, *args)`` returns an :class:`Outcome`; a worker that dies or hangs is
    restarted for the next call. Operations: ``build``, ``predict``, ``predict_batch``,
    ``loader`` (build, batch with torch_geometric and run the model) and ``sandbox``
    (:func:`yantra_gnn.sandbox.run` with the given keyword arguments).
    """

    def __init__(self, memory_mb: int = DEFAULT_MEMORY_MB, seed: int = 0) -> None:
        self.memory_mb = memory_mb
        self.seed = seed
        self.restarts = -1
        self.peak_rss_mb = 0.0
        self.address_space_mb = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._start()

    def _start(self) -> None:
        self.close()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = (
            f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); "
            "from benchmarks.fuzz import _worker_main; "
            f"_worker_main({to_child_r}, {from_child_w}, {self.memory_mb}, {self.seed})"
        )
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(to_child_r, from_child_w),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._write, self._read = to_child_w, from_child_r
        ready = _receive(self._read, timeout_s=600)
        self.address_space_mb = ready["address_space_mb"]
        self.restarts += 1

    def call(self, op: str, *args: Any) -> Outcome:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        try:
            _send(self._write, (op, args))
            reply = _receive(self._read, timeout_s=HANG_SECONDS)
        except TimeoutError:
            self.close()
            return Outcome("hang", seconds=HANG_SECONDS)
        except (EOFError, BrokenPipeError):
            code = self._proc.wait() if self._proc is not None else None
            self.close()
            return Outcome("crash", message=f"the worker died (exit status {code})")
        outcome = Outcome(**reply)
        self.peak_rss_mb = max(self.peak_rss_mb, outcome.rss_mb)
        return outcome

    def close(self) -> None:
        if self._proc is None:
            return
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc = None

    def __enter__(self) -> FuzzWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker_main(read_fd: int, write_fd: int, memory_mb: int, seed: int) -> None:
    """The worker's loop (runs in the child)."""
    import resource
    import warnings

    import torch
    from torch_geometric.data import Batch
    from torch_geometric.loader import DataLoader

    from yantra_gnn.errors import YantraError
    from yantra_gnn.graph import CodeGraphBuilder
    from yantra_gnn.nn import ModelConfig, YantraGNN
    from yantra_gnn.predict import Predictor
    from yantra_gnn.sandbox import run

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    model = YantraGNN(ModelConfig(layer_channels=(16, 16), head_hidden_channels=8, embedding_dim=8))
    model.eval()
    predictor = Predictor(model, device="cpu", num_threads=1)
    builder = CodeGraphBuilder()
    predictor.predict("print(1)\n")  # warm up: first calls allocate
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = (size_kb << 10) + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _send(write_fd, {"address_space_mb": limit / 2**20})

    def check_prediction(prediction: Any) -> None:
        values = [prediction.confidence, *(p for _, p in prediction.imports)]
        values += [p for _, p, _ in prediction.bugs]
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
            raise AssertionError(f"a prediction that is not a probability: {values[:4]}")
        if not bool(torch.isfinite(torch.as_tensor(prediction.embedding)).all()):
            raise AssertionError("a non-finite embedding")

    def build(source: Any, strip_imports: bool = False) -> dict[str, int]:
        graph = builder.build(source, strip_imports=strip_imports)
        nodes, edges = int(graph.num_nodes), int(graph.edge_index.shape[1])
        if edges and not (0 <= int(graph.edge_index.min()) and int(graph.edge_index.max()) < nodes):
            raise AssertionError("an edge index outside the graph")
        return {"nodes": nodes, "edges": edges}

    def predict(source: Any) -> dict[str, Any]:
        check_prediction(predictor.predict(source))
        return {}

    def predict_batch(sources: Any, batch_size: Any = 4) -> dict[str, Any]:
        predictions = predictor.predict_batch(sources, batch_size=batch_size)
        for prediction in predictions:
            check_prediction(prediction)
        return {"predictions": len(predictions)}

    def loader(sources: list[Any]) -> dict[str, Any]:
        graphs = []
        for source in sources:
            try:
                graphs.append(builder.build(source, strip_imports=True))
            except YantraError:
                continue
        if not graphs:
            return {"graphs": 0}
        batch = Batch.from_data_list(graphs)
        if int(batch.num_nodes) != sum(int(g.num_nodes) for g in graphs):
            raise AssertionError("the batch lost nodes")
        seen = 0
        with torch.inference_mode():
            for part in DataLoader(graphs, batch_size=3):
                out = model(part)
                if not bool(torch.isfinite(out.confidence_logit).all()):
                    raise AssertionError("a non-finite confidence logit")
                seen += int(part.num_graphs)
        if seen != len(graphs):
            raise AssertionError("the loader lost graphs")
        return {"graphs": len(graphs)}

    def sandbox(kwargs: dict[str, Any]) -> dict[str, Any]:
        result = run(**kwargs)
        return {"status": result.status.value}

    operations = {
        "build": build,
        "predict": predict,
        "predict_batch": predict_batch,
        "loader": loader,
        "sandbox": sandbox,
    }
    while True:
        try:
            op, args = _receive(read_fd)
        except EOFError:
            return
        start, cpu_start = time.perf_counter(), time.process_time()
        reply: dict[str, Any] = {"kind": "ok"}
        try:
            reply["detail"] = operations[op](*args)
        except YantraError as error:
            reply.update(kind="documented", error=type(error).__name__, message=str(error)[:300])
        except BaseException as error:  # noqa: BLE001 - everything else is the finding
            reply.update(
                kind="failure",
                error=type(error).__name__,
                message=str(error)[:300],
                traceback=traceback.format_exc()[-4000:],
            )
        reply["seconds"] = time.perf_counter() - start
        reply["cpu_seconds"] = time.process_time() - cpu_start
        reply["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        _send(write_fd, reply)


# ---------------------------------------------------------------------------- the run
def _save_reproducer(folder: Path, index: int, op: str, source: Any, outcome: Outcome) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"failure-{index:03d}"
    data = source if isinstance(source, bytes) else str(source).encode("utf-8", "surrogatepass")
    stem.with_suffix(".input").write_bytes(data)
    record = {
        "op": op,
        "input_file": stem.with_suffix(".input").name,
        "input_is_bytes": isinstance(source, bytes),
        "outcome": outcome.kind,
        "error": outcome.error,
        "message": outcome.message,
        "seconds": outcome.seconds,
        "traceback": outcome.traceback,
    }
    stem.with_suffix(".json").write_text(json.dumps(record, indent=2))
    return str(stem.with_suffix(".input"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=DEFAULT_MEMORY_MB, help="worker headroom")
    parser.add_argument(
        "--max-seconds", type=float, default=MAX_SECONDS, help="more CPU s = failure"
    )
    parser.add_argument("--predict-every", type=int, default=4, help="1 input in N is predicted")
    parser.add_argument(
        "--out", type=Path, default=None, help="reproducers (default runs/fuzz-SEED)"
    )
    parser.add_argument("--keep", type=int, default=10, help="reproducers to save")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    programs, origin = seed_programs()
    out = args.out or REPO_ROOT / "runs" / f"fuzz-{args.seed}"
    by_kind: Counter[str] = Counter()
    by_op: Counter[str] = Counter()
    seconds_by_kind: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    failed_kinds: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    slowest = (0.0, "", "")
    max_cpu = 0.0
    inputs = 0
    with FuzzWorker(args.memory_mb, args.seed) as worker:
        start = time.monotonic()
        deadline = start + 60 * args.minutes
        recent: list[str | bytes] = []
        while time.monotonic() < deadline:
            kind, source = generate(rng, programs)
            if kind != "large":  # batches of ordinary inputs: the per-input limit holds
                recent = (recent + [source])[-6:]
            roll = rng.random()
            if roll < 1 / max(args.predict_every, 1):
                op, call_args = "predict", (source,)
            elif roll < 1 / max(args.predict_every, 1) + 0.02:
                op, call_args = "predict_batch", (list(recent), rng.randint(1, 4))
            elif roll < 1 / max(args.predict_every, 1) + 0.04:
                op, call_args = "loader", (list(recent),)
            else:
                op, call_args = "build", (source, rng.random() < 0.5)
            outcome = worker.call(op, *call_args)
            inputs += 1
            by_kind[kind] += 1
            by_op[op] += 1
            seconds_by_kind[kind] += outcome.seconds
            # CPU seconds: on a loaded machine wall time also counts the other processes
            if not outcome.failed and outcome.cpu_seconds > args.max_seconds:
                outcome.kind, outcome.error = "failure", "slow"
            outcomes[outcome.kind] += 1
            if outcome.kind == "documented":
                errors[outcome.error] += 1
            if outcome.seconds > slowest[0]:
                slowest = (outcome.seconds, kind, op)
            max_cpu = max(max_cpu, outcome.cpu_seconds)
            if outcome.failed:
                failed_kinds[kind] += 1
                entry = {"kind": kind, "op": op, "outcome": outcome.kind, "error": outcome.error}
                if len(failures) < args.keep:
                    entry["reproducer"] = _save_reproducer(out, len(failures), op, source, outcome)
                    entry["message"] = outcome.message
                failures.append(entry)
        elapsed = time.monotonic() - start
    result = {
        "benchmark": "fuzz",
        "command": f"python -m benchmarks.fuzz --minutes {args.minutes:g} --seed {args.seed}",
        "seed": args.seed,
        "minutes": elapsed / 60,
        "programs": origin,
        "python": platform.python_version(),
        "inputs": inputs,
        "inputs_per_minute": inputs / (elapsed / 60),
        "inputs_by_kind": dict(sorted(by_kind.items())),
        "calls_by_operation": dict(sorted(by_op.items())),
        "worker_seconds_by_kind": {k: round(v, 2) for k, v in sorted(seconds_by_kind.items())},
        "outcomes": dict(sorted(outcomes.items())),
        "documented_errors": dict(sorted(errors.items())),
        "failures": len(failures),
        "failures_by_kind": dict(sorted(failed_kinds.items())),
        "failure_examples": failures[: args.keep],
        "reproducers": str(out) if failures else None,
        "max_seconds_per_input": slowest[0],
        "max_cpu_seconds_per_input": max_cpu,
        "slowest_input": {"kind": slowest[1], "op": slowest[2]},
        "max_cpu_seconds_allowed": args.max_seconds,
        "peak_rss_mb": worker.peak_rss_mb,
        "address_space_limit_mb": worker.address_space_mb,
        "worker_restarts": worker.restarts,
    }
    print(json.dumps(result, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
