"""Python source → AST + dataflow graph as a PyTorch Geometric ``Data``."""

from __future__ import annotations

import itertools
from collections.abc import Collection
from functools import lru_cache

import numpy as np
import torch
from torch_geometric.data import Data

from yantra_gnn.errors import GraphTooLargeError
from yantra_gnn.graph import dataflow as df
from yantra_gnn.graph import features as ft
from yantra_gnn.graph.parse import (
    DEFAULT_MAX_NODES,
    DEFAULT_MAX_SOURCE_BYTES,
    ERROR_KIND_ID,
    FlatTree,
    decode_source,
    kind_id,
    parse_flat,
    python_language,
)
from yantra_gnn.schema import FORWARD_EDGE_TYPES

#: Default cap on the edges of one graph, reverse edges included.
DEFAULT_MAX_EDGES = 2_000_000

#: Named kinds folded into their parent instead of becoming nodes.
_DROPPED_KINDS = frozenset({kind_id("comment"), kind_id("string_start"), kind_id("string_end")})
_F_ATTRIBUTE = python_language().field_id_for_name("attribute")
_F_NAME = python_language().field_id_for_name("name")
_F_CONDITION = python_language().field_id_for_name("condition")
_ATTRIBUTE = kind_id("attribute")
_KEYWORD_ARGUMENT = kind_id("keyword_argument")
_TRY_KINDS = frozenset({kind_id("try_statement")})
_FUNCTION_KINDS = frozenset({df.FUNCTION_DEFINITION, df.LAMBDA})
_LOG2_SCALE = 16.0
_SCALAR = {name: ft.scalar_slot(name) for name in ft.SCALARS}
_TOKEN_SLOTS = {
    k: ft.token_slot(k)
    for k in range(python_language().node_kind_count)
    if ft.token_slot(k) is not None
}
_KIND_TABLE_SIZE = ERROR_KIND_ID + 1


def _kind_table(kinds: Collection[int]) -> np.ndarray:
    """Boolean lookup table over every ``kind_id``: is the kind in ``kinds``?"""
    table = np.zeros(_KIND_TABLE_SIZE, dtype=bool)
    table[list(kinds)] = True
    return table


_IS_DROPPED = _kind_table(_DROPPED_KINDS)
_IS_LOOP = _kind_table(df.LOOP_KINDS)
_IS_BRANCH = _kind_table(df.BRANCH_KINDS)
_IS_FUNCTION = _kind_table(_FUNCTION_KINDS)
_IS_COMPREHENSION = _kind_table(df.COMPREHENSION_KINDS)
_IS_TRY = _kind_table(_TRY_KINDS)
_IS_LAMBDA = _kind_table({df.LAMBDA})
#: Token column of each anonymous kind (-1: none).
_TOKEN_COLUMN = np.full(_KIND_TABLE_SIZE, -1, dtype=np.int64)
_TOKEN_COLUMN[list(_TOKEN_SLOTS)] = [
    column for column in _TOKEN_SLOTS.values() if column is not None
]
#: Kind column of each kind id (``ft.kind_slot``).
_KIND_COLUMN = np.asarray([ft.kind_slot(k) for k in range(_KIND_TABLE_SIZE)], dtype=np.int64)
#: Generic structural scalars, in the order their values are stacked.
_GENERIC_SCALARS = (
    "depth",
    "named_child_count",
    "sibling_index",
    "is_leaf",
    "is_error",
    "is_missing",
    "loop_depth",
    "branch_depth",
    "function_depth",
    "in_comprehension",
    "in_try",
    "in_lambda",
    "in_condition",
    "relative_line",
    "subtree_size",
    "has_error_descendant",
)
_GENERIC_COLUMNS = np.asarray([ft.scalar_slot(name) for name in _GENERIC_SCALARS])
#: Identifier scalars computed per node, in the order of their value rows.
_IDENTIFIER_SCALARS = (
    "var_read",
    "var_write",
    "var_param",
    "def_name",
    "call_target",
    "attribute_name",
    "keyword_argument_name",
    "global_declared",
    "defined_function_name",
    "unbound_read",
    "dead_write",
    "reaching_writes",
    "is_constant_name",
    "is_underscore_name",
)
_IDENTIFIER_COLUMNS = np.asarray([ft.scalar_slot(name) for name in _IDENTIFIER_SCALARS])
_STRING_COLUMNS = np.asarray(
    [ft.scalar_slot(name) for name in ("string_empty", "string_single_char", "string_length")]
)


