"""Label a split problem by problem, on any executor, resumably: ``labelled/{split}/``.

Labelling is embarrassingly parallel by problem. The unit of work,
:func:`label_problem`, is a pure function of one problem row and the
:class:`~yantra_gnn.labels.labelling.LabelSettings`: it calls
:func:`~yantra_gnn.labels.labelling.label_problems` on that problem alone (its seeds are
``settings.seed`` plus the solution's number *within the problem*, so neither other
problems nor their order change its result) and runs its programs one after the other
in the sandbox, which still contains each of them. :func:`label_split` maps it over the
rows with an :class:`~yantra_gnn.labels.executors.Executor` (a local process pool, or
Dask) and writes::

    DIRECTORY/                   (OUTPUT/labelled/train, OUTPUT/labelled/val)
        0123abcd….json           one file per problem, named by a hash of its name:
                                 its LabelledPrograms and LabelStats, with a checksum
        0123abcd….graphs         the graphs of those programs (:func:`encode_graphs`:
                                 built on the worker with ``strip_imports=True``, as
                                 the dataset builds them; labels that depend on the
                                 vocabularies are attached by the dataset)
        manifest.json            written last: problems in input order, each file's
                                 SHA-256, the settings and their digest, the graph
                                 spec (feature spec version, builder settings), counts

Every file is written atomically (canonical JSON; a graphs file is a canonical JSON
header and zlib streams), and nothing in it depends on time, worker or order: the directory is byte for byte the same whichever executor, worker
count or number of restarts produced it (outcomes that depend on the machine's speed,
``timeout`` verdicts, aside).

Resuming: the manifest is removed when a run starts. A result file that exists, parses,
passes its checksum and was made from the same row with the same settings is kept; every
other problem is labelled (again). A problem counts as done only when its graphs file
also passes its checksum and was built from that result with the current
:func:`graph_spec`; a kept result whose graphs are missing or stale (a new feature spec)
has only its graphs built again, on a worker. A killed run, run again, redoes only the
problems it had not finished.

Streaming: rows are read lazily and at most ``max_in_flight`` problems are in flight;
the driver keeps one short entry per problem for the manifest.

:class:`~yantra_gnn.data.dataset.CodeContestsDataset` uses ``ROOT/labelled/{split}``
instead of labelling in-process when :func:`usable_manifest` accepts it, and the graphs
of :func:`read_prebuilt_graphs` instead of building them when their spec matches.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from yantra_gnn.datasets.codecontests import BAD_ROW_POLICIES, validate_problem_row
from yantra_gnn.datasets.jsonl import json_lines
from yantra_gnn.errors import ConfigError, DatasetError, SourceError
from yantra_gnn.files import atomic_write
from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder, pack_features
from yantra_gnn.labels.executors import Executor, LocalExecutor
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings, LabelStats, label_problems
from yantra_gnn.sandbox import ResultCache

__all__ = [
    "GRAPHS_FORMAT",
    "GRAPH_TENSORS",
    "GRAPHS_SUFFIX",
    "LABELLED_DIR",
    "MANIFEST_FILE",
    "RESULT_FORMAT",
    "LabelRunStats",
    "ProblemJob",
    "ProblemOutcome",
    "decode_graphs",
    "decode_result",
    "encode_graphs",
    "encode_result",
    "graph_spec",
    "graphs_name",
    "label_prepared_split",
    "label_problem",
    "label_split",
    "labelled_dir",
    "program_graph",
    "read_labelled",
    "read_prebuilt_graphs",
    "result_name",
    "usable_manifest",
]

logger = logging.getLogger(__name__)

#: Folder of a prepared dataset that holds the labelled splits.
LABELLED_DIR = "labelled"
#: The file written last in a labelled split.
MANIFEST_FILE = "manifest.json"
#: Version of the result and manifest files.
RESULT_FORMAT = 1
#: Version of the per-problem graphs files.
GRAPHS_FORMAT = 1
#: Suffix of a problem's graphs file (beside its ``.json`` result).
GRAPHS_SUFFIX = ".graphs"
_RESULT_FILE = re.compile(r"^[0-9a-f]{24}\.(json|graphs)$")
_MAX_BAD_ROW_EXAMPLES = 20
_LOG_EVERY_S = 30.0
_HASH_CHUNK = 1 << 20


def labelled_dir(root: str | os.PathLike[str], split: str) -> Path:
    """``ROOT/labelled/SPLIT``: where the labelled problems of a prepared split go."""
    return Path(root).expanduser() / LABELLED_DIR / split


def result_name(problem: str) -> str:
    """File name of a problem's result: 24 hex digits of the SHA-256 of its name."""
    return hashlib.sha256(problem.encode("utf-8")).hexdigest()[:24] + ".json"


def graphs_name(problem: str) -> str:
    """File name of a problem's graphs: its result's name with :data:`GRAPHS_SUFFIX`."""
    return result_name(problem).removesuffix(".json") + GRAPHS_SUFFIX


