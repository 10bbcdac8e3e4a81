"""``CodeContestsDataset``: labelled program graphs, processed once and cached on disk.

Raw input is a prepared split (``train.jsonl`` / ``val.jsonl`` from
``yantra-gnn download``). Processing runs every program in the sandbox, makes mutants
and rewrites (:mod:`yantra_gnn.labels.labelling`), builds each graph with
``strip_imports=True`` and keeps it packed (CSR features, small integer types); the cache
on disk holds a split's graphs as a few concatenated, compressed arrays
(:func:`encode_items`, about 2.5 kB a graph against 40 kB in memory).
The cache file name carries a key of everything that changes the result: the feature
spec version, the label settings, the import vocabulary settings and the raw files'
contents. A changed setting processes again; an unreadable cache is rebuilt.

With a prepared split labelled beforehand (``yantra-gnn download --label``), the labels
and the graphs come from ``root/labelled/{split}``: the workers that labelled each
problem also built its graphs (:func:`~yantra_gnn.labels.prepare.encode_graphs`), and
the dataset only attaches the labels that depend on its vocabularies and groups
(:func:`labelled_items`), giving the items :func:`graph_items` would build, bit for bit.
Graphs of another feature spec, or missing or damaged, are built here instead (the
reason is logged).

The cache proves its integrity: a SHA-256 of its bytes is written beside it
(``NAME.pt.sha256``, in ``sha256sum`` format) and checked on every load, and its items
are checked (:func:`validate_items`: edge indices within the graph, edge types of the
vocabulary, finite 0/1 confidence, ``bug_node`` and ``group`` in range, ...) when they
are built and when a cache is loaded. A cache whose bytes changed since it was written
(flipped bits on disk, an edit), or that holds an invalid item, is rebuilt with a
warning naming the file.

The data loaders over it (``GroupBatchSampler``, ``create_dataloaders``) are in
:mod:`yantra_gnn.data.loader`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import torch
from torch_geometric.data import Data, Dataset
from tqdm.auto import tqdm

from yantra_gnn.errors import DatasetError, SourceError
from yantra_gnn.files import atomic_write, atomic_write_text
from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder
from yantra_gnn.graph.features import unpack_features
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.labels import mutate
from yantra_gnn.labels.labelling import (
    LabelledProgram,
    LabelSettings,
    imported_modules,
    label_problems,
    python3_sources,
)
from yantra_gnn.labels.prepare import (
    GRAPH_TENSORS,
    program_graph,
    read_labelled,
    read_prebuilt_graphs,
    usable_manifest,
)
from yantra_gnn.sandbox import ResultCache
from yantra_gnn.schema import FEATURE_DIM, FORWARD_EDGE_TYPES, NUM_EDGE_TYPES

logger = logging.getLogger(__name__)

#: ``origin`` codes stored per item (``Data.origin``).
ORIGINS: tuple[str, ...] = ("solution", "incorrect_solution", "mutant", "rewrite")
SPLITS = ("train", "val")
_LABELS = ("imports", "bugs", "bug_mask", "confidence", "group", "origin", "bug_node")
_CACHE_FORMAT = 2
#: Suffix of the file beside a cache that holds the SHA-256 of its bytes.
DIGEST_SUFFIX = ".sha256"
_HASH_CHUNK = 1 << 20
_FP16_EXPONENT = 0x7C00


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a prepared split file, with a clear error when missing or malformed."""
    if not path.exists():
        raise DatasetError(
            f"{path} does not exist; prepare the data first with "
            f"`yantra-gnn download --output {path.parent}` (or `--from FILE` offline)"
        )
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{number}: expected a JSON object per line")
            rows.append(row)
    return rows


def build_import_vocab(rows: Sequence[dict], min_count: int = 2) -> tuple[str, ...]:
    """Modules imported by at least ``min_count`` programs of ``rows`` (the training split)."""
    counts: Counter = Counter()
    for row in rows:
        for block in ("solutions", "incorrect_solutions"):
            for code in python3_sources(row.get(block)):
                counts.update(imported_modules(code))
    return tuple(sorted(name for name, count in counts.items() if count >= min_count))


def locate_node(node_span: torch.Tensor, span: Sequence[int]) -> int:
    """The node whose span equals ``span``, else the smallest node containing it, else -1.

    Args:
        node_span: ``[N, 4]`` (start row, start col, end row, end col).
        span: the mutated region, same convention.
    """
    start, end = (span[0], span[1]), (span[2], span[3])
    best, best_size = -1, None
    for i, (r0, c0, r1, c1) in enumerate(node_span.tolist()):
        if (r0, c0) == start and (r1, c1) == end:
            return i
        if (r0, c0) <= start and end <= (r1, c1):
            size = (r1 - r0, c1 - c0)
            if best_size is None or size < best_size:
                best, best_size = i, size
    return best


def _file_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class _HashingWriter:
    """A binary file wrapper that hashes every byte written through it."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def digest_path(cache_path: Path) -> Path:
    """The file beside ``cache_path`` holding its SHA-256 (``NAME.pt.sha256``)."""
    return cache_path.with_name(cache_path.name + DIGEST_SUFFIX)


def _read_digest(path: Path) -> str | None:
    """The digest in a ``sha256sum``-style file, ``None`` when there is no file, ``""``
    when it is unreadable or malformed (which fails any comparison)."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        return ""
    saved = text.split(maxsplit=1)[0].lower() if text.strip() else ""
    if len(saved) != 64 or any(c not in "0123456789abcdef" for c in saved):
        return ""
    return saved


