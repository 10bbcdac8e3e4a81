"""Bytes per graph and load time of the dataset cache: format 1 (a pickled list of
per-graph tensor dicts) against format 2 (the current one: concatenated, compressed
arrays), on the same graphs. Not a test (pytest does not collect it); run it by hand:

    python benchmarks/bench_cache_format.py [--data ../shared/data/codecontests_mini.jsonl]

The graphs are those a CodeContests split holds, made without sandbox runs: every
Python 3 solution of ``--data``, its first ``--mutants`` sampled mutants and first
``--rewrites`` rewrites, built by :func:`~yantra_gnn.data.dataset.graph_items` (their
labels come from how each was made, not from running it: a mutant is stored as
incorrect unverified; labels take a few bytes, so the sizes hardly depend on them; the
suite's entries use the sandbox-labelled split). ``--solutions-only`` keeps only the
solutions (distinct programs: nothing for the compression to share between neighbours).
``--cache FILE`` takes the graphs of a split's cache instead (``DIR/processed/train-KEY.pt``
of a ``CodeContestsDataset``).

Each load is the whole of ``CodeContestsDataset._load_cache`` (SHA-256 check, read,
decode, programs, ``validate_items``); format 1's is the code of that method before
format 2. The loads alternate between the formats (the first of each pair alternating
too), ``--repeats`` of each; the medians are what to quote on a shared machine.

The suite's entries ``dataset_bytes`` (file bytes per graph of the current format
against format 1, on the labelled training split) and ``dataset_load`` (loading that
file, against loading format 1's) are :func:`dataset_bytes` and :func:`dataset_load`.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_cache_format.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.suite import Baseline, Condition, Context, Measurement, entry, median
from yantra_gnn.data.dataset import (
    CodeContestsDataset,
    LabelledGraphs,
    _identical,
    digest_path,
    encode_items,
    file_sha256,
    graph_items,
    validate_items,
)
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules, python3_sources
from yantra_gnn.labels.mutate import BUG_CLASSES, sample_mutants
from yantra_gnn.labels.rewrite import rewrites

DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "codecontests_mini.jsonl"


def programs_of(path: Path, mutants: int, rewritten: int) -> list[LabelledProgram]:
    """Each Python 3 solution of ``path``, then its mutants and rewrites (as a split
    orders them: a problem's programs together)."""
    programs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for source in python3_sources(row.get("solutions")):
            imports = tuple(sorted(imported_modules(source)))
            made = [("solution", source, (), None)]
            for mutant in sample_mutants(source, per_class=1, seed=0)[:mutants]:
                made.append(("mutant", mutant.source, (mutant.bug_class,), mutant.span))
            for rewrite in rewrites(source)[:rewritten]:
                made.append(("rewrite", rewrite.source, (), None))
            for origin, code, bugs, span in made:
                confidence = 0.0 if origin == "mutant" else 1.0
                programs.append(
                    LabelledProgram(
                        row["name"], code, origin, origin, confidence, True, bugs, span, imports, ""
                    )
                )
    return programs


def save_format_1(
    path: Path,
    vocab: list[str],
    classes: Sequence[str],
    groups: list[str],
    items: list,
    programs: list,
) -> None:
    """The cache as format 1 wrote it: every item's tensors pickled one by one, each its
    own storage (as :func:`graph_items` makes them; loaded items are views of a few
    arrays, which ``torch.save`` would write once)."""
    items = [{name: tensor.clone() for name, tensor in item.items()} for item in items]
    old = {
        "import_vocab": vocab,
        "bug_classes": list(classes),
        "group_names": groups,
        "label_stats": {"graphs": len(items)},
        "items": items,
        "programs": [json.dumps(p.to_json()) for p in programs],
    }
    torch.save(old, path)
    digest_path(path).write_text(f"{file_sha256(path)}  {path.name}\n")


def load_format_1(path: Path) -> tuple[list, list]:
    """``_load_cache`` of format 1 (its digest check, read, programs and item checks)."""
    saved = digest_path(path).read_text().split()[0]
    if saved != file_sha256(path):
        raise RuntimeError("digest mismatch")
    state = torch.load(path, weights_only=True)
    items = state["items"]
    programs = [LabelledProgram.from_json(json.loads(p)) for p in state["programs"]]
    sizes = (len(state["import_vocab"]), len(state["bug_classes"]), len(state["group_names"]))
    validate_items(items, *sizes)
    return items, programs


def saved_size(value: object) -> int:
    """Bytes of ``torch.save(value)``."""
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.tell()


def bare_dataset(path: Path) -> CodeContestsDataset:
    """A ``CodeContestsDataset`` that only knows its cache file (no raw files needed)."""
    dataset = CodeContestsDataset.__new__(CodeContestsDataset)
    LabelledGraphs.__init__(dataset)
    dataset.split, dataset._root = "train", path.parent.parent
    dataset.cache_key, dataset.cache_path = "benchmark", path
    return dataset


def _split_files(context: Context, folder: Path) -> tuple[Path, Path, int]:
    """The labelled training split written in both formats under ``folder``:
    ``(format 2 file, format 1 file, graphs)``."""
    dataset = context.train_set
    processed = folder / "processed"
    processed.mkdir()
    new_path, old_path = processed / "train-v2.pt", processed / "train-v1.pt"
    writer = bare_dataset(new_path)
    writer.import_vocab, writer.bug_classes = dataset.import_vocab, dataset.bug_classes
    writer.group_names, writer.label_stats = dataset.group_names, {"graphs": len(dataset)}
    writer._items, writer.programs = dataset._items, dataset.programs
    writer._save()
    save_format_1(
        old_path,
        list(dataset.import_vocab),
        dataset.bug_classes,
        dataset.group_names,
        dataset._items,
        dataset.programs,
    )
    return new_path, old_path, len(dataset)


@entry(
    "dataset_bytes",
    "dataset cache file bytes per graph (format 2), labelled training split",
    target=[Condition("value", "<=", 20.0, "kB")],
)
def dataset_bytes(context: Context) -> Measurement:
    """File bytes per graph of the split's cache, against the same split in format 1."""
    with tempfile.TemporaryDirectory() as folder:
        new_path, old_path, graphs = _split_files(context, Path(folder))
        new, old = new_path.stat().st_size / graphs, old_path.stat().st_size / graphs
    memory = context.train_set.stored_bytes_per_graph
    return Measurement(
        value=new / 1000,
        unit="kB/graph",
        baseline=Baseline("format 1 (per-graph tensors pickled)", old / 1000, "kB/graph"),
        details={
            "graphs": graphs,
            "file_bytes_per_graph": round(new),
            "format_1_file_bytes_per_graph": round(old),
            "in_memory_bytes_per_graph": round(memory),
            **context.train_origin,
        },
        note=f"{graphs} labelled graphs; in memory once loaded {memory / 1000:.1f} kB/graph "
        "(the tensors the loader batches)",
    )


@entry(
    "dataset_load",
    "loading the dataset cache (digest, read, decode, checks), labelled training split",
    target=[Condition("ratio", "<=", 1.0)],
)
def dataset_load(context: Context) -> Measurement:
    """``_load_cache`` of format 2 against format 1's, interleaved, on the same graphs."""
    with tempfile.TemporaryDirectory() as folder:
        new_path, old_path, graphs = _split_files(context, Path(folder))

        def load_new() -> None:
            bare_dataset(new_path)._load_cache()

        sides = {"format 2": load_new, "format 1": lambda: load_format_1(old_path)}
        times = context.interleaved(sides, context.repeats)
    new, old = median(times["format 2"]), median(times["format 1"])
    return Measurement(
        value=new,
        unit="s",
        baseline=Baseline("format 1 load", old, "s"),
        details={
            "graphs": graphs,
            "seconds": {k: [round(t, 4) for t in v] for k, v in times.items()},
        },
        note=f"{graphs} graphs: {new:.3f} s against {old:.3f} s (medians)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--mutants", type=int, default=4)
    parser.add_argument("--rewrites", type=int, default=2)
    parser.add_argument("--solutions-only", action="store_true")
    parser.add_argument("--cache", type=Path, help="the graphs of this split cache")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    mutants, rewritten = (0, 0) if args.solutions_only else (args.mutants, args.rewrites)
    if args.cache:
        cached = bare_dataset(args.cache)
        cached._load_cache()
        items, kept = cached._items, cached.programs
        vocab, classes, groups = list(cached.import_vocab), cached.bug_classes, cached.group_names
        kind = f"the split of {args.cache.name}"
    else:
        programs = programs_of(args.data, mutants, rewritten)
        vocab = sorted({m for p in programs for m in p.imports})
        groups, classes = sorted({p.problem for p in programs}), BUG_CLASSES
        items, kept, _ = graph_items(programs, vocab, classes, groups, progress=False)
        kind = (
            "solutions only" if args.solutions_only else f"+{mutants} mutants +{rewritten} rewrites"
        )
    graphs = len(items)
    tensor_bytes = sum(t.numel() * t.element_size() for item in items for t in item.values())

    with tempfile.TemporaryDirectory() as folder:
        processed = Path(folder) / "processed"
        processed.mkdir()
        new_path, old_path = processed / "train-v2.pt", processed / "train-v1.pt"
        writer = bare_dataset(new_path)
        writer.import_vocab, writer.bug_classes = tuple(vocab), tuple(classes)
        writer.group_names, writer.label_stats = groups, {"graphs": graphs}
        writer._items, writer.programs = items, kept
        started = time.perf_counter()
        writer._save()
        encode_s = time.perf_counter() - started
        save_format_1(old_path, vocab, classes, groups, items, kept)

        def load_new() -> tuple[list, list]:
            dataset = bare_dataset(new_path)
            dataset._load_cache()
            return dataset._items, dataset.programs

        loaders = {"format 1": lambda: load_format_1(old_path), "format 2": load_new}
        times: dict[str, list[float]] = {name: [] for name in loaders}
        for round_ in range(args.repeats):
            order = list(loaders) if round_ % 2 == 0 else list(reversed(loaders))
            for name in order:
                started = time.perf_counter()
                loaded, loaded_programs = loaders[name]()
                times[name].append(time.perf_counter() - started)
                if not _identical(items, loaded) or loaded_programs != kept:
                    raise SystemExit(f"{name} did not load the graphs it saved")
                del loaded, loaded_programs
        sizes = {"format 1": old_path.stat().st_size, "format 2": new_path.stat().st_size}
    owned = [{name: tensor.clone() for name, tensor in item.items()} for item in items]
    graph_sizes = {"format 1": saved_size(owned), "format 2": saved_size(encode_items(items))}

    print(
        f"{graphs} graphs ({kind}); tensors in memory {tensor_bytes / graphs / 1000:.1f} kB/graph"
    )
    print(f"format 2 written in {encode_s:.2f} s; loads: {args.repeats} of each, interleaved")
    print("| format | file bytes / graph | of which graphs | load median (min–max) |")
    print("| --- | --- | --- | --- |")
    for name, values in times.items():
        print(
            f"| {name} | {sizes[name] / graphs / 1000:.1f} kB "
            f"| {graph_sizes[name] / graphs / 1000:.1f} kB "
            f"| {statistics.median(values):.3f} s ({min(values):.3f}–{max(values):.3f}) |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
