"""Predictions gathered over a validation pass, and the headline metrics of each epoch.

The metrics come from :class:`yantra_gnn.evaluation.metrics.Evaluator`, so the numbers logged
while training are the ones ``yantra-gnn evaluate`` reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from yantra_gnn.data.dataset import ORIGINS
from yantra_gnn.evaluation.metrics import Evaluator
from yantra_gnn.train.selection import (
    SCORE_METRICS,
)


def collect_predictions(outputs: list[tuple[Any, Any]]) -> dict[str, np.ndarray]:
    """Concatenate model outputs and labels of ``(ModelOutput, Batch)`` pairs.

    Returns per graph: ``confidence`` / ``correct`` ``[B]``, ``import_scores`` /
    ``import_labels`` ``[B, V]``, ``bug_scores`` / ``bug_labels`` ``[B, C]``,
    ``bug_mask`` ``[B]``, ``bug_node`` ``[B]`` (local), ``embedding`` ``[B, D]``,
    ``group`` ``[B]``, ``origin`` ``[B]`` (index into ``ORIGINS``, when the batch has
    it); per node: ``node_score`` ``[N]``, ``node_batch`` ``[N]`` (graph
    index over the whole pass) and ``node_span`` ``[N, 4]``.
    """
    parts: dict[str, list[np.ndarray]] = {}
    graphs_seen = 0

    def add(name: str, value: torch.Tensor) -> None:
        if value.dtype in (torch.bfloat16, torch.float16):  # bf16 autocast outputs
            value = value.float()
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
        origin = getattr(batch, "origin", None)
        if origin is not None:
            add("origin", origin.view(-1).long())
        add("node_score", output.bug_node_logits.double())
        add("node_batch", output.batch.long() + graphs_seen)
        add("node_span", batch.node_span.long())
        graphs_seen += batch.num_graphs
    return {name: np.concatenate(values) for name, values in parts.items()}


def headline_metrics(predictions: dict[str, np.ndarray]) -> dict[str, float]:
    """One or two numbers per head for the per-epoch log and ``metrics.csv``.

    Thresholds are fixed at 0.5 here (the evaluator chooses them on held-out data).
    The confidence metrics use the candidates of ``yantra-gnn evaluate`` (every program
    but the rewrites); ``confidence_pass1_ranked`` / ``_random`` are ranked pass@1 over
    the problems with a correct and an incorrect candidate, and a random pick's. ``import_auroc`` is micro, ``bug_auroc``
    macro over classes. Undefined values (e.g. no mutated graph in the split) are NaN.
    With origins, also ``confidence_mean_<origin>`` per ``ORIGINS`` (a diagnostic, not
    part of :func:`validation_score`).
    """
    p = predictions
    # The candidates of `yantra-gnn evaluate`: rewrites are left out (they duplicate a
    # solution, and their renamed identifiers make them easy to rank first).
    candidate = (
        p["origin"] != ORIGINS.index("rewrite")
        if "origin" in p
        else np.ones(len(p["correct"]), dtype=bool)
    )
    confidence = Evaluator("confidence").eval(
        {
            "y_true": p["correct"][candidate],
            "y_prob": p["confidence"][candidate],
            "group": p["group"][candidate],
        }
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
    values: dict[str, float | None] = {
        "confidence_auroc": confidence.get("auroc"),
        "confidence_ece": confidence.get("ece"),
        "confidence_pass1_ranked": confidence.get("pass1_ranked_mixed"),
        "confidence_pass1_random": confidence.get("pass1_random_mixed"),
        "import_micro_f1": imports.get("micro_f1"),
        "import_auroc": imports.get("auroc_micro"),
        "bug_micro_f1": bugs.get("micro_f1"),
        "bug_auroc": bugs.get("auroc_macro"),
        "bug_location_top1": location.get("top1_accuracy"),
        "embedding_map_at_r": embedding.get("map_at_r"),
    }
    # The diagnostic of a confidence head that scores a problem's programs alike: the
    # mean confidence per origin (a mutant's should be below its solution's).
    if "origin" in p:
        for code, name in enumerate(ORIGINS):
            rows = p["origin"] == code
            values[f"confidence_mean_{name}"] = (
                float(p["confidence"][rows].mean()) if rows.any() else None
            )
    return {name: float("nan") if value is None else float(value) for name, value in values.items()}


def validation_score(metrics: dict[str, float]) -> float:
    """The balanced validation score: the mean over heads of each head's headline metric.

    Each head counts once, whatever the scale of its loss (the summed validation loss
    is dominated by the bug-location cross-entropy): confidence = mean of AUROC and
    ranked pass@1, imports = micro AUROC, bugs = macro AUROC, bug location = top-1,
    embedding = MAP@R (:data:`SCORE_METRICS`). All lie in [0, 1], higher is better.
    A head whose metrics are all undefined (NaN) is left out; NaN when every head is.
    """
    heads = []
    for names in SCORE_METRICS.values():
        values = [metrics.get(name, float("nan")) for name in names]
        values = [v for v in values if not np.isnan(v)]
        if values:
            heads.append(float(np.mean(values)))
    return float(np.mean(heads)) if heads else float("nan")
