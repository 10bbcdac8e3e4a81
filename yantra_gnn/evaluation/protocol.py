"""The protocol: which metrics on which programs, the same for every system.

:data:`PROTOCOL` says in words which rows each task is scored on (it is written into
every report); :func:`evaluate_systems` makes the same
:class:`~yantra_gnn.evaluation.metrics.Evaluator` calls on the same rows for every
:class:`~yantra_gnn.evaluation.systems.SystemScores`, choosing the imports and bugs
thresholds by 2-fold cross-fitting over problems (:func:`crossfit_thresholds`) and
pairing each rewrite with its original (:func:`rewrite_originals`).

:func:`evaluate_model` runs it all, in this order:

1. the model's scores on an :class:`~yantra_gnn.evaluation.sets.EvalSet`
   (:func:`~yantra_gnn.evaluation.systems.model_scores`);
2. the baselines fitted on a *training* split and scored on the same set
   (:func:`~yantra_gnn.evaluation.systems.fit_baselines`,
   :func:`~yantra_gnn.evaluation.systems.baseline_scores`);
3. :func:`evaluate_systems`;
4. the reliability diagram (:func:`~yantra_gnn.evaluation.report.write_reliability_plot`);
   :func:`~yantra_gnn.evaluation.report.format_report` turns the returned dict into markdown.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from yantra_gnn.data.dataset import ORIGINS
from yantra_gnn.device import DeviceLike, resolve_device
from yantra_gnn.evaluation.calibration import calibration_report
from yantra_gnn.evaluation.metrics import (
    DEFAULT_CALIBRATION_BINS,
    Evaluator,
    Metrics,
    choose_threshold,
    reliability_bins,
)
from yantra_gnn.evaluation.report import write_reliability_plot
from yantra_gnn.evaluation.sets import EvalSet, label_matrix
from yantra_gnn.evaluation.systems import (
    SystemScores,
    baseline_scores,
    fit_baselines,
    model_scores,
)
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.nn.model import YantraGNN

#: Which rows each task is scored on (written into every report).
PROTOCOL: dict[str, str] = {
    "confidence": (
        "candidates = the dataset's solutions and incorrect solutions plus verified "
        "failing mutants (rewrites left out: they duplicate a solution); label 1 = passes "
        "every test we ran; ranked pass@1 groups candidates by problem"
    ),
    "imports": (
        "the dataset's own programs (solutions, incorrect solutions; mutants and rewrites "
        "share their original's imports and are left out); labels = top-level modules of "
        "the program's import statements restricted to the model's import vocabulary; "
        "input graphs have the imports removed"
    ),
    "bugs": (
        "programs whose bug labels are known: passing solutions and rewrites (no bug) and "
        "verified failing mutants (their class); a dataset's incorrect solutions are left out"
    ),
    "bug_location": (
        "verified failing mutants whose mutated node was found in the graph; correct = "
        "the top-scored node is the mutated node or lies inside its span"
    ),
    "embedding": (
        "MAP@R with cosine similarity: 'solutions' = passing dataset solutions only "
        "(POJ-104: same problem = relevant); 'with rewrites' adds verified rewrites"
    ),
    "rewrite_retrieval": (
        "each verified rewrite queries by cosine similarity; correct = its nearest "
        "neighbour is the solution it was made from; distractors 'all' = every non-rewrite "
        "program of the split (the original's own mutants included), 'solutions' = only "
        "dataset solutions"
    ),
    "pairs": (
        "real bugs (ConDefects): each rejected submission and the same author's accepted "
        "fix, labelled by the AtCoder judge; pair accuracy = share of pairs where the fix's "
        "confidence is above its faulty version's (ties reported apart)"
    ),
    "fault_line": (
        "real bugs (ConDefects): the faulty programs whose fault line is a line on which a "
        "graph node starts; a program's lines are ranked by their best node score "
        "(bug-location head); top-k = a fault line is among the k best lines (ties at the "
        "cut: the probability of a hit); random = a uniformly random order of the same lines"
    ),
    "threshold": (
        "imports/bugs thresholds maximise micro-F1 with 2-fold cross-fitting over the "
        "evaluation problems: problems alternate between two folds (sorted by name); rows "
        "of one fold are scored with the threshold chosen on the other fold"
    ),
    "calibration": (
        "the model's confidence is sigmoid(logit / T + b) with its saved Platt scaling "
        "(temperature T, bias b), fitted on the training run's validation split (on that "
        "split the calibrated numbers are in-sample, i.e. optimistic); shown next to the "
        "raw logits (T = 1, b = 0) and to T, b cross-fitted on this set (fitted on one "
        "fold of problems, scored on the other)"
    ),
}


# ---------------------------------------------------------------------- protocol helpers
def crossfit_thresholds(
    y_true: np.ndarray, y_score: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, list[float], str]:
    """Per-row thresholds chosen on the *other* fold of problems (2-fold cross-fitting).

    Problems (``group`` values, sorted) alternate between fold 0 and fold 1; each row gets
    the :func:`~yantra_gnn.evaluation.metrics.choose_threshold` of the other fold. With a single
    problem there is no other fold: the threshold is chosen on the rows themselves
    (in-sample, said in the returned protocol string).

    Returns:
        ``[m]`` thresholds, the two fold thresholds, and the protocol used.
    """
    problems = np.unique(group)
    fold_of = {g: i % 2 for i, g in enumerate(problems)}
    fold = np.asarray([fold_of[g] for g in group])
    if len(problems) < 2:
        t = choose_threshold(y_true, y_score)
        return np.full(len(group), t), [t], "in-sample (one problem only)"
    chosen = []
    per_row = np.zeros(len(group))
    for f in (0, 1):
        other = fold != f
        t = choose_threshold(y_true[other], y_score[other])
        chosen.append(t)
        per_row[fold == f] = t
    return per_row, chosen, "2-fold cross-fit over problems"


def rewrite_originals(
    programs: Sequence[LabelledProgram], graphs: Sequence[Data]
) -> list[tuple[int, int]]:
    """``(rewrite index, original index)`` pairs: which solution each rewrite was made from.

    The dataset does not store it, so it is recovered: among the passing solutions of the
    same problem, the one whose graph has the same node-kind multiset (renaming and
    mirrored comparisons keep it) and, among those (or all, when none match), the most
    similar source text (``difflib`` ratio).
    """
    solutions: dict[str, list[int]] = {}
    for i, p in enumerate(programs):
        if p.origin == "solution" and p.confidence == 1.0:
            solutions.setdefault(p.problem, []).append(i)

    shapes: dict[int, tuple[int, ...]] = {}

    def shape(i: int) -> tuple[int, ...]:
        if i not in shapes:
            shapes[i] = tuple(sorted(graphs[i].node_kind.tolist()))
        return shapes[i]

    pairs = []
    for i, p in enumerate(programs):
        candidates = solutions.get(p.problem, []) if p.origin == "rewrite" else []
        if not candidates:
            continue
        same_shape = [c for c in candidates if shape(c) == shape(i)] or candidates
        best = same_shape[0]
        if len(same_shape) > 1:
            best = max(
                same_shape,
                key=lambda c: difflib.SequenceMatcher(None, programs[c].source, p.source).ratio(),
            )
        pairs.append((i, best))
    return pairs


def fault_line_metrics(
    eval_set: EvalSet, node_score: Sequence[np.ndarray], rows: np.ndarray
) -> Metrics:
    """``Evaluator("fault_line")`` on ``rows`` of ``eval_set``: each node's line is the
    line it starts on (``node_span`` row + 1)."""
    assert eval_set.fault_lines is not None
    width = max(len(eval_set.fault_lines[i]) for i in rows)
    fault_line = np.zeros((len(rows), width), dtype=np.int64)
    for b, i in enumerate(rows):
        lines = eval_set.fault_lines[i]
        fault_line[b, : len(lines)] = lines
    return Evaluator("fault_line").eval(
        {
            "node_score": np.concatenate([node_score[i] for i in rows]),
            "batch": np.concatenate(
                [np.full(len(node_score[i]), b, dtype=np.int64) for b, i in enumerate(rows)]
            ),
            "node_line": np.concatenate(
                [eval_set.graphs[i].node_span[:, 0].numpy() + 1 for i in rows]
            ),
            "fault_line": fault_line,
        }
    )


# ---------------------------------------------------------------------- evaluation
def evaluate_systems(
    eval_set: EvalSet,
    systems: Sequence[SystemScores],
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    *,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, Any]:
    """Every system on the same rows with the same evaluators.

    Returns a dict with ``metrics`` (``{system: {task: {metric: value}}}``),
    ``thresholds`` (``{system: {task: [fold thresholds]}}``), ``rows`` (how many rows
    each task used), ``labels`` (labels outside the vocabularies), ``calibration``
    (the model's confidence before and after Platt scaling:
    :func:`~yantra_gnn.evaluation.calibration.calibration_report`) and ``reliability``
    (calibration bins of each probabilistic system).
    """
    origin = eval_set.origin
    group = eval_set.group
    programs = eval_set.programs
    confidence_rows = np.flatnonzero(np.isin(origin, ("solution", "incorrect_solution", "mutant")))
    import_rows = np.flatnonzero(np.isin(origin, ("solution", "incorrect_solution")))
    bug_rows = np.flatnonzero([p.bugs_known for p in programs])
    location_rows = np.flatnonzero((origin == "mutant") & (eval_set.bug_node >= 0))
    solution_rows = np.flatnonzero(
        (origin == "solution") & np.asarray([p.confidence == 1.0 for p in programs])
    )
    rewrite_rows = np.flatnonzero(origin == "rewrite")
    pairs = rewrite_originals(programs, eval_set.graphs)
    bug_pairs = eval_set.pairs  # real bugs: (fix row, faulty row)
    fault_rows = np.asarray(
        [i for i, lines in enumerate(eval_set.fault_lines or []) if lines], dtype=np.int64
    )

    y_conf = np.asarray([p.confidence for p in programs])
    y_imports, imports_outside = label_matrix(
        [programs[i] for i in import_rows], "imports", import_vocab
    )
    y_bugs_all, bugs_outside = label_matrix(programs, "bug_classes", bug_classes)
    rows = {
        "confidence": len(confidence_rows),
        "confidence_problems": len(np.unique(group[confidence_rows])),
        "imports": len(import_rows),
        "imports_with_labels": int((y_imports.sum(axis=1) > 0).sum()),
        "bugs": len(bug_rows),
        "bug_location": len(location_rows),
        "embedding_solutions": len(solution_rows),
        "embedding_with_rewrites": len(solution_rows) + len(rewrite_rows),
        "rewrite_queries": len(pairs),
        "pairs": 0 if bug_pairs is None else len(bug_pairs),
        "fault_line": len(fault_rows),
    }
    metrics: dict[str, dict[str, Metrics]] = {}
    thresholds: dict[str, dict[str, list[float]]] = {}
    threshold_protocol: set[str] = set()
    reliability: dict[str, dict] = {}
    calibration: dict[str, dict] = {}
    confidence_eval = Evaluator("confidence", num_bins=num_bins)
    for system in systems:
        result: dict[str, Metrics] = {}
        chosen: dict[str, list[float]] = {}
        # Confidence.
        score = system.confidence_score
        if score is None:
            score = system.confidence_prob
        if score is not None and len(confidence_rows):
            inputs = {
                "y_true": y_conf[confidence_rows],
                "y_score": score[confidence_rows],
                "group": group[confidence_rows],
            }
            if system.confidence_prob is not None:
                inputs["y_prob"] = system.confidence_prob[confidence_rows]
                reliability[system.name] = reliability_bins(
                    y_conf[confidence_rows], system.confidence_prob[confidence_rows], num_bins
                )
            result["confidence"] = confidence_eval.eval(inputs)
            if system.confidence_logit is not None:
                calibration[system.name] = calibration_report(
                    y_conf[confidence_rows],
                    system.confidence_logit[confidence_rows],
                    group[confidence_rows],
                    system.confidence_temperature or 1.0,
                    system.confidence_bias or 0.0,
                    num_bins=num_bins,
                    base_rate=system.confidence_base_rate,
                )
        # Imports and bugs.
        for task, scores, truth, task_rows, names in (
            ("imports", system.import_score, y_imports, import_rows, import_vocab),
            ("bugs", system.bug_score, y_bugs_all[bug_rows], bug_rows, bug_classes),
        ):
            if scores is None or len(task_rows) == 0:
                continue
            task_scores = scores[task_rows]
            per_row, folds, protocol = crossfit_thresholds(truth, task_scores, group[task_rows])
            threshold_protocol.add(protocol)
            chosen[task] = folds
            result[task] = Evaluator(task, class_names=names).eval(
                {"y_true": truth, "y_score": task_scores, "threshold": per_row}
            )
        # Bug location.
        if system.node_score is not None and len(location_rows):
            result["bug_location"] = Evaluator("bug_location").eval(
                {
                    "node_score": np.concatenate([system.node_score[i] for i in location_rows]),
                    "batch": np.concatenate(
                        [
                            np.full(len(system.node_score[i]), b, dtype=np.int64)
                            for b, i in enumerate(location_rows)
                        ]
                    ),
                    "node_span": np.concatenate(
                        [eval_set.graphs[i].node_span.numpy() for i in location_rows]
                    ),
                    "bug_node": eval_set.bug_node[location_rows],
                }
            )
        # Real bugs: fix vs its faulty version, and the fault line.
        if score is not None and bug_pairs is not None and len(bug_pairs):
            result["pairs"] = Evaluator("pairs").eval(
                {"fixed_score": score[bug_pairs[:, 0]], "faulty_score": score[bug_pairs[:, 1]]}
            )
        if system.node_score is not None and len(fault_rows):
            result["fault_line"] = fault_line_metrics(eval_set, system.node_score, fault_rows)
        # Embeddings.
        if system.embedding is not None:
            with_rewrites = np.r_[solution_rows, rewrite_rows]
            for key, selected in (("solutions", solution_rows), ("with_rewrites", with_rewrites)):
                if len(selected):
                    result[f"embedding_{key}"] = Evaluator("embedding").eval(
                        {"embedding": system.embedding[selected], "group": group[selected]}
                    )
            if pairs:
                query = np.asarray([q for q, _ in pairs], dtype=np.int64)
                target = np.asarray([t for _, t in pairs], dtype=np.int64)
                for key, mask in (
                    ("all", origin != "rewrite"),
                    ("solutions", origin == "solution"),
                ):
                    result[f"rewrite_retrieval_{key}"] = Evaluator("rewrite_retrieval").eval(
                        {
                            "embedding": system.embedding,
                            "query": query,
                            "target": target,
                            "candidate_mask": mask,
                        }
                    )
        metrics[system.name] = result
        if chosen:
            thresholds[system.name] = chosen
    return {
        "metrics": metrics,
        "thresholds": thresholds,
        "threshold_protocol": sorted(threshold_protocol),
        "rows": rows,
        "labels": {
            "imports_outside_vocab": imports_outside,
            "bugs_outside_classes": bugs_outside,
            "import_vocab": list(import_vocab),
            "bug_classes": list(bug_classes),
        },
        "reliability": reliability,
        "calibration": calibration,
    }


# ---------------------------------------------------------------------- orchestration
def evaluate_model(
    model: YantraGNN,
    eval_set: EvalSet,
    *,
    train_set: EvalSet | None = None,
    model_name: str = "model",
    edges: str = "all",
    transform: BaseTransform | None = None,
    batch_size: int = 64,
    device: DeviceLike = "auto",
    plots: str | os.PathLike[str] | None = None,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
    precision: str = "fp32",
) -> dict[str, Any]:
    """Score ``model`` and the baselines on ``eval_set``; return the JSON-able report.

    Args:
        model: the trained model (its config's vocabularies define the label columns).
        eval_set: what to evaluate on.
        train_set: the training split the learned baselines are fitted on (``None``:
            only the shortest-solution and random baselines).
        model_name: how the report names the model (e.g. its file path).
        edges: ``"all"`` or ``"syntax"`` (recorded; ``transform`` does the filtering).
        transform: applied to every graph before the model (e.g. ``SyntaxEdgesOnly``).
        plots: directory for the reliability diagram (``None``: no plot).
        precision: the model's numeric precision, as ``Predictor``'s: ``"fp32"``,
            ``"bf16"`` or ``"int8"`` (recorded in the report).
    """
    started = time.perf_counter()
    import_vocab = model.config.import_vocab
    bug_classes = model.config.bug_classes
    systems = [
        model_scores(
            model,
            eval_set.graphs,
            batch_size=batch_size,
            device=device,
            transform=transform,
            precision=precision,
        )
    ]
    baselines = fit_baselines(train_set, import_vocab, bug_classes) if train_set else None
    systems += baseline_scores(baselines, eval_set)
    report: dict[str, Any] = {
        "model": model_name,
        "model_config": model.config.to_dict(),
        "edges": edges,
        "device": str(resolve_device(device)),
        "precision": precision,
        "eval_set": {"name": eval_set.name, "counts": eval_set.counts(), **eval_set.info},
        "baselines": baselines.info if baselines else {},
        "protocol": PROTOCOL,
        "origins": list(ORIGINS),
    }
    report.update(evaluate_systems(eval_set, systems, import_vocab, bug_classes, num_bins=num_bins))
    report["plots"] = []
    if plots is not None:
        name = eval_set.name.replace("/", "-")
        path = write_reliability_plot(
            eval_set, systems, Path(plots) / f"reliability-{name}.png", num_bins
        )
        if path is not None:
            report["plots"].append(str(path))
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report
