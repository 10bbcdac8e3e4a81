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
import functools
import json
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch, Data
from torch_geometric.nn import SAGEConv, global_mean_pool

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_latency.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import load_solutions
from benchmarks.suite import (
    Baseline,
    Condition,
    Context,
    Measurement,
    bound_entry,
    counted_flops,
    entry,
    flops_measurement,
    median,
    percentiles_ms,
    sparse_input_flops,
    torch_threads,
)
from yantra_gnn.defaults import DEFAULT_NUM_THREADS
from yantra_gnn.device import batch_to_device, resolve_device
from yantra_gnn.graph import to_dense_features
from yantra_gnn.nn import YantraGNN
from yantra_gnn.predict import Predictor

warnings.filterwarnings("ignore", message="Sparse invariant checks")
BATCH_SIZES = (1, 8, 32, 128)


class PlainSAGE(nn.Module):
    """The reference: PyG ``SAGEConv`` 978 → 512 → 512 → 256 on dense features, mean pool."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList([SAGEConv(978, 512), SAGEConv(512, 512), SAGEConv(512, 256)])

    def node_embeddings(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """``[N, 978]`` dense features → ``[N, 256]``, ReLU between the layers."""
        for i, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = x.relu()
        return x

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        return global_mean_pool(self.node_embeddings(x, edge_index), batch, size=num_graphs)


def dense_graph(graph: Data, device: torch.device) -> Data:
    """The baseline's input: ``graph`` with dense float features, on ``device``."""
    return Data(
        x=to_dense_features(graph).to(device),
        edge_index=graph.edge_index.to(device),
        num_nodes=graph.num_nodes,
    )


def plain_forward(model: PlainSAGE, batch: Batch) -> Tensor:
    """The baseline's inference: one forward pass of ``model`` on a prepared batch."""
    with torch.inference_mode():
        return model(batch.x, batch.edge_index, batch.batch, batch.num_graphs)


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
        "end_to_end": percentiles_ms(end_to_end),
        "parse_features": percentiles_ms(parse_features),
        "forward": percentiles_ms(forward),
    }


def time_baseline_latency(model: PlainSAGE, dense: list[Data], repeats: int) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        for graph in dense:
            batch = Batch.from_data_list([graph])
            start = time.perf_counter()
            plain_forward(model, batch)
            times.append(time.perf_counter() - start)
    return percentiles_ms(times)


def throughput(run, items: list, batch_size: int) -> float:
    """Graphs per second of ``run(chunk)`` over all items in chunks of ``batch_size``."""
    start = time.perf_counter()
    for i in range(0, len(items), batch_size):
        run(items[i : i + batch_size])
    return round(len(items) / (time.perf_counter() - start), 1)


# ---------------------------------------------------------------------------- suite entries
def _shipped_predictor(context: Context, precision: str = "fp32") -> Predictor:
    """``Predictor.from_pretrained("yantra-gnn/default")`` on the run's device."""
    return Predictor.from_pretrained(
        "yantra-gnn/default", device=context.device, precision=precision
    )


def _baseline(context: Context) -> PlainSAGE:
    """The plain PyG model, seeded; latency does not depend on its weights' values."""
    torch.manual_seed(0)
    return PlainSAGE().to(context.device).eval()


@entry(
    "predict_one",
    "`Predictor.predict` of one median solution, end to end",
    target=[Condition("ratio", "<=", 0.35)],
)
def predict_one(context: Context) -> Measurement:
    """:func:`predict_one_at` in float32 (the Predictor's default)."""
    return predict_one_at(context, "fp32")


@entry(
    "predict_one_int8",
    '`Predictor.predict` of one median solution, end to end, `precision="int8"`',
    target=[Condition("ratio", "<=", 0.35)],
)
def predict_one_int8(context: Context) -> Measurement:
    """:func:`predict_one_at` with int8 node-wise products (the baseline: fp32)."""
    return predict_one_at(context, "int8")


def predict_one_at(context: Context, precision: str) -> Measurement:
    """p50 ms of ``predict`` (parse, features, forward, ``Prediction``) against the plain
    PyG forward alone on the same graph (prebuilt, dense), at 1 and 2 torch threads.

    The headline is at the Predictor's default thread count; calls of the two sides
    alternate, and p50/p95/p99 are over every call.
    """
    shipped = _shipped_predictor(context)
    baseline = _baseline(context)
    source = context.median_source
    graph = shipped.build_graph(source)
    batch = Batch.from_data_list([dense_graph(graph, context.device)])
    calls = context.repeats * (8 if context.quick else 40)
    by_threads: dict[str, dict] = {}
    for threads in (1, 2):
        predictor = Predictor(
            shipped.model, context.device, num_threads=threads, precision=precision
        )
        with torch_threads(threads):
            times = context.interleaved(
                {
                    "predict": functools.partial(predictor.predict, source),
                    "plain": lambda: plain_forward(baseline, batch),
                },
                calls,
                warmup=5,
            )
        ours, theirs = percentiles_ms(times["predict"]), percentiles_ms(times["plain"])
        by_threads[str(threads)] = {
            "predict_ms": ours,
            "plain_forward_ms": theirs,
            "ratio_p50": round(ours["p50"] / theirs["p50"], 3),
        }
    head = by_threads[str(DEFAULT_NUM_THREADS)]
    return Measurement(
        value=head["predict_ms"]["p50"],
        unit="ms (p50)",
        baseline=Baseline(
            "plain PyG SAGEConv forward alone", head["plain_forward_ms"]["p50"], "ms (p50)"
        ),
        details={
            "headline_threads": DEFAULT_NUM_THREADS,
            "by_threads": by_threads,
            "nodes": int(graph.num_nodes),
            "calls_per_side": calls,
            "model": "yantra-gnn/default (shipped)",
            "precision": precision,
            "data": context.solutions[1],
        },
        note="; ".join(
            f"{t} thread{'s' if t != '1' else ''}: predict p50/p95/p99 "
            f"{r['predict_ms']['p50']:.1f}/{r['predict_ms']['p95']:.1f}/"
            f"{r['predict_ms']['p99']:.1f} ms, plain forward "
            f"{r['plain_forward_ms']['p50']:.1f}/{r['plain_forward_ms']['p95']:.1f}/"
            f"{r['plain_forward_ms']['p99']:.1f} ms"
            for t, r in by_threads.items()
        )
        + f" ({int(graph.num_nodes)} nodes)",
    )


