"""Sharded graph storage: training data that does not fit in memory.

A sharded dataset is a directory of fixed-size shard files and a ``manifest.json``:

- ``shard-00000.pt``, ``shard-00001.pt``, ...: each holds up to ``graphs_per_shard``
  graphs (default 4,096, a few MB) in the compressed cache format 2 of
  :func:`~yantra_gnn.data.dataset.encode_items`, and optionally their labelled programs.
  All the graphs of one problem (group) are in the same shard, so per-problem batches
  are made inside a shard.
- ``manifest.json`` (:class:`ShardManifest`): the format and feature spec versions, the
  graph count of every shard and in all, the label vocabularies (``import_vocab``,
  ``bug_classes``, ``group_names``), the SHA-256 of every shard, label counts and the
  fingerprint of the data the shards were made from.

Writing streams (:class:`ShardWriter`, :func:`write_shards`,
:func:`write_shards_from_dataset`): at most one shard (plus the problem being added) is
held in memory, each shard is written atomically, and the manifest is removed first and
written last, so a killed write never leaves a manifest that claims a missing or partial
shard.

Reading streams too (:class:`ShardedGraphs`, a torch ``IterableDataset`` of ready PyG
``Batch``\\ es): one shard is decoded at a time (per ``DataLoader`` worker), its SHA-256
checked when it is opened; the shard order is shuffled from ``(seed, epoch)``, the
programs of a shard are cut into chunks of ``per_group`` programs of one problem and the
chunks shuffled, as :class:`~yantra_gnn.data.loader.GroupBatchSampler` does for a
dataset in memory. ``DataLoader`` workers and DDP ranks each read their own shards.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import random
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from torch_geometric.data import Batch, Data

from yantra_gnn.data.dataset import (
    ORIGINS,
    LabelledGraphs,
    _compress,
    _unpack_programs,
    decode_items,
    encode_items,
    validate_items,
)
from yantra_gnn.errors import DatasetError
from yantra_gnn.files import atomic_write, atomic_write_text
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.schema import FEATURE_SPEC_VERSION

logger = logging.getLogger(__name__)

#: Version of the shard files and the manifest (``manifest.json`` ``format``).
SHARD_FORMAT = 1
MANIFEST_NAME = "manifest.json"
DEFAULT_GRAPHS_PER_SHARD = 4096
_SHARD_NAME = re.compile(r"shard-\d{5,}\.pt")

Item = Mapping[str, torch.Tensor]


def shard_name(index: int) -> str:
    """The file name of shard ``index`` (``shard-00042.pt``)."""
    return f"shard-{index:05d}.pt"


def _rebuild_hint(directory: Path) -> str:
    # `yantra-gnn shard --output SHARDS` writes SHARDS/train and SHARDS/val
    output = directory.parent if directory.name in ("train", "val") else directory
    return (
        f"write the shards of {directory} again (write_shards_from_dataset, or "
        f"`yantra-gnn shard --data DATA --output {output} --overwrite`)"
    )


# --------------------------------------------------------------------- the manifest
@dataclass(frozen=True)
class ShardInfo:
    """One shard as the manifest lists it.

    Attributes:
        file: the file name inside the directory.
        graphs: how many graphs it holds.
        groups: the group (problem) ids of its graphs, each group in exactly one shard.
        sha256: SHA-256 (hex) of the file's bytes.
        bytes: the file's size.
    """

    file: str
    graphs: int
    groups: list[int]
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ShardManifest:
    """``manifest.json`` of a sharded dataset.

    Attributes:
        format: :data:`SHARD_FORMAT` of the writer.
        feature_spec_version: :data:`~yantra_gnn.schema.FEATURE_SPEC_VERSION` the graphs
            were built with (a reader of another version refuses them).
        graphs: graphs in all (the sum of the shards').
        graphs_per_shard: the writer's shard size (a shard holds fewer at the end or
            before a problem that would not fit, more only when one problem is larger).
        import_vocab, bug_classes, group_names: the label vocabularies (columns of
            ``imports`` ``[V]`` and ``bugs`` ``[C]``, names of the ``group`` ids).
        source_fingerprint: ``sha256:HEX`` of the data the shards were made from
            (:meth:`LabelledGraphs.fingerprint`), or ``None``.
        programs: whether every shard also holds the labelled programs.
        label_counts: ``confidence_positive`` (graphs with confidence 1), ``bug_known``
            (graphs whose bug labels are known), ``imports_positive`` ``[V]``,
            ``bugs_positive`` ``[C]`` (among the known ones), ``origins`` (graphs per
            :data:`~yantra_gnn.data.dataset.ORIGINS` name): what positive-class weights
            need, without reading the shards.
        shards: every shard, in the order written.
    """

    format: int
    feature_spec_version: str
    graphs: int
    graphs_per_shard: int
    import_vocab: list[str]
    bug_classes: list[str]
    group_names: list[str]
    source_fingerprint: str | None
    programs: bool
    label_counts: dict[str, Any]
    shards: list[ShardInfo] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def read(cls, directory: str | os.PathLike[str]) -> ShardManifest:
        """The manifest of ``directory``, checked against this library's versions.

        Raises:
            DatasetError: no manifest (not a sharded dataset, or a write that did not
                finish), an unreadable or malformed one, another format, or graphs built
                with another feature spec version (the message names both versions).
        """
        directory = Path(directory).expanduser()
        path = directory / MANIFEST_NAME
        if not path.exists():
            raise DatasetError(
                f"{path} does not exist: {directory} is not a sharded dataset, or writing "
                f"it did not finish (the manifest is written last); {_rebuild_hint(directory)}"
            )
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DatasetError(
                f"{path} is unreadable ({error}); {_rebuild_hint(directory)}"
            ) from None
        if not isinstance(raw, dict) or raw.get("format") != SHARD_FORMAT:
            found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
            raise DatasetError(
                f"{path} is shard format {found!r}, this library reads format {SHARD_FORMAT}; "
                f"{_rebuild_hint(directory)}"
            )
        if raw.get("feature_spec_version") != FEATURE_SPEC_VERSION:
            raise DatasetError(
                f"{directory} holds graphs of feature spec version "
                f"{raw.get('feature_spec_version')!r}, this library builds and reads version "
                f"{FEATURE_SPEC_VERSION!r}; rebuild the dataset with this version and "
                f"{_rebuild_hint(directory)}"
            )
        try:
            shards = [ShardInfo(**entry) for entry in raw["shards"]]
            manifest = cls(**{**raw, "shards": shards})
        except (KeyError, TypeError) as error:
            raise DatasetError(
                f"{path} is malformed ({error}); {_rebuild_hint(directory)}"
            ) from None
        if sum(s.graphs for s in manifest.shards) != manifest.graphs:
            raise DatasetError(
                f"{path}: the shards' graph counts do not add up to {manifest.graphs}; "
                f"{_rebuild_hint(directory)}"
            )
        return manifest


# --------------------------------------------------------------------- one shard
class Shard(LabelledGraphs):
    """The decoded graphs of one shard, in memory (a :class:`LabelledGraphs`: ``shard[i]``
    is the same ``Data`` the in-memory datasets give).

    Attributes:
        index: the shard's position in the manifest.
    """

    def __init__(
        self,
        index: int,
        items: list[dict[str, torch.Tensor]],
        programs: list[LabelledProgram],
        manifest: ShardManifest,
    ) -> None:
        super().__init__()
        self.index = index
        self.split = f"shard {index}"
        self._items, self.programs = items, programs
        self.import_vocab = tuple(manifest.import_vocab)
        self.bug_classes = tuple(manifest.bug_classes)
        self.group_names = manifest.group_names


def read_shard(directory: Path, manifest: ShardManifest, index: int, verify: bool = True) -> Shard:
    """Read, check and decode shard ``index`` of ``directory``.

    Args:
        verify: compare the file's SHA-256 with the manifest's (the bytes are hashed as
            they are read; no second pass).

    Raises:
        DatasetError: the shard is missing, fails its SHA-256 check, or holds a malformed
            or invalid item; the message names the shard and says to rebuild it.
    """
    info = manifest.shards[index]
    path = directory / info.file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DatasetError(
            f"shard {path} (listed in {MANIFEST_NAME}) cannot be read ({error.strerror or error}); "
            f"{_rebuild_hint(directory)}"
        ) from None
    if verify:
        actual = hashlib.sha256(data).hexdigest()
        if actual != info.sha256:
            raise DatasetError(
                f"shard {path} fails its SHA-256 check (the manifest has {info.sha256}, the "
                f"file has {actual}): its bytes changed after it was written; "
                f"{_rebuild_hint(directory)}"
            )
    try:
        state = torch.load(io.BytesIO(data), weights_only=True)
        if not isinstance(state, dict) or state.get("format") != SHARD_FORMAT:
            raise DatasetError(f"not a shard of format {SHARD_FORMAT}")
        items = decode_items(state["graphs"])
        programs = (
            _unpack_programs(state["programs"], state["programs_bytes"])
            if manifest.programs
            else []
        )
        if len(items) != info.graphs or (manifest.programs and len(programs) != len(items)):
            raise DatasetError(f"holds {len(items)} graphs, the manifest lists {info.graphs}")
        validate_items(
            items, len(manifest.import_vocab), len(manifest.bug_classes), len(manifest.group_names)
        )
    except (DatasetError, KeyError, RuntimeError, ValueError, EOFError) as error:
        raise DatasetError(
            f"shard {path} is malformed or invalid ({error}); {_rebuild_hint(directory)}"
        ) from None
    return Shard(index, items, programs, manifest)


# --------------------------------------------------------------------- writing
class ShardWriter:
    """Writes graphs to a sharded dataset as they come, one shard in memory at a time.

    Items (the stored form of :func:`~yantra_gnn.data.dataset.graph_items`) must arrive
    grouped by problem: all the items of a group one after the other (a group that
    comes back after another one is an error), so that a group is never split between
    shards. A shard is written when the next group would take it past
    ``graphs_per_shard``; a group larger than that gets a shard of its own.

    Use it as a context manager, or call :meth:`close`: the manifest is written only
    by a successful close; an error inside the ``with`` block leaves no manifest.

    Args:
        directory: where the shards and ``manifest.json`` go (created when missing).
        import_vocab, bug_classes, group_names: the label vocabularies of the items.
        graphs_per_shard: graphs per shard file.
        source_fingerprint: the fingerprint of the data written (recorded in the manifest).
        overwrite: replace a sharded dataset already in ``directory`` (its manifest is
            removed before the first shard is written, its other shards after the new
            manifest is written).

    Raises:
        DatasetError: ``directory`` already holds a manifest and ``overwrite`` is false.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        import_vocab: Sequence[str],
        bug_classes: Sequence[str],
        group_names: Sequence[str],
        graphs_per_shard: int = DEFAULT_GRAPHS_PER_SHARD,
        source_fingerprint: str | None = None,
        overwrite: bool = False,
    ) -> None:
        if graphs_per_shard < 1:
            raise DatasetError(f"graphs_per_shard must be >= 1, got {graphs_per_shard}")
        self.directory = Path(directory).expanduser()
        manifest = self.directory / MANIFEST_NAME
        if manifest.exists() and not overwrite:
            raise DatasetError(
                f"{self.directory} already holds a sharded dataset ({MANIFEST_NAME}); "
                "pass overwrite=True (--overwrite) to replace it, or choose another directory"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        # first: from now until close() no manifest claims any shard here
        manifest.unlink(missing_ok=True)
        self.import_vocab = list(import_vocab)
        self.bug_classes = list(bug_classes)
        self.group_names = list(group_names)
        self.graphs_per_shard = graphs_per_shard
        self.source_fingerprint = source_fingerprint
        self.shards: list[ShardInfo] = []
        self._shard: list[Item] = []
        self._shard_programs: list[LabelledProgram] = []
        self._group: list[Item] = []
        self._group_programs: list[LabelledProgram] = []
        self._group_id: int | None = None
        self._done_groups: set[int] = set()
        self._with_programs: bool | None = None
        self._closed = False
        # label counts for the manifest
        self._confidence_positive = 0
        self._bug_known = 0
        self._imports_positive = np.zeros(len(self.import_vocab), dtype=np.int64)
        self._bugs_positive = np.zeros(len(self.bug_classes), dtype=np.int64)
        self._origins = np.zeros(len(ORIGINS), dtype=np.int64)

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is None:
            self.close()
        else:
            self._closed = True  # no manifest: the shards written so far claim nothing

    @property
    def graphs(self) -> int:
        """Graphs added so far."""
        return sum(s.graphs for s in self.shards) + len(self._shard) + len(self._group)

    def add(self, item: Item, program: LabelledProgram | None = None) -> None:
        """Add one item (and its labelled program: give one with every item or with none).

        Raises:
            DatasetError: the writer is closed, programs are given for some items only,
                or the item's group was already finished (items not grouped by problem).
        """
        if self._closed:
            raise DatasetError("this ShardWriter is closed; open a new one to write more")
        with_program = program is not None
        if self._with_programs is None:
            self._with_programs = with_program
        elif self._with_programs != with_program:
            raise DatasetError(
                "give a program with every item or with none (item "
                f"{self.graphs} {'has' if with_program else 'lacks'} one, the first did not)"
            )
        group = int(item["group"])
        if group != self._group_id:
            if group in self._done_groups:
                name = self.group_names[group] if 0 <= group < len(self.group_names) else group
                raise DatasetError(
                    f"the items of group {group} ({name}) are not together: it comes back after "
                    "other groups; add the items ordered by group (problem)"
                )
            self._end_group()
            self._group_id = group
        self._group.append(item)
        if program is not None:
            self._group_programs.append(program)
        self._count(item)

    def _count(self, item: Item) -> None:
        self._confidence_positive += int(item["confidence"].item() > 0.5)
        self._origins[int(item["origin"])] += 1
        self._imports_positive += item["imports"].numpy().astype(np.int64)
        if bool(item["bug_mask"]):
            self._bug_known += 1
            self._bugs_positive += item["bugs"].numpy().astype(np.int64)

    def _end_group(self) -> None:
        """Move the finished group into the shard, writing the shard first when the group
        would take it past ``graphs_per_shard``."""
        if self._group_id is None:
            return
        if self._shard and len(self._shard) + len(self._group) > self.graphs_per_shard:
            self._flush()
        if len(self._group) > self.graphs_per_shard:
            logger.warning(
                "group %d has %d graphs, more than graphs_per_shard=%d: it gets a shard of "
                "its own (groups are never split)",
                self._group_id,
                len(self._group),
                self.graphs_per_shard,
            )
        self._shard += self._group
        self._shard_programs += self._group_programs
        self._done_groups.add(self._group_id)
        self._group, self._group_programs, self._group_id = [], [], None
        if len(self._shard) >= self.graphs_per_shard:
            self._flush()

    def _flush(self) -> None:
        """Write the shard in memory (checked, encoded, hashed, atomically)."""
        if not self._shard:
            return
        items = self._shard
        validate_items(items, len(self.import_vocab), len(self.bug_classes), len(self.group_names))
        state: dict[str, Any] = {"format": SHARD_FORMAT, "graphs": encode_items(items)}
        if self._with_programs:
            text = json.dumps([p.to_json() for p in self._shard_programs]).encode()
            state["programs"] = _compress(np.frombuffer(text, dtype=np.uint8))
            state["programs_bytes"] = len(text)
        buffer = io.BytesIO()
        torch.save(state, buffer)
        data = buffer.getvalue()
        name = shard_name(len(self.shards))
        atomic_write(self.directory / name, data)
        groups = sorted({int(item["group"]) for item in items})
        self.shards.append(
            ShardInfo(name, len(items), groups, hashlib.sha256(data).hexdigest(), len(data))
        )
        logger.debug("wrote %s: %d graphs, %d bytes", name, len(items), len(data))
        self._shard, self._shard_programs = [], []

    def close(self) -> ShardManifest:
        """Write the last shard, then the manifest; remove shards of an earlier write
        that the new manifest does not list. Returns the manifest."""
        if self._closed:
            raise DatasetError("this ShardWriter is already closed")
        self._end_group()
        self._flush()
        self._closed = True
        counts = {
            "confidence_positive": self._confidence_positive,
            "bug_known": self._bug_known,
            "imports_positive": self._imports_positive.tolist(),
            "bugs_positive": self._bugs_positive.tolist(),
            "origins": dict(zip(ORIGINS, self._origins.tolist(), strict=True)),
        }
        manifest = ShardManifest(
            format=SHARD_FORMAT,
            feature_spec_version=FEATURE_SPEC_VERSION,
            graphs=sum(s.graphs for s in self.shards),
            graphs_per_shard=self.graphs_per_shard,
            import_vocab=self.import_vocab,
            bug_classes=self.bug_classes,
            group_names=self.group_names,
            source_fingerprint=self.source_fingerprint,
            programs=bool(self._with_programs),
            label_counts=counts,
            shards=self.shards,
        )
        atomic_write_text(self.directory / MANIFEST_NAME, json.dumps(manifest.to_json()))
        listed = {s.file for s in self.shards}
        for path in self.directory.iterdir():
            if _SHARD_NAME.fullmatch(path.name) and path.name not in listed:
                path.unlink(missing_ok=True)
        logger.info(
            "wrote %d graphs in %d shards to %s", manifest.graphs, len(self.shards), self.directory
        )
        return manifest


def write_shards(
    items: Iterable[Item | tuple[Item, LabelledProgram]],
    directory: str | os.PathLike[str],
    *,
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    group_names: Sequence[str],
    graphs_per_shard: int = DEFAULT_GRAPHS_PER_SHARD,
    source_fingerprint: str | None = None,
    overwrite: bool = False,
) -> ShardManifest:
    """Stream ``items`` (or ``(item, program)`` pairs), grouped by problem, into shards.

    See :class:`ShardWriter` for the arguments; returns the manifest written.
    """
    with ShardWriter(
        directory,
        import_vocab=import_vocab,
        bug_classes=bug_classes,
        group_names=group_names,
        graphs_per_shard=graphs_per_shard,
        source_fingerprint=source_fingerprint,
        overwrite=overwrite,
    ) as writer:
        for entry in items:
            if isinstance(entry, tuple):
                writer.add(entry[0], entry[1])
            else:
                writer.add(entry)
    return ShardManifest.read(directory)


def write_shards_from_dataset(
    dataset: LabelledGraphs,
    directory: str | os.PathLike[str],
    graphs_per_shard: int = DEFAULT_GRAPHS_PER_SHARD,
    *,
    overwrite: bool = False,
) -> ShardManifest:
    """Write a dataset in memory (e.g. a ``CodeContestsDataset`` split) as shards, with its
    programs, vocabularies and fingerprint. Its items are taken group by group (in the
    dataset's order within a group), so no problem is split between shards."""
    members: dict[int, list[int]] = {}
    for index, group in enumerate(dataset.groups):
        members.setdefault(group, []).append(index)
    with_programs = len(dataset.programs) == len(dataset)

    def entries() -> Iterator[Item | tuple[Item, LabelledProgram]]:
        for group in sorted(members):
            for index in members[group]:
                item = dataset._items[index]
                yield (item, dataset.programs[index]) if with_programs else item

    return write_shards(
        entries(),
        directory,
        import_vocab=dataset.import_vocab,
        bug_classes=dataset.bug_classes,
        group_names=dataset.group_names,
        graphs_per_shard=graphs_per_shard,
        source_fingerprint=dataset.fingerprint() if with_programs else None,
        overwrite=overwrite,
    )


# --------------------------------------------------------------------- reading
def _keep_batch(batch: Batch) -> Batch:
    """The ``DataLoader``'s collate function: the dataset yields whole batches."""
    return batch


class ShardedGraphs(IterableDataset):
    """A sharded dataset streamed as training batches (PyG ``Batch``\\ es).

    Each epoch (:meth:`set_epoch`), the shards are shuffled from ``(seed, epoch)`` and
    dealt to the DDP ranks (``rank``, ``world_size``), then to the ``DataLoader``
    workers of each rank (``num_workers``), round-robin. A worker reads its shards one
    at a time: it decodes one, cuts each problem's graphs (shuffled) into chunks of
    ``per_group``, shuffles the chunks and packs them into batches of ``batch_size``,
    as :class:`~yantra_gnn.data.loader.GroupBatchSampler` does for the whole dataset
    (a batch may take its first chunks from one shard and its last from the next). The
    order inside a shard depends only on ``(seed, epoch, shard)``, not on the split.
    ``shuffle=False`` reads the shards in order and batches the graphs as stored.

    Batches hold the attributes of the in-memory loaders' (``x`` ``[N, F]`` sparse,
    ``edge_index`` ``[2, E]``, ``edge_type`` ``[E]``, ``node_kind`` ``[N]``, ``node_span``
    ``[N, 4]``, ``has_error`` / ``confidence`` / ``bug_mask`` / ``bug_node`` / ``group`` /
    ``origin`` ``[B]``, ``imports`` ``[B, V]``, ``bugs`` ``[B, C]``, ``batch``, ``ptr``).

    With ``world_size > 1`` and ``even`` (the default then), every rank yields the
    same number of batches, the smallest any rank has (DDP needs it): the ranks with
    more stop early, leaving out a few batches that change from epoch to epoch.

    Iterate it with :meth:`loader` (a ``torch.utils.data.DataLoader`` with
    ``batch_size=None`` and this ``num_workers``); its workers are not persistent, so
    :meth:`set_epoch` in the main process reaches them.

    Args:
        directory: a directory written by :class:`ShardWriter`.
        batch_size: graphs per batch.
        per_group: graphs of one problem put together (contrastive positives).
        seed: seeds the shard and chunk order.
        shuffle: shuffle (training) or keep the stored order (validation).
        rank, world_size: this process's DDP rank and the number of ranks.
        num_workers: the ``DataLoader`` workers that will iterate it (needed to know
            how many batches each rank gives).
        drop_last: leave out each worker's last, partial batch.
        even: every rank gives the same number of batches (default: ``world_size > 1``).
        verify: check each shard's SHA-256 when it is opened.

    Raises:
        DatasetError: no or a bad manifest (see :meth:`ShardManifest.read`), bad
            arguments, fewer shards than ranks.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        batch_size: int = 32,
        per_group: int = 4,
        seed: int = 0,
        shuffle: bool = True,
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
        drop_last: bool = False,
        even: bool | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__()
        if batch_size < 1 or per_group < 1:
            raise DatasetError(
                f"batch_size and per_group must be >= 1, got {batch_size}, {per_group}"
            )
        if world_size < 1 or not 0 <= rank < world_size:
            raise DatasetError(f"rank must be in [0, world_size), got {rank} of {world_size}")
        if num_workers < 0:
            raise DatasetError(f"num_workers must be >= 0, got {num_workers}")
        self.directory = Path(directory).expanduser()
        self.manifest = ShardManifest.read(self.directory)
        shards = len(self.manifest.shards)
        if shards < world_size:
            raise DatasetError(
                f"{self.directory} has {shards} shards, fewer than the {world_size} ranks: "
                "write it with a smaller graphs_per_shard"
            )
        if shards < world_size * max(num_workers, 1):
            logger.warning(
                "%d shards for %d ranks x %d workers: some workers read nothing; write "
                "smaller shards",
                shards,
                world_size,
                max(num_workers, 1),
            )
        self.batch_size = batch_size
        self.per_group = min(per_group, batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.rank, self.world_size = rank, world_size
        self.num_workers = num_workers
        self.drop_last = drop_last
        self.even = world_size > 1 if even is None else even
        self.verify = verify
        self.epoch = 0

    # ------------------------------------------------------------------ metadata
    @property
    def import_vocab(self) -> tuple[str, ...]:
        return tuple(self.manifest.import_vocab)

    @property
    def bug_classes(self) -> tuple[str, ...]:
        return tuple(self.manifest.bug_classes)

    @property
    def group_names(self) -> list[str]:
        return self.manifest.group_names

    @property
    def graphs(self) -> int:
        """Graphs in all the shards (every rank's)."""
        return self.manifest.graphs

    def fingerprint(self) -> str:
        """The source dataset's fingerprint, else ``sha256:HEX`` of the shards' digests."""
        if self.manifest.source_fingerprint:
            return self.manifest.source_fingerprint
        digest = hashlib.sha256("\n".join(s.sha256 for s in self.manifest.shards).encode())
        return f"sha256:{digest.hexdigest()}"

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (call before each epoch, in the main process)."""
        self.epoch = epoch

    def read_shard(self, index: int) -> Shard:
        """Shard ``index`` decoded and checked (:func:`read_shard`)."""
        return read_shard(self.directory, self.manifest, index, self.verify)

    # ------------------------------------------------------------------ the split
    def shard_order(self, epoch: int | None = None) -> list[int]:
        """Every shard index in the order of ``epoch`` (default: the current one)."""
        order = list(range(len(self.manifest.shards)))
        if self.shuffle:
            epoch = self.epoch if epoch is None else epoch
            random.Random(f"{self.seed}:{epoch}:shards").shuffle(order)
        return order

    def shards_of(self, rank: int, worker: int, num_workers: int | None = None) -> list[int]:
        """The shards that ``worker`` of ``rank`` reads this epoch, in reading order."""
        workers = max(self.num_workers if num_workers is None else num_workers, 1)
        return self.shard_order()[rank :: self.world_size][worker::workers]

    def _batches_of(self, shards: Sequence[int]) -> int:
        graphs = sum(self.manifest.shards[i].graphs for i in shards)
        return graphs // self.batch_size if self.drop_last else math.ceil(graphs / self.batch_size)

    def worker_quotas(self, rank: int | None = None) -> list[int]:
        """How many batches each worker of ``rank`` (default: this one) yields this epoch.

        Without ``even``, each worker's batches; with it, they are cut (the largest
        first) until the rank yields as many as the rank that has fewest.
        """
        rank = self.rank if rank is None else rank
        workers = max(self.num_workers, 1)

        def quotas(r: int) -> list[int]:
            return [self._batches_of(self.shards_of(r, w)) for w in range(workers)]

        mine = quotas(rank)
        if not self.even:
            return mine
        target = min(sum(quotas(r)) for r in range(self.world_size))
        while sum(mine) > target:
            largest = max(range(workers), key=lambda w: (mine[w], -w))
            mine[largest] -= 1
        return mine

    def __len__(self) -> int:
        """Batches this rank yields this epoch (all its workers together)."""
        return sum(self.worker_quotas())

    # ------------------------------------------------------------------ iteration
    def _chunks(self, shard: Shard) -> list[list[int]]:
        """The shard's graph indices as chunks, in the order they are batched."""
        if not self.shuffle:
            return [list(range(len(shard)))]
        rng = random.Random(f"{self.seed}:{self.epoch}:shard:{shard.index}")
        members: dict[int, list[int]] = {}
        for index, group in enumerate(shard.groups):
            members.setdefault(group, []).append(index)
        chunks: list[list[int]] = []
        for group in sorted(members):
            items = members[group]
            rng.shuffle(items)
            chunks += [items[i : i + self.per_group] for i in range(0, len(items), self.per_group)]
        rng.shuffle(chunks)
        return chunks

    def _shard_graphs(self, index: int) -> Iterator[Data]:
        """The graphs of one shard in batching order (the shard is freed when done)."""
        shard = self.read_shard(index)
        for chunk in self._chunks(shard):
            for i in chunk:
                yield shard[i]

    def _worker_batches(self, shards: Sequence[int], quota: int) -> Iterator[Batch]:
        if quota <= 0:
            return
        current: list[Data] = []
        made = 0
        for index in shards:
            for data in self._shard_graphs(index):
                current.append(data)
                if len(current) == self.batch_size:
                    yield Batch.from_data_list(current)
                    current = []
                    made += 1
                    if made == quota:
                        return
        if current and not self.drop_last:
            yield Batch.from_data_list(current)

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        if workers != max(self.num_workers, 1):
            raise DatasetError(
                f"ShardedGraphs was made for num_workers={self.num_workers} but is read by "
                f"{workers} worker(s); iterate it with its loader() (or make it with the "
                "DataLoader's num_workers)"
            )
        quota = self.worker_quotas()[worker]
        return self._worker_batches(self.shards_of(self.rank, worker), quota)

    def loader(self, *, pin_memory: bool = False) -> DataLoader:
        """A ``DataLoader`` over the batches (``batch_size=None``, this ``num_workers``).

        ``len(loader)`` is the number of batches this rank yields this epoch.
        """
        return DataLoader(
            self,
            batch_size=None,
            num_workers=self.num_workers,
            collate_fn=_keep_batch,
            pin_memory=pin_memory,
            persistent_workers=False,
        )

    def __repr__(self) -> str:
        return (
            f"ShardedGraphs({str(self.directory)!r}, graphs={self.graphs}, "
            f"shards={len(self.manifest.shards)}, rank={self.rank}/{self.world_size})"
        )