#: dtype and shape (``"N"`` nodes, ``"N+1"``, ``"E"`` edges, ``"nnz"`` features,
#: ``"V"`` imports, ``"C"`` bug classes, a number) of every tensor of a stored item.
_ITEM_LAYOUT: dict[str, tuple[torch.dtype, tuple[str | int, ...]]] = {
    "row_ptr": (torch.int32, ("N+1",)),
    "col": (torch.int16, ("nnz",)),
    "value": (torch.float16, ("nnz",)),
    "edge_index": (torch.int32, (2, "E")),
    "edge_type": (torch.uint8, ("E",)),
    "node_kind": (torch.int32, ("N",)),
    "node_span": (torch.int32, ("N", 4)),
    "has_error": (torch.bool, (1,)),
    "confidence": (torch.float32, (1,)),
    "imports": (torch.bool, ("V",)),
    "bugs": (torch.bool, ("C",)),
    "bug_mask": (torch.bool, (1,)),
    "bug_node": (torch.long, (1,)),
    "group": (torch.long, (1,)),
    "origin": (torch.long, (1,)),
}


def _item_values_error(item: Mapping[str, torch.Tensor], nodes: int) -> str | None:
    """What is wrong with the graph tensors of one item (shapes already checked)."""
    edge_index, edge_type = item["edge_index"], item["edge_type"]
    if edge_index.numel():
        low, high = torch.aminmax(edge_index)
        if int(low) < 0 or int(high) >= nodes:
            return f"an edge index outside [0, {nodes}) (num_nodes)"
        if int(edge_type.max()) >= NUM_EDGE_TYPES:
            return f"an edge type outside [0, {NUM_EDGE_TYPES})"
    if nodes and int(item["node_kind"].min()) < 0:
        return "a negative node kind"
    row_ptr, col, value = item["row_ptr"], item["col"], item["value"]
    if int(row_ptr[0]) != 0 or int(row_ptr[-1]) != col.numel():
        return "row_ptr does not run from 0 to the number of feature values"
    if bool((row_ptr.diff() < 0).any()):
        return "row_ptr decreases"
    if col.numel():
        low, high = torch.aminmax(col)
        if int(low) < 0 or int(high) >= FEATURE_DIM:
            return f"a feature column outside [0, {FEATURE_DIM})"
        # float16 NaN and infinities have every exponent bit set (an integer test: fast)
        if bool(((value.view(torch.int16) & _FP16_EXPONENT) == _FP16_EXPONENT).any()):
            return "a NaN or infinite feature value"
    return None


def validate_items(
    items: Sequence[Mapping[str, Any]], num_imports: int, num_bug_classes: int, num_groups: int
) -> None:
    """Check stored items before anyone trains on them: every tensor of the expected dtype
    and shape, edge indices in ``[0, num_nodes)``, edge types of
    :data:`~yantra_gnn.schema.EDGE_TYPES`, consistent CSR features (columns below
    ``FEATURE_DIM``, finite values), a finite confidence of 0 or 1, ``bug_node`` in
    ``[-1, num_nodes)``, ``group`` in ``[0, num_groups)`` and ``origin`` of :data:`ORIGINS`.

    About 40 µs per graph (a few reductions each; the labels are checked all at once).

    Raises:
        DatasetError: ``item I: WHAT`` for the first item found wrong.
    """
    if not items:
        return
    nodes_of: list[int] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or set(item) != set(_ITEM_LAYOUT):
            keys = sorted(item) if isinstance(item, Mapping) else type(item).__name__
            raise DatasetError(
                f"item {index}: expected the keys {sorted(_ITEM_LAYOUT)}, got {keys}"
            )
        if not all(isinstance(value, torch.Tensor) for value in item.values()):
            raise DatasetError(f"item {index}: every value must be a tensor")
        node_kind, edge_index, col = item["node_kind"], item["edge_index"], item["col"]
        dims = {
            "N": node_kind.shape[0] if node_kind.dim() == 1 else -1,
            "E": edge_index.shape[1] if edge_index.dim() == 2 else -1,
            "nnz": col.shape[0] if col.dim() == 1 else -1,
            "V": num_imports,
            "C": num_bug_classes,
        }
        dims["N+1"] = dims["N"] + 1
        for name, (dtype, layout) in _ITEM_LAYOUT.items():
            tensor = item[name]
            shape = tuple(dims[d] if isinstance(d, str) else d for d in layout)
            if tensor.dtype != dtype or tuple(tensor.shape) != shape:
                raise DatasetError(
                    f"item {index}: {name} is {tensor.dtype} {tuple(tensor.shape)}, expected "
                    f"{dtype} {shape}"
                )
        problem = _item_values_error(item, dims["N"])
        if problem is not None:
            raise DatasetError(f"item {index}: {problem}")
        nodes_of.append(dims["N"])
    nodes = torch.tensor(nodes_of, dtype=torch.long)

    def check(name: str, bad: Callable[[torch.Tensor], torch.Tensor], what: str) -> None:
        wrong = bad(torch.cat([item[name] for item in items]))
        if bool(wrong.any()):
            raise DatasetError(f"item {int(wrong.nonzero()[0, 0])}: {what}")

    check(
        "confidence",
        lambda c: ~torch.isfinite(c) | ((c != 0) & (c != 1)),
        "confidence is not 0 or 1",
    )
    check("bug_node", lambda b: (b < -1) | (b >= nodes), "bug_node outside [-1, num_nodes)")
    check("group", lambda g: (g < 0) | (g >= num_groups), f"group outside [0, {num_groups})")
    check("origin", lambda o: (o < 0) | (o >= len(ORIGINS)), f"origin outside [0, {len(ORIGINS)})")


