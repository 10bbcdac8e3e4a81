"""Which encoder variant learns best: edge-type groups vs. homogeneous, and the pooling.

A small, real training run per variant on real graphs: the Python 3 solutions of the
shared CodeContests sample (else standard-library files), each with mutants made by
``yantra_gnn.labels.mutate.sample_mutants`` (one per bug class; not yet confirmed by
execution — a proxy task, the same for every variant). Every graph is built with
``strip_imports=True``. Targets, all real:

- bug class of a mutant (multi-label head, one-hot; originals all-zero),
- the node where the mutation is (bug-location head; cross-entropy over the graph's nodes),
- original vs. mutant (confidence head),
- the modules the solution imports (import head; labels from the source's own imports,
  which the input graph does not contain).

Split: every 5th solution (and all its mutants) is validation. Each variant trains from
the same seed with AdamW; validation metrics after the last epoch are printed as one
JSON object, with training time per epoch and inference time per graph.

Usage::

    python benchmarks/bench_model_variants.py [--data PATH] [--epochs 4] [--seeds 0]
        [--variants homogeneous/mean grouped/mean ...] [--max-nodes 1200] [--limit N]
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch, Data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_solutions  # noqa: E402

from yantra_gnn.graph import CodeGraphBuilder  # noqa: E402
from yantra_gnn.labels.mutate import sample_mutants  # noqa: E402
from yantra_gnn.nn import (  # noqa: E402
    BUG_CLASSES,
    DEFAULT_IMPORT_VOCAB,
    SYNTAX_DATAFLOW_GROUPS,
    ModelConfig,
    YantraGNN,
)

warnings.filterwarnings("ignore", message="Sparse invariant checks")

VARIANTS: dict[str, dict] = {
    "homogeneous/mean": {"edge_groups": (), "pooling": "mean"},
    "grouped/mean": {"edge_groups": SYNTAX_DATAFLOW_GROUPS, "pooling": "mean"},
    "homogeneous/mean_max": {"edge_groups": (), "pooling": "mean_max"},
    "grouped/mean_max": {"edge_groups": SYNTAX_DATAFLOW_GROUPS, "pooling": "mean_max"},
    "homogeneous/attention": {"edge_groups": (), "pooling": "attention"},
    "grouped/attention": {"edge_groups": SYNTAX_DATAFLOW_GROUPS, "pooling": "attention"},
}


def imported_modules(source: str) -> set[str]:
    """Top-level module names that ``source`` imports (empty if it does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module.split(".")[0])
    return modules


def bug_node(graph: Data, span: tuple[int, int, int, int]) -> int:
    """The smallest node whose span contains the mutated span, or -1."""
    spans = graph.node_span.tolist()
    best, best_size = -1, None
    for i, (sr, sc, er, ec) in enumerate(spans):
        if (sr, sc) <= (span[0], span[1]) and (er, ec) >= (span[2], span[3]):
            size = (er - sr, ec - sc if er == sr else ec)
            if best_size is None or size < best_size:
                best, best_size = i, size
    return best


def build_examples(
    sources: list[str], max_nodes: int, per_class: int
) -> tuple[list[Data], list[Data], dict]:
    builder = CodeGraphBuilder()
    vocab_index = {name: i for i, name in enumerate(DEFAULT_IMPORT_VOCAB)}
    train, val = [], []
    skipped = 0
    for index, source in enumerate(sources):
        imports = torch.zeros(1, len(DEFAULT_IMPORT_VOCAB))
        for module in imported_modules(source):
            if module in vocab_index:
                imports[0, vocab_index[module]] = 1.0
        items: list[tuple[str, str | None, tuple | None]] = [(source, None, None)]
        items += [
            (m.source, m.bug_class, m.span)
            for m in sample_mutants(source, per_class=per_class, seed=0)
        ]
        for text, bug_class, span in items:
            graph = builder.build(text, strip_imports=True)
            if graph.num_nodes > max_nodes:
                skipped += 1
                continue
            graph.y_bug = torch.zeros(1, len(BUG_CLASSES))
            graph.y_correct = torch.tensor([1.0 if bug_class is None else 0.0])
            graph.y_imports = imports
            graph.bug_node = torch.tensor([-1])
            graph.bug_rows = torch.tensor([[-1, -1]])
            if bug_class is not None:
                graph.y_bug[0, BUG_CLASSES.index(bug_class)] = 1.0
                graph.bug_node = torch.tensor([bug_node(graph, span)])
                graph.bug_rows = torch.tensor([[span[0], span[2]]])
            (val if index % 5 == 0 else train).append(graph)
    stats = {
        "solutions": len(sources),
        "train_graphs": len(train),
        "val_graphs": len(val),
        "skipped_over_max_nodes": skipped,
        "train_mutants": int(sum(1 for g in train if g.y_correct.item() == 0)),
        "val_mutants": int(sum(1 for g in val if g.y_correct.item() == 0)),
    }
    return train, val, stats


