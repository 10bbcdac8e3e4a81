"""Python source → AST + dataflow graph (``torch_geometric.data.Data``) with 978-dim features.

The public names are imported on first use (PEP 562): importing a light sub-module
(:mod:`.parse`, :mod:`.scopes`) or the constants does not load torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yantra_gnn.lazy import lazy_attributes
from yantra_gnn.schema import (
    EDGE_TYPE_ID,
    EDGE_TYPES,
    FEATURE_DIM,
    FEATURE_SPEC_VERSION,
    FORWARD_EDGE_TYPES,
    NUM_EDGE_TYPES,
)

if TYPE_CHECKING:
    from yantra_gnn.graph.builder import DEFAULT_MAX_EDGES, CodeGraphBuilder
    from yantra_gnn.graph.features import (
        FEATURE_BLOCKS,
        column_name,
        pack_features,
        to_dense_features,
        unpack_features,
    )
    from yantra_gnn.graph.parse import DEFAULT_MAX_NODES, DEFAULT_MAX_SOURCE_BYTES

#: Public name -> the sub-module it is imported from on first use.
_LAZY: dict[str, str] = {
    "DEFAULT_MAX_EDGES": "yantra_gnn.graph.builder",
    "CodeGraphBuilder": "yantra_gnn.graph.builder",
    "FEATURE_BLOCKS": "yantra_gnn.graph.features",
    "column_name": "yantra_gnn.graph.features",
    "pack_features": "yantra_gnn.graph.features",
    "to_dense_features": "yantra_gnn.graph.features",
    "unpack_features": "yantra_gnn.graph.features",
    "DEFAULT_MAX_NODES": "yantra_gnn.graph.parse",
    "DEFAULT_MAX_SOURCE_BYTES": "yantra_gnn.graph.parse",
}

__all__ = [
    "DEFAULT_MAX_EDGES",
    "DEFAULT_MAX_NODES",
    "DEFAULT_MAX_SOURCE_BYTES",
    "EDGE_TYPES",
    "EDGE_TYPE_ID",
    "FEATURE_BLOCKS",
    "FEATURE_DIM",
    "FEATURE_SPEC_VERSION",
    "FORWARD_EDGE_TYPES",
    "NUM_EDGE_TYPES",
    "CodeGraphBuilder",
    "column_name",
    "pack_features",
    "to_dense_features",
    "unpack_features",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