@lru_cache(maxsize=65536)
def _identifier_columns(text: str) -> tuple[int, ...]:
    """Hashed sub-token columns of an identifier and its known-name column (if any)."""
    slots = set(ft.subtoken_slots(text))
    name_column = ft.name_slot(text)
    if name_column is not None:
        slots.add(name_column)
    return tuple(slots)


@lru_cache(maxsize=65536)
def _integer_column(text: str) -> int:
    """Column of an integer literal's bucket, ``-1`` when it does not parse."""
    bucket = ft.integer_bucket(text)
    return _SCALAR[bucket] if bucket else -1


@lru_cache(maxsize=65536)
def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _nonzero_float(text: str) -> bool:
    try:
        return float(text.replace("_", "").rstrip("jJ")) != 0.0
    except ValueError:
        return False


class CodeGraphBuilder:
    r"""Builds the program graph of one Python source file.

    Nodes are the named tree-sitter nodes (comments dropped; anonymous tokens such as
    operators and keywords folded into their parent's features). Edges carry an
    ``edge_type`` indexing :data:`EDGE_TYPES`: AST child, next sibling, next token and the
    dataflow kinds of :mod:`yantra_gnn.graph.dataflow`, each with a reverse type.

    Args:
        max_source_bytes: sources larger than this raise
            :class:`~yantra_gnn.errors.SourceTooLargeError`.
        strip_imports: default for :meth:`build`'s ``strip_imports``.
        max_nodes, max_edges: graphs with more nodes or edges (reverse edges included)
            raise :class:`~yantra_gnn.errors.GraphTooLargeError` before their features
            are built. The defaults (100,000 nodes, 2,000,000 edges) are 23 and 87 times
            the largest of the 200 shared CodeContests solutions (4,370 nodes, 22,900
            edges); time and memory grow linearly up to them (about 3 s at worst).

    Returns of :meth:`build`: a :class:`torch_geometric.data.Data` with

    - ``x``: sparse COO float tensor ``[N, 978]`` (``to_dense_features(data)`` for dense),
    - ``edge_index``: ``[2, E]`` long, ``edge_type``: ``[E]`` long,
    - ``node_kind``: ``[N]`` long (tree-sitter ``kind_id``; ERROR is 65535),
    - ``node_span``: ``[N, 4]`` long (start row, start col, end row, end col; 0-based,
      columns in bytes),
    - ``has_error``: ``[1]`` bool, the source had syntax errors,
    - ``num_nodes``.
    """

    def __init__(
        self,
        max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES,
        strip_imports: bool = False,
        max_nodes: int = DEFAULT_MAX_NODES,
        max_edges: int = DEFAULT_MAX_EDGES,
    ) -> None:
        for name, value in (
            ("max_source_bytes", max_source_bytes),
            ("max_nodes", max_nodes),
            ("max_edges", max_edges),
        ):
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        self.max_source_bytes = max_source_bytes
        self.strip_imports = strip_imports
        self.max_nodes = max_nodes
        self.max_edges = max_edges

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(max_source_bytes={self.max_source_bytes}, "
            f"strip_imports={self.strip_imports}, max_nodes={self.max_nodes}, "
            f"max_edges={self.max_edges})"
        )

    def build(self, source: str | bytes, *, strip_imports: bool | None = None) -> Data:
        """Build the graph of ``source``; ``strip_imports=True`` removes import statements.

        Raises:
            SourceTypeError, SourceEncodingError, SourceTooLargeError, EmptySourceError:
                see :func:`yantra_gnn.graph.parse.decode_source`.
            GraphTooLargeError: over ``max_nodes`` nodes or ``max_edges`` edges.
        """
        strip = self.strip_imports if strip_imports is None else strip_imports
        tree = parse_flat(decode_source(source, self.max_source_bytes), self.max_nodes)
        excluded = _import_nodes(tree) if strip else set()
        return _GraphAssembler(tree, excluded).data(self.max_edges)


