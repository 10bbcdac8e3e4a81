"""yantra-gnn: a graph-native GNN library for Python code on PyTorch Geometric."""

from yantra_gnn.errors import YantraError
from yantra_gnn.graph import (
    EDGE_TYPES,
    FEATURE_DIM,
    FEATURE_SPEC_VERSION,
    CodeGraphBuilder,
    to_dense_features,
)

__version__ = "0.1.0"

__all__ = [
    "EDGE_TYPES",
    "FEATURE_DIM",
    "FEATURE_SPEC_VERSION",
    "CodeGraphBuilder",
    "YantraError",
    "__version__",
    "to_dense_features",
]
