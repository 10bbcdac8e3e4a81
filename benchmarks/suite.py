"""The benchmark suite behind ``python -m benchmarks``: entries, header, timing, reports.

An *entry* measures one path of the library next to a baseline measured in the same
run and compares the two with a target. Entries register themselves with
:func:`entry` in the benchmark modules (:data:`ENTRY_MODULES`); :func:`run_suite` runs
the chosen ones on one :class:`Context` (the real inputs, built once and shared) and
returns one JSON document; :func:`render_markdown` turns it into a table.

The machines these run on are shared and noisy, so an entry times its path and its
baseline *interleaved* (:meth:`Context.interleaved`: alternating, the order flipped
every round), reports medians over rounds and judges the target on the ratio of the
two, which a busy machine moves much less than either time.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch

from benchmarks._common import REPO_ROOT, load_problems, load_solutions, problems_file

if TYPE_CHECKING:
    from torch_geometric.data import Data

    from yantra_gnn.data.dataset import CodeContestsDataset

logger = logging.getLogger("benchmarks")
T = TypeVar("T")

#: Modules whose import registers the suite's entries, in the order the table lists them.
ENTRY_MODULES: tuple[str, ...] = (
    "benchmarks.bench_featurize",
    "benchmarks.bench_cache_format",
    "benchmarks.bench_sandbox",
    "benchmarks.bench_training",
    "benchmarks.bench_latency",
)
#: Interleaved rounds per entry: a full run, and ``--quick``.
DEFAULT_REPEATS = 7
QUICK_REPEATS = 3
#: ``--quick`` labels only the first problems of the training split (the full run: all).
QUICK_PROBLEMS = 24
#: What a ratio is: the entry's value over the baseline's, or the other way round.
RATIO_ORIENTATIONS = ("value/baseline", "baseline/value")
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}
_SYMBOLS = {">=": "≥", "<=": "≤"}


class Skipped(Exception):
    """Raised by an entry that cannot run here; the message says why."""


@dataclass(frozen=True)
class Condition:
    """One part of a target: ``quantity`` (``"ratio"`` or ``"value"``) ``op`` ``bound``."""

    quantity: str
    op: str
    bound: float
    unit: str = "×"

    def __post_init__(self) -> None:
        if self.quantity not in ("ratio", "value") or self.op not in _OPERATORS:
            raise ValueError(f"bad condition {self.quantity!r} {self.op!r}")

    def holds(self, value: float, ratio: float | None) -> bool:
        """Whether the measured ``value`` / ``ratio`` meets this condition."""
        measured = ratio if self.quantity == "ratio" else value
        return measured is not None and _OPERATORS[self.op](measured, self.bound)

    def text(self) -> str:
        """E.g. ``ratio ≥ 0.25×`` or ``value ≤ 60 s``."""
        unit = self.unit if self.unit == "×" else f" {self.unit}"
        return f"{self.quantity} {_SYMBOLS[self.op]} {self.bound:g}{unit}"


@dataclass(frozen=True)
class Baseline:
    """The baseline's figure, measured in the same run."""

    name: str
    value: float
    unit: str


@dataclass
class Measurement:
    """What an entry's function returns.

    Attributes:
        value, unit: the figure of the library's path.
        baseline: the baseline's figure (``None`` for an absolute target).
        details: everything else worth keeping (sizes, percentiles, the raw medians).
        note: one line for the markdown table's notes.
    """

    value: float
    unit: str
    baseline: Baseline | None = None
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One benchmark of the suite.

    Attributes:
        name: what ``--only`` selects it by.
        title: the path measured, for the table.
        function: measures it on a :class:`Context`.
        target: the conditions the figures must all meet (none: the entry reports a
            figure that explains another, such as a bound; ``met`` is then ``None``).
        ratio_of: :data:`RATIO_ORIENTATIONS` member, or ``""`` without a baseline.
    """

    name: str
    title: str
    function: Callable[[Context], Measurement]
    target: tuple[Condition, ...]
    ratio_of: str = "value/baseline"

    def run(self, context: Context) -> dict[str, Any]:
        """The entry's JSON object: measured, skipped (``skipped``) or failed (``error``)."""
        result: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "value": None,
            "unit": None,
            "baseline": None,
            "ratio": None,
            "ratio_of": self.ratio_of or None,
            "target": " and ".join(c.text() for c in self.target),
            "met": None,
            "details": {},
        }
        start = time.perf_counter()
        try:
            measured = self.function(context)
        except Skipped as reason:
            result["skipped"] = str(reason)
            logger.warning("%s skipped: %s", self.name, reason)
        except Exception as error:  # one broken entry must not lose the others' figures
            result["error"] = f"{type(error).__name__}: {error}"
            logger.exception("%s failed", self.name)
        else:
            ratio = None
            if measured.baseline is not None:
                ours, theirs = measured.value, measured.baseline.value
                ratio = ours / theirs if self.ratio_of == "value/baseline" else theirs / ours
                result["baseline"] = {
                    "name": measured.baseline.name,
                    "value": _round(theirs),
                    "unit": measured.baseline.unit,
                }
            result.update(
                value=_round(measured.value),
                unit=measured.unit,
                ratio=None if ratio is None else _round(ratio),
                met=all(c.holds(measured.value, ratio) for c in self.target)
                if self.target
                else None,
                details=measured.details,
            )
            if measured.note:
                result["note"] = measured.note
        result["seconds"] = round(time.perf_counter() - start, 1)
        return result


