"""Peak memory of training on sharded graphs (``yantra_gnn.data.shards``) as the data grows
from 10k to 1M graphs, next to the same data held in memory (``LabelledGraphs``, as
``CodeContestsDataset`` holds a split). Not a test; run it by hand (about 20 minutes on
a loaded 2-core machine with ``--steps 20``):

    nice -n 5 python benchmarks/bench_sharded_memory.py [--data DIR] [--steps 200]

The graphs are real: the training split of a prepared dataset (``--data``, processed
by ``CodeContestsDataset``; default ``/tmp/res/DATA``, the shared 200-problem sample
prepared with ``yantra-gnn download --from ../shared/data/codecontests_mini.jsonl``),
else the bundled sample's solutions and incorrect solutions (labelled by how they were
written, no sandbox runs). They are replicated to each size, each copy a new set of
problems (group ids shifted, names ``NAME#k``), and written as shards under
``--workdir`` (deleted afterwards unless ``--keep``):

- one shard of ``R`` copies (``R * source graphs`` about ``--graphs-per-shard``) is
  written by ``ShardWriter`` (timed: the writer's throughput);
- the other shards differ from it only in their stored ``group`` labels, so they are
  that shard with the group labels shifted, hashed and written atomically, with the
  manifest made as ``ShardWriter.close`` makes it (writing 1M graphs through the
  encoder would take about half an hour on 2 cores). The benchmark checks once that a
  shard made this way is byte-identical to the one ``ShardWriter`` writes for the same
  copies (``replicated_shard_matches_writer``).

Each measurement runs in a fresh child process (its peak RSS is ``ru_maxrss``): a
training loop of ``--steps`` steps of the default ``YantraGNN`` with the trainer's
``MultiTaskLoss`` (forward, loss, backward, gradient clipping, AdamW), reading batches
of ``--batch-size`` (``per_group`` 4) from ``ShardedGraphs.loader()``, or, for the
in-memory baseline, from all the shards decoded into memory first and batched by
``GroupBatchSampler`` (what ``create_dataloaders`` does). Sizes whose in-memory
baseline would not fit (``--baseline-max``) are left out of it with the estimate. A
full pass over the smallest set (data only, no model) is timed for both, and a full
training epoch projected from the measured step time (``--full-pass-train`` runs it).

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DATA = Path("/tmp/res/DATA")
DEFAULT_WORKDIR = Path("/tmp/yantra-shard-bench")


def _rss_mb() -> float | None:
    """The current resident set size in MB (``psutil``, else ``/proc/self/statm``)."""
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        try:
            pages = int(Path("/proc/self/statm").read_text().split()[1])
            return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError):
            return None


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --------------------------------------------------------------------- the source graphs
def source_graphs(data: Path):
    """The real graphs to replicate: a prepared split, else the bundled sample's."""
    from yantra_gnn.data.dataset import CodeContestsDataset, ProgramGraphs

    if (data / "train.jsonl").exists():
        dataset = CodeContestsDataset(data, "train", progress=False)
        return dataset, f"CodeContestsDataset({str(data)!r}, 'train')"
    from yantra_gnn.datasets.codecontests import bundled_sample_path
    from yantra_gnn.labels.labelling import LabelledProgram, imported_modules, python3_sources
    from yantra_gnn.labels.mutate import BUG_CLASSES

    programs = []
    for line in bundled_sample_path().read_text().splitlines():
        row = json.loads(line)
        for block, origin, confidence in (
            ("solutions", "solution", 1.0),
            ("incorrect_solutions", "incorrect_solution", 0.0),
        ):
            for source in python3_sources(row[block]):
                imports = tuple(sorted(imported_modules(source)))
                known = origin == "solution"
                programs.append(
                    LabelledProgram(
                        row["name"], source, origin, block, confidence, known, (), None, imports, ""
                    )
                )
    vocab = ("collections", "heapq", "math", "sys")
    dataset = ProgramGraphs(programs, vocab, BUG_CLASSES, name="bundled sample", progress=False)
    return dataset, "the bundled sample's solutions and incorrect solutions (no sandbox labels)"


def _replica_items(dataset, copies: range):
    """``(item, None)`` of each copy of ``dataset``, group by group (groups shifted)."""
    groups = len(dataset.group_names)
    order = sorted(range(len(dataset)), key=lambda i: dataset.groups[i])
    for copy in copies:
        for index in order:
            item = dataset._items[index]
            yield {**item, "group": item["group"] + copy * groups}