def _canonical(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def row_sha256(row: dict) -> str:
    """SHA-256 of a problem row's canonical JSON (a result records the row it came from)."""
    return hashlib.sha256(_canonical(row)).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stats_dict(stats: LabelStats) -> dict[str, Any]:
    """A problem's LabelStats without its wall-clock ``seconds`` (results are timeless)."""
    out = stats.to_dict()
    out.pop("seconds")
    return out


def _settings_dict(settings: LabelSettings) -> dict[str, Any]:
    out = asdict(settings)
    out["rewrite_kinds"] = list(settings.rewrite_kinds)
    return out


def _add_stats(total: LabelStats, stats: dict[str, Any]) -> None:
    """Add one result's stats (as :func:`_stats_dict` wrote them) to ``total``."""
    for item in fields(total):
        if item.name == "seconds":
            continue
        value = getattr(total, item.name)
        if isinstance(value, Counter):
            value.update(stats[item.name])
        else:
            setattr(total, item.name, value + int(stats[item.name]))


# --------------------------------------------------------------------------- results


def encode_result(
    problem: str,
    row_digest: str,
    settings: LabelSettings,
    programs: list[LabelledProgram],
    stats: LabelStats,
) -> bytes:
    """The bytes of a problem's result file: canonical JSON with a ``checksum`` (SHA-256
    of the canonical JSON of every other field)."""
    body = {
        "format": RESULT_FORMAT,
        "problem": problem,
        "row_sha256": row_digest,
        "settings_digest": settings.digest(),
        "programs": [program.to_json() for program in programs],
        "stats": _stats_dict(stats),
    }
    checksum = hashlib.sha256(_canonical(body)).hexdigest()
    return _canonical({**body, "checksum": checksum}) + b"\n"


def decode_result(data: bytes) -> dict[str, Any]:
    """A result file's fields, checked (format, checksum, field types).

    Raises:
        ValueError: not a result file, or its bytes changed (the message says how).
    """
    try:
        result = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(result, dict) or result.get("format") != RESULT_FORMAT:
        raise ValueError(f"not a result file of format {RESULT_FORMAT}")
    checksum = result.pop("checksum", None)
    if checksum != hashlib.sha256(_canonical(result)).hexdigest():
        raise ValueError("fails its checksum (its bytes changed after it was written)")
    if not isinstance(result.get("programs"), list) or not isinstance(result.get("stats"), dict):
        raise ValueError("has no programs or stats")
    return result


# --------------------------------------------------------------------------- graphs

#: The graph tensors of one program, as :func:`program_graph` makes them (and the
#: dataset stores them, labels aside).
GRAPH_TENSORS = (
    "row_ptr",
    "col",
    "value",
    "edge_index",
    "edge_type",
    "node_kind",
    "node_span",
    "has_error",
)
#: The compressed arrays of a graphs file, in file order, and the dtype of each. Every
#: array holds the problem's graphs one after the other: the CSR row pointers
#: delta-coded, node spans column-major (``[4, N]``), edge sources delta-coded and
#: targets as target minus source (int32, wrapping), one ``has_error`` byte per graph.
_GRAPH_STREAMS: dict[str, np.dtype] = {
    "row_ptr": np.dtype(np.int32),
    "col": np.dtype(np.int16),
    "value": np.dtype(np.float16),
    "node_kind": np.dtype(np.int32),
    "node_span": np.dtype(np.int32),
    "edge_type": np.dtype(np.uint8),
    "edge_source": np.dtype(np.int32),
    "edge_target": np.dtype(np.int32),
    "has_error": np.dtype(np.uint8),
}
_GRAPH_COUNTS = ("num_nodes", "num_features", "num_edges")
_ZLIB_LEVEL = 6


def graph_spec() -> dict[str, Any]:
    """How the graphs of a labelled split are built: the feature spec version and the
    settings of the builder :func:`~yantra_gnn.data.dataset.graph_items` uses
    (``CodeGraphBuilder()``, ``strip_imports=True``). Graphs recorded with another spec
    are not used."""
    builder = CodeGraphBuilder()
    return {
        "feature_spec": FEATURE_SPEC_VERSION,
        "strip_imports": True,
        "max_source_bytes": builder.max_source_bytes,
        "max_nodes": builder.max_nodes,
        "max_edges": builder.max_edges,
    }


def program_graph(builder: CodeGraphBuilder, source: str) -> dict[str, torch.Tensor]:
    """The graph of one program as the dataset stores it (built with ``strip_imports=True``).

    Returns:
        ``row_ptr`` ``[N + 1]`` int32, ``col`` ``[nnz]`` int16 and ``value`` ``[nnz]``
        float16 (:func:`~yantra_gnn.graph.pack_features`), ``edge_index`` ``[2, E]``
        int32, ``edge_type`` ``[E]`` uint8, ``node_kind`` ``[N]`` int32, ``node_span``
        ``[N, 4]`` int32, ``has_error`` ``[1]`` bool.

    Raises:
        SourceError: the program has no graph (empty, too large, ...).
    """
    data = builder.build(source, strip_imports=True)
    return {
        **pack_features(data.x),
        "edge_index": data.edge_index.to(torch.int32),
        "edge_type": data.edge_type.to(torch.uint8),
        "node_kind": data.node_kind.to(torch.int32),
        "node_span": data.node_span.to(torch.int32),
        "has_error": data.has_error,
    }


def _delta(values: np.ndarray) -> np.ndarray:
    """Differences of consecutive int32 values (wrapping: a cumulative sum inverts it)."""
    deltas = values.astype(np.int32)
    deltas[1:] -= values[:-1]
    return deltas


def encode_graphs(problem: str, result_sha256: str, programs: Sequence[LabelledProgram]) -> bytes:
    """Build the graph of every program of a problem and return its graphs file.

    The file is one line of canonical JSON (format, problem, the SHA-256 of the result
    file the programs came from, :func:`graph_spec`, the programs without a graph and
    why, per graph ``num_nodes``, ``num_features``, ``num_edges``, the stream lengths
    and a ``checksum``: SHA-256 of the header's other fields and the payload), then the
    payload: the zlib streams of :data:`_GRAPH_STREAMS`. Nothing in it depends on time
    or machine.
    """
    builder = CodeGraphBuilder()
    graphs: list[dict[str, torch.Tensor]] = []
    skipped: list[list[int | str]] = []
    for index, program in enumerate(programs):
        try:
            graphs.append(program_graph(builder, program.source))
        except SourceError as error:
            skipped.append([index, str(error)])

    def cat(name: str, dtype: np.dtype, row: int | None = None) -> np.ndarray:
        parts = [
            (graph[name] if row is None else graph[name][row]).numpy().reshape(-1)
            for graph in graphs
        ]
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

    int32 = np.dtype(np.int32)
    sources = cat("edge_index", int32, 0)
    spans = (
        np.concatenate([graph["node_span"].numpy() for graph in graphs]).astype(np.int32)
        if graphs
        else np.empty((0, 4), np.int32)
    )
    arrays = {
        "row_ptr": _delta(cat("row_ptr", int32)),
        "col": cat("col", _GRAPH_STREAMS["col"]),
        "value": cat("value", _GRAPH_STREAMS["value"]),
        "node_kind": cat("node_kind", int32),
        "node_span": np.ascontiguousarray(spans.T),
        "edge_type": cat("edge_type", _GRAPH_STREAMS["edge_type"]),
        "edge_source": _delta(sources),
        "edge_target": cat("edge_index", int32, 1) - sources,
        "has_error": cat("has_error", _GRAPH_STREAMS["has_error"]),
    }
    blobs = [
        zlib.compress(np.ascontiguousarray(arrays[name]).tobytes(), _ZLIB_LEVEL)
        for name in _GRAPH_STREAMS
    ]
    payload = b"".join(blobs)
    header: dict[str, Any] = {
        "format": GRAPHS_FORMAT,
        "problem": problem,
        "result_sha256": result_sha256,
        "spec": graph_spec(),
        "programs": len(programs),
        "skipped": skipped,
        "num_nodes": [graph["node_kind"].shape[0] for graph in graphs],
        "num_features": [graph["col"].shape[0] for graph in graphs],
        "num_edges": [graph["edge_type"].shape[0] for graph in graphs],
        "streams": [[name, len(blob)] for name, blob in zip(_GRAPH_STREAMS, blobs, strict=True)],
    }
    header["checksum"] = hashlib.sha256(_canonical(header) + b"\n" + payload).hexdigest()
    return _canonical(header) + b"\n" + payload


def _graphs_header(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The checked header of a graphs file and its payload.

    Raises:
        ValueError: not a graphs file, or its bytes changed (the message says how).
    """
    head, newline, payload = data.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"its header is not valid JSON ({error})") from None
    if not newline or not isinstance(header, dict) or header.get("format") != GRAPHS_FORMAT:
        raise ValueError(f"not a graphs file of format {GRAPHS_FORMAT}")
    checksum = header.pop("checksum", None)
    if checksum != hashlib.sha256(_canonical(header) + b"\n" + payload).hexdigest():
        raise ValueError("fails its checksum (its bytes changed after it was written)")
    return header, payload


def _inflate(blob: bytes, name: str, size: int) -> bytes:
    """The ``size`` bytes compressed in ``blob`` (never more are inflated)."""
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(blob, size + 1)
    except zlib.error as error:
        raise ValueError(f"stream {name} is not a valid zlib stream ({error})") from None
    if len(raw) != size or not inflate.eof:
        raise ValueError(f"stream {name} does not hold the {size} bytes its counts give")
    return raw


def decode_graphs(data: bytes) -> tuple[dict[str, Any], list[dict[str, torch.Tensor] | str]]:
    """The header of a graphs file (:func:`encode_graphs`) and, per program of its
    problem in order, the tensors of :func:`program_graph` exactly (same dtypes, shapes
    and values) or, for a program without a graph, why (the builder's message).

    The form is checked (checksum, counts, stream sizes); the values are checked by the
    dataset (:func:`~yantra_gnn.data.dataset.validate_items`).

    Raises:
        ValueError: not a graphs file, its bytes changed, or it is malformed.
    """
    header, payload = _graphs_header(data)
    try:
        counts = [np.asarray(header[name], dtype=np.int64) for name in _GRAPH_COUNTS]
        programs, skipped, streams = header["programs"], header["skipped"], header["streams"]
        skip_at = {int(index): str(why) for index, why in skipped}
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"its header is malformed ({error})") from None
    nodes, features, edges = counts
    graphs = nodes.shape[0]
    if any(c.ndim != 1 or c.shape[0] != graphs or bool((c < 0).any()) for c in counts):
        raise ValueError("its per-graph counts are not one non-negative count per graph")
    if (
        not isinstance(programs, int)
        or graphs + len(skip_at) != programs
        or len(skip_at) != len(skipped)
    ):
        raise ValueError(f"{graphs} graphs and {len(skipped)} skipped are not {programs} programs")
    if any(not 0 <= index < programs for index in skip_at):
        raise ValueError("a skipped program's index is out of range")
    if [name for name, _ in streams] != list(_GRAPH_STREAMS):
        raise ValueError(f"its streams are not {list(_GRAPH_STREAMS)}")
    total_nodes, total_features, total_edges = (int(c.sum()) for c in counts)
    sizes = {
        "row_ptr": total_nodes + graphs,
        "col": total_features,
        "value": total_features,
        "node_kind": total_nodes,
        "node_span": 4 * total_nodes,
        "edge_type": total_edges,
        "edge_source": total_edges,
        "edge_target": total_edges,
        "has_error": graphs,
    }
    arrays: dict[str, np.ndarray] = {}
    offset = 0
    for name, length in streams:
        if not isinstance(length, int) or length < 0 or offset + length > len(payload):
            raise ValueError(f"stream {name} runs past the end of the file")
        dtype = _GRAPH_STREAMS[name]
        raw = _inflate(payload[offset : offset + length], name, sizes[name] * dtype.itemsize)
        arrays[name] = np.frombuffer(raw, dtype=dtype).copy()
        offset += length
    if offset != len(payload):
        raise ValueError("the payload is longer than its streams")

    node_sizes, feature_sizes, edge_sizes = nodes.tolist(), features.tolist(), edges.tolist()
    sources = np.cumsum(arrays["edge_source"], dtype=np.int32)
    targets = arrays["edge_target"] + sources  # int32, wrapping
    # each graph's [2, E_g] block in turn: its sources, then its targets
    graph_of = np.repeat(np.arange(graphs), edges)
    base = np.cumsum(edges) - edges
    position = np.arange(total_edges) - base[graph_of]
    edge_index = np.empty(2 * total_edges, dtype=np.int32)
    edge_index[2 * base[graph_of] + position] = sources
    edge_index[2 * base[graph_of] + edges[graph_of] + position] = targets
    columns = {
        "row_ptr": torch.from_numpy(np.cumsum(arrays["row_ptr"], dtype=np.int32)).split(
            [n + 1 for n in node_sizes]
        ),
        "col": torch.from_numpy(arrays["col"]).split(feature_sizes),
        "value": torch.from_numpy(arrays["value"]).split(feature_sizes),
        "edge_index": [
            block.view(2, size)
            for block, size in zip(
                torch.from_numpy(edge_index).split([2 * e for e in edge_sizes]),
                edge_sizes,
                strict=True,
            )
        ],
        "edge_type": torch.from_numpy(arrays["edge_type"]).split(edge_sizes),
        "node_kind": torch.from_numpy(arrays["node_kind"]).split(node_sizes),
        "node_span": torch.from_numpy(arrays["node_span"].reshape(4, -1).T.copy()).split(
            node_sizes
        ),
        "has_error": torch.from_numpy(arrays["has_error"].astype(np.bool_)).split(1),
    }
    built = iter(
        [
            dict(zip(GRAPH_TENSORS, values, strict=True))
            for values in zip(*(columns[name] for name in GRAPH_TENSORS), strict=True)
        ]
        if graphs
        else []
    )
    out: list[dict[str, torch.Tensor] | str] = [
        skip_at[index] if index in skip_at else next(built) for index in range(programs)
    ]
    return header, out


@dataclass(frozen=True)
class ProblemJob:
    """One problem to label: what a worker needs (and nothing from the driver's state).

    Attributes:
        index: position of the problem in the input (bad rows not counted).
        name: the problem's name.
        row: the problem row (Hugging Face schema, as ``yantra-gnn download`` writes it).
        row_sha256: :func:`row_sha256` of ``row``.
        settings: how labels are made.
        sandbox_cache: directory of the sandbox's :class:`~yantra_gnn.sandbox.ResultCache`
            on the worker, or ``None`` for none.
        labelled: the problem's result file when an earlier run labelled it but its
            graphs are missing or stale: only the graphs are built.
    """

    index: int
    name: str
    row: dict
    row_sha256: str
    settings: LabelSettings
    sandbox_cache: str | None = None
    labelled: bytes | None = None


@dataclass(frozen=True)
class ProblemOutcome:
    """What labelling one problem gave: its result and graphs files' bytes and a few counts.

    Attributes:
        name: the problem.
        data: the result file (:func:`encode_result`).
        graphs: the graphs file (:func:`encode_graphs`).
        programs: labelled programs kept.
        programs_run: programs run in the sandbox.
        without_tests: the problem has no tests (nothing could be labelled).
        seconds: wall-clock time on the worker (not stored in the result).
        graph_seconds: the part of ``seconds`` spent building the graphs.
    """

    name: str
    data: bytes
    graphs: bytes
    programs: int
    programs_run: int
    without_tests: bool
    seconds: float
    graph_seconds: float


_CACHES: dict[str, ResultCache] = {}


def _worker_cache(directory: str | None) -> ResultCache | None:
    """The sandbox cache of this worker process (opened once per directory)."""
    if directory is None:
        return None
    if directory not in _CACHES:
        _CACHES[directory] = ResultCache(directory)
    return _CACHES[directory]


def label_problem(job: ProblemJob) -> ProblemOutcome:
    """Label one problem: run its solutions, mutants and rewrites in the sandbox, one at
    a time, then build the graph of every labelled program. The unit of work of
    :func:`label_split`, run on a worker; a pure function of ``job.row`` and
    ``job.settings`` (timeouts aside). With ``job.labelled``, only the graphs are built."""
    started = time.perf_counter()
    if job.labelled is None:
        programs, stats = label_problems(
            [job.row],
            job.settings,
            cache=_worker_cache(job.sandbox_cache),
            workers=1,
            progress=False,
        )
        data = encode_result(job.name, job.row_sha256, job.settings, programs, stats)
        programs_run, without_tests = stats.programs_run, stats.problems_without_tests > 0
    else:
        data = job.labelled
        programs = [LabelledProgram.from_json(row) for row in decode_result(data)["programs"]]
        programs_run, without_tests = 0, False
    building = time.perf_counter()
    graphs = encode_graphs(job.name, hashlib.sha256(data).hexdigest(), programs)
    finished = time.perf_counter()
    return ProblemOutcome(
        name=job.name,
        data=data,
        graphs=graphs,
        programs=len(programs),
        programs_run=programs_run,
        without_tests=without_tests,
        seconds=finished - started,
        graph_seconds=finished - building,
    )


def _valid_result(path: Path, job: ProblemJob) -> tuple[bytes, dict[str, Any]] | None:
    """The bytes and fields of ``path`` when it is a finished result of ``job``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("%s: cannot read it (%s); labelling %r again", path, error, job.name)
        return None
    try:
        result = decode_result(data)
    except ValueError as error:
        logger.warning("%s: %s; labelling %r again", path, error, job.name)
        return None
    expected = (job.name, job.row_sha256, job.settings.digest())
    found = (result.get("problem"), result.get("row_sha256"), result.get("settings_digest"))
    if found != expected:
        logger.info(
            "%s: made from another row or other settings; labelling %r again", path, job.name
        )
        return None
    return data, result


def _valid_graphs(path: Path, name: str, result_data: bytes) -> bytes | None:
    """The bytes of ``path`` when it holds the graphs, built with the current
    :func:`graph_spec`, of the result file ``result_data`` of problem ``name``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("%s: cannot read it (%s); building %r's graphs again", path, error, name)
        return None
    try:
        header, _ = _graphs_header(data)
    except ValueError as error:
        logger.warning("%s: %s; building %r's graphs again", path, error, name)
        return None
    expected = (name, hashlib.sha256(result_data).hexdigest(), graph_spec())
    found = (header.get("problem"), header.get("result_sha256"), header.get("spec"))
    if found != expected:
        logger.info(
            "%s: made from another result or with another graph spec; building %r's graphs again",
            path,
            name,
        )
        return None
    return data


# --------------------------------------------------------------------------- progress


class _Progress:
    """Problems/s, programs/s and ETA of the problems labelled in this run: a tqdm bar, or
    a log line every 30 seconds."""

    def __init__(self, total: int | None, bar: bool, describe: str) -> None:
        from tqdm.auto import tqdm

        self.total = total
        self.describe = describe
        self.started = time.perf_counter()
        self.last_log = self.started
        self.done = 0  # labelled in this run
        self.reused = 0
        self.programs = 0
        self.runs = 0
        self.bar = tqdm(total=total, desc=describe, unit=" problems", disable=not bar)
        self.logging = not bar

    def _rates(self) -> tuple[float, float, float, float | None]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        problems_s, programs_s, runs_s = (
            self.done / elapsed,
            self.programs / elapsed,
            self.runs / elapsed,
        )
        eta = None
        if self.total is not None and problems_s > 0:
            eta = max(self.total - self.done - self.reused, 0) / problems_s
        return problems_s, programs_s, runs_s, eta

    def add(self, outcome: ProblemOutcome | None) -> None:
        """One problem finished (``None``: a result reused from an earlier run)."""
        if outcome is None:
            self.reused += 1
        else:
            self.done += 1
            self.programs += outcome.programs
            self.runs += outcome.programs_run
        problems_s, programs_s, _, _ = self._rates()
        self.bar.set_postfix(programs_s=f"{programs_s:.1f}", reused=self.reused, refresh=False)
        self.bar.update(1)
        now = time.perf_counter()
        if self.logging and now - self.last_log >= _LOG_EVERY_S:
            self.last_log = now
            self.log()

    def log(self) -> None:
        problems_s, programs_s, runs_s, eta = self._rates()
        finished = self.done + self.reused
        of = f"/{self.total}" if self.total is not None else ""
        logger.info(
            "%s: %d%s problems (%d reused), %.2f problems/s, %.1f programs/s "
            "(%.1f sandbox runs/s), ETA %s",
            self.describe,
            finished,
            of,
            self.reused,
            problems_s,
            programs_s,
            runs_s,
            f"{eta:.0f}s" if eta is not None else "unknown",
        )

    def close(self) -> None:
        self.bar.close()


# --------------------------------------------------------------------------- the driver


@dataclass(frozen=True)
class LabelRunStats:
    """What one :func:`label_split` run did.

    Attributes:
        directory: the labelled split.
        manifest: its ``manifest.json``.
        problems: problems in the manifest.
        labelled: problems labelled (and their graphs built) by this run.
        reused: problems whose result and graphs an earlier run had written.
        bad_rows: rows skipped as malformed.
        programs: labelled programs in the manifest.
        programs_run: sandbox programs run by this run.
        seconds: wall-clock time of this run.
        worker_seconds: wall-clock time the workers spent on this run's problems.
        graphs_rebuilt: problems whose labels an earlier run had written but whose
            graphs were missing or stale: only their graphs were built by this run.
        graph_seconds: the part of ``worker_seconds`` spent building graphs.
    """

    directory: Path
    manifest: Path
    problems: int
    labelled: int
    reused: int
    bad_rows: int
    programs: int
    programs_run: int
    seconds: float
    worker_seconds: float
    graphs_rebuilt: int
    graph_seconds: float


@dataclass(frozen=True)
class _Located:
    """A row with where it came from (``line 7``), or why it could not be read."""

    location: str
    row: object
    reason: str | None = None


def label_split(
    rows: Iterable[object],
    directory: str | os.PathLike[str],
    settings: LabelSettings | None = None,
    *,
    executor: Executor | None = None,
    sandbox_cache: str | os.PathLike[str] | None = None,
    max_in_flight: int | None = None,
    on_bad_row: str = "skip",
    source: dict[str, str] | None = None,
    total: int | None = None,
    progress: bool = False,
    describe: str = "labelling",
) -> LabelRunStats:
    """Label every problem of ``rows`` into ``directory`` and build the graphs of its
    labelled programs; resumes an earlier run there.

    Args:
        rows: problem rows (Hugging Face schema), read lazily.
        directory: where the result files and ``manifest.json`` go (created).
        settings: how labels are made (default ``LabelSettings()``).
        executor: where problems run (default: a :class:`LocalExecutor`, one worker per
            core, closed at the end; an executor passed in is left open).
        sandbox_cache: the sandbox's outcome cache directory *on the workers* (``None``:
            no cache).
        max_in_flight: problems handed to the executor and not yet written (default
            twice its workers).
        on_bad_row: a malformed row is skipped (logged, listed in the manifest) or,
            with ``"fail"``, raises :class:`DatasetError`.
        source: what the rows are, recorded in the manifest (``{"file": "train.jsonl",
            "sha256": ...}`` lets the dataset check the labels are of its split file).
        total: number of rows, when known (for the ETA).
        progress: a tqdm bar; otherwise a log line every 30 seconds.
        describe: how progress and messages name this run.

    Raises:
        DatasetError: a malformed row under ``"fail"``, two problems of one name.
        WorkFailedError: a problem failed on every attempt (finished problems are kept:
            run again to resume).
        ConfigError: a worker built graphs with another :func:`graph_spec` than the
            driver's (another yantra-gnn version).
    """
    if on_bad_row not in BAD_ROW_POLICIES:
        raise ConfigError(f"on_bad_row must be one of {BAD_ROW_POLICIES}, got {on_bad_row!r}")
    settings = settings or LabelSettings()
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / MANIFEST_FILE
    manifest_path.unlink(missing_ok=True)  # incomplete from here until the end
    # Not expanded here: ``~`` is the home of each worker machine (ResultCache expands it).
    cache_dir = str(sandbox_cache) if sandbox_cache is not None else None
    started = time.perf_counter()

    entries: list[dict[str, Any] | None] = []  # per problem, in input order
    names: set[str] = set()
    bad_rows: list[dict[str, str]] = []  # the first few
    totals = LabelStats()
    counts: Counter[str] = Counter()  # labelled, reused, bad_rows, programs_run (this run)
    worker_seconds = graph_seconds = 0.0
    spec = graph_spec()
    bar = _Progress(total, progress, describe)

    def record(index: int, name: str, data: bytes, result: dict[str, Any], graphs: bytes) -> None:
        header, _ = _graphs_header(graphs)
        entries[index] = {
            "name": name,
            "file": result_name(name),
            "sha256": hashlib.sha256(data).hexdigest(),
            "programs": len(result["programs"]),
            "graphs_file": graphs_name(name),
            "graphs_sha256": hashlib.sha256(graphs).hexdigest(),
            "graphs": len(header["num_nodes"]),
        }
        _add_stats(totals, result["stats"])

    def jobs() -> Iterator[ProblemJob]:
        for number, item in enumerate(rows, start=1):
            located = item if isinstance(item, _Located) else _Located(f"row {number}", item)
            reason = located.reason or validate_problem_row(located.row)
            if reason is not None:
                if on_bad_row == "fail":
                    raise DatasetError(
                        f"{describe}: {located.location}: {reason} (use --on-bad-row skip "
                        "to skip malformed rows; they are listed in the manifest)"
                    )
                logger.warning("%s: skipping %s: %s", describe, located.location, reason)
                counts["bad_rows"] += 1
                if len(bad_rows) < _MAX_BAD_ROW_EXAMPLES:
                    bad_rows.append({"location": located.location, "reason": reason})
                continue
            row = located.row
            assert isinstance(row, dict)
            name = row["name"]
            if name in names:
                raise DatasetError(
                    f"{describe}: {located.location}: problem {name!r} appears twice; "
                    "problem names must be unique within a split (yantra-gnn download "
                    "drops repeated names)"
                )
            names.add(name)
            job = ProblemJob(len(entries), name, row, row_sha256(row), settings, cache_dir)
            entries.append(None)
            found = _valid_result(directory / result_name(name), job)
            if found is not None:
                graphs = _valid_graphs(directory / graphs_name(name), name, found[0])
                if graphs is not None:
                    record(job.index, name, *found, graphs)
                    counts["reused"] += 1
                    bar.add(None)
                    continue
                job = replace(job, labelled=found[0])  # labels kept: build the graphs only
            yield job

    own_executor = executor is None
    runner = executor if executor is not None else LocalExecutor()
    try:
        for job, outcome in runner.map_unordered(
            label_problem,
            jobs(),
            max_in_flight=max_in_flight,
            describe=lambda job: f"{describe}: problem {job.name!r}",
        ):
            built_with = _graphs_header(outcome.graphs)[0]["spec"]
            if built_with != spec:
                raise ConfigError(
                    f"{describe}: problem {job.name!r}: the worker built graphs with "
                    f"{built_with}, this driver expects {spec}; install the same yantra-gnn "
                    "version on the driver and every worker"
                )
            # The graphs go first: a result file alone is labels whose graphs are redone.
            atomic_write(directory / graphs_name(job.name), outcome.graphs)
            if job.labelled is None:
                atomic_write(directory / result_name(job.name), outcome.data)
            record(job.index, job.name, outcome.data, decode_result(outcome.data), outcome.graphs)
            if outcome.without_tests:
                logger.warning(
                    "%s: problem %r has no tests: recorded with no labelled programs",
                    describe,
                    job.name,
                )
            counts["labelled" if job.labelled is None else "graphs_rebuilt"] += 1
            counts["programs_run"] += outcome.programs_run
            worker_seconds += outcome.seconds
            graph_seconds += outcome.graph_seconds
            bar.add(outcome)
    finally:
        bar.close()
        if own_executor:
            runner.close()
    bar.log()

    missing = [index for index, entry in enumerate(entries) if entry is None]
    if missing:  # cannot happen: every job is either reused or yielded back
        raise AssertionError(f"{len(missing)} problems were neither labelled nor reused")
    problems = [entry for entry in entries if entry is not None]
    program_count = sum(entry["programs"] for entry in problems)
    graph_count = sum(entry["graphs"] for entry in problems)
    manifest = {
        "format": RESULT_FORMAT,
        "complete": True,
        "settings": _settings_dict(settings),
        "settings_digest": settings.digest(),
        "source": source,
        "counts": {
            "problems": len(problems),
            "programs": program_count,
            "programs_run": totals.programs_run,
            "problems_without_tests": totals.problems_without_tests,
            "bad_rows": counts["bad_rows"],
        },
        "label_stats": _stats_dict(totals),
        "graphs": {
            "format": GRAPHS_FORMAT,
            "spec": spec,
            "graphs": graph_count,
            "programs_without_graph": program_count - graph_count,
        },
        "bad_rows": bad_rows,
        "problems": problems,
    }
    atomic_write(manifest_path, json.dumps(manifest, indent=1, ensure_ascii=False).encode() + b"\n")
    kept = {entry[key] for entry in problems for key in ("file", "graphs_file")}
    stale = [
        path
        for path in directory.iterdir()
        if _RESULT_FILE.match(path.name) and path.name not in kept
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        logger.info(
            "%s: removed %d result files of problems no longer in the input", describe, len(stale)
        )
    stats = LabelRunStats(
        directory=directory,
        manifest=manifest_path,
        problems=len(problems),
        labelled=counts["labelled"],
        reused=counts["reused"],
        bad_rows=counts["bad_rows"],
        programs=program_count,
        programs_run=counts["programs_run"],
        seconds=time.perf_counter() - started,
        worker_seconds=worker_seconds,
        graphs_rebuilt=counts["graphs_rebuilt"],
        graph_seconds=graph_seconds,
    )
    logger.info(
        "%s: %d problems (%d labelled now, %d reused, %d with only their graphs built "
        "again), %d programs, %d graphs, %d bad rows; workers spent %.1fs, %.1fs of it "
        "building graphs; wrote %s",
        describe,
        stats.problems,
        stats.labelled,
        stats.reused,
        stats.graphs_rebuilt,
        stats.programs,
        graph_count,
        stats.bad_rows,
        stats.worker_seconds,
        stats.graph_seconds,
        manifest_path,
    )
    return stats


def _split_rows(path: Path) -> Iterator[_Located]:
    for number, row, reason in json_lines(path, "problem"):
        yield _Located(f"line {number}", row, reason)


def label_prepared_split(
    root: str | os.PathLike[str],
    split: str,
    settings: LabelSettings | None = None,
    **options: Any,
) -> LabelRunStats:
    """Label ``ROOT/SPLIT.jsonl`` (as ``yantra-gnn download`` wrote it) into
    ``ROOT/labelled/SPLIT``; ``options`` are those of :func:`label_split`.

    The manifest records the split file's SHA-256, so the dataset uses these labels only
    while the split file is unchanged.

    Raises:
        DatasetError: the split file is missing (prepare the dataset first).
    """
    root = Path(root).expanduser()
    path = root / f"{split}.jsonl"
    if not path.is_file():
        raise DatasetError(
            f"{path} does not exist; prepare the dataset first with "
            f"`yantra-gnn download --output {root}` (add --from FILE offline)"
        )
    with path.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    return label_split(
        _split_rows(path),
        labelled_dir(root, split),
        settings,
        source={"file": path.name, "sha256": _sha256_file(path)},
        total=total,
        describe=f"labelling {split}",
        **options,
    )


# --------------------------------------------------------------------------- reading


def usable_manifest(
    root: str | os.PathLike[str], split: str, settings: LabelSettings
) -> tuple[Path, str] | None:
    """``(ROOT/labelled/SPLIT, SHA-256 of its manifest)`` when the directory holds a
    complete labelling of ``ROOT/SPLIT.jsonl`` as it is now, made with ``settings``;
    otherwise ``None`` (the reason is logged)."""
    directory = labelled_dir(root, split)
    path = directory / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        manifest = json.loads(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        logger.warning("%s is unreadable (%s); not using the prelabelled problems", path, error)
        return None
    split_file = Path(root).expanduser() / f"{split}.jsonl"
    source = manifest.get("source") if isinstance(manifest, dict) else None
    why = None
    if not isinstance(manifest, dict) or manifest.get("format") != RESULT_FORMAT:
        why = f"not a manifest of format {RESULT_FORMAT}"
    elif manifest.get("complete") is not True:
        why = "the labelling is not complete"
    elif manifest.get("settings_digest") != settings.digest():
        why = (
            f"made with other label settings ({manifest.get('settings')}, this dataset "
            f"uses {_settings_dict(settings)})"
        )
    elif not isinstance(source, dict) or source.get("file") != split_file.name:
        why = f"not a labelling of {split_file.name}"
    elif not split_file.is_file() or source.get("sha256") != _sha256_file(split_file):
        why = f"{split_file.name} changed after it was labelled"
    if why is not None:
        logger.info("not using %s: %s", directory, why)
        return None
    return directory, hashlib.sha256(data).hexdigest()


def read_labelled(
    directory: str | os.PathLike[str], *, limit: int | None = None
) -> tuple[list[LabelledProgram], LabelStats]:
    """The labelled programs of a labelled split, in manifest order, and their stats.

    Args:
        directory: a labelled split with a complete ``manifest.json``.
        limit: only the first ``limit`` problems.

    Raises:
        DatasetError: the manifest or a result file is missing, fails its SHA-256 or is
            malformed; the message says how to redo it.
    """
    directory = Path(directory).expanduser()
    path = directory / MANIFEST_FILE
    redo = (
        "run `yantra-gnn download --output ROOT --label-only` (same label settings) to "
        f"redo the damaged problems, or delete {directory} to label in-process"
    )
    try:
        manifest = json.loads(path.read_bytes())
        problems = manifest["problems"][:limit] if limit is not None else manifest["problems"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{path}: not a readable manifest ({error}); {redo}") from None
    programs: list[LabelledProgram] = []
    stats = LabelStats()
    for entry in problems:
        file = directory / entry["file"]
        try:
            data = file.read_bytes()
        except OSError as error:
            raise DatasetError(f"{file} (problem {entry['name']!r}): {error}; {redo}") from None
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise DatasetError(
                f"{file} (problem {entry['name']!r}) fails the SHA-256 of {MANIFEST_FILE}; {redo}"
            )
        try:
            result = decode_result(data)
            programs.extend(LabelledProgram.from_json(row) for row in result["programs"])
            _add_stats(stats, result["stats"])
        except (ValueError, KeyError, TypeError) as error:
            raise DatasetError(f"{file} (problem {entry['name']!r}): {error}; {redo}") from None
    return programs, stats


def read_prebuilt_graphs(
    directory: str | os.PathLike[str], *, limit: int | None = None
) -> list[dict[str, torch.Tensor] | str]:
    """The graphs built with the labels of a labelled split: per labelled program, in the
    order of :func:`read_labelled`, the tensors of :func:`program_graph` or, for a
    program without a graph, why.

    Args:
        directory: a labelled split with a complete ``manifest.json``.
        limit: only the first ``limit`` problems.

    Raises:
        DatasetError: the split holds no graphs (labelled by an older version), they were
            built with another :func:`graph_spec`, or a graphs file is missing, fails its
            SHA-256, is malformed or belongs to another result; the message says which.
    """
    directory = Path(directory).expanduser()
    path = directory / MANIFEST_FILE
    redo = "run `yantra-gnn download --output ROOT --label-only` to build them again"
    try:
        manifest = json.loads(path.read_bytes())
        problems = manifest["problems"][:limit] if limit is not None else manifest["problems"]
        recorded = manifest.get("graphs")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise DatasetError(f"{path}: not a readable manifest ({error})") from None
    if not isinstance(recorded, dict):
        raise DatasetError(f"{directory} holds no graphs (labelled by an older version); {redo}")
    spec = graph_spec()
    if recorded.get("spec") != spec:
        raise DatasetError(
            f"the graphs in {directory} were built with {recorded.get('spec')}, this version "
            f"builds {spec}; {redo}"
        )
    graphs: list[dict[str, torch.Tensor] | str] = []
    for entry in problems:
        try:
            file = directory / entry["graphs_file"]
            data = file.read_bytes()
            if hashlib.sha256(data).hexdigest() != entry["graphs_sha256"]:
                raise ValueError(f"fails the SHA-256 of {MANIFEST_FILE}")
            header, built = decode_graphs(data)
            found = (header["problem"], header["result_sha256"], header["spec"], len(built))
            if found != (entry["name"], entry["sha256"], spec, entry["programs"]):
                raise ValueError("is not the graphs of the problem's result file")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise DatasetError(
                f"the graphs of problem {entry.get('name')!r} in {directory}: {error}; {redo}"
            ) from None
        graphs.extend(built)
    return graphs
