"""The report: one markdown table per task, systems side by side, and the plots.

:func:`format_report` turns the dict :func:`~yantra_gnn.evaluation.protocol.evaluate_model`
returns into markdown; :func:`write_reliability_plot` draws the reliability diagram of
every system with probabilities (:func:`plot_reliability_diagram` draws any curves).
The numbers are computed elsewhere: the report's by :mod:`yantra_gnn.evaluation.protocol`,
the diagram's bins and ECE by :mod:`yantra_gnn.evaluation.metrics`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.calibration import apply_temperature
from yantra_gnn.evaluation.metrics import (
    DEFAULT_CALIBRATION_BINS,
    Metrics,
    expected_calibration_error,
    reliability_bins,
)
from yantra_gnn.evaluation.sets import EvalSet
from yantra_gnn.evaluation.systems import MODEL, RANDOM, SYSTEMS, SystemScores
from yantra_gnn.optional import import_optional

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------- plots
def plot_reliability_diagram(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    path: str | os.PathLike[str],
    *,
    title: str = "Reliability diagram",
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> Path:
    """Write a reliability diagram (observed accuracy vs mean confidence per bin) as PNG.

    Args:
        curves: ``{name: (y_true [n], y_prob [n])}``, one line per system; the bar
            panel below shows how many predictions of the first system fall in each bin.
        path: the PNG file to write (parent directories are created).
    """
    matplotlib = import_optional("matplotlib", "the reliability diagram")
    matplotlib.use("Agg")
    plt = import_optional("matplotlib.pyplot", "the reliability diagram")

    if not curves:
        raise ConfigError("plot_reliability_diagram: no curves given")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(5.5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    first = None
    for name, (y_true, y_prob) in curves.items():
        bins = reliability_bins(np.asarray(y_true), np.asarray(y_prob), num_bins)
        xs = [c for c in bins["confidence"] if c is not None]
        ys = [a for a in bins["accuracy"] if a is not None]
        ece = expected_calibration_error(np.asarray(y_true), np.asarray(y_prob), num_bins)
        top.plot(xs, ys, marker="o", label=f"{name} (ECE {ece:.3f})")
        if first is None:
            first = (name, bins)
    top.set_ylabel("observed fraction correct")
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_title(title)
    top.legend(loc="upper left", fontsize=8)
    assert first is not None
    name, bins = first
    width = 1.0 / num_bins
    centres = [edge + width / 2 for edge in bins["edges"][:-1]]
    bottom.bar(centres, bins["count"], width=width * 0.9, color="tab:blue")
    bottom.set_xlabel("predicted probability of being correct")
    bottom.set_ylabel(f"count ({name})")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    logger.info("wrote reliability diagram %s", path)
    return path


def write_reliability_plot(
    eval_set: EvalSet,
    systems: Sequence[SystemScores],
    path: str | os.PathLike[str],
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> Path | None:
    """Reliability diagram of every system with probabilities, on the confidence rows.

    A system with a confidence calibration other than ``T = 1, b = 0`` (a calibrated
    model) is drawn twice: calibrated, and from its raw logits (``T = 1, b = 0``).
    """
    rows = np.flatnonzero(np.isin(eval_set.origin, ("solution", "incorrect_solution", "mutant")))
    y_true = np.asarray([eval_set.programs[i].confidence for i in rows])
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for s in systems:
        if s.confidence_prob is None:
            continue
        t = s.confidence_temperature
        b = s.confidence_bias or 0.0
        if s.confidence_logit is None or t is None or (t == 1.0 and b == 0.0):
            curves[s.name] = (y_true, s.confidence_prob[rows])
            continue
        curves[f"{s.name}, T = {t:.2f}, b = {b:.2f}"] = (y_true, s.confidence_prob[rows])
        curves[f"{s.name}, T = 1, b = 0 (uncalibrated)"] = (
            y_true,
            apply_temperature(s.confidence_logit[rows]),
        )
    if not curves or len(rows) == 0:
        return None
    return plot_reliability_diagram(
        curves, path, title=f"Confidence calibration — {eval_set.name}", num_bins=num_bins
    )


# ---------------------------------------------------------------------- table
def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def _table(rows: list[tuple[str, dict[str, Any]]], columns: Sequence[str]) -> list[str]:
    """Markdown table; ``rows`` are ``(label, {column: value})``; a missing column is '—'."""
    used = [c for c in columns if any(c in values for _, values in rows)]
    lines = ["| metric | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    for label, values in rows:
        cells = [_fmt(values[c]) if c in values else "—" for c in used]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _row(
    metrics: dict[str, dict[str, Metrics]], task: str, key: str, systems: Sequence[str]
) -> dict[str, Any]:
    return {s: metrics[s][task].get(key) for s in systems if task in metrics.get(s, {})}


def _calibration_lines(calibration: dict[str, Any] | None) -> list[str]:
    """The model's confidence before and after Platt scaling (``calibration_report``)."""
    if not calibration:
        return []

    def values(view: dict[str, Any], key: str) -> str:
        # A report written before the bias existed has none: its scaling had b = 0.
        if "fold_temperatures" not in view:  # one (T, b) for the whole set
            return f"{view.get(key) or 0.0:.3f}"
        folds = view.get("fold_temperatures" if key == "temperature" else "fold_biases")
        return " / ".join("—" if v is None else f"{v:.3f}" for v in folds or [0.0, 0.0])

    saved = calibration["saved"]
    calibrated = saved["temperature"] != 1.0 or (saved.get("bias") or 0.0) != 0.0
    rows = [
        ("uncalibrated logits", calibration["uncalibrated"]),
        (
            "saved calibration (fitted on the training run's validation split)"
            if calibrated
            else "saved calibration (T = 1, b = 0: this model was not calibrated)",
            saved,
        ),
        (
            f"Platt scaling cross-fitted on this set: {calibration['crossfit']['protocol']} "
            "(T, b applied to fold 0 / fold 1)",
            calibration["crossfit"],
        ),
    ]
    if "rebased" in calibration:
        rebased = calibration["rebased"]
        rows.append(
            (
                f"saved calibration moved from its base rate {rebased['base_rate']:.3f} to "
                f"this set's {rebased['set_rate']:.3f} (Bayes' rule; Predictor(prior=...))",
                rebased,
            )
        )
    lines = [
        f"Confidence calibration of the model ({calibration['num_samples']} candidates; "
        "P = sigmoid(logit / T + b); the table above uses the saved T and b):",
        "",
        "| model confidence | T | b | ECE, 15 bins | Brier | NLL |",
        "|---|---|---|---|---|---|",
    ]
    for label, view in rows:
        lines.append(
            f"| {label} | {values(view, 'temperature')} | {values(view, 'bias')} "
            f"| {_fmt(view['ece'])} | {_fmt(view['brier'])} | {_fmt(view['nll'])} |"
        )
    return [
        *lines,
        "",
        "On the split the calibration was fitted on (the run's validation split) the saved "
        "row is in-sample, so optimistic; the cross-fitted row is scored on problems its "
        "calibration did not see.",
        "",
    ]


