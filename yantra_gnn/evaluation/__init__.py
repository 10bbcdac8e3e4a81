"""Evaluation: the model and honest baselines, scored the same way on the same programs.

One job per module, in the order the data flows:

- :mod:`.metrics` — the metric functions on plain arrays and the OGB-style
  :class:`~yantra_gnn.evaluation.metrics.Evaluator` (one input contract per task); the
  training loop logs the same numbers through it.
- :mod:`.sets` — what is evaluated: an :class:`~yantra_gnn.evaluation.sets.EvalSet` of
  labelled programs and their input graphs (a prepared CodeContests split, the verified
  HumanEval candidates or the real bug pairs of a ConDefects file) and the label
  matrices the metrics score.
- :mod:`.humaneval` — building and verifying the HumanEval candidates in the sandbox.
- :mod:`.baselines` — the baseline models themselves (name lookup, bag-of-features
  logistic regression, shortest solution).
- :mod:`.systems` — the model and the baselines as scoring systems
  (:class:`~yantra_gnn.evaluation.systems.SystemScores`, the report's column names).
- :mod:`.calibration` — temperature scaling of the model's confidence head: the fit the
  Trainer runs on the validation split, and the before / after / cross-fitted views the
  report shows.
- :mod:`.protocol` — which metrics on which rows, the same for every system
  (:func:`~yantra_gnn.evaluation.protocol.evaluate_systems`), and
  :func:`~yantra_gnn.evaluation.protocol.evaluate_model`, which runs it all.
- :mod:`.report` — the markdown tables and the reliability diagram.

The command line (``yantra-gnn evaluate``) is :mod:`yantra_gnn.cli.evaluate`; the
syntax-edges-only ablation is :class:`yantra_gnn.graph.transforms.SyntaxEdgesOnly`.
"""
