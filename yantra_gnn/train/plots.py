"""The end-of-training plot: train/val losses and per-head validation metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yantra_gnn.optional import import_optional


def plot_history(history: list[dict[str, Any]], path: Path) -> Path:
    """Write a PNG with the loss curves (left) and validation metrics (right).

    Raises:
        MissingDependencyError: matplotlib is not installed (the ``plots`` extra).
    """
    matplotlib = import_optional("matplotlib", "the training plot")
    matplotlib.use("Agg")
    plt = import_optional("matplotlib.pyplot", "the training plot")
    epochs = [row["epoch"] for row in history]
    figure, (losses, metrics) = plt.subplots(1, 2, figsize=(12, 4.5))
    for key, style in (("train_loss", "-"), ("val_loss", "--")):
        losses.plot(epochs, [row[key] for row in history], style, label=key, linewidth=2)
    for part in _LOSS_PARTS:
        key = f"val_{part}"
        if key in history[0]:
            losses.plot(epochs, [row[key] for row in history], ":", label=key)
    losses.set_xlabel("epoch")
    losses.set_ylabel("loss")
    losses.set_title("losses")
    losses.legend(fontsize=8)
    metric_keys = [
        k
        for k in history[0]
        if k.startswith("val_") and not k.startswith("val_loss") and k[4:] not in _LOSS_PARTS
    ]
    for key in metric_keys:
        metrics.plot(epochs, [row[key] for row in history], marker="o", markersize=3, label=key[4:])
    metrics.set_xlabel("epoch")
    metrics.set_ylim(0, 1)
    metrics.set_title("validation metrics")
    metrics.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


_LOSS_PARTS = ("code", "confidence", "rank", "imports", "bugs", "bug_location")
