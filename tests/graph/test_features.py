"""The 978-dim feature layout: dense/sparse equality, storage, meaning of columns."""

from __future__ import annotations

import torch
from torch_geometric.data import Batch

from yantra_gnn.graph import (
    FEATURE_BLOCKS,
    FEATURE_DIM,
    FEATURE_SPEC_VERSION,
    CodeGraphBuilder,
    column_name,
    pack_features,
    to_dense_features,
    unpack_features,
)
from yantra_gnn.graph import features as ft
from yantra_gnn.graph.export import kind_name

SOURCE = "def f(xs):\n    best = 0\n    for v in xs:\n        if v < best:\n            best = v\n    return best\nprint(f([3, 1, 2]))\n"


def node_columns(data, kind: str) -> list[set[int]]:
    dense = to_dense_features(data)
    return [
        set(torch.nonzero(dense[i]).flatten().tolist())
        for i, k in enumerate(data.node_kind.tolist())
        if kind_name(k) == kind
    ]


def test_blocks_tile_the_vector():
    offset = 0
    for block in FEATURE_BLOCKS:
        assert block.offset == offset
        offset = block.end
    assert offset == FEATURE_DIM == 978


def test_dense_equals_documented_layout():
    data = CodeGraphBuilder().build(SOURCE)
    dense = to_dense_features(data)
    assert torch.equal(dense, data.x.to_dense())
    for i, kind in enumerate(data.node_kind.tolist()):
        row = dense[i]
        # exactly one node-kind column is hot, and it is this node's kind
        kind_cols = torch.nonzero(row[: ft.KIND_BLOCK.end]).flatten().tolist()
        assert kind_cols == [ft.kind_slot(kind)]
        assert column_name(kind_cols[0]) == f"node_kind:{kind_name(kind)}"
        # one-hot blocks are exactly 0/1; scalars are in [0, 1] and multiples of 1/64
        assert set(row[: ft.SCALAR_BLOCK.offset].unique().tolist()) <= {0.0, 1.0}
        scalars = row[ft.SCALAR_BLOCK.offset :]
        assert bool(((scalars >= 0) & (scalars <= 1)).all())
        assert torch.equal(scalars * 64, (scalars * 64).round())


def test_sparse_entries_match_the_dense_matrix_and_collapse_hash_collisions():
    import numpy as np

    rows = np.array([1, 0, 0, 0, 0])
    cols = np.array([3, 940, 5, 0, 5])  # column 5 twice: a sub-token hash collision
    values = np.array([1.0, 0.5, 1.0, 1.0, 1.0])
    x = ft.sparse_from_entries(rows, cols, values, 2)
    dense = torch.zeros(2, FEATURE_DIM)
    dense[0, [0, 5, 940]] = torch.tensor([1.0, 1.0, 0.5])
    dense[1, 3] = 1.0
    assert x.is_coalesced() and x._nnz() == 4
    assert torch.equal(x.to_dense(), dense)


def test_comparison_operators_are_distinguished():
    lt = node_columns(CodeGraphBuilder().build("a < b\n"), "comparison_operator")[0]
    le = node_columns(CodeGraphBuilder().build("a <= b\n"), "comparison_operator")[0]
    assert lt != le
    assert ft.TOKEN_BLOCK.offset + ft.TOKENS.index("<") in lt
    assert ft.TOKEN_BLOCK.offset + ft.TOKENS.index("<=") in le


def test_identifier_subtokens_and_known_names():
    cols = node_columns(CodeGraphBuilder().build("maxValue = len(xs)\n"), "identifier")
    max_value, length, _ = cols
    assert ft.subtoken_slots("maxValue") <= max_value
    assert ft.subtokens("maxValue") == ["max", "value"]
    assert ft.subtokens("max_value_2") == ["max", "value", "2"]
    assert ft.subtokens("HTTPServer") == ["http", "server"]
    assert ft.NAME_BLOCK.offset + ft.KNOWN_NAMES.index("len") in length
    assert ft.scalar_slot("var_write") in max_value
    assert ft.scalar_slot("call_target") in length
    assert ft.scalar_slot("unbound_read") in length  # a builtin: no write reaches it


def test_integer_literal_buckets_tell_off_by_one_apart():
    zero = node_columns(CodeGraphBuilder().build("x = 0\n"), "integer")[0]
    one = node_columns(CodeGraphBuilder().build("x = 1\n"), "integer")[0]
    assert ft.scalar_slot("int_zero") in zero and ft.scalar_slot("int_one") in one
    assert ft.integer_bucket("10**9") is None
    assert ft.integer_bucket("1_000_000") == "int_huge"
    assert ft.integer_bucket("0x1F") == "int_tens"


def test_pack_unpack_round_trip_is_exact_and_small():
    data = CodeGraphBuilder().build(SOURCE)
    packed = pack_features(data.x)
    restored = unpack_features(packed)
    assert torch.equal(restored.to_dense(), data.x.to_dense())
    packed_bytes = sum(t.numel() * t.element_size() for t in packed.values())
    coo_bytes = data.x._nnz() * (2 * 8 + 4)
    assert packed_bytes * 3 < coo_bytes


def test_batching_keeps_sparse_features_aligned():
    builder = CodeGraphBuilder()
    graphs = [builder.build(SOURCE), builder.build("x = 1\n")]
    batch = Batch.from_data_list(graphs)
    assert batch.x.is_sparse
    dense = torch.cat([g.x.to_dense() for g in graphs])
    assert torch.equal(batch.x.to_dense(), dense)
    assert batch.has_error.shape == (2,)


def test_column_names_cover_every_block():
    names = [column_name(c) for c in range(FEATURE_DIM)]
    assert names[0].startswith("node_kind:")
    assert names[ft.FIELD_BLOCK.offset] == "field:alias"
    assert names[ft.TOKEN_BLOCK.offset] == "token:+"
    assert names[-1] == "scalar:has_error_descendant"


def test_docs_list_every_column_group():
    from yantra_test_helpers import REPO_ROOT

    docs = (REPO_ROOT / "docs" / "features.md").read_text()
    assert FEATURE_SPEC_VERSION in docs
    for block in FEATURE_BLOCKS:
        assert f"| {block.offset}–{block.end - 1} | `{block.name}`" in docs
    for i, name in enumerate(ft.SCALARS):
        assert f"| {ft.SCALAR_BLOCK.offset + i} | `{name}` |" in docs