@entry(
    "predict_batch",
    "`Predictor.predict_batch` of 32 solutions, end to end",
    target=[Condition("ratio", ">=", 3.0)],
)
def predict_batch(context: Context) -> Measurement:
    """:func:`predict_batch_at` in float32 (the Predictor's default)."""
    return predict_batch_at(context, "fp32")


@entry(
    "predict_batch_bf16",
    '`Predictor.predict_batch` of 32 solutions, end to end, `precision="bf16"`',
    target=[Condition("ratio", ">=", 3.0)],
)
def predict_batch_bf16(context: Context) -> Measurement:
    """:func:`predict_batch_at` with the forward under bf16 autocast (the baseline: fp32)."""
    return predict_batch_at(context, "bf16")


@entry(
    "predict_batch_int8",
    '`Predictor.predict_batch` of 32 solutions, end to end, `precision="int8"`',
    target=[Condition("ratio", ">=", 3.0)],
)
def predict_batch_int8(context: Context) -> Measurement:
    """:func:`predict_batch_at` with int8 node-wise products (the baseline: fp32)."""
    return predict_batch_at(context, "int8")


def predict_batch_at(context: Context, precision: str) -> Measurement:
    """Graphs per second of ``predict_batch`` at batch 32 (sources in, predictions out)
    against the plain forward alone on the same 32 graphs, batched and dense beforehand.

    The 32 solutions are spread evenly over the size order; both sides run at the
    Predictor's default thread count. ``predict_graphs`` on the prebuilt graphs (the
    library's forward without parsing) is timed in the same rounds, for the details.
    """
    size = 32
    predictor = _shipped_predictor(context, precision)
    baseline = _baseline(context)
    sources = context.spread(size)
    graphs = [predictor.build_graph(s) for s in sources]
    batch = Batch.from_data_list([dense_graph(g, context.device) for g in graphs])
    with torch_threads(DEFAULT_NUM_THREADS):
        times = context.interleaved(
            {
                "predict_batch": lambda: predictor.predict_batch(sources, batch_size=size),
                "plain": lambda: plain_forward(baseline, batch),
                "predict_graphs": lambda: predictor.predict_graphs(graphs, batch_size=size),
            },
            context.repeats if context.quick else 3 * context.repeats,
        )
    rate = {name: size / median(seconds) for name, seconds in times.items()}
    return Measurement(
        value=rate["predict_batch"],
        unit="graphs/s",
        baseline=Baseline("plain PyG SAGEConv forward alone", rate["plain"], "graphs/s"),
        details={
            "batch_size": size,
            "threads": DEFAULT_NUM_THREADS,
            "nodes": int(sum(int(g.num_nodes) for g in graphs)),
            "graphs_per_s": {name: round(r, 1) for name, r in rate.items()},
            "model": "yantra-gnn/default (shipped)",
            "precision": precision,
            "data": context.solutions[1],
        },
        note=f"{rate['predict_batch']:.0f} graphs/s end to end, "
        f"{rate['predict_graphs']:.0f} forward only (prebuilt graphs), plain forward "
        f"{rate['plain']:.0f} ({batch.num_nodes} nodes per batch)",
    )


@bound_entry(
    "predict_flops",
    "floating-point operations of the forward on the 32 solutions of `predict_batch` (counted)",
)
def predict_flops(context: Context) -> Measurement:
    """GFLOP of the shipped model's forward (every head) on the 32 graphs of
    ``predict_batch``, against the plain forward's on the same graphs. The ratio bounds
    what ``predict_batch``'s forward can gain in one precision, and its inverse what
    ``predict_one``'s can: the 512-wide layers are the same on both sides, so only fewer
    operations or a faster number format move it."""
    predictor = _shipped_predictor(context)
    baseline = _baseline(context)
    graphs = [predictor.build_graph(s) for s in context.spread(32)]
    ours_batch = Batch.from_data_list(graphs)
    dense = Batch.from_data_list([dense_graph(g, context.device) for g in graphs])

    def forward() -> object:
        with torch.inference_mode():
            return predictor.model(batch_to_device(ours_batch, predictor.device))

    ours = counted_flops(forward) + sparse_input_flops(predictor.model, ours_batch.x)
    plain = counted_flops(lambda: plain_forward(baseline, dense))
    return flops_measurement(
        ours,
        plain,
        "plain PyG SAGEConv forward alone",
        "GFLOP",
        {"graphs": len(graphs), "nodes": int(ours_batch.num_nodes)},
        f"{int(ours_batch.num_nodes)} nodes: {ours / 1e9:.2f} against {plain / 1e9:.2f} "
        f"GFLOP; in one precision the forward cannot pass {plain / ours:.2f}x the plain "
        f"one's speed, nor a single prediction go below {ours / plain:.2f}x its time",
    )


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
    dense = [dense_graph(g, device) for g in graphs]
    time_baseline_latency(baseline, dense[:20], 1)
    baseline_latency = time_baseline_latency(baseline, dense, args.repeats)

    def baseline_run(chunk: list[Data]) -> None:
        plain_forward(baseline, Batch.from_data_list(chunk))

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