# --------------------------------------------------------------------- the cache format
#: Forward edge kinds. The builder lays a graph's edges out kind by kind, each kind's
#: edges followed by the same edges reversed with type ``kind + _FORWARD``
#: (:data:`~yantra_gnn.schema.EDGE_TYPES`); the cache stores the forward half only
#: when that layout rebuilds every edge exactly.
_FORWARD = len(FORWARD_EDGE_TYPES)
_ZLIB_LEVEL = 6
#: The labels of an item: ``[1]`` each (stored as one ``[G]`` tensor for the ``G``
#: graphs), but ``imports`` ``[V]`` and ``bugs`` ``[C]`` (stored ``[G, V]``, ``[G, C]``).
_ITEM_LABELS = (
    "has_error",
    "confidence",
    "imports",
    "bugs",
    "bug_mask",
    "bug_node",
    "group",
    "origin",
)
_STACKED_LABELS = ("imports", "bugs")
#: The compressed arrays of the graphs and the numpy dtype of each.
_STREAMS: dict[str, np.dtype] = {
    "row_ptr": np.dtype(np.int32),
    "col": np.dtype(np.int16),
    "value": np.dtype(np.float16),
    "node_kind": np.dtype(np.int32),
    "node_span": np.dtype(np.int32),
    "edge_type": np.dtype(np.uint8),
    "edge_source": np.dtype(np.int32),
    "edge_target": np.dtype(np.int32),
}
_COUNTS = ("num_nodes", "num_features", "stored_edges")


def _compress(array: np.ndarray) -> torch.Tensor:
    """``[bytes]`` uint8: the zlib stream of ``array``'s bytes."""
    packed = zlib.compress(np.ascontiguousarray(array).tobytes(), _ZLIB_LEVEL)
    return torch.from_numpy(np.frombuffer(packed, dtype=np.uint8).copy())


def _decompress(packed: object, name: str, size: int) -> bytes:
    """The ``size`` bytes compressed in ``packed`` (never more are inflated).

    Raises:
        DatasetError: not a uint8 vector, not a zlib stream, or not ``size`` bytes.
    """
    if not isinstance(packed, torch.Tensor) or packed.dtype != torch.uint8 or packed.dim() != 1:
        raise DatasetError(f"{name} is not a uint8 vector")
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(packed.contiguous().numpy().data, size + 1)
    except zlib.error as error:
        raise DatasetError(f"{name} is not a valid zlib stream ({error})") from None
    if len(raw) != size or not inflate.eof:
        raise DatasetError(f"{name} does not hold the {size} bytes its counts give")
    return raw


def _delta(values: np.ndarray) -> np.ndarray:
    """Differences of consecutive int32 values (wrapping: :func:`_undelta` is exact)."""
    deltas = values.astype(np.int32)
    deltas[1:] -= values[:-1]
    return deltas


def _undelta(deltas: np.ndarray) -> np.ndarray:
    return np.cumsum(deltas, dtype=np.int32)


def _encode(items: Sequence[Mapping[str, torch.Tensor]], derive_reverse: bool) -> dict[str, Any]:
    """:func:`encode_items` with or without leaving out the reverse edges."""
    graphs = len(items)

    def cat(name: str, dim: int = 0) -> np.ndarray:
        return torch.cat([item[name] for item in items], dim).numpy() if items else np.empty(0)

    nodes = np.array([item["node_kind"].shape[0] for item in items], dtype=np.int64)
    edges = np.array([item["edge_type"].shape[0] for item in items], dtype=np.int64)
    edge_index = cat("edge_index", 1).reshape(2, -1).astype(np.int32)
    edge_type = cat("edge_type").astype(np.uint8)
    if derive_reverse:
        forward = edge_type < _FORWARD
        graph_of = np.repeat(np.arange(graphs), edges)
        stored = np.bincount(graph_of[forward], minlength=graphs).astype(np.int64)
        edge_index, edge_type = edge_index[:, forward], edge_type[forward]
    else:
        stored = edges
    source, target = edge_index
    streams = {
        "row_ptr": _delta(cat("row_ptr").astype(np.int32)),
        "col": cat("col").astype(np.int16),
        "value": cat("value").astype(np.float16),
        "node_kind": cat("node_kind").astype(np.int32),
        # column-major: each column alone (rows, columns) compresses best
        "node_span": cat("node_span").reshape(-1, 4).T.astype(np.int32),
        "edge_type": edge_type,
        "edge_source": _delta(source),
        "edge_target": target - source,  # int32, wrapping
    }

    def labels(name: str) -> torch.Tensor:
        values = [item[name] for item in items]
        if not values:
            return torch.empty(0)
        return torch.stack(values) if name in _STACKED_LABELS else torch.cat(values)

    return {
        "graphs": graphs,
        "reverse_edges": "derived" if derive_reverse else "stored",
        "num_nodes": torch.from_numpy(nodes),
        "num_features": torch.tensor([item["col"].numel() for item in items], dtype=torch.long),
        "stored_edges": torch.from_numpy(stored),
        "streams": {name: _compress(array) for name, array in streams.items()},
        "labels": {name: labels(name) for name in _ITEM_LABELS},
    }


