"""``CodeContestsDataset``: labelled program graphs, processed once and cached on disk.

Raw input is a prepared split (``train.jsonl`` / ``val.jsonl`` from
``yantra-gnn download``). Processing runs every program in the sandbox, makes mutants
and rewrites (:mod:`yantra_gnn.labels.labelling`), builds each graph with
``strip_imports=True`` and stores it compactly (packed features, small integer types).
The cache file name carries a key of everything that changes the result: the feature
spec version, the label settings, the import vocabulary settings and the raw files'
contents. A changed setting processes again; an unreadable cache is rebuilt.

The data loaders over it (``GroupBatchSampler``, ``create_dataloaders``) are in
:mod:`yantra_gnn.data.loader`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from torch_geometric.data import Data, Dataset
from tqdm.auto import tqdm

from yantra_gnn.errors import DatasetError, SourceError
from yantra_gnn.files import atomic_write, atomic_write_text
from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder, pack_features
from yantra_gnn.graph.features import unpack_features
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.labels import mutate
from yantra_gnn.labels.labelling import (
    LabelledProgram,
    LabelSettings,
    imported_modules,
    label_problems,
    python3_sources,
)
from yantra_gnn.sandbox import ResultCache

logger = logging.getLogger(__name__)

#: ``origin`` codes stored per item (``Data.origin``).
ORIGINS: tuple[str, ...] = ("solution", "incorrect_solution", "mutant", "rewrite")
SPLITS = ("train", "val")
_LABELS = ("imports", "bugs", "bug_mask", "confidence", "group", "origin", "bug_node")
_CACHE_FORMAT = 1


def read_jsonl(path: Path) -> list[dict]:
    """Rows of a prepared split file, with a clear error when missing or malformed."""
    if not path.exists():
        raise DatasetError(
            f"{path} does not exist; prepare the data first with "
            f"`yantra-gnn download --output {path.parent}` (or `--from FILE` offline)"
        )
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            if not isinstance(row, dict):
                raise DatasetError(f"{path}:{number}: expected a JSON object per line")
            rows.append(row)
    return rows


def build_import_vocab(rows: Sequence[dict], min_count: int = 2) -> tuple[str, ...]:
    """Modules imported by at least ``min_count`` programs of ``rows`` (the training split)."""
    counts: Counter = Counter()
    for row in rows:
        for block in ("solutions", "incorrect_solutions"):
            for code in python3_sources(row.get(block)):
                counts.update(imported_modules(code))
    return tuple(sorted(name for name, count in counts.items() if count >= min_count))


def locate_node(node_span: torch.Tensor, span: Sequence[int]) -> int:
    """The node whose span equals ``span``, else the smallest node containing it, else -1.

    Args:
        node_span: ``[N, 4]`` (start row, start col, end row, end col).
        span: the mutated region, same convention.
    """
    start, end = (span[0], span[1]), (span[2], span[3])
    best, best_size = -1, None
    for i, (r0, c0, r1, c1) in enumerate(node_span.tolist()):
        if (r0, c0) == start and (r1, c1) == end:
            return i
        if (r0, c0) <= start and end <= (r1, c1):
            size = (r1 - r0, c1 - c0)
            if best_size is None or size < best_size:
                best, best_size = i, size
    return best


def _file_digest(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def graph_items(
    programs: Sequence[LabelledProgram],
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    group_names: Sequence[str],
    *,
    desc: str = "graphs",
    progress: bool = True,
) -> tuple[list[dict[str, torch.Tensor]], list[LabelledProgram], int]:
    """The stored items of ``programs`` (graphs built with ``strip_imports=True``).

    A program without a graph (empty, too large) is left out with a warning.

    Returns:
        ``(items, the programs kept, mutants whose span matched no node)``.
    """
    group_of = {name: i for i, name in enumerate(group_names)}
    import_index = {name: i for i, name in enumerate(import_vocab)}
    bug_index = {name: i for i, name in enumerate(bug_classes)}
    builder = CodeGraphBuilder()
    items, kept = [], []
    unlocated = 0
    for program in tqdm(programs, desc=desc, disable=not progress):
        try:
            data = builder.build(program.source, strip_imports=True)
        except SourceError as error:
            logger.warning("skipping a program of %s: %s", program.problem, error)
            continue
        imports = torch.zeros(len(import_vocab), dtype=torch.bool)
        for module in program.imports:
            if module in import_index:
                imports[import_index[module]] = True
        bugs = torch.zeros(len(bug_classes), dtype=torch.bool)
        for name in program.bug_classes:
            bugs[bug_index[name]] = True
        bug_node = -1
        if program.bug_span is not None:
            bug_node = locate_node(data.node_span, program.bug_span)
            unlocated += bug_node < 0
        items.append(
            {
                **pack_features(data.x),
                "edge_index": data.edge_index.to(torch.int32),
                "edge_type": data.edge_type.to(torch.uint8),
                "node_kind": data.node_kind.to(torch.int32),
                "node_span": data.node_span.to(torch.int32),
                "has_error": data.has_error,
                "confidence": torch.tensor([program.confidence], dtype=torch.float32),
                "imports": imports,
                "bugs": bugs,
                "bug_mask": torch.tensor([program.bugs_known]),
                "bug_node": torch.tensor([bug_node], dtype=torch.long),
                "group": torch.tensor([group_of[program.problem]], dtype=torch.long),
                "origin": torch.tensor([ORIGINS.index(program.origin)], dtype=torch.long),
            }
        )
        kept.append(program)
    return items, kept, unlocated


class LabelledGraphs(Dataset):
    """Labelled program graphs held in memory in their compact stored form.

    The item layout, ``get``, ``groups`` and ``label_matrix`` shared by
    :class:`CodeContestsDataset` (processed from a prepared split, cached on disk) and
    :class:`ProgramGraphs` (built from labelled programs, e.g. ConDefects pairs).
    ``combine`` joins several into one training set.
    """

    import_vocab: tuple[str, ...]
    bug_classes: tuple[str, ...]
    group_names: list[str]
    split: str

    def __init__(self, transform=None) -> None:
        self.programs: list[LabelledProgram] = []
        self._items: list[dict[str, torch.Tensor]] = []
        super().__init__(None, transform)

    # ------------------------------------------------------------------ PyG Dataset API
    def len(self) -> int:
        return len(self._items)

    def get(self, idx: int) -> Data:
        item = self._items[idx]
        x = unpack_features(
            {"row_ptr": item["row_ptr"], "col": item["col"], "value": item["value"]}
        )
        return Data(
            x=x,
            edge_index=item["edge_index"].long(),
            edge_type=item["edge_type"].long(),
            node_kind=item["node_kind"].long(),
            node_span=item["node_span"].long(),
            has_error=item["has_error"],
            confidence=item["confidence"],
            imports=item["imports"].float().unsqueeze(0),
            bugs=item["bugs"].float().unsqueeze(0),
            bug_mask=item["bug_mask"],
            bug_node=item["bug_node"],
            group=item["group"],
            origin=item["origin"],
            num_nodes=x.size(0),
        )

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({len(self)}, split={self.split!r}, "
            f"problems={len(self.group_names)}, imports={len(self.import_vocab)})"
        )

    @classmethod
    def combine(cls, parts: Sequence[LabelledGraphs]) -> ProgramGraphs:
        """One dataset of every item of ``parts``, in order, problems kept apart.

        Every part must have the same import vocabulary and bug classes (build the
        extra parts with the first one's). Group ids are renumbered so that problems of
        different parts never share a group (a CodeContests problem and a ConDefects
        task are different problems even if their names were equal).
        """
        if not parts:
            raise DatasetError("combine needs at least one dataset")
        first = parts[0]
        for part in parts[1:]:
            if (part.import_vocab, part.bug_classes) != (first.import_vocab, first.bug_classes):
                raise DatasetError(
                    f"{part!r} has other label vocabularies than {first!r}; build it with "
                    "the first dataset's import_vocab and bug_classes"
                )
        combined = ProgramGraphs.__new__(ProgramGraphs)
        LabelledGraphs.__init__(combined, first.transform)
        combined.import_vocab, combined.bug_classes = first.import_vocab, first.bug_classes
        combined.split = "+".join(part.split for part in parts)
        combined.group_names = []
        for part in parts:
            offset = len(combined.group_names)
            combined.group_names += [f"{part.split}/{name}" for name in part.group_names]
            for item in part._items:
                combined._items.append({**item, "group": item["group"] + offset})
            combined.programs += part.programs
        return combined

    # ------------------------------------------------------------------ metadata
    @property
    def groups(self) -> list[int]:
        """The problem index of every item (for group-aware batching)."""
        return [int(item["group"]) for item in self._items]

    def label_matrix(self, name: str) -> torch.Tensor:
        """One label of every item, stacked without building the graphs.

        ``"imports"`` → ``[n, V]`` bool, ``"bugs"`` → ``[n, C]`` bool, ``"bug_mask"`` →
        ``[n]`` bool, ``"confidence"`` / ``"group"`` / ``"origin"`` / ``"bug_node"`` → ``[n]``.
        """
        if name not in _LABELS:
            raise DatasetError(f"no label named {name!r}; choose one of {_LABELS}")
        values = [item[name] for item in self._items]
        if not values:
            raise DatasetError(f"{self!r} holds no items")
        # imports and bugs are stored as [V] / [C] per item, the rest as [1]
        return torch.stack(values) if name in ("imports", "bugs") else torch.cat(values)

    @property
    def stored_bytes_per_graph(self) -> float:
        """Mean bytes of the tensors kept per item (the in-memory and on-disk form)."""
        if not self._items:
            return 0.0
        total = sum(t.numel() * t.element_size() for item in self._items for t in item.values())
        return total / len(self._items)


class CodeContestsDataset(LabelledGraphs):
    r"""Labelled CodeContests program graphs for one split.

    Each item is the ``Data`` of :class:`~yantra_gnn.graph.CodeGraphBuilder` (built with
    ``strip_imports=True``) plus:

    - ``confidence``: ``[1]`` float, 1.0 = passes every test we ran;
    - ``imports``: ``[1, len(import_vocab)]`` float multi-hot;
    - ``bugs``: ``[1, len(bug_classes)]`` float multi-hot;
    - ``bug_mask``: ``[1]`` bool, whether ``bugs`` is known (False for a dataset's
      incorrect solutions: wrong, but not in a known way);
    - ``bug_node``: ``[1]`` long, the mutated node within this graph or -1 (local index:
      add ``batch.ptr[:-1]`` after batching);
    - ``group``: ``[1]`` long, the problem (positives for the embedding head share it);
    - ``origin``: ``[1]`` long, index into :data:`ORIGINS`.

    Args:
        root: directory holding ``train.jsonl`` and ``val.jsonl``; the cache goes to
            ``root/processed``.
        split: ``"train"`` or ``"val"``.
        settings: how labels are made (:class:`~yantra_gnn.labels.labelling.LabelSettings`).
        import_min_count: a module enters the import vocabulary when at least this many
            training programs import it (the vocabulary always comes from ``train``).
        limit: use only the first ``limit`` problems of the split.
        workers: sandbox runs in parallel (default: one per core).
        sandbox_cache: where sandbox outcomes are cached (``None``: memory only).
        progress: show progress bars.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str = "train",
        *,
        settings: LabelSettings | None = None,
        import_min_count: int = 2,
        limit: int | None = None,
        workers: int | None = None,
        sandbox_cache: str | os.PathLike[str] | None = SANDBOX_CACHE_DIR,
        progress: bool = True,
        transform=None,
    ) -> None:
        if split not in SPLITS:
            raise DatasetError(f"split must be one of {SPLITS}, got {split!r}")
        if limit is not None and limit < 1:
            raise DatasetError(f"limit must be a positive number of problems, got {limit}")
        self.split = split
        self.settings = settings or LabelSettings()
        self.import_min_count = import_min_count
        self.limit = limit
        self.workers = workers
        self.sandbox_cache = sandbox_cache
        self.progress = progress
        self._root = Path(root).expanduser()
        raw = [self._root / f"{s}.jsonl" for s in SPLITS]
        for path in raw:
            if not path.exists():
                raise DatasetError(
                    f"{path} does not exist: {self._root} is not a prepared dataset; run "
                    f"`yantra-gnn download --output {self._root}` (add `--from FILE` offline)"
                )
        key = json.dumps(
            {
                "format": _CACHE_FORMAT,
                "features": FEATURE_SPEC_VERSION,
                "labels": asdict(self.settings),
                "bug_classes": mutate.BUG_CLASSES,
                "import_min_count": import_min_count,
                "limit": limit,
                "raw": _file_digest(raw),
            },
            sort_keys=True,
        )
        self.cache_key = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.cache_path = self._root / "processed" / f"{split}-{self.cache_key}.pt"
        super().__init__(transform)
        self._load_or_build()

    # ------------------------------------------------------------------ processing
    def _load_or_build(self) -> None:
        if self.cache_path.exists():
            try:
                self._load_cache()
                return
            except (
                OSError,
                RuntimeError,
                KeyError,
                ValueError,
                EOFError,
                pickle.UnpicklingError,
            ) as error:
                logger.warning("cache %s is unreadable (%s); rebuilding it", self.cache_path, error)
        self._build_cache()

    def _load_cache(self) -> None:
        state = torch.load(self.cache_path, weights_only=True)
        self.import_vocab = tuple(state["import_vocab"])
        self.bug_classes = tuple(state["bug_classes"])
        self.group_names = list(state["group_names"])
        self.label_stats = state["label_stats"]
        self._items = state["items"]
        self.programs = [LabelledProgram.from_json(json.loads(p)) for p in state["programs"]]
        if len(self.programs) != len(self._items):
            raise ValueError("programs and items differ in length")
        logger.info("loaded %d %s graphs from %s", len(self._items), self.split, self.cache_path)

    def _build_cache(self) -> None:
        train_rows = read_jsonl(self._root / "train.jsonl")
        rows = train_rows if self.split == "train" else read_jsonl(self._root / "val.jsonl")
        if self.limit is not None:
            train_rows, rows = train_rows[: self.limit], rows[: self.limit]
        if not rows:
            raise DatasetError(f"{self._root / (self.split + '.jsonl')} holds no problems")
        self.import_vocab = build_import_vocab(train_rows, self.import_min_count)
        self.bug_classes = mutate.BUG_CLASSES
        logger.info(
            "processing %d %s problems (sandboxed runs, mutants, graphs); cached afterwards in %s",
            len(rows),
            self.split,
            self.cache_path,
        )
        cache = ResultCache(self.sandbox_cache) if self.sandbox_cache else None
        programs, stats = label_problems(
            rows, self.settings, cache=cache, workers=self.workers, progress=self.progress
        )
        self.group_names = sorted({p.problem for p in programs})
        items, kept, unlocated = graph_items(
            programs,
            self.import_vocab,
            self.bug_classes,
            self.group_names,
            desc=f"graphs ({self.split})",
            progress=self.progress,
        )
        self._items, self.programs = items, kept
        self.label_stats = {
            **stats.to_dict(),
            "graphs": len(items),
            "mutants_without_located_node": unlocated,
            "import_vocab": list(self.import_vocab),
        }
        self._save()

    def _save(self) -> None:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "import_vocab": list(self.import_vocab),
            "bug_classes": list(self.bug_classes),
            "group_names": self.group_names,
            "label_stats": self.label_stats,
            "items": self._items,
            "programs": [json.dumps(p.to_json()) for p in self.programs],
        }
        atomic_write(self.cache_path, lambda handle: torch.save(state, handle))
        stats_path = self._root / "processed" / f"{self.split}-{self.cache_key}-labels.json"
        atomic_write_text(stats_path, json.dumps(self.label_stats, indent=2))
        logger.info("cached %d %s graphs in %s", len(self._items), self.split, self.cache_path)


class ProgramGraphs(LabelledGraphs):
    """Graphs of labelled programs made elsewhere (ConDefects pairs, a code corpus), in memory.

    Built each time (no disk cache): graph building is fast next to labelling, and the
    programs' labels already exist.

    Args:
        programs: the labelled programs; each ``problem`` is a group.
        import_vocab, bug_classes: the label columns (those of the training data this
            joins, so the rows line up).
        name: what the data is, shown in progress bars and ``repr``.
        progress: show a progress bar.
    """

    def __init__(
        self,
        programs: Sequence[LabelledProgram],
        import_vocab: Sequence[str],
        bug_classes: Sequence[str],
        *,
        name: str = "programs",
        progress: bool = True,
        transform=None,
    ) -> None:
        super().__init__(transform)
        self.split = name
        self.import_vocab, self.bug_classes = tuple(import_vocab), tuple(bug_classes)
        self.group_names = sorted({p.problem for p in programs})
        self._items, self.programs, unlocated = graph_items(
            programs,
            self.import_vocab,
            self.bug_classes,
            self.group_names,
            desc=f"graphs ({name})",
            progress=progress,
        )
        self.label_stats = {"graphs": len(self._items), "spans_without_located_node": unlocated}
