"""Data-parallel training under ``torchrun``: the process group and what the ranks share.

``torchrun --nproc_per_node N examples/train_codecontests.py ...`` starts N processes
and gives each one ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
``MASTER_PORT``; on several machines its own ``--nnodes`` and ``--rdzv-*`` options do the
rendezvous. :func:`setup_distributed` reads those variables and joins the process group
(NCCL on CUDA, one GPU per process: ``cuda:LOCAL_RANK``; gloo on the CPU). Without them
it does nothing: a plain ``python`` run is one process, as before.

The :class:`~yantra_gnn.train.trainer.Trainer` wraps its model in
``DistributedDataParallel``, gives each rank its share of the batches
(:class:`~yantra_gnn.data.loader.GroupBatchSampler`), and leaves validation, logs,
checkpoints and calibration to rank 0 (``docs/training.md``, "Distributed training").
Every collective waits at most ``TrainConfig.dist_timeout_s``: a rank whose peer died or
hangs fails with an error instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import inspect
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from yantra_gnn.device import resolve_device
from yantra_gnn.errors import ConfigError, DeviceError

logger = logging.getLogger(__name__)

#: The environment variables ``torchrun`` sets for every process it starts.
TORCHRUN_VARIABLES: tuple[str, ...] = ("RANK", "WORLD_SIZE", "LOCAL_RANK")
#: How long the other ranks wait while rank 0 prepares the data (labelling a new dataset
#: runs every program in the sandbox: hours on a large one). Prepare a large dataset
#: once before a distributed run (a single-process run, or ``yantra-gnn download``)
#: rather than keep N - 1 processes (and their GPUs) waiting.
DATA_PREPARATION_TIMEOUT = datetime.timedelta(days=7)


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands in a distributed run (one process: rank 0 of 1).

    Attributes:
        rank: this process's rank, 0 … ``world_size - 1``.
        world_size: the number of processes (1: not distributed).
        local_rank: the rank on this machine (``LOCAL_RANK``): which GPU it uses.
        backend: ``"nccl"`` or ``"gloo"``; ``None`` when not distributed.
        owns_group: whether :func:`setup_distributed` created the process group (and
            :meth:`close` destroys it); ``False`` for a group the caller made.
        wait_group: a gloo group with :data:`DATA_PREPARATION_TIMEOUT`, for the one
            long wait of a run (:meth:`main_first`); ``None`` when not distributed.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None
    owns_group: bool = False
    wait_group: Any = None

    @property
    def enabled(self) -> bool:
        """Whether this is one of several processes."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Whether this process is rank 0, the one that writes files and logs."""
        return self.rank == 0

    @contextlib.contextmanager
    def main_first(self) -> Iterator[None]:
        """Run the block on rank 0 first, then on the other ranks.

        For work whose result rank 0 caches on disk (labelling, graph caches): the other
        ranks then load the cache instead of racing to build it. They wait up to
        :data:`DATA_PREPARATION_TIMEOUT`.
        """
        if self.enabled and not self.is_main:
            dist.barrier(group=self.wait_group)
        yield
        if self.enabled and self.is_main:
            dist.barrier(group=self.wait_group)

    def broadcast(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank (picklable values; ``value`` when alone)."""
        if not self.enabled:
            return value
        box = [value if self.is_main else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def all_reduce_sum(self, values: list[float]) -> list[float]:
        """The element-wise sum of ``values`` over all ranks (``values`` when alone)."""
        if not self.enabled:
            return values
        device = torch.device("cuda", self.local_rank) if self.backend == "nccl" else None
        tensor = torch.tensor(values, dtype=torch.float64, device=device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return [float(v) for v in tensor.cpu()]

    def close(self) -> None:
        """Destroy the process group if :func:`setup_distributed` made it."""
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def torchrun_environment() -> tuple[int, int, int] | None:
    """``(rank, world_size, local_rank)`` from torchrun's variables, or ``None``.

    Raises:
        ConfigError: some of the variables are set and others are not, or one is not an
            integer in range.
    """
    present = [name for name in TORCHRUN_VARIABLES if name in os.environ]
    if not present:
        return None
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise ConfigError(
            f"{', '.join(present)} set but not {', '.join(missing)}: start distributed "
            "training with torchrun (it sets them all), or unset them for one process"
        )
    try:
        rank, world_size, local_rank = (int(os.environ[name]) for name in TORCHRUN_VARIABLES)
    except ValueError:
        values = ", ".join(f"{name}={os.environ[name]!r}" for name in TORCHRUN_VARIABLES)
        raise ConfigError(f"torchrun variables must be integers, got {values}") from None
    if world_size < 1 or not 0 <= rank < world_size or local_rank < 0:
        raise ConfigError(
            f"inconsistent torchrun variables: RANK={rank}, WORLD_SIZE={world_size}, "
            f"LOCAL_RANK={local_rank}"
        )
    return rank, world_size, local_rank


def distributed_device(device: str, local_rank: int) -> torch.device:
    """The device of the process with ``local_rank`` for the ``device`` setting.

    CUDA (``auto`` on a GPU machine, ``cuda``, ``cuda:N``) becomes ``cuda:LOCAL_RANK``:
    one GPU per process, as torchrun's ``--nproc_per_node`` counts them. The CPU stays the
    CPU.

    Raises:
        DeviceError: this machine has fewer GPUs than processes.
        ConfigError: the device is Apple MPS (no backend for collectives on it).
    """
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        count = torch.cuda.device_count()
        if local_rank >= count:
            raise DeviceError(
                f"LOCAL_RANK {local_rank} needs cuda:{local_rank}, and this machine has "
                f"{count} CUDA device(s): start at most {count} processes per node "
                "(torchrun --nproc_per_node)"
            )
        if resolved.index is not None and resolved.index != local_rank:
            logger.warning(
                "device %s ignored under torchrun: process %d uses cuda:%d (one GPU per "
                "process; choose GPUs with CUDA_VISIBLE_DEVICES)",
                device,
                local_rank,
                local_rank,
            )
        return torch.device("cuda", local_rank)
    if resolved.type == "mps":
        raise ConfigError(
            "distributed training runs on CUDA GPUs (NCCL) or CPUs (gloo), not on Apple "
            "MPS; use --device cpu under torchrun, or train in one process on mps"
        )
    return resolved


def setup_distributed(device: str, timeout_s: float) -> tuple[DistributedContext, torch.device]:
    """Join the process group torchrun describes, and pick this process's device.

    Without torchrun's variables (or with ``WORLD_SIZE=1``) nothing is set up: the
    context is rank 0 of 1 and the device is ``resolve_device(device)``. A process group
    that already exists (made by the caller) is used as it is.

    Args:
        device: the ``device`` setting (``auto``, ``cpu``, ``cuda``, …).
        timeout_s: how long a collective may wait for the other ranks before it fails.

    Returns:
        The context and the device (``cuda:LOCAL_RANK`` on GPUs).

    Raises:
        ConfigError, DeviceError: inconsistent torchrun variables, an unusable device.
    """
    environment = torchrun_environment()
    already = dist.is_available() and dist.is_initialized()
    if not already and (environment is None or environment[1] == 1):
        return DistributedContext(), resolve_device(device)
    if not dist.is_available():
        raise ConfigError("this torch build has no torch.distributed: train in one process")
    if environment is not None:
        local_rank = environment[2]
    else:  # a group made by the caller, without torchrun: one GPU per rank on each node
        local_rank = dist.get_rank() % max(torch.cuda.device_count(), 1)
    target = distributed_device(device, local_rank)
    backend = "nccl" if target.type == "cuda" else "gloo"
    if target.type == "cuda":
        torch.cuda.set_device(target)
    timeout = datetime.timedelta(seconds=timeout_s)
    if not already:
        dist.init_process_group(backend=backend, init_method="env://", timeout=timeout)
    else:
        backend = str(dist.get_backend())
    context = DistributedContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=local_rank,
        backend=backend,
        owns_group=not already,
        wait_group=dist.new_group(backend="gloo", timeout=DATA_PREPARATION_TIMEOUT),
    )
    if not context.is_main:
        # One rank reports: the others log their warnings and errors only.
        logging.getLogger("yantra_gnn").setLevel(logging.WARNING)
    logger.info(
        "distributed training: %d processes (%s), rank 0 on %s; timeout %gs per collective",
        context.world_size,
        backend,
        target,
        timeout_s,
    )
    return context, target


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """The torch seed of ``rank`` for ``epoch`` of a distributed run (dropout masks).

    Each rank draws its own dropout masks, and a resumed run draws the same ones as an
    uninterrupted run (only rank 0's generator state is saved in checkpoints).
    """
    digest = hashlib.sha256(f"{seed}:{epoch}:{rank}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & 0x7FFF_FFFF_FFFF_FFFF


def data_parallel(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """``model`` wrapped in ``DistributedDataParallel`` for this process's ``device``.

    Gradients are averaged over the ranks during ``backward``. The model's buffers are
    constants of its config (edge-type masks): they are synced once, when wrapped, not
    before every forward pass.
    """
    wrapper = torch.nn.parallel.DistributedDataParallel
    options: dict[str, Any] = {"device_ids": [device.index] if device.type == "cuda" else None}
    # torch >= 2.13 names it forward_sync_buffers (broadcast_buffers is deprecated there)
    if "forward_sync_buffers" in inspect.signature(wrapper.__init__).parameters:
        options["forward_sync_buffers"] = False
    else:
        options["broadcast_buffers"] = False
    return wrapper(model, **options)