def _identical(a: Sequence[Mapping[str, torch.Tensor]], b: Sequence[Mapping[str, Any]]) -> bool:
    """Whether two item lists hold the same keys and tensors (dtype, shape and values)."""
    return len(a) == len(b) and all(
        x.keys() == y.keys()
        and all(
            isinstance(y[k], torch.Tensor)
            and x[k].dtype == y[k].dtype
            and x[k].shape == y[k].shape
            and torch.equal(x[k], y[k])
            for k in x
        )
        for x, y in zip(a, b, strict=True)
    )


def encode_items(items: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, Any]:
    """The compact stored form of items of :func:`graph_items` (cache format 2).

    Every array of every graph is concatenated over the ``G`` graphs (no per-item
    pickling) and zlib-compressed: the CSR row pointers delta-coded, feature columns
    ``int16`` and values ``float16`` as held in memory, node kinds, node spans
    column-major (``[4, N]``), and the edges as delta-coded sources, target minus
    source, and types. The reverse edges (half of them) are left out when the builder's
    layout rebuilds them exactly: each forward kind's edges, then the same edges
    flipped with type ``kind + 9``. The labels are stacked (``[G]``, ``[G, V]``,
    ``[G, C]``). About 5 kB per distinct program, 2 kB when its mutants and rewrites
    sit beside it (zlib finds what they share), against 40 kB of tensors in memory.

    The result is checked: :func:`decode_items` gives back exactly ``items`` (same
    keys, dtypes, shapes and values), else the reverse edges are stored too.

    Raises:
        DatasetError: the items cannot be stored exactly (not of :data:`_ITEM_LAYOUT`).
    """
    for derive_reverse in (True, False):
        packed = _encode(items, derive_reverse)
        try:
            if _identical(items, decode_items(packed)):
                return packed
        except DatasetError:
            continue
    raise DatasetError("the dataset cache format cannot hold these items exactly")


def _unpack_programs(packed: object, size: object) -> list[LabelledProgram]:
    """The programs of a cache: a zlib-compressed JSON list of ``size`` bytes."""
    if not isinstance(size, int) or size < 0:
        raise DatasetError(f"programs_bytes is {size!r}, not a size")
    rows = json.loads(_decompress(packed, "programs", size))
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DatasetError("programs is not a list of objects")
    return [LabelledProgram.from_json(row) for row in rows]


def _counts(packed: Mapping[str, Any], graphs: int) -> list[np.ndarray]:
    counts = []
    for name in _COUNTS:
        tensor = packed[name]
        if not isinstance(tensor, torch.Tensor) or tensor.dtype != torch.long:
            raise DatasetError(f"{name} is not a long tensor")
        if tuple(tensor.shape) != (graphs,) or (graphs and int(tensor.min()) < 0):
            raise DatasetError(f"{name} is not {graphs} counts")
        counts.append(tensor.numpy())
    return counts


