"""yantra-gnn: a graph-native GNN library for Python code on PyTorch Geometric.

The public names below are imported on first use (PEP 562), so that importing a
light sub-module (``yantra_gnn.cli``, ``yantra_gnn.version``) does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