def location_log_probs(node_logits: torch.Tensor, batch: Batch) -> list[torch.Tensor]:
    """Per-graph log-softmax of the bug-location logits."""
    ptr = batch.ptr.tolist()
    return [F.log_softmax(node_logits[ptr[g] : ptr[g + 1]], 0) for g in range(batch.num_graphs)]


def loss_terms(out, batch: Batch) -> dict[str, torch.Tensor]:
    """The four task losses of one batch (location: mean over its mutants)."""
    terms = {
        "bug_class": F.binary_cross_entropy_with_logits(out.bug_logits, batch.y_bug),
        "confidence": F.binary_cross_entropy_with_logits(out.confidence_logit, batch.y_correct),
        "imports": F.binary_cross_entropy_with_logits(out.import_logits, batch.y_imports),
    }
    located = [
        -log_probs[int(target)]
        for log_probs, target in zip(
            location_log_probs(out.bug_node_logits, batch), batch.bug_node, strict=True
        )
        if int(target) >= 0
    ]
    terms["location"] = torch.stack(located).mean() if located else out.bug_logits.new_zeros(())
    return terms


def loss_of(out, batch: Batch) -> torch.Tensor:
    """Training loss: bug class + confidence + 0.5 imports + location."""
    terms = loss_terms(out, batch)
    return terms["bug_class"] + terms["confidence"] + 0.5 * terms["imports"] + terms["location"]


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (probability a positive outranks a negative)."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    greater = (positives[:, None] > negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(positives) * len(negatives)))


@torch.no_grad()
def evaluate(model: YantraGNN, graphs: list[Data], batch_size: int) -> dict[str, float]:
    model.eval()
    losses, correct_scores, correct_labels = [], [], []
    term_sums: dict[str, float] = {}
    class_hits = class_total = exact_hits = line_hits = located = 0
    tp = fp = fn = 0
    for start in range(0, len(graphs), batch_size):
        batch = Batch.from_data_list(graphs[start : start + batch_size])
        out = model(batch)
        losses.append(float(loss_of(out, batch)) * batch.num_graphs)
        for key, value in loss_terms(out, batch).items():
            term_sums[key] = term_sums.get(key, 0.0) + float(value) * batch.num_graphs
        correct_scores += torch.sigmoid(out.confidence_logit).tolist()
        correct_labels += batch.y_correct.tolist()
        predicted_imports = out.import_logits > 0
        tp += int((predicted_imports & (batch.y_imports > 0)).sum())
        fp += int((predicted_imports & (batch.y_imports == 0)).sum())
        fn += int((~predicted_imports & (batch.y_imports > 0)).sum())
        mutant = batch.y_correct == 0
        class_total += int(mutant.sum())
        class_hits += int((out.bug_logits.argmax(1) == batch.y_bug.argmax(1))[mutant].sum())
        ptr = batch.ptr.tolist()
        for g, log_probs in enumerate(location_log_probs(out.bug_node_logits, batch)):
            target = int(batch.bug_node[g])
            if target < 0:
                continue
            located += 1
            chosen = int(log_probs.argmax())
            exact_hits += int(chosen == target)
            sr, _, er, _ = batch.node_span[ptr[g] + chosen].tolist()
            first, last = batch.bug_rows[g].tolist()
            line_hits += int(first <= sr and er <= last)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "val_loss": round(sum(losses) / len(graphs), 4),
        **{f"val_{k}_loss": round(v / len(graphs), 4) for k, v in term_sums.items()},
        "bug_class_accuracy": round(class_hits / max(class_total, 1), 4),
        "location_exact_node": round(exact_hits / max(located, 1), 4),
        "location_within_mutated_lines": round(line_hits / max(located, 1), 4),
        "mutant_vs_original_auroc": round(
            1.0 - auroc(np.array(correct_scores), np.array(correct_labels) == 0), 4
        ),
        "imports_micro_f1": round(2 * precision * recall / (precision + recall), 4)
        if precision + recall
        else 0.0,
    }


