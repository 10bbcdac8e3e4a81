"""Data loaders over :class:`~yantra_gnn.data.dataset.CodeContestsDataset`.

:func:`create_dataloaders` is the one way the library builds its loaders: the
:class:`~yantra_gnn.train.Trainer` calls it, and so can any other training loop. The
training loader batches with :class:`GroupBatchSampler`, which puts several programs of
one problem into each batch (the contrastive loss needs positives); the validation
loader keeps the dataset's order.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Sampler
from torch_geometric.loader import DataLoader

from yantra_gnn.data.dataset import CodeContestsDataset, LabelledGraphs, ProgramGraphs
from yantra_gnn.errors import DatasetError
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings


class GroupBatchSampler(Sampler[list[int]]):
    """Batches that hold several programs of the same problem (contrastive positives).

    Each epoch, every group's items are shuffled and cut into chunks of ``per_group``;
    chunks are shuffled and packed into batches of ``batch_size``. Deterministic for a
    given ``seed`` and epoch (:meth:`set_epoch`).

    **Distributed training** (``num_replicas`` > 1, one sampler per rank, the same
    ``seed`` on every rank): every rank computes the same epoch's batches as above and
    takes every ``num_replicas``-th one, starting at its ``rank``; step ``k`` of the
    epoch is the batches ``k * num_replicas`` … ``k * num_replicas + num_replicas - 1``,
    one per rank. So ``batch_size`` is per rank (the global batch is ``batch_size *
    num_replicas``), each rank's batch is built exactly as a one-process batch (its
    problems' chunks of ``per_group`` together), and the global batch of a step holds the
    same programs as one batch of ``batch_size * num_replicas`` in one process. When the
    batches do not divide evenly, the ranks left short take the epoch's first batches
    again, so that every rank runs the same number of steps (a collective never waits
    for a rank that has stopped); a step's global batch size is
    :meth:`global_batch_sizes`.
    """

    def __init__(
        self,
        groups: Sequence[int],
        batch_size: int,
        per_group: int = 4,
        seed: int = 0,
        shuffle: bool = True,
        *,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if batch_size < 1 or per_group < 1:
            raise DatasetError(
                f"batch_size and per_group must be >= 1, got {batch_size}, {per_group}"
            )
        self.groups = list(groups)
        self.batch_size = batch_size
        self.per_group = min(per_group, batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.epoch = 0
        self.num_replicas = 1
        self.rank = 0
        self.shard(num_replicas, rank)

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch`` (the batches are drawn from ``(seed, epoch)``)."""
        self.epoch = epoch

    def shard(self, num_replicas: int, rank: int) -> None:
        """Take the share of rank ``rank`` of ``num_replicas`` (1, 0: all batches).

        Raises:
            DatasetError: ``rank`` is not in ``0 … num_replicas - 1``.
        """
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise DatasetError(
                f"rank must be in 0 … num_replicas - 1, got rank {rank} of {num_replicas}"
            )
        self.num_replicas, self.rank = num_replicas, rank

    def _batches(self) -> list[list[int]]:
        """The epoch's batches over all ranks, in step order."""
        rng = random.Random(f"{self.seed}:{self.epoch}")
        members: dict[int, list[int]] = {}
        for index, group in enumerate(self.groups):
            members.setdefault(group, []).append(index)
        chunks = []
        for group in sorted(members):
            items = members[group]
            if self.shuffle:
                rng.shuffle(items)
            chunks += [items[i : i + self.per_group] for i in range(0, len(items), self.per_group)]
        if self.shuffle:
            rng.shuffle(chunks)
        batches: list[list[int]] = []
        current: list[int] = []
        for chunk in chunks:
            current += chunk
            while len(current) >= self.batch_size:
                batches.append(current[: self.batch_size])
                current = current[self.batch_size :]
        if current:
            batches.append(current)
        if self.num_replicas > 1 and batches:
            short = -len(batches) % self.num_replicas
            batches += [batches[i % len(batches)] for i in range(short)]
        return batches

    def global_batch_sizes(self) -> list[int]:
        """Programs per step of this epoch over all ranks (one entry per step)."""
        batches = self._batches()
        return [
            sum(len(batch) for batch in batches[start : start + self.num_replicas])
            for start in range(0, len(batches), self.num_replicas)
        ]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._batches()[self.rank :: self.num_replicas])

    def __len__(self) -> int:
        return len(self._batches()[self.rank :: self.num_replicas])


