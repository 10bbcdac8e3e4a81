"""Training: ``TrainConfig``, the multi-task loss and the ``Trainer`` loop.

:class:`TrainConfig` imports without torch (so ``yantra-gnn train --help`` is fast); the
training loop is imported on first use (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from yantra_gnn.lazy import lazy_attributes
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


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__)
