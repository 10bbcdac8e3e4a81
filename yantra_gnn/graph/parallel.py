"""Build the graphs of many programs in worker processes.

``CodeGraphBuilder.build`` is pure Python and holds the GIL, so a corpus is featurized
in parallel with processes. What makes a pool pay is the way back: a ``Data`` of
sparse tensors pickles into tens of kilobytes of small storages, which for median
solutions costs about as much as a second worker saves. Workers here send each graph as
a few compact numpy arrays instead (int32 / int16 indices, uint8 edge types), and the
parent rebuilds the same ``Data``: every tensor equal, with the same dtype, to what
``build`` returns in one process (``tests/graph/test_parallel_build.py``).

    from yantra_gnn.graph.parallel import GraphPool, build_graphs

    graphs = build_graphs(sources, workers=2)          # one call
    with GraphPool(workers=2) as pool:                  # a pool kept for many calls
        graphs = pool.build_all(sources)
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Data

from yantra_gnn.errors import ConfigError, YantraError
from yantra_gnn.graph.builder import CodeGraphBuilder
from yantra_gnn.schema import FEATURE_DIM

#: Programs sent to a worker at a time: large enough to amortise the round trip.
DEFAULT_CHUNKSIZE = 8

#: A graph on its way back from a worker: compact arrays and the node count.
Encoded = tuple[np.ndarray, ...]

_WORKER: list[CodeGraphBuilder] = []


def encode_graph(data: Data) -> Encoded:
    """``data`` (from ``build``) as compact arrays; :func:`decode_graph` inverts it exactly.

    Returns ``(x indices [2, nnz] int32, x values [nnz] float32, edge_index [2, E] int32,
    edge_type [E] uint8, node_kind [N] int32, node_span [N, 4] int32, has_error [1] bool,
    num_nodes [1] int64)``.
    """
    x = data.x
    return (
        x.indices().numpy().astype(np.int32),
        x.values().numpy(),
        data.edge_index.numpy().astype(np.int32),
        data.edge_type.numpy().astype(np.uint8),
        data.node_kind.numpy().astype(np.int32),
        data.node_span.numpy().astype(np.int32),
        data.has_error.numpy(),
        np.array([data.num_nodes], dtype=np.int64),
    )


def decode_graph(encoded: Encoded) -> Data:
    """The ``Data`` that :func:`encode_graph` was given (same values, same dtypes)."""
    indices, values, edge_index, edge_type, kind, span, has_error, num_nodes = encoded
    n = int(num_nodes[0])
    x = torch.sparse_coo_tensor(
        torch.from_numpy(indices).long(),
        torch.from_numpy(values),
        (n, FEATURE_DIM),
        is_coalesced=True,
        check_invariants=False,
    )
    return Data(
        x=x,
        edge_index=torch.from_numpy(edge_index).long(),
        edge_type=torch.from_numpy(edge_type).long(),
        node_kind=torch.from_numpy(kind).long(),
        node_span=torch.from_numpy(span).long(),
        has_error=torch.from_numpy(has_error),
        num_nodes=n,
    )


def _start_worker(settings: dict[str, Any]) -> None:
    """Pool initializer: one torch thread and one builder per worker process."""
    torch.set_num_threads(1)
    _WORKER.append(CodeGraphBuilder(**settings))


def _build_encoded(job: tuple[str | bytes, bool | None]) -> Encoded | YantraError:
    """Build one program in a worker; a documented error goes back as a value."""
    source, strip_imports = job
    try:
        return encode_graph(_WORKER[-1].build(source, strip_imports=strip_imports))
    except YantraError as error:
        return error


def _builder_settings(builder: CodeGraphBuilder) -> dict[str, Any]:
    return {
        "max_source_bytes": builder.max_source_bytes,
        "strip_imports": builder.strip_imports,
        "max_nodes": builder.max_nodes,
        "max_edges": builder.max_edges,
    }


def _check_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a positive int, got {workers!r}")
    return workers


def _checked(result: Encoded | YantraError, index: int) -> Data:
    if isinstance(result, YantraError):
        raise type(result)(f"sources[{index}]: {result}") from result
    return decode_graph(result)


class GraphPool:
    """Worker processes that build graphs with copies of one builder's settings.

    Args:
        workers: processes (each runs one torch thread).
        builder: whose caps and ``strip_imports`` the workers use (default
            ``CodeGraphBuilder()``).
        chunksize: programs per round trip to a worker.

    Use it as a context manager (or call :meth:`close`); starting processes takes a
    fraction of a second, so keep one pool for many calls.
    """

    def __init__(
        self,
        workers: int = 2,
        builder: CodeGraphBuilder | None = None,
        chunksize: int = DEFAULT_CHUNKSIZE,
    ) -> None:
        self.workers = _check_workers(workers)
        if isinstance(chunksize, bool) or not isinstance(chunksize, int) or chunksize < 1:
            raise ConfigError(f"chunksize must be a positive int, got {chunksize!r}")
        self.chunksize = chunksize
        settings = _builder_settings(builder or CodeGraphBuilder())
        self._pool = multiprocessing.get_context().Pool(
            workers, initializer=_start_worker, initargs=(settings,)
        )

    def build_all(
        self, sources: Sequence[str | bytes], strip_imports: bool | None = None
    ) -> list[Data]:
        """The graphs of ``sources``, in order (as ``build`` makes them).

        Raises:
            SourceError (and the library's other errors): a program cannot be built; the
                message names its index. The other programs' work is discarded.
        """
        jobs = [(source, strip_imports) for source in sources]
        results = self._pool.imap(_build_encoded, jobs, chunksize=self.chunksize)
        return [_checked(result, index) for index, result in enumerate(results)]

    def close(self) -> None:
        """Stop the workers."""
        self._pool.terminate()
        self._pool.join()

    def __enter__(self) -> GraphPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def build_graphs(
    sources: Sequence[str | bytes],
    workers: int = 1,
    builder: CodeGraphBuilder | None = None,
    strip_imports: bool | None = None,
    chunksize: int = DEFAULT_CHUNKSIZE,
) -> list[Data]:
    """The graphs of ``sources`` built by ``workers`` processes (1: in this process).

    Raises:
        SourceError (and the library's other errors): a program cannot be built; the
            message names its index.
    """
    builder = builder or CodeGraphBuilder()
    if _check_workers(workers) == 1:
        graphs = []
        for index, source in enumerate(sources):
            try:
                graphs.append(builder.build(source, strip_imports=strip_imports))
            except YantraError as error:
                raise type(error)(f"sources[{index}]: {error}") from error
        return graphs
    with GraphPool(workers, builder, chunksize) as pool:
        return pool.build_all(sources, strip_imports=strip_imports)