def train_variant(
    name: str,
    overrides: dict,
    train: list[Data],
    val: list[Data],
    args: argparse.Namespace,
    seed: int,
) -> dict:
    torch.manual_seed(seed)
    model = YantraGNN(ModelConfig(**overrides))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    epoch_seconds, history = [], []
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train), generator=generator).tolist()
        start = time.perf_counter()
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            batch = Batch.from_data_list([train[j] for j in order[i : i + args.batch_size]])
            optimizer.zero_grad()
            loss = loss_of(model(batch), batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total += float(loss.detach()) * batch.num_graphs
        epoch_seconds.append(time.perf_counter() - start)
        metrics = evaluate(model, val, args.batch_size)
        metrics["train_loss"] = round(total / len(train), 4)
        history.append(metrics)
        print(f"{name} seed {seed} epoch {epoch + 1}: {json.dumps(metrics)}", file=sys.stderr)
    model.eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(val), args.batch_size):
            model(Batch.from_data_list(val[i : i + args.batch_size]))
    inference_ms = (time.perf_counter() - start) / len(val) * 1e3
    result = {
        "variant": name,
        "seed": seed,
        "final": history[-1],
        "best_val_loss": min(h["val_loss"] for h in history),
        "train_seconds_per_epoch": round(float(np.mean(epoch_seconds)), 1),
        "inference_ms_per_graph_batch32": round(inference_ms, 2),
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    print(f"run: {json.dumps(result)}", file=sys.stderr)
    return result


def measure_speed(names: list[str], graphs: list[Data], repeats: int) -> dict[str, dict]:
    """Forward (inference) and training-step times of each variant, interleaved.

    Variants are timed round-robin on the same batches, so a busy machine slows them
    alike; the median over ``repeats`` rounds is reported.
    """
    models = {}
    for name in names:
        torch.manual_seed(0)
        models[name] = YantraGNN(ModelConfig(**VARIANTS[name]))
    optimizers = {n: torch.optim.AdamW(m.parameters(), lr=1e-4) for n, m in models.items()}
    median_graph = sorted(graphs, key=lambda g: int(g.num_nodes))[len(graphs) // 2]
    single = Batch.from_data_list([median_graph])
    batch32 = Batch.from_data_list(graphs[:32])
    times: dict[str, dict[str, list[float]]] = {
        n: {"forward_1_graph_ms": [], "forward_32_graphs_ms": [], "train_step_32_graphs_ms": []}
        for n in names
    }
    for round_index in range(repeats + 1):  # round 0 warms up
        for name, model in models.items():
            model.eval()
            with torch.inference_mode():
                start = time.perf_counter()
                model(single)
                one = time.perf_counter() - start
                start = time.perf_counter()
                model(batch32)
                many = time.perf_counter() - start
            model.train()
            start = time.perf_counter()
            optimizers[name].zero_grad()
            loss_of(model(batch32), batch32).backward()
            optimizers[name].step()
            step = time.perf_counter() - start
            if round_index:
                times[name]["forward_1_graph_ms"].append(one * 1e3)
                times[name]["forward_32_graphs_ms"].append(many * 1e3)
                times[name]["train_step_32_graphs_ms"].append(step * 1e3)
    return {
        name: {
            "nodes_single_graph": int(median_graph.num_nodes),
            "nodes_batch32": int(batch32.num_nodes),
            **{key: round(float(np.median(v)), 2) for key, v in timing.items()},
            "parameters": sum(p.numel() for p in models[name].parameters()),
        }
        for name, timing in times.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None, help="use the first N solutions")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--per-class", type=int, default=1, help="mutants per bug class")
    parser.add_argument("--max-nodes", type=int, default=1200, help="skip larger graphs")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument(
        "--speed-only", action="store_true", help="only time forward / train step per variant"
    )
    parser.add_argument("--speed-repeats", type=int, default=10)
    args = parser.parse_args(argv)

    sources, origin = load_solutions(args.data, args.limit)
    start = time.perf_counter()
    train, val, stats = build_examples(sources, args.max_nodes, args.per_class)
    stats["build_seconds"] = round(time.perf_counter() - start, 1)
    print(f"data: {json.dumps(stats)}", file=sys.stderr)
    if args.speed_only:
        speed = measure_speed(args.variants, train, args.speed_repeats)
        result = {
            "benchmark": "bench_model_variants --speed-only",
            "data": origin,
            "torch_num_threads": torch.get_num_threads(),
            "repeats": args.speed_repeats,
            "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
            "speed": speed,
        }
        print(json.dumps(result, indent=2))
        return 0
    runs = [
        train_variant(name, VARIANTS[name], train, val, args, seed)
        for seed in args.seeds
        for name in args.variants
    ]
    summary = {}
    for name in args.variants:
        mine = [r for r in runs if r["variant"] == name]
        summary[name] = {
            key: round(float(np.mean([r["final"][key] for r in mine])), 4)
            for key in mine[0]["final"]
            if not math.isnan(mine[0]["final"][key])
        }
        summary[name]["train_seconds_per_epoch"] = round(
            float(np.mean([r["train_seconds_per_epoch"] for r in mine])), 1
        )
        summary[name]["inference_ms_per_graph_batch32"] = round(
            float(np.mean([r["inference_ms_per_graph_batch32"] for r in mine])), 2
        )
    result = {
        "benchmark": "bench_model_variants",
        "data": origin,
        "dataset": stats,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seeds": args.seeds,
        "torch_num_threads": torch.get_num_threads(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "summary_mean_over_seeds": summary,
        "runs": runs,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
