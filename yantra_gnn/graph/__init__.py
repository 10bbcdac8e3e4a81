"""Python source → AST + dataflow graph (``torch_geometric.data.Data``) with 978-dim features."""

from yantra_gnn.graph.builder import DEFAULT_MAX_EDGES, CodeGraphBuilder
from yantra_gnn.graph.features import (
    FEATURE_BLOCKS,
    column_name,
    pack_features,
    to_dense_features,
    unpack_features,
)
from yantra_gnn.graph.parse import DEFAULT_MAX_NODES, DEFAULT_MAX_SOURCE_BYTES
from yantra_gnn.schema import (
    EDGE_TYPE_ID,
    EDGE_TYPES,
    FEATURE_DIM,
    FEATURE_SPEC_VERSION,
    FORWARD_EDGE_TYPES,
    NUM_EDGE_TYPES,
)

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
