"""Featurization throughput: ``CodeGraphBuilder.build`` vs. parse-only baselines.

Prints one JSON object: graphs/s, nodes/s and source MB/s of ``build`` on real solutions,
next to tree-sitter parse-only and Python ``ast.parse`` + walk measured in the same run,
plus the bytes per graph of the stored forms.

    python benchmarks/bench_featurize.py [--data PATH] [--repeats 3]

The suite's entries (``python -m benchmarks``) of this module: ``featurize_one`` (one
median solution against a bare tree-sitter parse of it), ``featurize_corpus`` (a
2-worker :class:`~yantra_gnn.graph.parallel.GraphPool` against 1 worker). The dataset cache's entries are in
:mod:`benchmarks.bench_cache_format`.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_featurize.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import load_solutions
from benchmarks.suite import Baseline, Condition, Context, Measurement, entry, median
from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder, pack_features
from yantra_gnn.graph.parallel import DEFAULT_CHUNKSIZE, GraphPool, build_graphs
from yantra_gnn.graph.parse import _parser


def best_of(repeats: int, fn) -> float:
    """Fastest wall time of ``repeats`` runs of ``fn()`` (seconds)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def stored_bytes(data, packed: bool) -> int:
    buffer = io.BytesIO()
    payload = {
        "edge_index": data.edge_index.to(torch.int32),
        "edge_type": data.edge_type.to(torch.uint8),
        "node_span": data.node_span.to(torch.int32),
        "node_kind": data.node_kind.to(torch.int32),
    }
    if packed:
        payload.update(pack_features(data.x))
    else:
        payload["x"] = data.x
    torch.save(payload, buffer)
    return buffer.tell()


# ---------------------------------------------------------------------------- suite entries
@entry(
    "featurize_one",
    "`CodeGraphBuilder.build` of one median solution",
    target=[Condition("ratio", ">=", 0.25)],
)
def featurize_one(context: Context) -> Measurement:
    """Builds per second of the median solution, against tree-sitter parses of it."""
    source = context.median_source.encode()
    builder, parser = CodeGraphBuilder(), _parser()
    calls = 10 if context.quick else 25
    times = context.interleaved(
        {
            "build": lambda: [builder.build(source) for _ in range(calls)],
            "parse": lambda: [parser.parse(source) for _ in range(calls)],
        },
        context.repeats,
    )
    build_s = median(times["build"]) / calls
    parse_s = median(times["parse"]) / calls
    graph = builder.build(source)
    lines = source.count(b"\n") + 1
    return Measurement(
        value=1 / build_s,
        unit="graphs/s",
        baseline=Baseline("tree-sitter parse of the same source", 1 / parse_s, "parses/s"),
        details={
            "source_lines": lines,
            "nodes": int(graph.num_nodes),
            "build_ms": round(build_s * 1e3, 3),
            "parse_ms": round(parse_s * 1e3, 4),
            "calls_per_round": calls,
            "rounds": context.repeats,
            "data": context.solutions[1],
        },
        note=f"{build_s * 1e3:.2f} ms per build against {parse_s * 1e3:.3f} ms per parse "
        f"({int(graph.num_nodes)} nodes, {lines} lines)",
    )


