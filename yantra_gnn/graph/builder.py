"""Python source → AST + dataflow graph as a PyTorch Geometric ``Data``."""

from __future__ import annotations

import math

import torch
from torch_geometric.data import Data

from yantra_gnn.graph import dataflow as df
from yantra_gnn.graph import features as ft
from yantra_gnn.graph.parse import (
    DEFAULT_MAX_SOURCE_BYTES,
    ERROR_KIND_ID,
    FlatTree,
    decode_source,
    kind_id,
    parse_flat,
    python_language,
)

#: Forward edge kinds; ``EDGE_TYPES[i]`` names ``edge_type == i``.
FORWARD_EDGE_TYPES: tuple[str, ...] = (
    "ast_child",
    "next_sibling",
    "next_token",
    *df.DATAFLOW_EDGE_KINDS,
)
#: Every edge type: the forward kinds, then their reverses (``<kind>_rev``).
EDGE_TYPES: tuple[str, ...] = (
    *FORWARD_EDGE_TYPES,
    *(f"{name}_rev" for name in FORWARD_EDGE_TYPES),
)
NUM_EDGE_TYPES = len(EDGE_TYPES)
EDGE_TYPE_ID = {name: i for i, name in enumerate(EDGE_TYPES)}

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
        self, max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES, strip_imports: bool = False
    ) -> None:
        if max_source_bytes <= 0:
            raise ValueError(f"max_source_bytes must be positive, got {max_source_bytes}")
        self.max_source_bytes = max_source_bytes
        self.strip_imports = strip_imports

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(max_source_bytes={self.max_source_bytes}, "
            f"strip_imports={self.strip_imports})"
        )

    def build(self, source: str | bytes, *, strip_imports: bool | None = None) -> Data:
        """Build the graph of ``source``; ``strip_imports=True`` removes import statements.

        Raises:
            SourceTypeError, SourceEncodingError, SourceTooLargeError, EmptySourceError:
                see :func:`yantra_gnn.graph.parse.decode_source`.
        """
        strip = self.strip_imports if strip_imports is None else strip_imports
        tree = parse_flat(decode_source(source, self.max_source_bytes))
        excluded = _import_nodes(tree) if strip else set()
        return _GraphAssembler(tree, excluded).data()


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

    def data(self) -> Data:
        tree = self.tree
        flow = df.analyze(tree, self.excluded)
        edge_index, edge_type = self._edges(flow)
        columns, values = self._features(flow)
        nodes = self.nodes
        spans = [
            (tree.start_row[n], tree.start_col[n], tree.end_row[n], tree.end_col[n]) for n in nodes
        ]
        return Data(
            x=ft.sparse_features(columns, values),
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
        for node in self.nodes[1:]:
            parent = graph_id[self._graph_parent(node)]
            child = graph_id[node]
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
        for name, pairs in flow.edges.items():
            by_type[name] = sorted(
                (graph_id[a], graph_id[b]) for a, b in pairs if a in graph_id and b in graph_id
            )
        self.is_leaf = [not c for c in has_child]
        sources: list[int] = []
        targets: list[int] = []
        types: list[int] = []
        offset = len(FORWARD_EDGE_TYPES)
        for type_id, name in enumerate(FORWARD_EDGE_TYPES):
            pairs = by_type[name]
            src = [a for a, _ in pairs]
            dst = [b for _, b in pairs]
            sources += src + dst
            targets += dst + src
            types += [type_id] * len(pairs) + [type_id + offset] * len(pairs)
        edge_index = torch.tensor([sources, targets], dtype=torch.long).reshape(2, -1)
        return edge_index, torch.tensor(types, dtype=torch.long)

    # ------------------------------------------------------------------ features
    def _features(self, flow: df.DataflowResult) -> tuple[list[list[int]], list[list[float]]]:
        tree = self.tree
        kind, field_id, children, parent = tree.kind, tree.field_id, tree.children, tree.parent
        named, missing = tree.named, tree.missing
        n_flat = len(kind)

        # Context counters, top-down over the flat pre-order.
        loop = [0] * n_flat
        branch = [0] * n_flat
        function = [0] * n_flat
        context = [0] * n_flat  # bit flags: 1 comprehension, 2 try, 4 lambda, 8 condition
        for node in range(1, n_flat):
            up = parent[node]
            k = kind[up]
            loop[node] = loop[up] + (k in df.LOOP_KINDS)
            branch[node] = branch[up] + (k in df.BRANCH_KINDS)
            function[node] = function[up] + (k in _FUNCTION_KINDS)
            flags = context[up]
            if k in df.COMPREHENSION_KINDS:
                flags |= 1
            if k in _TRY_KINDS:
                flags |= 2
            if k == df.LAMBDA:
                flags |= 4
            if field_id[node] == _F_CONDITION:
                flags |= 8
            context[node] = flags

        # Bottom-up: named descendants and error descendants.
        size = [0] * n_flat
        error_below = [False] * n_flat
        for node in range(n_flat - 1, 0, -1):
            up = parent[node]
            size[up] += size[node] + named[node]
            error_below[up] = (
                error_below[up]
                or error_below[node]
                or (kind[node] == ERROR_KIND_ID or missing[node])
            )

        last_row = max(tree.end_row[0], 1)
        written_read = {w for _, w in flow.edges["last_write"]}
        defined_functions = {tree.text(n) for n in flow.def_names}
        reads, writes, params = flow.reads, flow.writes, flow.params
        def_names, call_targets, global_names = flow.def_names, flow.call_targets, flow.global_names
        unbound, reaching = flow.unbound_reads, flow.reaching_writes
        depth, start_row = tree.depth, tree.start_row
        start_byte, end_byte = tree.start_byte, tree.end_byte
        child_count, sibling_index, is_leaf = self.child_count, self.sibling_index, self.is_leaf
        S = _SCALAR  # noqa: N806 - column of each scalar, by name
        log2 = math.log2
        identifier, integer, float_kind = ft.IDENTIFIER, ft.INTEGER, ft.FLOAT
        string, string_content = ft.STRING, ft.STRING_CONTENT

        columns: list[list[int]] = []
        values: list[list[float]] = []
        for gid, node in enumerate(self.nodes):
            k = kind[node]
            # one-hot / multi-hot blocks: kind < field < token < subtoken < name
            hot = {ft.kind_slot(k)}
            field_column = ft.field_slot(field_id[node])
            if field_column is not None:
                hot.add(field_column)
            for c in children[node]:
                if not named[c]:
                    token_column = _TOKEN_SLOTS.get(kind[c])
                    if token_column is not None:
                        hot.add(token_column)
            text = tree.text(node) if k == identifier else ""
            if text:
                hot.update(ft.subtoken_slots(text))
                name_column = ft.name_slot(text)
                if name_column is not None:
                    hot.add(name_column)
            elif k == string_content and end_byte[node] - start_byte[node] <= 32:
                hot.update(ft.subtoken_slots(tree.text(node), prefix="s:"))
            cols = sorted(hot)
            vals = [1.0] * len(cols)

            # structural scalars, appended in ascending column order
            scalars = [
                (S["depth"], ft.quantize(min(depth[node], 64) / 64)),
                (S["named_child_count"], min(child_count[gid], 16) / 16),
                (S["sibling_index"], min(sibling_index[gid], 16) / 16),
                (S["is_leaf"], float(is_leaf[gid])),
                (S["is_error"], float(k == ERROR_KIND_ID)),
                (S["is_missing"], float(missing[node])),
            ]
            if text:
                up = parent[node]
                scalars += [
                    (S["var_read"], float(node in reads)),
                    (S["var_write"], float(node in writes)),
                    (S["var_param"], float(node in params)),
                    (S["def_name"], float(node in def_names)),
                    (S["call_target"], float(node in call_targets)),
                    (
                        S["attribute_name"],
                        float(kind[up] == _ATTRIBUTE and field_id[node] == _F_ATTRIBUTE),
                    ),
                    (
                        S["keyword_argument_name"],
                        float(kind[up] == _KEYWORD_ARGUMENT and field_id[node] == _F_NAME),
                    ),
                    (S["global_declared"], float(node in global_names)),
                    (S["defined_function_name"], float(text in defined_functions)),
                    (S["unbound_read"], float(node in unbound)),
                    (S["dead_write"], float(node in writes and node not in written_read)),
                    (S["reaching_writes"], min(reaching.get(node, 0), 4) / 4),
                ]
            elif k == integer:
                bucket = ft.integer_bucket(tree.text(node))
                if bucket is not None:
                    scalars.append((S[bucket], 1.0))
            elif k == float_kind:
                scalars.append((S["float_literal_nonzero"], float(_nonzero_float(tree.text(node)))))
            elif k == string:
                length = sum(
                    end_byte[c] - start_byte[c] for c in children[node] if kind[c] == string_content
                )
                scalars += [
                    (S["string_empty"], float(length == 0)),
                    (S["string_single_char"], float(length == 1)),
                    (S["string_length"], min(length, 32) / 32),
                ]
            flags = context[node]
            scalars += [
                (S["loop_depth"], min(loop[node], 4) / 4),
                (S["branch_depth"], min(branch[node], 4) / 4),
                (S["function_depth"], min(function[node], 4) / 4),
                (S["in_comprehension"], float(flags & 1)),
                (S["in_try"], float(flags >> 1 & 1)),
                (S["in_lambda"], float(flags >> 2 & 1)),
                (S["in_condition"], float(flags >> 3 & 1)),
                (S["relative_line"], ft.quantize(start_row[node] / last_row)),
                (S["subtree_size"], ft.quantize(log2(1 + size[node]) / _LOG2_SCALE)),
            ]
            if text:
                scalars += [
                    (S["is_constant_name"], float(text.isupper())),
                    (S["is_underscore_name"], float(text[0] == "_")),
                ]
            scalars.append((S["has_error_descendant"], float(error_below[node])))
            for column, value in scalars:
                if value:
                    cols.append(column)
                    vals.append(value)
            columns.append(cols)
            values.append(vals)
        return columns, values
