"""yantra-gnn: a graph-native GNN library for Python code on PyTorch Geometric."""

from yantra_gnn.errors import YantraError
from yantra_gnn.graph import (
    EDGE_TYPES,
    FEATURE_DIM,
    FEATURE_SPEC_VERSION,
    CodeGraphBuilder,
    to_dense_features,
)
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Prediction, Predictor
from yantra_gnn.version import __version__

__all__ = [
    "EDGE_TYPES",
    "FEATURE_DIM",
    "FEATURE_SPEC_VERSION",
    "CodeGraphBuilder",
    "ModelConfig",
    "Prediction",
    "Predictor",
    "YantraError",
    "YantraGNN",
    "__version__",
    "to_dense_features",
]
