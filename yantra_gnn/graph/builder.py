"""Python source → AST + dataflow graph as a PyTorch Geometric ``Data``."""

from __future__ import annotations

import itertools
from collections.abc import Collection

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
    """Turns one flat tree (minus ``excluded`` nodes) into a ``Data`` object."""

    def __init__(self, tree: FlatTree, excluded: set[int]) -> None:
        self.tree = tree
        self.excluded = excluded
        kind, named = tree.kind, tree.named
        self.graph_id: dict[int, int] = {}
        self.nodes: list[int] = []
        for node in range(len(kind)):
            if named[node] and kind[node] not in _DROPPED_KINDS and node not in excluded:
                self.graph_id[node] = len(self.nodes)
                self.nodes.append(node)
        #: graph id of each graph node's nearest kept ancestor (-1 for the root)
        self.gparent = [-1] + [self.graph_id[self._graph_parent(v)] for v in self.nodes[1:]]

    def data(self, max_edges: int) -> Data:
        tree = self.tree
        # Each dataflow pair becomes two edges (and the tree has len(nodes) - 1 more): the
        # analysis stops as soon as the graph is sure to go over the cap.
        flow = df.analyze(
            tree, self.excluded, max_pairs=max(max_edges // 2 - len(self.nodes) + 1, 0)
        )
        edge_index, edge_type = self._edges(flow)
        if edge_index.shape[1] > max_edges:
            raise GraphTooLargeError(
                f"the source's graph has {edge_index.shape[1]:,} edges, over the cap of "
                f"{max_edges:,}; raise max_edges if you really mean it "
                f"(CodeGraphBuilder(max_edges=...))"
            )
        nodes = self.nodes
        spans = [
            (tree.start_row[n], tree.start_col[n], tree.end_row[n], tree.end_col[n]) for n in nodes
        ]
        return Data(
            x=self._features(flow),
            edge_index=edge_index,
            edge_type=edge_type,
            node_kind=torch.tensor([tree.kind[n] for n in nodes], dtype=torch.long),
            node_span=torch.tensor(spans, dtype=torch.long).reshape(-1, 4),
            has_error=torch.tensor([tree.has_error]),
            num_nodes=len(nodes),
        )

    # ------------------------------------------------------------------ edges
    def _graph_parent(self, node: int) -> int:
        parent, graph_id = self.tree.parent, self.graph_id
        up = parent[node]
        while up >= 0 and up not in graph_id:
            up = parent[up]
        return up

    def _edges(self, flow: df.DataflowResult) -> tuple[torch.Tensor, torch.Tensor]:
        graph_id = self.graph_id
        by_type: dict[str, list[tuple[int, int]]] = {name: [] for name in FORWARD_EDGE_TYPES}
        last_child: dict[int, int] = {}
        self.child_count = [0] * len(self.nodes)
        self.sibling_index = [0] * len(self.nodes)
        previous_leaf = -1
        has_child = [False] * len(self.nodes)
        for child in range(1, len(self.nodes)):
            parent = self.gparent[child]
            has_child[parent] = True
            by_type["ast_child"].append((parent, child))
            if parent in last_child:
                by_type["next_sibling"].append((last_child[parent], child))
            last_child[parent] = child
            self.sibling_index[child] = self.child_count[parent]
            self.child_count[parent] += 1
        for node in self.nodes:
            gid = graph_id[node]
            if not has_child[gid]:
                if previous_leaf >= 0:
                    by_type["next_token"].append((previous_leaf, gid))
                previous_leaf = gid
        self.is_leaf = [not c for c in has_child]
        pairs_of = {
            name: np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
            for name, pairs in by_type.items()
        }
        # Dataflow pairs (up to millions on hostile input) are mapped to graph ids and
        # sorted with numpy: a Python sort of tuples took seconds.
        lookup = np.full(len(self.tree.kind), -1, dtype=np.int64)
        lookup[np.asarray(self.nodes, dtype=np.int64)] = np.arange(len(self.nodes))
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
        tree = self.tree
        kind, field_id, children, named = tree.kind, tree.field_id, tree.children, tree.named
        nodes, gparent = self.nodes, self.gparent
        n = len(nodes)
        kinds = [kind[v] for v in nodes]
        fields = [field_id[v] for v in nodes]

        # Context counters, top-down (graph parents precede their children).
        loop, branch, function, flags = [0] * n, [0] * n, [0] * n, [0] * n
        loop_kinds, branch_kinds, comp_kinds = (
            df.LOOP_KINDS,
            df.BRANCH_KINDS,
            df.COMPREHENSION_KINDS,
        )
        for g in range(1, n):
            up = gparent[g]
            k = kinds[up]
            loop[g] = loop[up] + (k in loop_kinds)
            branch[g] = branch[up] + (k in branch_kinds)
            function[g] = function[up] + (k in _FUNCTION_KINDS)
            f = flags[up]
            if k in comp_kinds:
                f |= 1
            elif k in _TRY_KINDS:
                f |= 2
            elif k == df.LAMBDA:
                f |= 4
            if fields[g] == _F_CONDITION:
                f |= 8
            flags[g] = f
        # Bottom-up: graph descendants, and ERROR / MISSING nodes below.
        size = [0] * n
        error_here = [k == ERROR_KIND_ID for k in kinds]
        graph_id = self.graph_id
        for v, is_missing in enumerate(tree.missing):
            if is_missing:
                while v not in graph_id:
                    v = tree.parent[v]
                error_here[graph_id[v]] = True
        error_below = [False] * n
        for g in range(n - 1, 0, -1):
            up = gparent[g]
            size[up] += size[g] + 1
            if error_below[g] or error_here[g]:
                error_below[up] = True

        flags_np = np.asarray(flags)
        # Rows relative to the graph's own first and last line, so that stripped import
        # lines leave no trace (the module node still spans the whole file).
        start_rows = np.asarray([tree.start_row[v] for v in nodes])
        first_row = int(start_rows[1:].min()) if n > 1 else 0
        last_row = max(tree.end_row[v] for v in nodes[1:]) if n > 1 else 0
        generic = {
            "depth": np.minimum([tree.depth[v] for v in nodes], 64) / 64,
            "named_child_count": np.minimum(self.child_count, 16) / 16,
            "sibling_index": np.minimum(self.sibling_index, 16) / 16,
            "is_leaf": np.asarray(self.is_leaf, dtype=np.float64),
            "is_error": np.asarray([k == ERROR_KIND_ID for k in kinds], dtype=np.float64),
            "is_missing": np.asarray([tree.missing[v] for v in nodes], dtype=np.float64),
            "loop_depth": np.minimum(loop, 4) / 4,
            "branch_depth": np.minimum(branch, 4) / 4,
            "function_depth": np.minimum(function, 4) / 4,
            "in_comprehension": (flags_np & 1).astype(np.float64),
            "in_try": (flags_np >> 1 & 1).astype(np.float64),
            "in_lambda": (flags_np >> 2 & 1).astype(np.float64),
            "in_condition": (flags_np >> 3 & 1).astype(np.float64),
            "relative_line": np.maximum(start_rows - first_row, 0) / max(last_row - first_row, 1),
            "subtree_size": np.log2(1.0 + np.asarray(size)) / _LOG2_SCALE,
            "has_error_descendant": np.asarray(error_below, dtype=np.float64),
        }
        row_parts = [np.arange(n)]
        col_parts = [np.asarray([ft.kind_slot(k) for k in kinds])]
        val_parts = [np.ones(n)]
        for name, column_values in generic.items():
            values = np.floor(np.clip(column_values, 0.0, 1.0) * 64) / 64
            hit = np.flatnonzero(values)
            row_parts.append(hit)
            col_parts.append(np.full(hit.size, _SCALAR[name]))
            val_parts.append(values[hit])

        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for g, f in enumerate(fields):
            if 1 <= f <= ft.FIELD_BLOCK.size:
                rows.append(g)
                cols.append(ft.FIELD_BLOCK.offset + f - 1)
        # anonymous tokens (operators, keywords) fold into their named parent
        for v, up in enumerate(tree.parent):
            if not named[v]:
                column = _TOKEN_SLOTS.get(kind[v])
                if column is not None and up in graph_id:
                    rows.append(graph_id[up])
                    cols.append(column)
        vals.extend([1.0] * len(rows))

        written_read = {w for _, w in flow.edges["last_write"]}
        defined_functions = {tree.text(v) for v in flow.def_names}
        reads, writes = flow.reads, flow.writes
        S = _SCALAR  # noqa: N806 - column of each scalar, by name
        hot: Collection[int]  # one-hot columns of the node
        scalars: tuple[tuple[int, float], ...]  # (column, value); zero values are skipped
        for g, v in enumerate(nodes):
            k = kinds[g]
            if k == ft.IDENTIFIER:
                text = tree.text(v)
                slots = set(ft.subtoken_slots(text))
                name_column = ft.name_slot(text)
                if name_column is not None:
                    slots.add(name_column)
                hot = slots
                up = tree.parent[v]
                is_write = v in writes
                scalars = (
                    (S["var_read"], v in reads),
                    (S["var_write"], is_write),
                    (S["var_param"], v in flow.params),
                    (S["def_name"], v in flow.def_names),
                    (S["call_target"], v in flow.call_targets),
                    (S["attribute_name"], kind[up] == _ATTRIBUTE and fields[g] == _F_ATTRIBUTE),
                    (
                        S["keyword_argument_name"],
                        kind[up] == _KEYWORD_ARGUMENT and fields[g] == _F_NAME,
                    ),
                    (S["global_declared"], v in flow.global_names),
                    (S["defined_function_name"], text in defined_functions),
                    (S["unbound_read"], v in flow.unbound_reads),
                    (S["dead_write"], is_write and v not in written_read),
                    (S["reaching_writes"], min(flow.reaching_writes.get(v, 0), 4) / 4),
                    (S["is_constant_name"], text.isupper()),
                    (S["is_underscore_name"], text.startswith("_")),  # error recovery: ""
                )
            elif k == ft.INTEGER:
                bucket = ft.integer_bucket(tree.text(v))
                hot, scalars = (), ((S[bucket], 1.0),) if bucket else ()
            elif k == ft.FLOAT:
                hot, scalars = (), ((S["float_literal_nonzero"], _nonzero_float(tree.text(v))),)
            elif k == ft.STRING:
                length = sum(
                    tree.end_byte[c] - tree.start_byte[c]
                    for c in children[v]
                    if kind[c] == ft.STRING_CONTENT
                )
                hot = ()
                scalars = (
                    (S["string_empty"], length == 0),
                    (S["string_single_char"], length == 1),
                    (S["string_length"], min(length, 32) / 32),
                )
            elif k == ft.STRING_CONTENT and tree.end_byte[v] - tree.start_byte[v] <= 32:
                hot, scalars = ft.subtoken_slots(tree.text(v), prefix="s:"), ()
            else:
                continue
            for column in hot:
                rows.append(g)
                cols.append(column)
                vals.append(1.0)
            for column, value in scalars:
                if value:
                    rows.append(g)
                    cols.append(column)
                    vals.append(float(value))

        row_parts.append(np.asarray(rows, dtype=np.int64))
        col_parts.append(np.asarray(cols, dtype=np.int64))
        val_parts.append(np.asarray(vals, dtype=np.float64))
        return ft.sparse_from_entries(
            np.concatenate(row_parts), np.concatenate(col_parts), np.concatenate(val_parts), n
        )
