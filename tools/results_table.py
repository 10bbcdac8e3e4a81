"""Mean ± standard deviation tables over seeds from ``yantra-gnn evaluate --out`` reports.

Usage (one ``--runs`` per configuration; each run folder holds ``eval_val.json``,
``eval_cd.json`` and ``eval_he.json``)::

    python tools/results_table.py --runs "CC + ConDefects" RUN_B0 RUN_B1 RUN_B2 \\
        --runs "pretrained, CC + ConDefects" RUN_C0 RUN_C1 RUN_C2

It prints one markdown table per head: every configuration's model and every baseline,
on CodeContests validation, ConDefects validation tasks and HumanEval, as
``mean ± std (n)`` over the runs (sample standard deviation; baselines are refitted in
each run's report, on the data of that run's seed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

SETS = (("val", "CodeContests val"), ("cd", "ConDefects val"), ("he", "HumanEval"))

#: (head title, [(row label, system, task, key)]); system "model" is each configuration.
HEADS: tuple[tuple[str, list[tuple[str, str, str, str]]], ...] = (
    (
        "Confidence AUROC (correct vs failing)",
        [
            ("model", "model", "confidence", "auroc"),
            ("bag-of-features LR", "bag-of-features LR", "confidence", "auroc"),
            ("shortest", "shortest", "confidence", "auroc"),
        ],
    ),
    (
        "Ranked pass@1 (the top-scored candidate of a problem passes)",
        [
            ("model", "model", "confidence", "pass1_ranked_mixed"),
            ("bag-of-features LR", "bag-of-features LR", "confidence", "pass1_ranked_mixed"),
            ("shortest", "shortest", "confidence", "pass1_ranked_mixed"),
            ("random pick", "random", "confidence", "pass1_ranked_mixed"),
        ],
    ),
    (
        "Pair accuracy (the fix scored above its faulty version; ties count ½)",
        [
            ("model", "model", "pairs", "pair_accuracy_ties_half"),
            ("bag-of-features LR", "bag-of-features LR", "pairs", "pair_accuracy_ties_half"),
            ("shortest", "shortest", "pairs", "pair_accuracy_ties_half"),
        ],
    ),
    (
        "Confidence ECE, 15 bins (lower is better)",
        [
            ("model, uncalibrated", "calibration", "uncalibrated", "ece"),
            ("model, saved Platt scaling", "calibration", "saved", "ece"),
            ("model, Platt cross-fitted on the set", "calibration", "crossfit", "ece"),
            ("model, saved scaling moved to the set's share", "calibration", "rebased", "ece"),
            ("bag-of-features LR", "bag-of-features LR", "confidence", "ece"),
        ],
    ),
    (
        "Imports micro-F1",
        [
            ("model", "model", "imports", "micro_f1"),
            ("name lookup", "name lookup", "imports", "micro_f1"),
            ("bag-of-features LR", "bag-of-features LR", "imports", "micro_f1"),
        ],
    ),
    (
        "Bug location top-1 (mutated node; ConDefects: the fault line)",
        [
            ("model", "model", "location", "top1"),
            ("random", "model", "location", "random_top1"),
        ],
    ),
    (
        "Fault line top-3 (ConDefects)",
        [
            ("model", "model", "fault_line", "top3_accuracy"),
            ("random line", "model", "fault_line", "random_top3_accuracy"),
        ],
    ),
    (
        "Bug classes micro-F1 (mutants)",
        [
            ("model", "model", "bugs", "micro_f1"),
            ("bag-of-features LR", "bag-of-features LR", "bugs", "micro_f1"),
        ],
    ),
    (
        "Embedding MAP@R (solutions + rewrites)",
        [
            ("model", "model", "embedding_with_rewrites", "map_at_r"),
            ("bag-of-features LR", "bag-of-features LR", "embedding_with_rewrites", "map_at_r"),
        ],
    ),
)


def value(report: dict[str, Any], system: str, task: str, key: str) -> float | None:
    """One number of a report, ``None`` when the report does not have it."""
    if system == "calibration":
        found = report.get("calibration", {}).get("model", {}).get(task, {}).get(key)
        return float(found) if isinstance(found, int | float) else None
    metrics = report.get("metrics", {}).get(system, {})
    if task == "location":  # bug_location on mutants, fault_line on real bugs
        if "fault_line" in metrics:
            task, key = "fault_line", f"{key}_accuracy"
        else:
            task = "bug_location"
            key = "top1_accuracy" if key == "top1" else "random_top1_accuracy"
    found = metrics.get(task, {}).get(key)
    return float(found) if isinstance(found, int | float) else None


def cell(values: list[float]) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f} (1)"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f} ({len(values)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs", nargs="+", action="append", required=True, metavar=("NAME", "RUN"),
        help="a configuration's name, then its run folders",
    )  # fmt: skip
    args = parser.parse_args(argv)
    configs: list[tuple[str, list[dict[str, dict[str, Any]]]]] = []
    for name, *runs in args.runs:
        reports = []
        for run in runs:
            per_set = {}
            for key, _ in SETS:
                path = Path(run) / f"eval_{key}.json"
                if path.exists():
                    per_set[key] = json.loads(path.read_text())
            reports.append(per_set)
        configs.append((name, reports))
    for title, rows in HEADS:
        lines = [f"### {title}", "", "| system | " + " | ".join(s for _, s in SETS) + " |"]
        lines.append("| --- " * (len(SETS) + 1) + "|")
        printed = False
        for label, system, task, key in rows:
            # model rows (and the calibration rows) once per configuration; baselines once
            per_config = system in ("model", "calibration") and not label.startswith("random")
            targets = configs if per_config else configs[:1]
            for config_name, reports in targets:
                cells = []
                for set_key, _ in SETS:
                    found = [value(r[set_key], system, task, key) for r in reports if set_key in r]
                    cells.append(cell([v for v in found if v is not None]))
                if all(c == "—" for c in cells):
                    continue
                shown = f"{label} — {config_name}" if per_config else label
                lines.append(f"| {shown} | " + " | ".join(cells) + " |")
                printed = True
        if printed:
            print("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
