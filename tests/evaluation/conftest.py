"""Fixtures shared by the evaluation tests: two toy evaluation sets and an untrained model."""

from __future__ import annotations

import pytest
import torch
from toy_eval_sets import make_set

from yantra_gnn.evaluation.sets import EvalSet
from yantra_gnn.nn import ModelConfig, YantraGNN


@pytest.fixture(scope="module")
def sets() -> tuple[EvalSet, EvalSet]:
    return make_set("toy/train", seed=1), make_set("toy/val", seed=2)


@pytest.fixture(scope="module")
def model() -> YantraGNN:
    torch.manual_seed(0)
    return YantraGNN(ModelConfig(import_vocab=("collections", "math", "sys")))
