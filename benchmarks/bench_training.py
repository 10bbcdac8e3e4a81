"""Training speed: the library's model and loss against a plain PyG model with the same
heads and losses, on real labelled graphs.

The suite's entries ``train_step`` (one step on a batch of 32) and ``train_epoch`` (an
epoch of 8,000 graphs). The data is the library's labelled training split of the
benchmarks' problems (:attr:`benchmarks.suite.Context.train_set`: the shared
CodeContests sample labelled in the sandbox, cached under ``~/.yantra/datasets``),
batched as the Trainer batches it (``GroupBatchSampler``, batch 32, 4 programs of a
problem together). A step is the Trainer's: forward, ``MultiTaskLoss``, backward,
gradient clipping, AdamW with the Trainer's default settings, at the Trainer's default
number of torch threads (``TrainConfig().num_threads``) unless ``--threads`` says
otherwise.

The baseline, :class:`PlainSAGEModel`, is ``YantraGNN`` with its encoder replaced by
the plain PyG ``SAGEConv`` stack 978 → 512 → 512 → 256 of ``bench_latency.PlainSAGE``
over ``edge_index`` and dense float features; pooling, heads and losses are the same.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from benchmarks.bench_latency import PlainSAGE
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
    sparse_input_flops,
    torch_threads,
)
from yantra_gnn.data.dataset import CodeContestsDataset
from yantra_gnn.data.loader import GroupBatchSampler
from yantra_gnn.device import batch_to_device, precision_context
from yantra_gnn.graph import to_dense_features
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.train import TrainConfig
from yantra_gnn.train.losses import MultiTaskLoss, split_positive_weights, training_loss

#: Graphs in the epoch of ``train_epoch`` (the issue's 8,000), and in ``--quick``.
EPOCH_GRAPHS = 8000
QUICK_EPOCH_GRAPHS = 96


class _PlainEncoder(nn.Module):
    """``PlainSAGE``'s convolutions where ``YantraGNN`` expects its encoder."""

    def __init__(self) -> None:
        super().__init__()
        self.plain = PlainSAGE()

    def forward(self, x: Tensor, edge_indices: list[Tensor]) -> Tensor:
        return self.plain.node_embeddings(x, edge_indices[0])


class PlainSAGEModel(YantraGNN):
    """The baseline: plain PyG ``SAGEConv`` over ``edge_index`` and dense features, with
    ``YantraGNN``'s pooling and heads (so the same ``MultiTaskLoss`` applies)."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__(config)
        self.encoder = _PlainEncoder()  # type: ignore[assignment]

    def adjacency(
        self, edge_index: Tensor, edge_type: Tensor | None, num_nodes: int
    ) -> list[Tensor]:
        return [edge_index]  # PyG's own scatter over edge_index, no CSR adjacency


def dense_batch(batch: Batch) -> Batch:
    """The baseline's input: ``batch`` with its node features as a dense float matrix."""
    dense = copy.copy(batch)
    dense.x = to_dense_features(batch)
    return dense


@dataclass
class Side:
    """A model with its loss and optimizer, stepped as the Trainer steps."""

    model: YantraGNN
    loss: MultiTaskLoss
    optimizer: torch.optim.Optimizer
    grad_clip: float
    precision: str = "fp32"

    def step(self, batch: Batch) -> float:
        """One training step (forward, losses, backward, clipping, optimizer); the loss."""
        self.model.train()
        with precision_context(self.precision, batch.x.device):
            total, _ = self.loss(self.model(batch), batch)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        return float(total.detach())


def sides(
    context: Context, dataset: CodeContestsDataset, precision: str = "fp32"
) -> dict[str, Side]:
    """The library's model (at ``precision``) and the baseline (fp32), set up as the
    Trainer sets up a run."""
    settings = TrainConfig()
    config = ModelConfig(import_vocab=dataset.import_vocab, bug_classes=dataset.bug_classes)
    loss = training_loss(settings, *split_positive_weights(dataset)).to(context.device)
    made = {}
    for name, kind in (("ours", YantraGNN), ("plain", PlainSAGEModel)):
        torch.manual_seed(settings.seed)
        model = kind(config).to(context.device)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
        )
        made[name] = Side(
            model, loss, optimizer, settings.grad_clip, precision if name == "ours" else "fp32"
        )
    return made


