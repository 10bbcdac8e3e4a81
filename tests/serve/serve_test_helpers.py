"""A tiny model and a service around it, shared by the serving tests."""

from __future__ import annotations

from pathlib import Path

import torch

from yantra_gnn.checkpoint import save_model_for_inference
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Predictor
from yantra_gnn.serve.service import LoadedModel

TINY = ModelConfig(
    layer_channels=(16, 16, 8),
    head_hidden_channels=8,
    embedding_dim=8,
    import_vocab=("sys", "math", "collections"),
)

PROGRAMS = [
    "n = int(input())\nprint(n * 2)\n",
    "from math import gcd\na, b = map(int, input().split())\nprint(gcd(a, b))\n",
    "def f(xs):\n    return max(xs)\n\nprint(f([3, 1, 4]))\n",
]


def tiny_model(seed: int = 0) -> YantraGNN:
    torch.manual_seed(seed)
    return YantraGNN(TINY).eval()


def tiny_model_file(folder: Path, seed: int = 0) -> Path:
    return save_model_for_inference(tiny_model(seed), folder / f"tiny-{seed}.safetensors")


def loaded(name: str, seed: int = 0) -> LoadedModel:
    """A ``LoadedModel`` of the tiny model, its reference ``name``."""
    predictor = Predictor(tiny_model(seed), device="cpu")
    info = {"name": name, "version": None, "reference": name, "metrics": {"seed": seed}}
    return LoadedModel(predictor, name, info)
