"""The names of the validation metrics that pick the best epoch, without importing torch.

:mod:`yantra_gnn.train.config` validates ``select_by`` against them and
:mod:`yantra_gnn.train.metrics` computes them; keeping the names here lets
``yantra-gnn train --help`` list the choices without loading the training stack.
"""

from __future__ import annotations

#: The headline metric of each head that :func:`validation_score` averages (confidence
#: counts once: the mean of its AUROC and its ranked pass@1).
SCORE_METRICS: dict[str, tuple[str, ...]] = {
    "confidence": ("confidence_auroc", "confidence_pass1_ranked"),
    "imports": ("import_auroc",),
    "bugs": ("bug_auroc",),
    "bug_location": ("bug_location_top1",),
    "embedding": ("embedding_map_at_r",),
}
#: The headline metrics, in ``metrics.csv`` order (``val_`` + name).
HEADLINE_METRICS: tuple[str, ...] = (
    "confidence_auroc",
    "confidence_ece",
    "confidence_pass1_ranked",
    "confidence_pass1_random",
    "import_micro_f1",
    "import_auroc",
    "bug_micro_f1",
    "bug_auroc",
    "bug_location_top1",
    "embedding_map_at_r",
)
#: Headline metrics where lower is better.
LOWER_IS_BETTER: frozenset[str] = frozenset({"confidence_ece"})
#: What ``TrainConfig.select_by`` may name: the validation score, the summed validation
#: loss, or one headline metric except the random-pick reference.
SELECTION_CHOICES: tuple[str, ...] = (
    "score",
    "loss",
    *(name for name in HEADLINE_METRICS if name != "confidence_pass1_random"),
)