def _decode_edges(
    stored: np.ndarray, derived: bool, types: np.ndarray, sources: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every edge of every graph from the stored ones.

    Args:
        stored: ``[G]`` edges stored per graph.
        derived: whether the stored edges are the forward half (see :func:`encode_items`).
        types, sources, targets: ``[sum(stored)]`` each.

    Returns:
        ``(edge_index, edge_type, edges per graph)``: ``edge_index`` ``[2 * E]`` int32
        holds each graph's ``[2, E_g]`` block in turn, ``edge_type`` ``[E]`` uint8,
        the counts ``[G]``.
    """
    graphs = stored.shape[0]
    graph_of = np.repeat(np.arange(graphs), stored)
    position = np.arange(types.shape[0]) - np.repeat(np.cumsum(stored) - stored, stored)
    if derived:
        if types.size and int(types.max()) >= _FORWARD:
            raise DatasetError(f"a stored edge type is not a forward one (< {_FORWARD})")
        same_graph = graph_of[1:] == graph_of[:-1]
        if bool((types[1:][same_graph] < types[:-1][same_graph]).any()):
            raise DatasetError("the forward edges of a graph are not grouped by type")
        key = graph_of * _FORWARD + types
        per_type = np.bincount(key, minlength=graphs * _FORWARD).reshape(graphs, _FORWARD)
        # a kind's forward edges start after the earlier kinds' forward and reverse ones
        position = position + (np.cumsum(per_type, axis=1) - per_type).ravel()[key]
        mirror = position + per_type.ravel()[key]
        edges = 2 * stored
    else:
        edges = stored
    base = np.cumsum(edges) - edges
    start, width = 2 * base[graph_of], edges[graph_of]
    edge_index = np.empty(2 * int(edges.sum()), dtype=np.int32)
    edge_type = np.empty(int(edges.sum()), dtype=np.uint8)
    edge_index[start + position] = sources
    edge_index[start + width + position] = targets
    edge_type[base[graph_of] + position] = types
    if derived:
        edge_index[start + mirror] = targets
        edge_index[start + width + mirror] = sources
        edge_type[base[graph_of] + mirror] = types + _FORWARD
    return edge_index, edge_type, edges


def decode_items(packed: Mapping[str, Any]) -> list[dict[str, torch.Tensor]]:
    """The items :func:`encode_items` stored, exactly (each tensor a view of one array).

    Checks the form (counts, stream sizes, label shapes); the values are checked by
    :func:`validate_items`.

    Raises:
        DatasetError: the stored form is malformed.
        KeyError: a part is missing.
    """
    graphs = packed["graphs"]
    if not isinstance(graphs, int) or graphs < 0:
        raise DatasetError(f"graphs is {graphs!r}, not a count")
    if packed["reverse_edges"] not in ("derived", "stored"):
        raise DatasetError(f"reverse_edges is {packed['reverse_edges']!r}")
    derived = packed["reverse_edges"] == "derived"
    nodes, features, stored = _counts(packed, graphs)
    if not graphs:
        return []
    total_nodes, total_stored = int(nodes.sum()), int(stored.sum())
    sizes = {
        "row_ptr": total_nodes + graphs,
        "col": int(features.sum()),
        "value": int(features.sum()),
        "node_kind": total_nodes,
        "node_span": 4 * total_nodes,
        "edge_type": total_stored,
        "edge_source": total_stored,
        "edge_target": total_stored,
    }
    streams = packed["streams"]
    arrays = {
        name: np.frombuffer(
            _decompress(streams[name], name, sizes[name] * dtype.itemsize), dtype=dtype
        )
        for name, dtype in _STREAMS.items()
    }
    labels = packed["labels"]
    for name in _ITEM_LABELS:
        tensor = labels[name]
        if not isinstance(tensor, torch.Tensor) or tensor.dim() == 0 or tensor.shape[0] != graphs:
            raise DatasetError(f"the {name} labels are not {graphs} rows")
    sources = _undelta(arrays["edge_source"])
    edge_index, edge_type, edges = _decode_edges(
        stored, derived, arrays["edge_type"], sources, arrays["edge_target"] + sources
    )
    node_sizes, feature_sizes, edge_sizes = nodes.tolist(), features.tolist(), edges.tolist()
    columns = {
        "row_ptr": torch.from_numpy(_undelta(arrays["row_ptr"])).split([n + 1 for n in node_sizes]),
        "col": torch.from_numpy(arrays["col"].copy()).split(feature_sizes),
        "value": torch.from_numpy(arrays["value"].copy()).split(feature_sizes),
        "edge_index": [
            block.view(2, size)
            for block, size in zip(
                torch.from_numpy(edge_index).split([2 * e for e in edge_sizes]),
                edge_sizes,
                strict=True,
            )
        ],
        "edge_type": torch.from_numpy(edge_type).split(edge_sizes),
        "node_kind": torch.from_numpy(arrays["node_kind"].copy()).split(node_sizes),
        "node_span": torch.from_numpy(arrays["node_span"].reshape(4, -1).T.copy()).split(
            node_sizes
        ),
    }
    for name in _ITEM_LABELS:
        stacked = labels[name]
        columns[name] = stacked.unbind(0) if name in _STACKED_LABELS else stacked.split(1)
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def labelled_items(
    graphs: Iterable[tuple[LabelledProgram, Mapping[str, torch.Tensor] | str]],
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    group_names: Sequence[str],
) -> tuple[list[dict[str, torch.Tensor]], list[LabelledProgram], int]:
    """The stored items of programs whose graphs are built: each graph's tensors (those
    of :func:`~yantra_gnn.labels.prepare.program_graph`) with the program's labels.

    Args:
        graphs: ``(program, its graph tensors)``, or ``(program, why it has no graph)``
            for a program left out with a warning.
        import_vocab, bug_classes, group_names: the label columns and the groups.

    Returns:
        ``(items, the programs kept, mutants whose span matched no node)``.
    """
    group_of = {name: i for i, name in enumerate(group_names)}
    import_index = {name: i for i, name in enumerate(import_vocab)}
    bug_index = {name: i for i, name in enumerate(bug_classes)}
    items, kept = [], []
    unlocated = 0
    for program, graph in graphs:
        if isinstance(graph, str):
            logger.warning("skipping a program of %s: %s", program.problem, graph)
            continue
        imports = torch.zeros(len(import_vocab), dtype=torch.bool)
        for module in program.imports:
            if module in import_index:
                imports[import_index[module]] = True
        bugs = torch.zeros(len(bug_classes), dtype=torch.bool)
        for name in program.bug_classes:
            bugs[bug_index[name]] = True
        bug_node = -1
        if program.bug_span is not None:
            bug_node = locate_node(graph["node_span"], program.bug_span)
            unlocated += bug_node < 0
        items.append(
            {
                **{name: graph[name] for name in GRAPH_TENSORS},
                "confidence": torch.tensor([program.confidence], dtype=torch.float32),
                "imports": imports,
                "bugs": bugs,
                "bug_mask": torch.tensor([program.bugs_known]),
                "bug_node": torch.tensor([bug_node], dtype=torch.long),
                "group": torch.tensor([group_of[program.problem]], dtype=torch.long),
                "origin": torch.tensor([ORIGINS.index(program.origin)], dtype=torch.long),
            }
        )
        kept.append(program)
    return items, kept, unlocated


def graph_items(
    programs: Sequence[LabelledProgram],
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    group_names: Sequence[str],
    *,
    desc: str = "graphs",
    progress: bool = True,
) -> tuple[list[dict[str, torch.Tensor]], list[LabelledProgram], int]:
    """The stored items of ``programs`` (graphs built here with ``strip_imports=True``).

    A program without a graph (empty, too large) is left out with a warning.

    Returns:
        ``(items, the programs kept, mutants whose span matched no node)``.
    """
    builder = CodeGraphBuilder()

    def built() -> Iterator[tuple[LabelledProgram, dict[str, torch.Tensor] | str]]:
        for program in tqdm(programs, desc=desc, disable=not progress):
            graph: dict[str, torch.Tensor] | str
            try:
                graph = program_graph(builder, program.source)
            except SourceError as error:
                graph = str(error)
            yield program, graph

    return labelled_items(built(), import_vocab, bug_classes, group_names)


class LabelledGraphs(Dataset):
    """Labelled program graphs held in memory in their compact stored form.

    The item layout, ``get``, ``groups`` and ``label_matrix`` shared by
    :class:`CodeContestsDataset` (processed from a prepared split, cached on disk) and
    :class:`ProgramGraphs` (built from labelled programs, e.g. ConDefects pairs).
    ``combine`` joins several into one training set.
    """

    import_vocab: tuple[str, ...]
    bug_classes: tuple[str, ...]
    group_names: list[str]
    split: str

    def __init__(self, transform=None) -> None:
        self.programs: list[LabelledProgram] = []
        self._items: list[dict[str, torch.Tensor]] = []
        super().__init__(None, transform)

    # ------------------------------------------------------------------ PyG Dataset API
    def len(self) -> int:
        return len(self._items)

    def get(self, idx: int) -> Data:
        item = self._items[idx]
        x = unpack_features(
            {"row_ptr": item["row_ptr"], "col": item["col"], "value": item["value"]}
        )
        return Data(
            x=x,
            edge_index=item["edge_index"].long(),
            edge_type=item["edge_type"].long(),
            node_kind=item["node_kind"].long(),
            node_span=item["node_span"].long(),
            has_error=item["has_error"],
            confidence=item["confidence"],
            imports=item["imports"].float().unsqueeze(0),
            bugs=item["bugs"].float().unsqueeze(0),
            bug_mask=item["bug_mask"],
            bug_node=item["bug_node"],
            group=item["group"],
            origin=item["origin"],
            num_nodes=x.size(0),
        )

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({len(self)}, split={self.split!r}, "
            f"problems={len(self.group_names)}, imports={len(self.import_vocab)})"
        )

    @classmethod
    def combine(cls, parts: Sequence[LabelledGraphs]) -> ProgramGraphs:
        """One dataset of every item of ``parts``, in order, problems kept apart.

        Every part must have the same import vocabulary and bug classes (build the
        extra parts with the first one's). Group ids are renumbered so that problems of
        different parts never share a group (a CodeContests problem and a ConDefects
        task are different problems even if their names were equal).
        """
        if not parts:
            raise DatasetError("combine needs at least one dataset")
        first = parts[0]
        for part in parts[1:]:
            if (part.import_vocab, part.bug_classes) != (first.import_vocab, first.bug_classes):
                raise DatasetError(
                    f"{part!r} has other label vocabularies than {first!r}; build it with "
                    "the first dataset's import_vocab and bug_classes"
                )
        combined = ProgramGraphs.__new__(ProgramGraphs)
        LabelledGraphs.__init__(combined, first.transform)
        combined.import_vocab, combined.bug_classes = first.import_vocab, first.bug_classes
        combined.split = "+".join(part.split for part in parts)
        combined.group_names = []
        for part in parts:
            offset = len(combined.group_names)
            combined.group_names += [f"{part.split}/{name}" for name in part.group_names]
            for item in part._items:
                combined._items.append({**item, "group": item["group"] + offset})
            combined.programs += part.programs
        return combined

    # ------------------------------------------------------------------ metadata
    @property
    def groups(self) -> list[int]:
        """The problem index of every item (for group-aware batching)."""
        return [int(item["group"]) for item in self._items]

    def label_matrix(self, name: str) -> torch.Tensor:
        """One label of every item, stacked without building the graphs.

        ``"imports"`` → ``[n, V]`` bool, ``"bugs"`` → ``[n, C]`` bool, ``"bug_mask"`` →
        ``[n]`` bool, ``"confidence"`` / ``"group"`` / ``"origin"`` / ``"bug_node"`` → ``[n]``.
        """
        if name not in _LABELS:
            raise DatasetError(f"no label named {name!r}; choose one of {_LABELS}")
        values = [item[name] for item in self._items]
        if not values:
            raise DatasetError(f"{self!r} holds no items")
        # imports and bugs are stored as [V] / [C] per item, the rest as [1]
        return torch.stack(values) if name in ("imports", "bugs") else torch.cat(values)

    def fingerprint(self) -> str:
        """``sha256:HEX`` of the labelled programs (source, origin, labels, problem) and
        the label vocabularies: what the model registry records as the training data.

        The same programs with the same labels give the same fingerprint wherever they
        were prepared; any changed program or label gives another.
        """
        digest = hashlib.sha256()
        header = [list(self.import_vocab), list(self.bug_classes), list(self.group_names)]
        digest.update(json.dumps(header).encode())
        for program in self.programs:
            digest.update(b"\n")
            digest.update(json.dumps(program.to_json(), sort_keys=True).encode())
        return f"sha256:{digest.hexdigest()}"

    @property
    def stored_bytes_per_graph(self) -> float:
        """Mean bytes of the tensors kept per item in memory (about 40 kB on CodeContests;
        the cache file holds far less: ``CodeContestsDataset.cache_bytes_per_graph``)."""
        if not self._items:
            return 0.0
        total = sum(t.numel() * t.element_size() for item in self._items for t in item.values())
        return total / len(self._items)


class CodeContestsDataset(LabelledGraphs):
    r"""Labelled CodeContests program graphs for one split.

    Each item is the ``Data`` of :class:`~yantra_gnn.graph.CodeGraphBuilder` (built with
    ``strip_imports=True``) plus:

    - ``confidence``: ``[1]`` float, 1.0 = passes every test we ran;
    - ``imports``: ``[1, len(import_vocab)]`` float multi-hot;
    - ``bugs``: ``[1, len(bug_classes)]`` float multi-hot;
    - ``bug_mask``: ``[1]`` bool, whether ``bugs`` is known (False for a dataset's
      incorrect solutions: wrong, but not in a known way);
    - ``bug_node``: ``[1]`` long, the mutated node within this graph or -1 (local index:
      add ``batch.ptr[:-1]`` after batching);
    - ``group``: ``[1]`` long, the problem (positives for the embedding head share it);
    - ``origin``: ``[1]`` long, index into :data:`ORIGINS`.

    Args:
        root: directory holding ``train.jsonl`` and ``val.jsonl``; the cache goes to
            ``root/processed``.
        split: ``"train"`` or ``"val"``.
        settings: how labels are made (:class:`~yantra_gnn.labels.labelling.LabelSettings`).
        import_min_count: a module enters the import vocabulary when at least this many
            training programs import it (the vocabulary always comes from ``train``).
        limit: use only the first ``limit`` problems of the split.
        workers: sandbox runs in parallel (default: one per core).
        sandbox_cache: where sandbox outcomes are cached (``None``: memory only).
        progress: show progress bars.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        settings: LabelSettings | None = None,
        import_min_count: int = 2,
        limit: int | None = None,
        workers: int | None = None,
        sandbox_cache: str | os.PathLike[str] | None = SANDBOX_CACHE_DIR,
        progress: bool = True,
        transform=None,
    ) -> None:
        if split not in SPLITS:
            raise DatasetError(f"split must be one of {SPLITS}, got {split!r}")
        if limit is not None and limit < 1:
            raise DatasetError(f"limit must be a positive number of problems, got {limit}")
        self.split = split
        self.settings = settings or LabelSettings()
        self.import_min_count = import_min_count
        self.limit = limit
        self.workers = workers
        self.sandbox_cache = sandbox_cache
        self.progress = progress
        self._root = Path(root).expanduser()
        raw = [self._root / f"{s}.jsonl" for s in SPLITS]
        for path in raw:
            if not path.exists():
                raise DatasetError(
                    f"{path} does not exist: {self._root} is not a prepared dataset; run "
                    f"`yantra-gnn download --output {self._root}` (add `--from FILE` offline)"
                )
        # Problems labelled beforehand (`yantra-gnn download --label`), when they match.
        self.prelabelled = usable_manifest(self._root, split, self.settings)
        prelabelled = {"prelabelled": self.prelabelled[1]} if self.prelabelled else {}
        key = json.dumps(
            {
                "format": _CACHE_FORMAT,
                "features": FEATURE_SPEC_VERSION,
                "labels": asdict(self.settings),
                "bug_classes": mutate.BUG_CLASSES,
                "import_min_count": import_min_count,
                "limit": limit,
                "raw": _file_digest(raw),
                **prelabelled,
            },
            sort_keys=True,
        )
        self.cache_key = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.cache_path = self._root / "processed" / f"{split}-{self.cache_key}.pt"
        super().__init__(transform)
        self._load_or_build()

    @property
    def cache_bytes_per_graph(self) -> float:
        """Mean bytes per graph of the cache file (programs and labels included)."""
        if not self._items or not self.cache_path.exists():
            return 0.0
        return self.cache_path.stat().st_size / len(self._items)

    # ------------------------------------------------------------------ processing
    def _load_or_build(self) -> None:
        if self.cache_path.exists():
            try:
                self._load_cache()
                return
            except (
                OSError,
                RuntimeError,
                KeyError,
                TypeError,
                ValueError,
                EOFError,
                pickle.UnpicklingError,
            ) as error:
                logger.warning("cache %s is unreadable (%s); rebuilding it", self.cache_path, error)
            except DatasetError as error:  # fails its checksum or holds an invalid item
                logger.warning("%s; rebuilding it", error)
        self._build_cache()

    def _load_cache(self) -> None:
        path = self.cache_path
        saved = _read_digest(digest_path(path))
        actual = file_sha256(path)
        if saved is not None and saved != actual:
            raise DatasetError(
                f"dataset cache {path} fails its SHA-256 check (expected {saved or 'a digest'} "
                f"in {digest_path(path).name}, the file has {actual}): its bytes changed after "
                "it was written (flipped bits on disk or an edit)"
            )
        state = torch.load(path, weights_only=True)
        if not isinstance(state, dict) or state.get("format") != _CACHE_FORMAT:
            found = state.get("format", 1) if isinstance(state, dict) else type(state).__name__
            raise ValueError(f"cache format {found!r}, expected {_CACHE_FORMAT}")
        import_vocab = tuple(state["import_vocab"])
        bug_classes = tuple(state["bug_classes"])
        group_names = list(state["group_names"])
        try:
            items = decode_items(state["graphs"])
            programs = _unpack_programs(state["programs"], state["programs_bytes"])
        except DatasetError as error:
            raise DatasetError(f"dataset cache {path} is malformed: {error}") from None
        if len(programs) != len(items):
            raise ValueError("programs and items differ in length")
        try:
            validate_items(items, len(import_vocab), len(bug_classes), len(group_names))
        except DatasetError as error:
            raise DatasetError(f"dataset cache {path} holds an invalid {error}") from None
        self.import_vocab, self.bug_classes, self.group_names = (
            import_vocab,
            bug_classes,
            group_names,
        )
        self.label_stats = state["label_stats"]
        self._items, self.programs = items, programs
        if saved is None:  # written before caches carried a digest: checked now, adopted
            atomic_write_text(digest_path(path), f"{actual}  {path.name}\n")
            logger.info("checked %s and wrote its SHA-256 beside it", path)
        logger.info("loaded %d %s graphs from %s", len(self._items), self.split, path)

    def _build_cache(self) -> None:
        train_rows = read_jsonl(self._root / "train.jsonl")
        rows = train_rows if self.split == "train" else read_jsonl(self._root / "val.jsonl")
        if self.limit is not None:
            train_rows, rows = train_rows[: self.limit], rows[: self.limit]
        if not rows:
            raise DatasetError(f"{self._root / (self.split + '.jsonl')} holds no problems")
        self.import_vocab = build_import_vocab(train_rows, self.import_min_count)
        self.bug_classes = mutate.BUG_CLASSES
        logger.info(
            "processing %d %s problems (sandboxed runs, mutants, graphs); cached afterwards in %s",
            len(rows),
            self.split,
            self.cache_path,
        )
        prebuilt: list[dict[str, torch.Tensor] | str] | None = None
        if self.prelabelled is not None:
            logger.info("using the problems labelled beforehand in %s", self.prelabelled[0])
            programs, stats = read_labelled(self.prelabelled[0], limit=self.limit)
            prebuilt = self._prebuilt_graphs(self.prelabelled[0], len(programs))
        else:
            logger.info("labelling in-process (no matching %s)", self._root / "labelled")
            cache = ResultCache(self.sandbox_cache) if self.sandbox_cache else None
            programs, stats = label_problems(
                rows, self.settings, cache=cache, workers=self.workers, progress=self.progress
            )
        self.group_names = sorted({p.problem for p in programs})
        if prebuilt is not None:
            items, kept, unlocated = labelled_items(
                zip(programs, prebuilt, strict=True),
                self.import_vocab,
                self.bug_classes,
                self.group_names,
            )
        else:
            items, kept, unlocated = graph_items(
                programs,
                self.import_vocab,
                self.bug_classes,
                self.group_names,
                desc=f"graphs ({self.split})",
                progress=self.progress,
            )
        validate_items(items, len(self.import_vocab), len(self.bug_classes), len(self.group_names))
        self._items, self.programs = items, kept
        self.label_stats = {
            **stats.to_dict(),
            "graphs": len(items),
            "mutants_without_located_node": unlocated,
            "import_vocab": list(self.import_vocab),
        }
        self._save()

    def _prebuilt_graphs(
        self, directory: Path, programs: int
    ) -> list[dict[str, torch.Tensor] | str] | None:
        """The graphs built with the labels in ``directory`` (one per labelled program),
        or ``None`` to build them here (the reason is logged)."""
        try:
            graphs = read_prebuilt_graphs(directory, limit=self.limit)
            if len(graphs) != programs:
                raise DatasetError(
                    f"{directory} holds {len(graphs)} graphs for {programs} labelled programs"
                )
        except DatasetError as error:
            logger.warning("building the graphs in-process: %s", error)
            return None
        logger.info(
            "using the graphs built with the labels in %s (feature spec %s): no graph is "
            "built here",
            directory,
            FEATURE_SPEC_VERSION,
        )
        return graphs

    def _save(self) -> None:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        programs = json.dumps([p.to_json() for p in self.programs]).encode()
        state = {
            "format": _CACHE_FORMAT,
            "import_vocab": list(self.import_vocab),
            "bug_classes": list(self.bug_classes),
            "group_names": self.group_names,
            "label_stats": self.label_stats,
            "graphs": encode_items(self._items),
            "programs": _compress(np.frombuffer(programs, dtype=np.uint8)),
            "programs_bytes": len(programs),
        }
        # The old digest goes first: killed before the new one is written, the cache is
        # then one without a digest (checked and adopted on load), never a mismatch.
        sidecar = digest_path(self.cache_path)
        sidecar.unlink(missing_ok=True)
        writers: list[_HashingWriter] = []

        def write(handle: IO[bytes]) -> None:
            writers.append(_HashingWriter(handle))
            torch.save(state, cast(IO[bytes], writers[-1]))

        atomic_write(self.cache_path, write)
        atomic_write_text(sidecar, f"{writers[-1].digest.hexdigest()}  {self.cache_path.name}\n")
        stats_path = self._root / "processed" / f"{self.split}-{self.cache_key}-labels.json"
        atomic_write_text(stats_path, json.dumps(self.label_stats, indent=2))
        logger.info("cached %d %s graphs in %s", len(self._items), self.split, self.cache_path)


