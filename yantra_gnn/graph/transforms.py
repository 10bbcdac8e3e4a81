"""Edge ablation: the same graphs with the dataflow edges removed (syntax edges only).

Training and evaluating a model on :class:`SyntaxEdgesOnly` graphs measures what the
dataflow edges (last write, last read, computed-from, calls, returns, formal
arguments) add over the syntax tree and the token order. The model architecture stays
the same (with one edge group the dataflow edges are simply absent from it; with the
syntax/dataflow grouping the dataflow group receives no edges), so the two runs differ
only in their input.
"""

from __future__ import annotations

import copy

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from yantra_gnn.errors import ConfigError
from yantra_gnn.schema import EDGE_SETS, EDGE_TYPES, SYNTAX_EDGE_TYPES

#: Edge types kept by :class:`SyntaxEdgesOnly`.
SYNTAX_EDGE_IDS: tuple[int, ...] = tuple(EDGE_TYPES.index(name) for name in SYNTAX_EDGE_TYPES)


class SyntaxEdgesOnly(BaseTransform):
    """Keep only the syntax edges (AST child, next sibling, next token and reverses).

    Shapes:
        - **input:** ``Data`` with ``edge_index`` ``[2, E]`` and ``edge_type`` ``[E]``
        - **output:** a shallow copy with ``edge_index`` ``[2, E']``, ``edge_type``
          ``[E']`` (``E' <= E``); every other attribute is shared.
    """

    def forward(self, data: Data) -> Data:
        edge_type = getattr(data, "edge_type", None)
        if edge_type is None or data.edge_index is None:
            raise ConfigError(
                "SyntaxEdgesOnly needs graphs with edge_index and edge_type; build them with "
                "yantra_gnn.graph.CodeGraphBuilder"
            )
        keep = torch.isin(edge_type, torch.tensor(SYNTAX_EDGE_IDS, dtype=edge_type.dtype))
        out = copy.copy(data)  # shallow: node features etc. are shared, not copied
        out.edge_index = data.edge_index[:, keep]
        out.edge_type = edge_type[keep]
        out.num_nodes = data.num_nodes
        return out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(edge_types={len(SYNTAX_EDGE_IDS)})"


def edge_transform(edges: str) -> BaseTransform | None:
    """The transform for an ``--edges`` choice: ``None`` for ``"all"``."""
    if edges == "all":
        return None
    if edges == "syntax":
        return SyntaxEdgesOnly()
    raise ConfigError(f"unknown edge set {edges!r}; choose one of {tuple(EDGE_SETS)}")