def _import_nodes(tree: FlatTree) -> set[int]:
    """Every flat node inside an import statement."""
    excluded: set[int] = set()
    node = 0
    kinds = tree.kind
    while node < len(kinds):
        if kinds[node] in df.IMPORT_KINDS:
            end = tree.subtree_end(node)
            excluded.update(range(node, end))
            node = end
        else:
            node += 1
    return excluded


class _GraphAssembler:
    """Turns one flat tree (minus ``excluded`` nodes) into a ``Data`` object.

    Everything per node is computed with numpy over the flat arrays; only identifiers,
    literals and dataflow edges go through Python loops.
    """

    def __init__(self, tree: FlatTree, excluded: set[int]) -> None:
        self.tree = tree
        self.excluded = excluded
        self.kind = np.asarray(tree.kind, dtype=np.int64)
        self.parent = np.asarray(tree.parent, dtype=np.int64)
        keep = np.asarray(tree.named, dtype=bool) & ~_IS_DROPPED[self.kind]
        if excluded:
            keep[np.fromiter(excluded, dtype=np.int64, count=len(excluded))] = False
        self.keep = keep
        #: flat id of each graph node (pre-order, so graph ids keep source order)
        self.nodes = nodes = np.flatnonzero(keep)
        n = len(nodes)
        #: graph id of each flat node (-1: not in the graph)
        self.graph_id = np.full(len(keep), -1, dtype=np.int64)
        self.graph_id[nodes] = np.arange(n)
        #: graph id of each graph node's nearest kept ancestor (-1 for the root)
        self.gparent = np.full(n, -1, dtype=np.int64)
        self.gparent[1:] = self.graph_id[self._kept_ancestors(nodes[1:])]

    def _kept_ancestors(self, flat: np.ndarray) -> np.ndarray:
        """Nearest kept (strict) ancestor of each flat node in ``flat``."""
        parent, keep = self.parent, self.keep
        up = parent[flat]
        for _ in range(16):  # a named node's parent is almost always named
            lost = np.flatnonzero(~keep[up])
            if not lost.size:
                return up
            up[lost] = parent[up[lost]]
        for i in np.flatnonzero(~keep[up]).tolist():  # long unnamed chains: one by one
            v = int(up[i])
            while not keep[v]:
                v = int(parent[v])
            up[i] = v
        return up

    def data(self, max_edges: int) -> Data:
        tree = self.tree
        n = len(self.nodes)
        # Each dataflow pair becomes two edges (and the tree has len(nodes) - 1 more): the
        # analysis stops as soon as the graph is sure to go over the cap.
        flow = df.analyze(tree, self.excluded, max_pairs=max(max_edges // 2 - n + 1, 0))
        edge_index, edge_type = self._edges(flow)
        if edge_index.shape[1] > max_edges:
            raise GraphTooLargeError(
                f"the source's graph has {edge_index.shape[1]:,} edges, over the cap of "
                f"{max_edges:,}; raise max_edges if you really mean it "
                f"(CodeGraphBuilder(max_edges=...))"
            )
        start = np.asarray(tree.start_byte, dtype=np.int64)[self.nodes]
        end = np.asarray(tree.end_byte, dtype=np.int64)[self.nodes]
        self.start_row, start_col = tree.points(start)
        self.end_row, end_col = tree.points(end)
        spans = np.stack([self.start_row, start_col, self.end_row, end_col], axis=1)
        return Data(
            x=self._features(flow),
            edge_index=edge_index,
            edge_type=edge_type,
            node_kind=torch.from_numpy(self.kind[self.nodes]),
            node_span=torch.from_numpy(spans.astype(np.int64, copy=False)),
            has_error=torch.tensor([tree.has_error]),
            num_nodes=n,
        )

    # ------------------------------------------------------------------ edges
    def _edges(self, flow: df.DataflowResult) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.nodes)
        children = np.arange(1, n, dtype=np.int64)
        parents = self.gparent[1:]
        self.child_count = np.bincount(parents, minlength=n)
        # Children grouped by parent, in source order within each group.
        order = np.argsort(parents, kind="stable")
        grouped_parent, grouped_child = parents[order], children[order]
        first_of_group = np.searchsorted(grouped_parent, grouped_parent, side="left")
        self.sibling_index = np.zeros(n, dtype=np.int64)
        self.sibling_index[grouped_child] = np.arange(n - 1) - first_of_group
        previous = np.full(n, -1, dtype=np.int64)
        same = grouped_parent[1:] == grouped_parent[:-1]
        previous[grouped_child[1:][same]] = grouped_child[:-1][same]
        with_previous = np.flatnonzero(previous >= 0)
        self.is_leaf = self.child_count == 0
        leaves = np.flatnonzero(self.is_leaf)
        pairs_of = {
            "ast_child": np.stack([parents, children], axis=1),
            "next_sibling": np.stack([previous[with_previous], with_previous], axis=1),
            "next_token": np.stack([leaves[:-1], leaves[1:]], axis=1),
        }
        # Dataflow pairs (up to millions on hostile input) are mapped to graph ids and
        # sorted with numpy: a Python sort of tuples took seconds.
        lookup = self.graph_id
        for name, flow_pairs in flow.edges.items():
            flat = np.fromiter(
                itertools.chain.from_iterable(flow_pairs), dtype=np.int64, count=2 * len(flow_pairs)
            ).reshape(-1, 2)
            flat = flat[((flat >= 0) & (flat < len(lookup))).all(axis=1)]
            mapped = lookup[flat]
            mapped = mapped[(mapped >= 0).all(axis=1)]
            pairs_of[name] = mapped[np.lexsort((mapped[:, 1], mapped[:, 0]))]
        forward = [pairs_of[name] for name in FORWARD_EDGE_TYPES]
        offset = len(FORWARD_EDGE_TYPES)
        sources = np.concatenate([part for pairs in forward for part in (pairs[:, 0], pairs[:, 1])])
        targets = np.concatenate([part for pairs in forward for part in (pairs[:, 1], pairs[:, 0])])
        types = np.concatenate(
            [
                np.repeat(np.array([type_id, type_id + offset], dtype=np.int64), len(pairs))
                for type_id, pairs in enumerate(forward)
            ]
        )
        edge_index = torch.from_numpy(np.stack([sources, targets]).astype(np.int64, copy=False))
        return edge_index, torch.from_numpy(types)

    # ------------------------------------------------------------------ features
    def _features(self, flow: df.DataflowResult) -> torch.Tensor:
        """Sparse COO ``[N, FEATURE_DIM]`` features of the graph nodes."""
        tree, nodes = self.tree, self.nodes
        n = len(nodes)
        kinds = self.kind[nodes]
        fields = np.asarray(tree.field_id, dtype=np.int64)[nodes]
        ids = np.arange(n)
        # Graph descendants of g are the graph ids in (g, graph_end[g]): pre-order.
        kept_before = np.cumsum(self.keep)
        graph_end = kept_before[np.asarray(tree.end, dtype=np.int64)[nodes] - 1]

        def ancestors_in(mask: np.ndarray, self_too: bool = False) -> np.ndarray:
            """How many graph ancestors (and the node itself) of each node are in mask."""
            marked = np.flatnonzero(mask)
            opened = np.bincount(marked if self_too else marked + 1, minlength=n + 1)
            closed = np.bincount(graph_end[marked], minlength=n + 1)
            return np.cumsum(opened - closed)[:n]

        # Bottom-up: ERROR / MISSING nodes below.
        error_here = kinds == ERROR_KIND_ID
        missing = tree.missing
        if tree.has_error:
            keep, parent, graph_id = self.keep, tree.parent, self.graph_id
            for v, is_missing in enumerate(missing):
                if is_missing:
                    while not keep[v]:
                        v = parent[v]
                    error_here[graph_id[v]] = True
        errors_before = np.cumsum(error_here)
        error_below = errors_before[graph_end - 1] - errors_before > 0

        # Rows relative to the graph's own first and last line, so that stripped import
        # lines leave no trace (the module node still spans the whole file).
        start_rows = self.start_row
        first_row = int(start_rows[1:].min()) if n > 1 else 0
        last_row = int(self.end_row[1:].max()) if n > 1 else 0
        condition = fields == _F_CONDITION
        condition[0] = False
        generic = np.empty((len(_GENERIC_SCALARS), n), dtype=np.float64)
        generic[0] = np.minimum(np.asarray(tree.depth, dtype=np.int64)[nodes], 64) / 64
        generic[1] = np.minimum(self.child_count, 16) / 16
        generic[2] = np.minimum(self.sibling_index, 16) / 16
        generic[3] = self.is_leaf
        generic[4] = kinds == ERROR_KIND_ID
        generic[5] = np.asarray(missing, dtype=bool)[nodes]
        generic[6] = np.minimum(ancestors_in(_IS_LOOP[kinds]), 4) / 4
        generic[7] = np.minimum(ancestors_in(_IS_BRANCH[kinds]), 4) / 4
        generic[8] = np.minimum(ancestors_in(_IS_FUNCTION[kinds]), 4) / 4
        generic[9] = ancestors_in(_IS_COMPREHENSION[kinds]) > 0
        generic[10] = ancestors_in(_IS_TRY[kinds]) > 0
        generic[11] = ancestors_in(_IS_LAMBDA[kinds]) > 0
        generic[12] = ancestors_in(condition, self_too=True) > 0
        generic[13] = np.maximum(start_rows - first_row, 0) / max(last_row - first_row, 1)
        generic[14] = np.log2(1.0 + (graph_end - ids - 1)) / _LOG2_SCALE
        generic[15] = error_below
        generic = np.floor(np.clip(generic, 0.0, 1.0) * 64) / 64
        which, hit = np.nonzero(generic)

        row_parts = [ids, hit]
        col_parts = [_KIND_COLUMN[kinds], _GENERIC_COLUMNS[which]]
        val_parts = [np.ones(n), generic[which, hit]]

        field_rows = np.flatnonzero((fields >= 1) & (fields <= ft.FIELD_BLOCK.size))
        row_parts.append(field_rows)
        col_parts.append(ft.FIELD_BLOCK.offset + fields[field_rows] - 1)
        val_parts.append(np.ones(field_rows.size))
        # anonymous tokens (operators, keywords) fold into their named parent
        token_column = _TOKEN_COLUMN[self.kind]
        tokens = np.flatnonzero(token_column >= 0)
        token_rows = self.graph_id[self.parent[tokens]]
        folded = token_rows >= 0
        row_parts.append(token_rows[folded])
        col_parts.append(token_column[tokens][folded])
        val_parts.append(np.ones(int(folded.sum())))

        self._identifier_entries(flow, kinds, fields, row_parts, col_parts, val_parts)
        self._literal_entries(kinds, row_parts, col_parts, val_parts)
        return ft.sparse_from_entries(
            np.concatenate(row_parts).astype(np.int64, copy=False),
            np.concatenate(col_parts).astype(np.int64, copy=False),
            np.concatenate(val_parts).astype(np.float64, copy=False),
            n,
        )

    def _texts(self, rows: np.ndarray) -> list[str]:
        """The source text of the graph nodes ``rows``."""
        tree = self.tree
        source, start, end = tree.source, tree.start_byte, tree.end_byte
        return [_decode(source[start[v] : end[v]]) for v in self.nodes[rows].tolist()]

    def _identifier_entries(
        self,
        flow: df.DataflowResult,
        kinds: np.ndarray,
        fields: np.ndarray,
        row_parts: list[np.ndarray],
        col_parts: list[np.ndarray],
        val_parts: list[np.ndarray],
    ) -> None:
        """Sub-token, known-name and role columns of the identifier nodes."""
        rows = np.flatnonzero(kinds == ft.IDENTIFIER)
        if not rows.size:
            return
        tree = self.tree
        flat = self.nodes[rows]
        texts = self._texts(rows)
        hot_rows: list[int] = []
        hot_cols: list[int] = []
        for g, text in zip(rows.tolist(), texts, strict=True):
            columns = _identifier_columns(text)
            hot_cols.extend(columns)
            hot_rows.extend([g] * len(columns))
        row_parts.append(np.asarray(hot_rows, dtype=np.int64))
        col_parts.append(np.asarray(hot_cols, dtype=np.int64))
        val_parts.append(np.ones(len(hot_rows)))

        size = len(tree.kind)

        def member(nodes: Collection[int]) -> np.ndarray:
            table = np.zeros(size, dtype=bool)
            if nodes:
                table[np.fromiter(nodes, dtype=np.int64, count=len(nodes))] = True
            return table[flat]

        written_read = {w for _, w in flow.edges["last_write"]}
        defined_functions = {tree.text(v) for v in flow.def_names}
        reaching = flow.reaching_writes
        up_kinds = self.kind[self.parent[flat]]
        is_write = member(flow.writes)
        values = np.empty((len(_IDENTIFIER_SCALARS), rows.size), dtype=np.float64)
        values[0] = member(flow.reads)
        values[1] = is_write
        values[2] = member(flow.params)
        values[3] = member(flow.def_names)
        values[4] = member(flow.call_targets)
        values[5] = (up_kinds == _ATTRIBUTE) & (fields[rows] == _F_ATTRIBUTE)
        values[6] = (up_kinds == _KEYWORD_ARGUMENT) & (fields[rows] == _F_NAME)
        values[7] = member(flow.global_names)
        values[8] = [text in defined_functions for text in texts]
        values[9] = member(flow.unbound_reads)
        values[10] = is_write & ~member(written_read)
        values[11] = [min(reaching.get(v, 0), 4) / 4 for v in flat.tolist()]
        values[12] = [text.isupper() for text in texts]
        values[13] = [text.startswith("_") for text in texts]  # error recovery: ""
        which, hit = np.nonzero(values)
        row_parts.append(rows[hit])
        col_parts.append(_IDENTIFIER_COLUMNS[which])
        val_parts.append(values[which, hit])

    def _literal_entries(
        self,
        kinds: np.ndarray,
        row_parts: list[np.ndarray],
        col_parts: list[np.ndarray],
        val_parts: list[np.ndarray],
    ) -> None:
        """Columns of integer, float and string literals and of short string contents."""
        tree = self.tree
        entries: list[tuple[int, int]] = []  # (row, column), value 1
        integers = np.flatnonzero(kinds == ft.INTEGER)
        for g, text in zip(integers.tolist(), self._texts(integers), strict=True):
            column = _integer_column(text)
            if column >= 0:
                entries.append((g, column))
        floats = np.flatnonzero(kinds == ft.FLOAT)
        for g, text in zip(floats.tolist(), self._texts(floats), strict=True):
            if _nonzero_float(text):
                entries.append((g, _SCALAR["float_literal_nonzero"]))
        start = np.asarray(tree.start_byte, dtype=np.int64)
        width = np.asarray(tree.end_byte, dtype=np.int64) - start
        contents = np.flatnonzero(kinds == ft.STRING_CONTENT)
        short = contents[width[self.nodes[contents]] <= 32]
        for g, text in zip(short.tolist(), self._texts(short), strict=True):
            entries.extend((g, column) for column in ft.subtoken_slots(text, prefix="s:"))
        if entries:
            pairs = np.asarray(entries, dtype=np.int64)
            row_parts.append(pairs[:, 0])
            col_parts.append(pairs[:, 1])
            val_parts.append(np.ones(len(entries)))

        strings = np.flatnonzero(kinds == ft.STRING)
        if strings.size:
            # length of a string: the bytes of its string_content children
            flat_contents = np.flatnonzero(self.kind == ft.STRING_CONTENT)
            length = np.bincount(
                self.parent[flat_contents], weights=width[flat_contents], minlength=len(width)
            )[self.nodes[strings]].astype(np.int64)
            values = np.stack([length == 0, length == 1, np.minimum(length, 32) / 32])
            which, hit = np.nonzero(values)
            row_parts.append(strings[hit])
            col_parts.append(_STRING_COLUMNS[which])
            val_parts.append(values[which, hit])
