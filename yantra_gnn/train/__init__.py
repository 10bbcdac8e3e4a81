"""Training: ``TrainConfig``, the multi-task loss and the ``Trainer`` loop."""

from yantra_gnn.train.config import TrainConfig
from yantra_gnn.train.trainer import Trainer, TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "Trainer", "train"]