class ProgramGraphs(LabelledGraphs):
    """Graphs of labelled programs made elsewhere (ConDefects pairs, a code corpus), in memory.

    Built each time (no disk cache): graph building is fast next to labelling, and the
    programs' labels already exist.

    Args:
        programs: the labelled programs; each ``problem`` is a group.
        import_vocab, bug_classes: the label columns (those of the training data this
            joins, so the rows line up).
        name: what the data is, shown in progress bars and ``repr``.
        progress: show a progress bar.
    """

    def __init__(
        self,
        programs: Sequence[LabelledProgram],
        import_vocab: Sequence[str],
        bug_classes: Sequence[str],
        *,
        name: str = "programs",
        progress: bool = True,
        transform=None,
    ) -> None:
        super().__init__(transform)
        self.split = name
        self.import_vocab, self.bug_classes = tuple(import_vocab), tuple(bug_classes)
        self.group_names = sorted({p.problem for p in programs})
        self._items, self.programs, unlocated = graph_items(
            programs,
            self.import_vocab,
            self.bug_classes,
            self.group_names,
            desc=f"graphs ({name})",
            progress=progress,
        )
        validate_items(
            self._items, len(self.import_vocab), len(self.bug_classes), len(self.group_names)
        )
        self.label_stats = {"graphs": len(self._items), "spans_without_located_node": unlocated}
