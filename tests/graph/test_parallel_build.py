"""Graphs built in worker processes equal those built in this process, tensor for tensor."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

from yantra_gnn.errors import ConfigError, EmptySourceError, GraphTooLargeError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.graph.parallel import GraphPool, build_graphs, decode_graph, encode_graph

SOURCES = [
    "import sys\nn = int(sys.stdin.readline())\nprint(sum(range(n)))\n",
    "def f(a, b):\n    if a < b:\n        return b - a\n    return a - b\n\nprint(f(3, 5))\n",
    "x = [1, 2,\nprint(x)\n",  # a syntax error still gives a graph
    "from collections import Counter\nprint(Counter(input().split()).most_common(1))\n",
    "for in x: pass\n",
    "s = 'é ü 漢字'\nprint(s[::-1])\n",
] * 3


def assert_same_graph(got: Data, want: Data) -> None:
    assert got.num_nodes == want.num_nodes
    assert got.x.is_sparse and got.x.is_coalesced() == want.x.is_coalesced()
    assert got.x.shape == want.x.shape and got.x.dtype == want.x.dtype
    assert torch.equal(got.x.indices(), want.x.indices())
    assert torch.equal(got.x.values(), want.x.values())
    assert set(got.keys()) == set(want.keys())
    for key in ("edge_index", "edge_type", "node_kind", "node_span", "has_error"):
        assert got[key].dtype == want[key].dtype, key
        assert torch.equal(got[key], want[key]), key


def test_encoding_a_graph_loses_nothing():
    builder = CodeGraphBuilder()
    for source in SOURCES[:6]:
        graph = builder.build(source)
        assert_same_graph(decode_graph(encode_graph(graph)), graph)


def test_two_workers_build_the_same_graphs_in_order():
    builder = CodeGraphBuilder()
    want = [builder.build(s, strip_imports=True) for s in SOURCES]
    with GraphPool(workers=2, chunksize=2) as pool:
        got = pool.build_all(SOURCES, strip_imports=True)
        again = pool.build_all(SOURCES[:3])  # a pool serves many calls
    assert len(got) == len(want)
    for graph, expected in zip(got, want, strict=True):
        assert_same_graph(graph, expected)
    assert_same_graph(again[0], builder.build(SOURCES[0]))


def test_one_worker_builds_in_process_and_both_name_the_bad_source():
    assert len(build_graphs(SOURCES[:2], workers=1)) == 2
    for workers in (1, 2):
        with pytest.raises(EmptySourceError, match=r"sources\[1\]"):
            build_graphs([SOURCES[0], "   \n", SOURCES[1]], workers=workers)


def test_the_workers_use_the_given_builders_caps():
    small = CodeGraphBuilder(max_nodes=20)
    with pytest.raises(GraphTooLargeError, match=r"sources\[0\]"):
        build_graphs([SOURCES[3]], workers=2, builder=small)


@pytest.mark.parametrize("workers", [0, -1, True, 1.5])
def test_bad_worker_counts_are_config_errors(workers):
    with pytest.raises(ConfigError, match="workers"):
        build_graphs(SOURCES[:1], workers=workers)
