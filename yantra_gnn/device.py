"""Torch device selection: ``auto`` picks CUDA, then Apple MPS, then the CPU.

Every entry point of the library takes ``device=`` and passes it through
``resolve_device``, so an unavailable device fails early with a ``DeviceError`` that
lists what this machine has, instead of a CUDA error deep inside a forward pass.
"""

from __future__ import annotations

import contextlib
import logging

import torch
from torch import Tensor
from torch_geometric.data import Data

from yantra_gnn.defaults import INFERENCE_PRECISIONS, PRECISIONS
from yantra_gnn.errors import ConfigError, DeviceError

logger = logging.getLogger(__name__)

DeviceLike = str | torch.device


def mps_is_available() -> bool:
    """True when this torch build has the Apple MPS backend and the machine supports it."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """The devices this machine offers, e.g. ``["cpu", "cuda:0", "cuda:1"]`` or ``["cpu", "mps"]``."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.extend(f"cuda:{i}" for i in range(torch.cuda.device_count()))
    if mps_is_available():
        devices.append("mps")
    return devices


def resolve_device(device: DeviceLike = "auto") -> torch.device:
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"`` or a ``torch.device``
    into an available ``torch.device``.

    ``"auto"`` picks CUDA when available, then MPS, then the CPU.

    Raises:
        DeviceError: the device is unknown or not available here (the message lists the
            available ones).
    """
    if isinstance(device, str) and device.strip().lower() == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if isinstance(device, str):
        try:
            resolved = torch.device(device.strip().lower())
        except RuntimeError as error:
            raise DeviceError(
                f"unknown device {device!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' "
                f"(available here: {', '.join(available_devices())})"
            ) from error
    elif isinstance(device, torch.device):
        resolved = device
    else:
        raise DeviceError(
            f"device must be a string or torch.device, got {type(device).__name__}; use "
            f"'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' (available here: "
            f"{', '.join(available_devices())})"
        )

    available = ", ".join(available_devices())
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {device!s} requested but CUDA is not available (this torch build or "
                f"machine has no usable NVIDIA GPU); available: {available}"
            )
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise DeviceError(
                f"device {device!s} requested but this machine has {count} CUDA device(s) "
                f"(cuda:0 to cuda:{count - 1}); available: {available}"
            )
        return resolved
    if resolved.type == "mps":
        if not mps_is_available():
            raise DeviceError(
                f"device {device!s} requested but Apple MPS is not available (it needs an "
                f"Apple-silicon Mac and a torch build with MPS); available: {available}"
            )
        return resolved
    raise DeviceError(
        f"device type {resolved.type!r} is not supported; use 'auto', 'cpu', 'cuda', "
        f"'cuda:N' or 'mps' (available here: {available})"
    )


def batch_to_device(batch: Data, device: DeviceLike) -> Data:
    """Move every tensor of a PyG ``Data``/``Batch`` to ``device``.

    Sparse COO tensors (the node features ``x``) stay on the CPU when the device is
    Apple MPS, which cannot hold sparse tensors; ``YantraGNN`` moves their index and
    value arrays to the device itself. Everything else moves as ``batch.to(device)``.
    """
    target = resolve_device(device)
    if target.type != "mps":
        return batch.to(target)

    def move(value: Tensor) -> Tensor:
        return value if value.is_sparse else value.to(target)

    return batch.apply(move)


def check_precision(precision: str, allowed: tuple[str, ...] = PRECISIONS) -> str:
    """``precision`` if it is one of ``allowed`` (default: the forward-pass precisions
    :data:`~yantra_gnn.defaults.PRECISIONS`), else ConfigError."""
    if precision not in allowed:
        raise ConfigError(f"precision must be one of {', '.join(allowed)}, got {precision!r}")
    return precision


def precision_context(
    precision: str, device: DeviceLike
) -> contextlib.AbstractContextManager[object]:
    """The context a forward (and its losses) runs in for ``precision`` on ``device``.

    ``"fp32"``: nothing changes. ``"bf16"``: ``torch.autocast`` with bfloat16, so the
    dense matrix products run in bf16 (about 2-3x faster on CPUs with AVX-512 BF16 or AMX,
    and on recent GPUs) while weights, sparse products and reductions stay float32. The
    outputs differ from fp32 within bf16's precision (docs/model.md gives the measured
    differences). ``"int8"``: nothing changes either; its int8 products are in the
    model's weights (:func:`yantra_gnn.nn.quantize.quantize_int8`).

    Raises:
        ConfigError: an unknown precision.
    """
    if check_precision(precision, INFERENCE_PRECISIONS) != "bf16":
        return contextlib.nullcontext()
    return torch.autocast(resolve_device(device).type, dtype=torch.bfloat16)
