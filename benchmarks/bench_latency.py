"""End-to-end prediction latency and batch throughput of ``Predictor``, vs plain PyG.

Usage::

    python benchmarks/bench_latency.py [--data PATH] [--repeats N] [--limit N] [--device cpu]

Prints one JSON object:

- ``latency_ms``: ``Predictor.predict`` on one solution at a time (parse + features +
  forward + post-processing), p50/p95/p99/mean over every solution × repeats, and the
  same split into ``parse_features`` (``CodeGraphBuilder.build``) and ``forward``
  (batching, the model, turning outputs into a ``Prediction``).
- ``throughput_graphs_per_s``: ``predict_batch`` (end to end) and ``forward_only``
  (``predict_graphs`` on prebuilt graphs) at batch sizes 1/8/32/128; the plain PyG
  baseline (``SAGEConv`` 978→512→512→256 on dense features + ``global_mean_pool``, fed
  the same graphs densified beforehand) measured in the same run, and the ratio.

The model is untrained: latency does not depend on the weights' values.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.data import Batch, Data
from torch_geometric.nn import SAGEConv, global_mean_pool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import load_solutions  # noqa: E402

from yantra_gnn.device import resolve_device  # noqa: E402
from yantra_gnn.graph import to_dense_features  # noqa: E402
from yantra_gnn.nn import YantraGNN  # noqa: E402
from yantra_gnn.predict import Predictor  # noqa: E402

warnings.filterwarnings("ignore", message="Sparse invariant checks")
BATCH_SIZES = (1, 8, 32, 128)


class PlainSAGE(nn.Module):
    """The reference: PyG ``SAGEConv`` 978 → 512 → 512 → 256 on dense features, mean pool."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList([SAGEConv(978, 512), SAGEConv(512, 512), SAGEConv(512, 256)])

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = x.relu()
        return global_mean_pool(x, batch, size=num_graphs)


def percentiles(values_s: list[float]) -> dict[str, float]:
    ms = np.asarray(values_s) * 1e3
    return {
        "p50": round(float(np.percentile(ms, 50)), 3),
        "p95": round(float(np.percentile(ms, 95)), 3),
        "p99": round(float(np.percentile(ms, 99)), 3),
        "mean": round(float(ms.mean()), 3),
    }


def time_latency(predictor: Predictor, sources: list[str], repeats: int) -> dict[str, dict]:
    end_to_end, parse_features, forward = [], [], []
    for _ in range(repeats):
        for source in sources:
            start = time.perf_counter()
            graph = predictor.build_graph(source)
            built = time.perf_counter()
            predictor.predict_graphs([graph])
            done = time.perf_counter()
            end_to_end.append(done - start)
            parse_features.append(built - start)
            forward.append(done - built)
    return {
        "end_to_end": percentiles(end_to_end),
        "parse_features": percentiles(parse_features),
        "forward": percentiles(forward),
    }


def time_baseline_latency(model: PlainSAGE, dense: list[Data], repeats: int) -> dict[str, float]:
    times = []
    with torch.inference_mode():
        for _ in range(repeats):
            for graph in dense:
                batch = Batch.from_data_list([graph])
                start = time.perf_counter()
                model(batch.x, batch.edge_index, batch.batch, 1)
                times.append(time.perf_counter() - start)
    return percentiles(times)


def throughput(run, items: list, batch_size: int) -> float:
    """Graphs per second of ``run(chunk)`` over all items in chunks of ``batch_size``."""
    start = time.perf_counter()
    for i in range(0, len(items), batch_size):
        run(items[i : i + batch_size])
    return round(len(items) / (time.perf_counter() - start), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="CodeContests jsonl")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the solutions")
    parser.add_argument("--limit", type=int, default=None, help="use the first N solutions")
    parser.add_argument("--device", default="cpu", help="auto, cpu, cuda, mps (default cpu)")
    args = parser.parse_args(argv)

    load_at_start = [round(v, 2) for v in os.getloadavg()]
    sources, origin = load_solutions(args.data, args.limit)
    device = resolve_device(args.device)
    torch.manual_seed(0)
    model = YantraGNN()
    predictor = Predictor(model, device=device)
    graphs = [predictor.build_graph(s) for s in sources]
    nodes = [int(g.num_nodes) for g in graphs]

    # Warm-up (allocator, kernels, caches).
    for source in sources[:20]:
        predictor.predict(source)
    latency = time_latency(predictor, sources, args.repeats)

    baseline = PlainSAGE().to(device).eval()
    dense = [
        Data(
            x=to_dense_features(g).to(device),
            edge_index=g.edge_index.to(device),
            num_nodes=g.num_nodes,
        )
        for g in graphs
    ]
    time_baseline_latency(baseline, dense[:20], 1)
    baseline_latency = time_baseline_latency(baseline, dense, args.repeats)

    def baseline_run(chunk: list[Data]) -> None:
        batch = Batch.from_data_list(chunk)
        with torch.inference_mode():
            baseline(batch.x, batch.edge_index, batch.batch, batch.num_graphs)

    rates: dict[str, dict[str, float]] = {
        "predict_batch": {},
        "forward_only": {},
        "baseline_forward_only": {},
        "ratio_forward_only": {},
    }
    for size in BATCH_SIZES:
        rates["predict_batch"][str(size)] = throughput(
            lambda chunk, size=size: predictor.predict_batch(chunk, batch_size=size), sources, size
        )
        rates["forward_only"][str(size)] = throughput(
            lambda chunk, size=size: predictor.predict_graphs(chunk, batch_size=size), graphs, size
        )
        rates["baseline_forward_only"][str(size)] = throughput(baseline_run, dense, size)
        rates["ratio_forward_only"][str(size)] = round(
            rates["forward_only"][str(size)] / rates["baseline_forward_only"][str(size)], 2
        )

    result = {
        "benchmark": "bench_latency",
        "data": origin,
        "num_solutions": len(sources),
        "repeats": args.repeats,
        "nodes_per_graph": {
            "median": statistics.median(nodes),
            "mean": round(statistics.mean(nodes), 1),
            "max": max(nodes),
        },
        "device": str(device),
        "cpu": platform.processor() or platform.machine(),
        "torch_num_threads": torch.get_num_threads(),
        "load_average_start_end": [load_at_start, [round(v, 2) for v in os.getloadavg()]],
        "torch_version": torch.__version__,
        "model": repr(model),
        "weights": "untrained (random init); latency does not depend on the weights' values",
        "latency_ms": latency,
        "baseline_forward_latency_ms": baseline_latency,
        "throughput_graphs_per_s": rates,
        "target": "< 10 ms per prediction on CPU (original spec); project aim <= 2 ms p50",
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
