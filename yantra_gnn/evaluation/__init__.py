"""Evaluation beyond the metric functions: baselines, HumanEval, reports and the CLI.

The metrics and the :class:`~yantra_gnn.evaluation.metrics.Evaluator` live in
:mod:`yantra_gnn.evaluation.metrics`; this package feeds them: :mod:`.baselines` (name lookup,
bag-of-features logistic regression, shortest solution), :mod:`.ablation` (syntax-only
graphs), :mod:`.humaneval` (verified HumanEval candidates), :mod:`.report` (model and
baselines side by side) and :mod:`.cli` (``yantra-gnn evaluate``).
"""