def _real_bug_lines(report: dict[str, Any], systems: Sequence[str]) -> list[str]:
    """The ConDefects tables: fix vs faulty pairs, and the fault line."""
    metrics = report["metrics"]
    lines: list[str] = []
    pair_rows = [
        ("pair accuracy (fix > its faulty version)", "pair_accuracy"),
        ("ties (fix = faulty)", "pair_ties"),
        ("pair accuracy, ties count 1/2", "pair_accuracy_ties_half"),
    ]
    pair_values = [(label, _row(metrics, "pairs", key, systems)) for label, key in pair_rows]
    if any(values for _, values in pair_values):
        lines += [
            f"### Real bugs: fix vs faulty ({report['rows']['pairs']} pairs)",
            "",
            *_table(pair_values, systems),
            "",
            "A tie means equal confidence, e.g. both programs have the same graph (the fix "
            "changed only imports or comments, which the graph leaves out).",
            "",
        ]
    if "fault_line" in metrics.get(MODEL, {}):
        located = metrics[MODEL]["fault_line"]
        ks = sorted(
            int(key[3:].split("_")[0])
            for key in located
            if key.startswith("top") and key.endswith("_accuracy")
        )
        loc_rows = [
            (
                f"fault line in the top {k} line{'s' if k > 1 else ''}",
                {MODEL: located[f"top{k}_accuracy"], RANDOM: located[f"random_top{k}_accuracy"]},
            )
            for k in ks
        ]
        lines += [
            f"### Real bugs: fault line ({located['num_graphs']} faulty programs)",
            "",
            *_table(loc_rows, [MODEL, RANDOM]),
            "",
            "Lines ranked by the best bug-location score of the nodes that start on them; "
            "random = a uniformly random order of the same lines (mean "
            f"{_fmt(located['mean_candidate_lines'])} lines per program). Left out: "
            f"{located['num_not_located']} programs whose fault line starts no node (blank, "
            "comment or import line, or past the end) and "
            f"{report['eval_set'].get('faulty_without_located_line', 0)} whose fault is "
            "not located in the data.",
            "",
        ]
    return lines


