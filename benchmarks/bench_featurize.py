"""Featurization throughput: ``CodeGraphBuilder.build`` vs. parse-only baselines.

Prints one JSON object: graphs/s, nodes/s and source MB/s of ``build`` on real solutions,
next to tree-sitter parse-only and Python ``ast.parse`` + walk measured in the same run,
plus the bytes per graph of the stored forms.

    python benchmarks/bench_featurize.py [--data PATH] [--repeats 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_solutions  # noqa: E402

from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder, pack_features  # noqa: E402
from yantra_gnn.graph.parse import _parser  # noqa: E402


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