def write_template(dataset, workdir: Path, copies_per_shard: int) -> dict[str, Any]:
    """Shard 0 (copies ``0..R-1``) by ``ShardWriter``, and the check that a shard made by
    shifting its group labels equals what the writer makes for copies ``R..2R-1``."""
    from yantra_gnn.data.shards import ShardWriter

    groups = len(dataset.group_names)
    per_shard = copies_per_shard * len(dataset)
    names = [
        f"{name}#{copy}" for copy in range(2 * copies_per_shard) for name in dataset.group_names
    ]
    directory = workdir / "template"
    start = time.perf_counter()
    writer = ShardWriter(
        directory,
        import_vocab=dataset.import_vocab,
        bug_classes=dataset.bug_classes,
        group_names=names,
        graphs_per_shard=per_shard,
        overwrite=True,
    )
    for item in _replica_items(dataset, range(2 * copies_per_shard)):
        writer.add(item)
    manifest = writer.close()
    seconds = time.perf_counter() - start
    template = (directory / manifest.shards[0].file).read_bytes()
    shifted = shift_groups(template, copies_per_shard * groups)
    written = (directory / manifest.shards[1].file).read_bytes()
    return {
        "template": template,
        "manifest": manifest,
        "graphs_per_shard": per_shard,
        "writer_graphs_per_second": 2 * per_shard / seconds,
        "replicated_shard_matches_writer": shifted == written,
    }


def shift_groups(shard: bytes, offset: int) -> bytes:
    """A shard's bytes with every stored ``group`` label plus ``offset``."""
    import torch

    state = torch.load(io.BytesIO(shard), weights_only=True)
    labels = state["graphs"]["labels"]
    labels["group"] = labels["group"] + offset
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def write_set(
    source: dict[str, Any], template: dict[str, Any], directory: Path, copies: int
) -> dict[str, Any]:
    """``copies`` copies of the source graphs (``source``: their count and group names)
    as shards in ``directory`` (see the module doc)."""
    from yantra_gnn.data.shards import MANIFEST_NAME, ShardInfo, ShardManifest, shard_name
    from yantra_gnn.files import atomic_write, atomic_write_text

    first = template["manifest"]
    per = copies // (template["graphs_per_shard"] // source["graphs"])
    groups_per_shard = len(first.shards[0].groups)
    directory.mkdir(parents=True, exist_ok=True)
    infos = []
    start = time.perf_counter()
    for index in range(per):
        data = shift_groups(template["template"], index * groups_per_shard)
        name = shard_name(index)
        atomic_write(directory / name, data)
        shard_groups = [g + index * groups_per_shard for g in first.shards[0].groups]
        infos.append(
            ShardInfo(
                name,
                first.shards[0].graphs,
                shard_groups,
                hashlib.sha256(data).hexdigest(),
                len(data),
            )
        )
    counts = first.label_counts  # of two template shards
    scale = per / 2

    def scaled(value: Any) -> Any:
        if isinstance(value, list):
            return [round(v * scale) for v in value]
        if isinstance(value, dict):
            return {k: round(v * scale) for k, v in value.items()}
        return round(value * scale)

    manifest = ShardManifest(
        format=first.format,
        feature_spec_version=first.feature_spec_version,
        graphs=sum(i.graphs for i in infos),
        graphs_per_shard=first.graphs_per_shard,
        import_vocab=first.import_vocab,
        bug_classes=first.bug_classes,
        group_names=[f"{name}#{c}" for c in range(copies) for name in source["group_names"]],
        source_fingerprint=None,
        programs=False,
        label_counts={k: scaled(v) for k, v in counts.items()},
        shards=infos,
    )
    atomic_write_text(directory / MANIFEST_NAME, json.dumps(manifest.to_json()))
    return {
        "graphs": manifest.graphs,
        "shards": len(infos),
        "bytes": sum(i.bytes for i in infos),
        "write_seconds": time.perf_counter() - start,
    }