_REGISTRY: dict[str, Entry] = {}


def entry(
    name: str, title: str, target: Sequence[Condition], ratio_of: str = "value/baseline"
) -> Callable[[Callable[[Context], Measurement]], Callable[[Context], Measurement]]:
    """Register the decorated function as the suite entry ``name``."""
    if ratio_of and ratio_of not in RATIO_ORIENTATIONS:
        raise ValueError(f"ratio_of must be one of {RATIO_ORIENTATIONS} or empty, got {ratio_of}")

    def register(function: Callable[[Context], Measurement]) -> Callable[[Context], Measurement]:
        _REGISTRY[name] = Entry(name, title, function, tuple(target), ratio_of)
        return function

    return register


def bound_entry(
    name: str, title: str
) -> Callable[[Callable[[Context], Measurement]], Callable[[Context], Measurement]]:
    """Register the decorated function as the suite entry ``name`` that reports a bound
    on another entry's ratio (no target of its own; the ratio is baseline / value)."""
    return entry(name, title, target=[], ratio_of="baseline/value")


def entries() -> dict[str, Entry]:
    """Every entry of the suite, by name, in table order."""
    for module in ENTRY_MODULES:
        importlib.import_module(module)
    order = {module: i for i, module in enumerate(ENTRY_MODULES)}
    return dict(
        sorted(
            _REGISTRY.items(),
            key=lambda item: order.get(item[1].function.__module__, len(order)),
        )
    )


def select(names: Sequence[str]) -> list[Entry]:
    """The entries named (all for none), in table order.

    Raises:
        KeyError: a name is not an entry; the message lists the valid ones.
    """
    known = entries()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(
            f"unknown benchmark {', '.join(map(repr, unknown))}; valid names: {', '.join(known)}"
        )
    return [e for name, e in known.items() if not names or name in names]