@dataclass(frozen=True)
class DataLoaders:
    """What :func:`create_dataloaders` returns; unpacks as ``train, val = ...``.

    Attributes:
        train: the training loader (batches from ``sampler``).
        val: the validation loader (the dataset's order).
        train_set, val_set: the two splits (``train_set`` with the extra training
            programs joined, when there are any).
        sampler: the training loader's :class:`GroupBatchSampler`; call
            ``sampler.set_epoch(epoch)`` before each epoch to reshuffle.
    """

    train: DataLoader
    val: DataLoader
    train_set: LabelledGraphs
    val_set: CodeContestsDataset
    sampler: GroupBatchSampler

    def __iter__(self) -> Iterator[DataLoader]:
        return iter((self.train, self.val))


def create_dataloaders(
    root: str | os.PathLike[str],
    batch_size: int = 32,
    *,
    settings: LabelSettings | None = None,
    import_min_count: int = 2,
    per_group: int = 4,
    seed: int = 0,
    limit: int | None = None,
    num_workers: int = 0,
    workers: int | None = None,
    progress: bool = True,
    sandbox_cache: str | os.PathLike[str] | None = SANDBOX_CACHE_DIR,
    extra_train: Sequence[LabelledProgram] = (),
    extra_name: str = "extra",
    num_replicas: int = 1,
    rank: int = 0,
) -> DataLoaders:
    """Train and validation ``DataLoader``\\ s over :class:`CodeContestsDataset`.

    The training loader batches with :class:`GroupBatchSampler` (``per_group`` programs
    of a problem together, reshuffled each epoch from ``(seed, epoch)``); the validation
    loader keeps the dataset's order.

    Args:
        root: a prepared dataset directory (``train.jsonl`` and ``val.jsonl``).
        batch_size: graphs per batch.
        settings: how labels are made (its ``seed`` seeds the mutants); default
            ``LabelSettings()``.
        import_min_count, limit, sandbox_cache, progress: as for
            :class:`CodeContestsDataset` (part of its cache key, except the last two).
        per_group: programs of one problem put together in a training batch.
        seed: seeds the training batches.
        num_workers: ``DataLoader`` worker processes (0: load in the main process).
        workers: parallel sandbox runs when a split is processed (default: one per core).
        extra_train: more labelled training programs (e.g. the training tasks of
            ConDefects, :func:`yantra_gnn.labels.condefects.programs_of`), joined to the
            training split with its label vocabularies (:meth:`LabelledGraphs.combine`);
            their problems are groups of their own.
        extra_name: what the extra programs are, for logs and progress bars.
        num_replicas, rank: distributed training: the training loader gives this rank
            its share of the batches (:class:`GroupBatchSampler`; ``batch_size`` is per
            rank). The validation loader is not split.
    """
    train_set, val_set = (
        CodeContestsDataset(
            root,
            split,
            settings=settings,
            import_min_count=import_min_count,
            limit=limit,
            workers=workers,
            sandbox_cache=sandbox_cache,
            progress=progress,
        )
        for split in ("train", "val")
    )
    if extra_train:
        extra = ProgramGraphs(
            extra_train,
            train_set.import_vocab,
            train_set.bug_classes,
            name=extra_name,
            progress=progress,
        )
        train_set = LabelledGraphs.combine([train_set, extra])
    sampler = GroupBatchSampler(
        train_set.groups,
        batch_size,
        per_group=per_group,
        seed=seed,
        num_replicas=num_replicas,
        rank=rank,
    )
    return DataLoaders(
        train=DataLoader(train_set, batch_sampler=sampler, num_workers=num_workers),
        val=DataLoader(val_set, batch_size=batch_size, shuffle=False, num_workers=num_workers),
        train_set=train_set,
        val_set=val_set,
        sampler=sampler,
    )