# --------------------------------------------------------------------- the child
def child(args: argparse.Namespace) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import torch

    from yantra_gnn.data.loader import GroupBatchSampler
    from yantra_gnn.data.shards import Shard, ShardedGraphs
    from yantra_gnn.nn import ModelConfig, YantraGNN
    from yantra_gnn.train.losses import LossWeights, MultiTaskLoss, positive_weights_from_counts

    torch.manual_seed(0)
    result: dict[str, Any] = {"mode": args.child, "rss_mb_after_imports": _rss_mb()}
    sharded = ShardedGraphs(args.shards, batch_size=args.batch_size, per_group=4, seed=0)
    manifest = sharded.manifest
    start = time.perf_counter()
    if args.child == "memory":
        items = []
        for index in range(len(manifest.shards)):
            items += sharded.read_shard(index)._items
        dataset = Shard(-1, items, [], manifest)
        sampler = GroupBatchSampler(dataset.groups, args.batch_size, per_group=4, seed=0)
        from torch_geometric.loader import DataLoader

        loader = DataLoader(dataset, batch_sampler=sampler)
        result["load_seconds"] = time.perf_counter() - start
        result["rss_mb_after_load"] = _rss_mb()
    else:
        loader = sharded.loader()
    if args.pass_only:
        start = time.perf_counter()
        batches = graphs = 0
        for batch in loader:
            batches += 1
            graphs += batch.num_graphs
        result.update(
            pass_seconds=time.perf_counter() - start,
            batches=batches,
            graphs=graphs,
            peak_rss_mb=_peak_rss_mb(),
        )
        return result
    counts = manifest.label_counts
    model = YantraGNN(
        ModelConfig(import_vocab=sharded.import_vocab, bug_classes=sharded.bug_classes)
    )
    loss_fn = MultiTaskLoss(
        LossWeights(),
        import_pos_weight=positive_weights_from_counts(counts["imports_positive"], manifest.graphs),
        bug_pos_weight=positive_weights_from_counts(counts["bugs_positive"], counts["bug_known"]),
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    model.train()
    step_seconds: list[float] = []
    rss_curve: list[tuple[int, float | None]] = []
    losses = []
    steps = args.steps if args.steps > 0 else math.inf
    tick = time.perf_counter()
    for step, batch in enumerate(loader, 1):
        output = model(batch)
        loss, _ = loss_fn(output, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        now = time.perf_counter()
        step_seconds.append(now - tick)
        tick = now
        if step % max(1, args.steps // 10 if args.steps > 0 else 20) == 0 or step == 1:
            rss_curve.append((step, _rss_mb()))
        if step >= steps:
            break
    result.update(
        steps=len(step_seconds),
        median_step_seconds=statistics.median(step_seconds),
        first_loss=losses[0],
        last_loss=losses[-1],
        rss_mb_by_step=rss_curve,
        peak_rss_mb=_peak_rss_mb(),
        batches_per_epoch=len(loader),
    )
    return result


def run_child(mode: str, shards: Path, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--shards",
        str(shards),
        "--steps",
        str(extra.get("steps", args.steps)),
        "--batch-size",
        str(args.batch_size),
    ]
    if extra.get("pass_only"):
        command.append("--pass-only")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"mode": mode, "error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------- the driver
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a prepared dataset")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="graphs per set (about), comma-separated"
    )
    parser.add_argument("--steps", type=int, default=200, help="training steps per measurement")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--graphs-per-shard", type=int, default=4096, help="about (copies)")
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="largest size measured in memory too (1M graphs take ~40 GB there)",
    )
    parser.add_argument(
        "--full-pass-train",
        action="store_true",
        help="train a full epoch over the smallest set (else only the data pass is timed)",
    )
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--keep", action="store_true", help="keep the shards")
    parser.add_argument("--child", choices=("sharded", "memory"), help=argparse.SUPPRESS)
    parser.add_argument("--shards", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--pass-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args)))
        return 0

    import logging

    logging.basicConfig(level=logging.WARNING)
    dataset, origin = source_graphs(args.data)
    copies_per_shard = max(1, round(args.graphs_per_shard / len(dataset)))
    args.workdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "source": origin,
        "source_graphs": len(dataset),
        "source_problems": len(dataset.group_names),
        "in_memory_bytes_per_graph": dataset.stored_bytes_per_graph,
        "batch_size": args.batch_size,
        "steps": args.steps,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "command": " ".join([sys.executable, *sys.argv]),
    }
    template = write_template(dataset, args.workdir, copies_per_shard)
    report.update(
        graphs_per_shard=template["graphs_per_shard"],
        shard_writer_graphs_per_second=template["writer_graphs_per_second"],
        replicated_shard_matches_writer=template["replicated_shard_matches_writer"],
    )
    source_info = {"graphs": len(dataset), "group_names": list(dataset.group_names)}
    del dataset  # the children load what they read; the driver keeps nothing large
    sizes = []
    smallest: Path | None = None
    for target in [int(s) for s in args.sizes.split(",")]:
        copies = max(2, math.ceil(target / report["source_graphs"] / copies_per_shard))
        copies *= copies_per_shard
        directory = args.workdir / f"set-{target}"
        written = write_set(source_info, template, directory, copies)
        entry: dict[str, Any] = {"target": target, **written}
        entry["sharded"] = run_child("sharded", directory, args)
        if target <= args.baseline_max:
            entry["in_memory"] = run_child("memory", directory, args)
        else:
            entry["in_memory"] = {
                "skipped": f"estimated {written['graphs'] * report['in_memory_bytes_per_graph'] / 2**30:.1f} "
                "GiB of graph tensors alone, more than this machine's memory"
            }
        sizes.append(entry)
        print(json.dumps({"progress": entry}), file=sys.stderr, flush=True)
        if smallest is None:
            smallest = directory
            pass_steps = 0 if args.full_pass_train else args.steps
            report["full_pass_smallest_set"] = {
                "graphs": written["graphs"],
                "sharded_data_only": run_child("sharded", directory, args, pass_only=True),
                "in_memory_data_only": run_child("memory", directory, args, pass_only=True),
            }
            if args.full_pass_train:
                report["full_pass_smallest_set"]["sharded_training"] = run_child(
                    "sharded", directory, args, steps=pass_steps
                )
        elif not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    report["sizes"] = sizes
    full = report["full_pass_smallest_set"]
    step = sizes[0]["sharded"].get("median_step_seconds")
    batches = sizes[0]["sharded"].get("batches_per_epoch")
    if step and batches:
        full["projected_training_epoch_seconds"] = step * batches
        full["projected_from"] = f"{batches} batches x median step {step:.2f} s"
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
