"""The model: a GraphSAGE encoder over code graphs with four task heads.

:class:`ModelConfig` and the constants import without torch; the model classes are
imported on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yantra_gnn.lazy import lazy_attributes
from yantra_gnn.nn.config import DEFAULT_IMPORT_VOCAB, ModelConfig
from yantra_gnn.schema import BUG_CLASSES, SYNTAX_DATAFLOW_GROUPS

if TYPE_CHECKING:
    from yantra_gnn.nn.model import ModelOutput, YantraGNN

#: Public name -> the sub-module it is imported from on first use.
_LAZY: dict[str, str] = {
    "ModelOutput": "yantra_gnn.nn.model",
    "YantraGNN": "yantra_gnn.nn.model",
}

__all__ = [
    "BUG_CLASSES",
    "DEFAULT_IMPORT_VOCAB",
    "SYNTAX_DATAFLOW_GROUPS",
    "ModelConfig",
    "ModelOutput",
    "YantraGNN",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
