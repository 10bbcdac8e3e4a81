"""The model: a GraphSAGE encoder over code graphs with four task heads."""

from yantra_gnn.nn.config import DEFAULT_IMPORT_VOCAB, ModelConfig
from yantra_gnn.nn.model import ModelOutput, YantraGNN
from yantra_gnn.schema import BUG_CLASSES, SYNTAX_DATAFLOW_GROUPS

__all__ = [
    "BUG_CLASSES",
    "DEFAULT_IMPORT_VOCAB",
    "SYNTAX_DATAFLOW_GROUPS",
    "ModelConfig",
    "ModelOutput",
    "YantraGNN",
]
