"""The model: a GraphSAGE encoder over code graphs with four task heads."""

from yantra_gnn.nn.config import (
    BUG_CLASSES,
    DEFAULT_IMPORT_VOCAB,
    SYNTAX_DATAFLOW_GROUPS,
    ModelConfig,
)
from yantra_gnn.nn.model import ModelOutput, YantraGNN

__all__ = [
    "BUG_CLASSES",
    "DEFAULT_IMPORT_VOCAB",
    "SYNTAX_DATAFLOW_GROUPS",
    "ModelConfig",
    "ModelOutput",
    "YantraGNN",
]
