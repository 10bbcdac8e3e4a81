"""The model: a GraphSAGE encoder over code graphs with four task heads.

:class:`ModelConfig` and the constants import without torch; the model classes are
imported on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
