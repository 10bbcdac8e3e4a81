"""yantra-gnn: a graph-native GNN library for Python code on PyTorch Geometric.

The public names below are imported on first use (PEP 562), so that importing a
light sub-module (``yantra_gnn.cli``, ``yantra_gnn.version``) does not load torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yantra_gnn.lazy import lazy_attributes
from yantra_gnn.version import __version__

if TYPE_CHECKING:
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

#: Public name -> the module it is imported from on first use.
_LAZY: dict[str, str] = {
    "EDGE_TYPES": "yantra_gnn.graph",
    "FEATURE_DIM": "yantra_gnn.graph",
    "FEATURE_SPEC_VERSION": "yantra_gnn.graph",
    "CodeGraphBuilder": "yantra_gnn.graph",
    "to_dense_features": "yantra_gnn.graph",
    "ModelConfig": "yantra_gnn.nn",
    "YantraGNN": "yantra_gnn.nn",
    "Prediction": "yantra_gnn.predict",
    "Predictor": "yantra_gnn.predict",
    "YantraError": "yantra_gnn.errors",
}

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


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