@entry(
    "featurize_corpus",
    "featurize the corpus with 2 workers (`yantra_gnn.graph.parallel.GraphPool`)",
    target=[Condition("ratio", ">=", 1.8)],
)
def featurize_corpus(context: Context) -> Measurement:
    """Graphs per second of a 2-process :class:`GraphPool`, against the same with 1
    worker: ``build_graphs(workers=1)``, which builds in this process (no pool).

    The pool is started and warmed before timing; each round builds the whole corpus,
    the graphs coming back to this process as they do to a caller. A 1-process pool is
    timed in the same rounds (details): what the way back costs.
    """
    sources, origin = context.solutions
    corpus = sources[:40] if context.quick else sources
    with GraphPool(2) as two, GraphPool(1) as one:
        two.build_all(corpus[:8])
        one.build_all(corpus[:8])
        times = context.interleaved(
            {
                "2 workers": lambda: two.build_all(corpus),
                "1 worker": lambda: build_graphs(corpus, workers=1),
                "1-process pool": lambda: one.build_all(corpus),
            },
            context.repeats,
        )
    two_s, one_s = median(times["2 workers"]), median(times["1 worker"])
    pool_s = median(times["1-process pool"])
    return Measurement(
        value=len(corpus) / two_s,
        unit="graphs/s",
        baseline=Baseline("the same with 1 worker (in process)", len(corpus) / one_s, "graphs/s"),
        details={
            "graphs": len(corpus),
            "quick_subset": context.quick,
            "seconds_2_workers": round(two_s, 3),
            "seconds_1_worker": round(one_s, 3),
            "seconds_1_process_pool": round(pool_s, 3),
            "chunksize": DEFAULT_CHUNKSIZE,
            "rounds": context.repeats,
            "data": origin,
        },
        note=f"{len(corpus)} solutions: {two_s:.2f} s with 2 workers, {one_s:.2f} s with 1 "
        f"in process, {pool_s:.2f} s with a 1-process pool",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None, help="CodeContests-style jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    sources, origin = load_solutions(args.data)
    encoded = [s.encode() for s in sources]
    total_mb = sum(map(len, encoded)) / 1e6
    builder = CodeGraphBuilder()
    graphs = [builder.build(s) for s in sources]  # warm-up, and sizes
    nodes = sum(g.num_nodes for g in graphs)

    build_s = best_of(args.repeats, lambda: [builder.build(s) for s in encoded])
    parser_ = _parser()
    parse_s = best_of(args.repeats, lambda: [parser_.parse(s) for s in encoded])

    def ast_parse_walk() -> None:
        for s in sources:
            for _ in ast.walk(ast.parse(s)):
                pass

    ast_s = best_of(args.repeats, ast_parse_walk)

    # per-graph latency of median-size solutions (the target is stated for them)
    by_size = sorted(range(len(sources)), key=lambda i: len(sources[i]))
    middle = [sources[i] for i in by_size[len(by_size) // 4 : 3 * len(by_size) // 4]]
    middle_s = best_of(args.repeats, lambda: [builder.build(s) for s in middle])
    lines = [s.count("\n") + 1 for s in middle]

    sample = graphs[:: max(1, len(graphs) // 50)]
    coo = statistics.mean(stored_bytes(g, packed=False) for g in sample)
    packed = statistics.mean(stored_bytes(g, packed=True) for g in sample)

    result = {
        "benchmark": "featurize",
        "data": origin,
        "graphs": len(sources),
        "feature_spec_version": FEATURE_SPEC_VERSION,
        "python": platform.python_version(),
        "build": {
            "graphs_per_s": len(sources) / build_s,
            "nodes_per_s": nodes / build_s,
            "source_mb_per_s": total_mb / build_s,
            "mean_ms_per_graph": 1e3 * build_s / len(sources),
        },
        "build_middle_half_by_size": {
            "graphs": len(middle),
            "median_lines": statistics.median(lines),
            "graphs_per_s": len(middle) / middle_s,
            "ms_per_graph": 1e3 * middle_s / len(middle),
            "target_graphs_per_s": 1000,
        },
        "baseline_tree_sitter_parse_only": {
            "graphs_per_s": len(sources) / parse_s,
            "source_mb_per_s": total_mb / parse_s,
        },
        "baseline_python_ast_parse_walk": {
            "graphs_per_s": len(sources) / ast_s,
            "source_mb_per_s": total_mb / ast_s,
        },
        "ratio_build_vs_tree_sitter_parse": parse_s / build_s,
        "ratio_build_vs_python_ast": ast_s / build_s,
        "mean_nodes_per_graph": nodes / len(sources),
        "mean_feature_nonzeros_per_node": sum(g.x._nnz() for g in graphs) / nodes,
        "stored_bytes_per_graph": {"sparse_coo_torch_save": coo, "packed_csr_fp16": packed},
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
