"""Training: ``TrainConfig``, the multi-task loss and the ``Trainer`` loop.

:class:`TrainConfig` imports without torch (so ``yantra-gnn train --help`` is fast); the
training loop is imported on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from yantra_gnn.train.config import TrainConfig

if TYPE_CHECKING:
    from yantra_gnn.train.trainer import Trainer, TrainResult, train

#: Public name -> the sub-module it is imported from on first use.
_LAZY: dict[str, str] = {
    "Trainer": "yantra_gnn.train.trainer",
    "TrainResult": "yantra_gnn.train.trainer",
    "train": "yantra_gnn.train.trainer",
}

__all__ = ["TrainConfig", "TrainResult", "Trainer", "train"]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