def format_report(report: dict[str, Any]) -> str:
    """The report as markdown: a header, then one table per task (systems side by side)."""
    metrics = report["metrics"]
    rows = report["rows"]
    systems = [s for s in SYSTEMS if s in metrics] + [s for s in metrics if s not in SYSTEMS]
    counts = report["eval_set"]["counts"]
    lines = [
        f"## {report['eval_set']['name']} — {counts['programs']} programs, "
        f"{counts['problems']} problems",
        "",
        f"model: `{report['model']}` (edges: {report['edges']}, precision: "
        f"{report.get('precision', 'fp32')}); baselines fitted on: "
        f"{report.get('baselines', {}).get('fitted_on', 'none (untrained baselines only)')}",
        f"programs by origin: {counts['by_origin']}",
    ]
    verification = report["eval_set"].get("verification")
    if verification:
        kept = sum(verification["mutants_kept"].values())
        tried = sum(verification["mutants_tried"].values())
        lines.append(
            f"verified in the sandbox: {verification['canonical_passed']}/"
            f"{verification['problems']} canonical solutions pass their checks; {kept} of "
            f"{tried} mutants fail them and are kept ({verification['mutants_passing_dropped']} "
            "passed and were dropped)"
        )
    if rows.get("pairs"):
        info = report["eval_set"]
        lines.append(
            f"real bugs: {info.get('pairs')} pairs (a rejected submission and its accepted "
            f"fix) of {info.get('tasks')} tasks from `{info.get('path')}`, split by task "
            f"(seed {info.get('seed')}); labels are the judge's verdicts"
        )
    lines.append("")
    if "confidence" in metrics.get(MODEL, {}):
        mixed = metrics[MODEL]["confidence"].get("problems_mixed")
        problems = metrics[MODEL]["confidence"].get("problems_all")
        conf_rows = [
            ("AUROC", _row(metrics, "confidence", "auroc", systems)),
            ("Brier (lower is better)", _row(metrics, "confidence", "brier", systems)),
            ("ECE, 15 bins (lower is better)", _row(metrics, "confidence", "ece", systems)),
            (
                f"ranked pass@1, mixed problems (n={mixed})",
                _row(metrics, "confidence", "pass1_ranked_mixed", systems),
            ),
            (
                f"ranked pass@1, all problems (n={problems})",
                _row(metrics, "confidence", "pass1_ranked_all", systems),
            ),
        ]
        lines += [
            f"### Confidence ({rows['confidence']} candidates)",
            "",
            *_table(conf_rows, systems),
            "",
            "random = a constant score (every candidate tied: a uniform random pick; "
            "its Brier/ECE are those of the training positive rate).",
            "",
            *_calibration_lines(report.get("calibration", {}).get(MODEL)),
        ]
    for task, title in (("imports", "Imports"), ("bugs", "Bug classes")):
        if task not in metrics.get(MODEL, {}):
            continue
        keys = [
            ("micro F1", "micro_f1"),
            ("macro F1", "macro_f1"),
            ("micro precision", "micro_precision"),
            ("micro recall", "micro_recall"),
            ("AUROC, macro over classes", "auroc_macro"),
            ("AUROC, micro", "auroc_micro"),
        ]
        task_rows = [(label, _row(metrics, task, key, systems)) for label, key in keys]
        thresholds = {
            s: " / ".join(f"{t:.3f}" for t in report["thresholds"][s][task])
            for s in systems
            if task in report["thresholds"].get(s, {})
        }
        task_rows.append(("thresholds (fold 0 / fold 1)", thresholds))
        lines += [f"### {title} ({rows[task]} programs)", "", *_table(task_rows, systems), ""]
        if task == "imports":
            lines += [
                f"{rows['imports_with_labels']} of them import a vocabulary module; "
                f"{report['labels']['imports_outside_vocab']} imports fall outside the "
                "model's vocabulary (not scored).",
                "",
            ]
        if task == "bugs":
            per_class = []
            for name in report["labels"]["bug_classes"]:
                support = metrics[MODEL]["bugs"].get(f"support/{name}")
                per_class.append(
                    (f"F1 {name} (support {support})", _row(metrics, "bugs", f"f1/{name}", systems))
                )
            for name in report["labels"]["bug_classes"]:
                per_class.append((f"AUROC {name}", _row(metrics, "bugs", f"auroc/{name}", systems)))
            lines += ["Per class:", "", *_table(per_class, systems), ""]
    if "bug_location" in metrics.get(MODEL, {}):
        location = metrics[MODEL]["bug_location"]
        loc_rows = [
            (
                "top-1 accuracy (node in mutated span)",
                {MODEL: location["top1_accuracy"], RANDOM: location["random_top1_accuracy"]},
            ),
            ("top-1 exact node", {MODEL: location["top1_exact"]}),
        ]
        lines += [
            f"### Bug location ({location['num_graphs']} mutants)",
            "",
            *_table(loc_rows, [MODEL, RANDOM]),
            "",
            "random = expected accuracy of a uniformly random node of the graph.",
            "",
        ]
    lines += _real_bug_lines(report, systems)
    embedding_rows = []
    queries = 0
    for label, task, key in (
        ("MAP@R, solutions", "embedding_solutions", "map_at_r"),
        ("MAP@R, solutions + rewrites", "embedding_with_rewrites", "map_at_r"),
        ("rewrite → original top-1, all distractors", "rewrite_retrieval_all", "top1_accuracy"),
        (
            "rewrite → original top-1, solution distractors",
            "rewrite_retrieval_solutions",
            "top1_accuracy",
        ),
    ):
        values = _row(metrics, task, key, systems)
        if values:
            count = metrics[MODEL].get(task, {}).get("num_queries", 0)
            queries += count
            embedding_rows.append((f"{label} (queries: {count})", values))
    if queries:
        lines += ["### Code embedding", "", *_table(embedding_rows, systems), ""]
    else:
        lines += [
            "### Code embedding",
            "",
            "not scored: no problem here has two correct programs (MAP@R needs R >= 1) "
            "and there are no rewrites.",
            "",
        ]
    if report.get("plots"):
        lines += ["Plots: " + ", ".join(f"`{p}`" for p in report["plots"]), ""]
    return "\n".join(lines)