def trainer_batches(dataset: CodeContestsDataset, graphs: int, batch_size: int) -> list[list[int]]:
    """``graphs`` items in the Trainer's batches: its sampler's epochs one after another
    (the dataset replicated as often as needed), the last batch cut to fit."""
    settings = TrainConfig()
    sampler = GroupBatchSampler(
        dataset.groups, batch_size, per_group=settings.per_group, seed=settings.seed
    )
    batches: list[list[int]] = []
    left, epoch = graphs, 0
    while left > 0:
        sampler.set_epoch(epoch)
        for batch in sampler:
            batches.append(batch[:left])
            left -= len(batches[-1])
            if left == 0:
                break
        epoch += 1
    return batches


def median_batch(dataset: CodeContestsDataset) -> tuple[list[int], list[int]]:
    """``(indices, node counts of all full batches)``: the full batch of 32 of median
    node count among the Trainer's first epoch's (batch sizes vary tenfold with the
    programs' lengths)."""
    full = [b for b in trainer_batches(dataset, len(dataset), 32) if len(b) == 32]
    sizes = [sum(int(dataset[i].num_nodes) for i in b) for b in full]
    return full[sorted(range(len(full)), key=sizes.__getitem__)[len(full) // 2]], sizes


def step_flops(side: Side, batch: Batch) -> int:
    """Floating-point operations of one training step of ``side`` on ``batch``
    (:func:`~benchmarks.suite.counted_flops` plus the sparse products of a sparse ``x``,
    forward and weight gradient)."""
    return counted_flops(lambda: side.step(batch)) + sparse_input_flops(side.model, batch.x, 2)


def _nodes(batch: Batch) -> int:
    return int(batch.num_nodes)


@entry(
    "train_step",
    "training step, batch of 32 real graphs: `YantraGNN` + `MultiTaskLoss`",
    target=[Condition("ratio", ">=", 3.0)],
    ratio_of="baseline/value",
)
def train_step(context: Context) -> Measurement:
    """:func:`train_step_at` in float32 (the Trainer's default)."""
    return train_step_at(context, "fp32")


@entry(
    "train_step_bf16",
    'training step, batch of 32 real graphs, `precision="bf16"` (baseline: fp32)',
    target=[Condition("ratio", ">=", 3.0)],
    ratio_of="baseline/value",
)
def train_step_bf16(context: Context) -> Measurement:
    """:func:`train_step_at` with forward and losses under bf16 autocast."""
    return train_step_at(context, "bf16")


def train_step_at(context: Context, precision: str) -> Measurement:
    """Milliseconds per step on a batch of 32 as the Trainer makes them, against the
    baseline stepping the same batch (dense features made beforehand).

    The batch is the one of median node count among the full batches of the Trainer's
    first epoch (batch sizes vary tenfold with the programs' lengths).
    """
    dataset = context.train_set
    indices, sizes = median_batch(dataset)
    batch = batch_to_device(Batch.from_data_list([dataset[i] for i in indices]), context.device)
    plain_batch = dense_batch(batch)
    made = sides(context, dataset, precision)
    threads = context.training_threads
    with torch_threads(threads):
        times = context.interleaved(
            {
                "ours": lambda: made["ours"].step(batch),
                "plain": lambda: made["plain"].step(plain_batch),
            },
            context.repeats,
        )
    ours_ms, plain_ms = median(times["ours"]) * 1e3, median(times["plain"]) * 1e3
    return Measurement(
        value=ours_ms,
        unit="ms/step",
        baseline=Baseline("plain PyG SAGEConv, same heads and losses", plain_ms, "ms/step"),
        details={
            "graphs": len(indices),
            "nodes": _nodes(batch),
            "nodes_of_the_epoch_batches": {"min": min(sizes), "max": max(sizes)},
            "edges": int(batch.edge_index.size(1)),
            "threads": threads,
            "precision": precision,
            "rounds": context.repeats,
            **context.train_origin,
        },
        note=f"{_nodes(batch)} nodes in the batch, {threads} thread(s): {ours_ms:.0f} ms "
        f"against {plain_ms:.0f} ms",
    )


@bound_entry(
    "train_step_flops",
    "floating-point operations of a training step, batch of 32 real graphs (counted)",
)
def train_step_flops(context: Context) -> Measurement:
    """GFLOP per training step on :func:`median_batch`, against the baseline's on the
    same batch. Their ratio bounds ``train_step``'s ratio in one precision: both sides
    run the same 512-wide layers, heads and losses, and only the first layer differs
    (sparse here, a dense 978-wide product there), so no faster kernel for the shared
    part moves the ratio above it; only fewer operations or a faster number format
    (``train_step_bf16``) can."""
    dataset = context.train_set
    indices, _ = median_batch(dataset)
    batch = batch_to_device(Batch.from_data_list([dataset[i] for i in indices]), context.device)
    made = sides(context, dataset)
    with torch_threads(context.training_threads):
        ours = step_flops(made["ours"], batch)
        plain = step_flops(made["plain"], dense_batch(batch))
    return flops_measurement(
        ours,
        plain,
        "plain PyG SAGEConv, same heads and losses",
        "GFLOP/step",
        {"graphs": len(indices), "nodes": _nodes(batch)},
        f"{_nodes(batch)} nodes: {ours / 1e9:.1f} against {plain / 1e9:.1f} GFLOP; "
        f"train_step's ratio cannot pass {plain / ours:.2f}x in one precision",
    )


@entry(
    "train_epoch",
    f"one training epoch of {EPOCH_GRAPHS:,} real graphs (batch 32)",
    target=[Condition("ratio", ">=", 3.0), Condition("value", "<=", 60.0, "s")],
    ratio_of="baseline/value",
)
def train_epoch(context: Context) -> Measurement:
    """Seconds per epoch of 8,000 graphs (the labelled split replicated to the count).

    Each batch comes from the library's ``DataLoader`` (unpacking the stored graphs,
    batching), then each side steps it, the order alternating batch by batch; the
    baseline's time includes making the batch's features dense. An epoch's time is the
    loading plus that side's steps, cold start included (fresh models, as a run's first
    epoch). ``--quick`` runs the first
    :data:`QUICK_EPOCH_GRAPHS` graphs of the epoch and projects both sides to 8,000.
    """
    dataset = context.train_set
    graphs = QUICK_EPOCH_GRAPHS if context.quick else EPOCH_GRAPHS
    batches = trainer_batches(dataset, graphs, 32)
    made = sides(context, dataset)
    loader = DataLoader(dataset, batch_sampler=batches)
    seconds = {"load": 0.0, "ours": 0.0, "plain": 0.0}
    steps: dict[str, list[float]] = {"ours": [], "plain": []}
    nodes = 0
    iterator = iter(loader)
    threads = context.training_threads
    with torch_threads(threads):
        for index in range(len(batches)):
            load_s, batch = context.measure(lambda: batch_to_device(next(iterator), context.device))
            seconds["load"] += load_s
            nodes += _nodes(batch)
            runs = {
                "ours": lambda batch=batch: made["ours"].step(batch),
                "plain": lambda batch=batch: made["plain"].step(dense_batch(batch)),
            }
            for name in ("ours", "plain") if index % 2 == 0 else ("plain", "ours"):
                steps[name].append(context.timed(runs[name]))
                seconds[name] += steps[name][-1]
    scale = EPOCH_GRAPHS / graphs
    ours_s = (seconds["load"] + seconds["ours"]) * scale
    plain_s = (seconds["load"] + seconds["plain"]) * scale
    measured = f"{graphs:,} graphs measured" + (
        f", projected to {EPOCH_GRAPHS:,} (--quick)" if graphs != EPOCH_GRAPHS else ""
    )
    return Measurement(
        value=ours_s,
        unit="s/epoch",
        baseline=Baseline("plain PyG SAGEConv, same heads and losses", plain_s, "s/epoch"),
        details={
            "graphs_measured": graphs,
            "projected_to": EPOCH_GRAPHS if graphs != EPOCH_GRAPHS else None,
            "batches": len(batches),
            "nodes_per_graph_mean": round(nodes / graphs, 1),
            "replicas_of_the_split": round(graphs / len(dataset), 2),
            "seconds_measured": {k: round(v, 2) for k, v in seconds.items()},
            "median_step_ms": {k: round(median(v) * 1e3, 1) for k, v in steps.items()},
            "threads": threads,
            **context.train_origin,
        },
        note=f"{measured}; loading {seconds['load'] * scale:.1f} s of each epoch, "
        f"steps {seconds['ours'] * scale:.0f} s (ours) and {seconds['plain'] * scale:.0f} s "
        "(plain, densifying included)",
    )