# ---------------------------------------------------------------------------- context
class Context:
    """The settings of a run and its real inputs, each made once and shared by entries.

    Args:
        quick: the ``--quick`` sizes (fewer rounds, smaller sets; entries say so).
        repeats: interleaved rounds per entry (default by ``quick``).
        device: where models run (``torch.device``).
        data: a CodeContests-schema jsonl (default: the shared sample).
        threads: torch threads of the training entries (default: the Trainer's).
    """

    def __init__(
        self,
        *,
        quick: bool = False,
        repeats: int | None = None,
        device: torch.device | None = None,
        data: Path | None = None,
        threads: int | None = None,
    ) -> None:
        self.quick = quick
        self.repeats = repeats or (QUICK_REPEATS if quick else DEFAULT_REPEATS)
        self.device = device or torch.device("cpu")
        self.data = data
        self.threads = threads

    @property
    def training_threads(self) -> int:
        """Torch threads of the training entries: ``threads``, else the Trainer's default."""
        from yantra_gnn.train import TrainConfig

        return self.threads or TrainConfig().num_threads or torch.get_num_threads()

    # -------------------------------------------------------------- inputs
    @cached_property
    def solutions(self) -> tuple[list[str], str]:
        """The benchmarks' shared programs and where they came from (:func:`load_solutions`)."""
        return load_solutions(self.data)

    @cached_property
    def graphs(self) -> list[Data]:
        """``CodeGraphBuilder().build`` of every solution."""
        from yantra_gnn.graph import CodeGraphBuilder

        builder = CodeGraphBuilder()
        return [builder.build(source) for source in self.solutions[0]]

    @cached_property
    def by_size(self) -> list[int]:
        """Solution indices from the smallest graph to the largest."""
        return sorted(range(len(self.graphs)), key=lambda i: int(self.graphs[i].num_nodes))

    @property
    def median_source(self) -> str:
        """The solution whose graph has the median node count."""
        return self.solutions[0][self.by_size[len(self.by_size) // 2]]

    def spread(self, count: int) -> list[str]:
        """``count`` solutions spread evenly over the size order (smallest to largest)."""
        order = self.by_size
        step = len(order) / count
        return [self.solutions[0][order[int(i * step)]] for i in range(count)]

    @cached_property
    def problems(self) -> tuple[list[dict], str]:
        """Problems with tests and a Python 3 solution (:func:`load_problems`)."""
        return load_problems(self.data)

    @cached_property
    def train_set(self) -> CodeContestsDataset:
        """The labelled training split of the problems, made by the library's pipeline.

        :func:`~yantra_gnn.datasets.codecontests.prepare_from_file` splits the problems
        (seed 0, as the Trainer), :class:`~yantra_gnn.data.dataset.CodeContestsDataset`
        labels them in the sandbox with the default settings and caches the graphs
        under ``~/.yantra/datasets`` (a later run loads the cache). ``--quick`` takes the
        first :data:`QUICK_PROBLEMS` problems.

        Raises:
            Skipped: the data cannot be labelled here (no sandbox) and is not cached.
        """
        from yantra_gnn.data.dataset import CodeContestsDataset
        from yantra_gnn.datasets.codecontests import prepare_from_file
        from yantra_gnn.errors import YantraError

        start = time.perf_counter()
        try:
            root = prepare_from_file(problems_file(self.data), seed=0)
            dataset = CodeContestsDataset(
                root, "train", limit=QUICK_PROBLEMS if self.quick else None, progress=False
            )
        except YantraError as error:
            raise Skipped(f"the labelled training data cannot be made here: {error}") from error
        self.train_set_seconds = round(time.perf_counter() - start, 1)
        return dataset

    @property
    def train_origin(self) -> dict[str, Any]:
        """Where :attr:`train_set` came from, for an entry's details."""
        dataset = self.train_set
        return {
            "labelled_graphs": len(dataset),
            "problems": len(dataset.group_names),
            "cache": str(dataset.cache_path),
            "load_or_label_seconds": self.train_set_seconds,
            "limited_to_first_problems": QUICK_PROBLEMS if self.quick else None,
        }

    # -------------------------------------------------------------- timing
    def synchronize(self) -> None:
        """Wait for the device's queued work (a no-op on CPU)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        elif self.device.type == "mps":
            torch.mps.synchronize()

    def measure(self, function: Callable[[], T]) -> tuple[float, T]:
        """Seconds ``function()`` takes, the device's queued work included, and its result."""
        self.synchronize()
        start = time.perf_counter()
        result = function()
        self.synchronize()
        return time.perf_counter() - start, result

    def timed(self, function: Callable[[], object]) -> float:
        """Seconds ``function()`` takes, the device's queued work included."""
        return self.measure(function)[0]

    def interleaved(
        self, sides: Mapping[str, Callable[[], object]], rounds: int, warmup: int = 1
    ) -> dict[str, list[float]]:
        """Seconds of each side's call in each of ``rounds`` rounds, after ``warmup``.

        In every round each side runs once, one after the other; the order is reversed
        every other round, so load that comes and goes falls on all sides alike.
        """
        names = list(sides)
        times: dict[str, list[float]] = {name: [] for name in names}
        for index in range(warmup + rounds):
            for name in names if index % 2 == 0 else names[::-1]:
                seconds = self.timed(sides[name])
                if index >= warmup:
                    times[name].append(seconds)
        return times


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run with ``count`` torch CPU threads, then restore the previous setting."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def counted_flops(function: Callable[[], object]) -> int:
    """Floating-point operations of ``function()`` as torch's ``FlopCounterMode`` counts
    them: the dense matrix products (forward, and backward when it runs one). Sparse
    products (``embedding_bag``) are not counted: add :func:`sparse_input_flops`."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        function()
    return int(counter.get_total_flops())


def flops_measurement(
    ours: int, plain: int, baseline: str, unit: str, details: dict[str, Any], note: str
) -> Measurement:
    """The :class:`Measurement` of a count of operations: ``ours`` and the baseline's
    ``plain`` floating-point operations, reported in G``unit`` (both counts kept in the
    details as ``flops`` and ``baseline_flops``)."""
    return Measurement(
        value=ours / 1e9,
        unit=unit,
        baseline=Baseline(baseline, plain / 1e9, unit),
        details={**details, "flops": ours, "baseline_flops": plain},
        note=note,
    )


def sparse_input_flops(model: torch.nn.Module, x: torch.Tensor, passes: int = 1) -> int:
    """``2 nnz F_out`` per product of a sparse ``x`` with each 2-d weight of ``model``
    that reads the raw features (``F_in`` = ``x``'s width), times ``passes`` (1: a
    forward; 2: a training step, which also forms those weights' gradients); 0 for a
    dense ``x``."""
    if not x.is_sparse:
        return 0
    nnz = int(x.coalesce().values().numel())
    widths = sum(
        p.size(0)
        for name, p in model.named_parameters()
        if p.dim() == 2 and p.size(1) == x.size(1) and name.endswith("weight")
    )
    return 2 * nnz * widths * passes


def median(values: Sequence[float]) -> float:
    """The median (of seconds, usually)."""
    return float(statistics.median(values))


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean of durations in seconds, in milliseconds."""
    ms = np.asarray(seconds) * 1e3
    return {
        "p50": _round(float(np.percentile(ms, 50))),
        "p95": _round(float(np.percentile(ms, 95))),
        "p99": _round(float(np.percentile(ms, 99))),
        "mean": _round(float(ms.mean())),
        "n": len(ms),
    }


# ---------------------------------------------------------------------------- header
def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def header(context: Context, command: str) -> dict[str, Any]:
    """What the figures depend on: the machine, its load, the versions, the settings."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    status = _git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    return {
        "command": command,
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_available": available,
        "torch_threads": torch.get_num_threads(),
        "training_threads": context.training_threads,
        "predict_threads": [1, 2],
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "load_average_start": [round(v, 2) for v in os.getloadavg()],
        "device": str(context.device),
        "quick": context.quick,
        "repeats": context.repeats,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torch_geometric": _package_version("torch-geometric"),
        "tree_sitter": _package_version("tree-sitter"),
        "yantra_gnn": _package_version("yantra-gnn"),
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_tracked_changes": None if status is None else bool(status),
    }


# ---------------------------------------------------------------------------- running
def run_suite(chosen: Sequence[Entry], context: Context, command: str) -> dict[str, Any]:
    """Run ``chosen`` on ``context``; the JSON document (header, data, entries)."""
    document: dict[str, Any] = {"header": header(context, command)}
    start = time.perf_counter()
    results = []
    for item in chosen:
        logger.info("running %s", item.name)
        results.append(item.run(context))
        logger.info("%s done in %.1f s", item.name, results[-1]["seconds"])
    head = document["header"]
    head["load_average_end"] = [round(v, 2) for v in os.getloadavg()]
    head["seconds"] = round(time.perf_counter() - start, 1)
    if "solutions" in context.__dict__:
        head["solutions"] = {"count": len(context.solutions[0]), "origin": context.solutions[1]}
    document["entries"] = results
    return document


# ---------------------------------------------------------------------------- markdown
def _round(value: float, digits: int = 4) -> float:
    """``value`` to ``digits`` significant digits (JSON stays readable)."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _number(value: float) -> str:
    """3 significant digits, thousands separated: ``0.0542``, ``293``, ``3,516``."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 2:
        return f"{round(value):,}"
    return f"{value:.{max(0, 2 - magnitude)}f}"


def _cell(result: dict[str, Any]) -> list[str]:
    if "skipped" in result:
        return ["skipped", "", "", result["target"], f"skipped: {result['skipped']}"]
    if "error" in result:
        return ["error", "", "", result["target"], f"error: {result['error']}"]
    baseline = result["baseline"]
    theirs = (
        f"{baseline['name']}: {_number(baseline['value'])} {baseline['unit']}" if baseline else "—"
    )
    ratio = f"{_number(result['ratio'])}× ({result['ratio_of']})" if baseline else "—"
    return [
        f"{_number(result['value'])} {result['unit']}",
        theirs,
        ratio,
        result["target"] or "— (a bound, not a target)",
        {True: "**met**", False: "not met", None: "—"}[result["met"]],
    ]


def render_markdown(document: dict[str, Any]) -> str:
    """The run as markdown: one line of header, the table, one note per entry."""
    head = document["header"]
    load = f"load average {head['load_average_start'][0]} at the start"
    if "load_average_end" in head:
        load += f", {head['load_average_end'][0]} at the end"
    lines = [
        f"`{head['command']}`: {head['cpu']}, {head['cores']} cores "
        f"({head['cores_available']} available), torch {head['torch']} ({head['torch_threads']} "
        f"threads by default; training entries at {head['training_threads']}, predict_one "
        f"at 1 and 2), PyG {head['torch_geometric']}, Python "
        f"{head['python']}, tree-sitter {head['tree_sitter']}, device {head['device']}; "
        f"{load}; {head['repeats']} rounds per entry"
        + (" (--quick)" if head["quick"] else "")
        + (f"; {head['seconds']} s in all." if "seconds" in head else "."),
        "",
        "| entry | what | value | baseline (same run) | ratio | target | target met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    notes = []
    for result in document["entries"]:
        lines.append(
            "| " + " | ".join([f"`{result['name']}`", result["title"], *_cell(result)]) + " |"
        )
        if result.get("note"):
            notes.append(f"- `{result['name']}`: {result['note']}")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def command_line(argv: Sequence[str] | None) -> str:
    """How this run was started, for the header."""
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join(["python -m benchmarks", *args])
