"""Predictions gathered over a validation pass, and the headline metrics of each epoch.

The metrics come from :class:`yantra_gnn.evaluation.metrics.Evaluator`, so the numbers logged
while training are the ones ``yantra-gnn evaluate`` reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from yantra_gnn.evaluation.metrics import Evaluator


def collect_predictions(outputs: list[tuple[Any, Any]]) -> dict[str, np.ndarray]:
    """Concatenate model outputs and labels of ``(ModelOutput, Batch)`` pairs.

    Returns per graph: ``confidence`` / ``correct`` ``[B]``, ``import_scores`` /
    ``import_labels`` ``[B, V]``, ``bug_scores`` / ``bug_labels`` ``[B, C]``,
    ``bug_mask`` ``[B]``, ``bug_node`` ``[B]`` (local), ``embedding`` ``[B, D]``,
    ``group`` ``[B]``; per node: ``node_score`` ``[N]``, ``node_batch`` ``[N]`` (graph
    index over the whole pass) and ``node_span`` ``[N, 4]``.
    """
    parts: dict[str, list[np.ndarray]] = {}
    graphs_seen = 0

    def add(name: str, value: torch.Tensor) -> None:
        parts.setdefault(name, []).append(value.detach().cpu().numpy())

    for output, batch in outputs:
        add("confidence", torch.sigmoid(output.confidence_logit).double())
        add("correct", batch.confidence > 0.5)
        add("import_scores", torch.sigmoid(output.import_logits).double())
        add("import_labels", batch.imports > 0.5)
        add("bug_scores", torch.sigmoid(output.bug_logits).double())
        add("bug_labels", batch.bugs > 0.5)
        add("bug_mask", batch.bug_mask.bool())
        add("bug_node", batch.bug_node.long())
        add("embedding", output.embedding.double())
        add("group", batch.group.long())
        add("node_score", output.bug_node_logits.double())
        add("node_batch", output.batch.long() + graphs_seen)
        add("node_span", batch.node_span.long())
        graphs_seen += batch.num_graphs
    return {name: np.concatenate(values) for name, values in parts.items()}


def headline_metrics(predictions: dict[str, np.ndarray]) -> dict[str, float]:
    """One or two numbers per head for the per-epoch log and ``metrics.csv``.

    Thresholds are fixed at 0.5 here (the evaluator chooses them on held-out data).
    Undefined values (e.g. no mutated graph in the split) are NaN.
    """
    p = predictions
    confidence = Evaluator("confidence").eval(
        {"y_true": p["correct"], "y_prob": p["confidence"], "group": p["group"]}
    )
    imports = Evaluator("imports").eval(
        {"y_true": p["import_labels"], "y_score": p["import_scores"], "threshold": 0.5}
    )
    known = p["bug_mask"]
    bugs = (
        Evaluator("bugs").eval(
            {"y_true": p["bug_labels"][known], "y_score": p["bug_scores"][known], "threshold": 0.5}
        )
        if known.any()
        else {}
    )
    location = Evaluator("bug_location").eval(
        {
            "node_score": p["node_score"],
            "batch": p["node_batch"],
            "node_span": p["node_span"],
            "bug_node": p["bug_node"],
        }
    )
    correct = p["correct"]
    embedding = (
        Evaluator("embedding").eval(
            {"embedding": p["embedding"][correct], "group": p["group"][correct]}
        )
        if correct.sum() > 1
        else {}
    )
    values = {
        "confidence_auroc": confidence.get("auroc"),
        "confidence_ece": confidence.get("ece"),
        "import_micro_f1": imports.get("micro_f1"),
        "bug_micro_f1": bugs.get("micro_f1"),
        "bug_location_top1": location.get("top1_accuracy"),
        "embedding_map_at_r": embedding.get("map_at_r"),
    }
    return {name: float("nan") if value is None else float(value) for name, value in values.items()}
