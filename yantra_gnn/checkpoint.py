"""Checkpoints: full training state for resuming, and weights-only files for inference.

Two formats, both self-describing (model config, label vocabularies, feature spec
version, library version, timestamp):

- **Training checkpoint** (``save_checkpoint`` / ``load_checkpoint``): a ``torch.save``
  zip holding only tensors, numbers, strings, lists and dicts — model, optimizer and
  scheduler state, RNG states (torch, CUDA, numpy, python ``random``), epoch, losses,
  a JSON-able metadata dict and an optional ``extra_state``. Loaded with
  ``torch.load(weights_only=True)``, so a file can never run code when loaded.
- **Inference model** (``save_model_for_inference`` / ``load_model_for_inference``): one
  safetensors file of the weights with the config and versions as JSON in the
  safetensors metadata (a single file to ship; no pickle at all).

Writes are atomic: the file is written to a temporary file in the same directory and
moved over the target with ``os.replace``, so a crash mid-save leaves the previous
file intact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pickle
import random
import re
import reprlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

import numpy as np
import safetensors
import safetensors.torch
import torch
from torch import nn

from yantra_gnn.defaults import DEFAULT_MODEL
from yantra_gnn.device import DeviceLike, resolve_device
from yantra_gnn.errors import CheckpointError, ConfigError
from yantra_gnn.files import atomic_write
from yantra_gnn.home import expand
from yantra_gnn.nn.config import ModelConfig
from yantra_gnn.nn.model import YantraGNN
from yantra_gnn.registry import ModelRegistry, RegisteredModel, parse_reference
from yantra_gnn.schema import FEATURE_SPEC_VERSION
from yantra_gnn.version import __version__

logger = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "yantra-gnn-checkpoint"
INFERENCE_FORMAT = "yantra-gnn-inference"
FORMAT_VERSION = 1
_COMPILE_PREFIX = "_orig_mod."
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass
class CheckpointInfo:
    """What ``load_checkpoint`` restored besides the weights."""

    epoch: int
    train_loss: float | None
    val_loss: float | None
    metadata: dict[str, Any] = field(default_factory=dict)
    extra_state: Any = None
    config: ModelConfig | None = None
    feature_spec_version: Any = None
    library_version: str = ""
    timestamp: str = ""


def unwrap_model(model: nn.Module) -> nn.Module:
    """The underlying module of a ``torch.compile`` or ``DistributedDataParallel`` wrapper."""
    while True:
        if hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod
        elif isinstance(model, nn.parallel.DistributedDataParallel | nn.DataParallel):
            model = model.module
        else:
            return model


def _yantra_model(model: nn.Module, action: str) -> YantraGNN:
    inner = unwrap_model(model)
    if not isinstance(inner, YantraGNN):
        raise CheckpointError(
            f"{action} needs a YantraGNN (its config makes the file self-describing), got "
            f"{type(inner).__name__}"
        )
    return inner


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def _short(value: Any) -> str:
    """A short ``repr`` of a value read from a file, safe however deep or large it is
    (a plain ``repr`` of a deeply nested list raises ``RecursionError``)."""
    try:
        return _REPR.repr(value)
    except Exception:  # a repr that fails: name the type only
        return f"<{type(value).__name__}>"


def _timestamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_plain(value: Any, where: str) -> None:
    """Refuse values that ``torch.load(weights_only=True)`` could not read back."""
    if value is None or isinstance(value, bool | int | float | str | torch.Tensor):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str | int):
                raise CheckpointError(f"{where} has a key of type {type(key).__name__}")
            _check_plain(item, f"{where}[{key!r}]")
        return
    raise CheckpointError(
        f"{where} holds a {type(value).__name__}; checkpoints keep only tensors, numbers, "
        "strings, lists and dicts (so loading never unpickles objects): convert it first"
    )


def _strip_compile_prefix(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {
        (key[len(_COMPILE_PREFIX) :] if key.startswith(_COMPILE_PREFIX) else key): value
        for key, value in state.items()
    }


def _optional_float(value: Any, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, torch.Tensor):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{name} must be a number or None, got {_short(value)}") from error


def rng_state() -> dict[str, Any]:
    """The torch (CPU and CUDA), numpy and python ``random`` generator states, as plain data."""
    # The legacy (default) form: a tuple for numpy's global MT19937 generator.
    np_state = cast(tuple[str, np.ndarray, int, int, float], np.random.get_state())
    py_version, py_internal, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "bit_generator": str(np_state[0]),
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": {
            "version": int(py_version),
            "internal": torch.tensor(py_internal, dtype=torch.int64),
            "gauss_next": py_gauss,
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore the generator states saved by ``rng_state``."""
    torch.set_rng_state(state["torch"].cpu())
    numpy_state = state["numpy"]
    np.random.set_state(
        (
            numpy_state["bit_generator"],
            numpy_state["keys"].cpu().numpy().astype(np.uint32),
            numpy_state["pos"],
            numpy_state["has_gauss"],
            numpy_state["cached_gaussian"],
        )
    )
    python_state = state["python"]
    random.setstate(
        (
            python_state["version"],
            tuple(int(v) for v in python_state["internal"].tolist()),
            python_state["gauss_next"],
        )
    )
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = [s.cpu() for s in state["cuda"]]
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda_states)
        else:
            logger.warning(
                "checkpoint has CUDA RNG states for %d devices, this machine has %d; "
                "CUDA RNG not restored",
                len(cuda_states),
                torch.cuda.device_count(),
            )


def save_checkpoint(
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None,
    epoch: int,
    train_loss: float | None,
    val_loss: float | None,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    *,
    scheduler: Any = None,
    extra_state: Any = None,
) -> Path:
    """Save the full training state to ``path`` atomically; return the path.

    Args:
        model: a ``YantraGNN`` (possibly wrapped by ``torch.compile`` or DDP).
        optimizer: its optimizer, or None.
        epoch: the number of finished epochs.
        train_loss, val_loss: the last losses (numbers or None).
        path: the file to write (``.pt`` by convention); parent directories are made.
        metadata: a JSON-able dict (run name, dataset, metrics, …).
        scheduler: an LR scheduler whose ``state_dict`` to save, or None.
        extra_state: more plain data to carry (tensors, numbers, strings, lists, dicts),
            e.g. the early-stopping counter.

    Raises:
        CheckpointError: the model is not a YantraGNN, or metadata / extra_state hold
            values that cannot be stored safely.
    """
    path = expand(path)  # "~/..." works as in the shell
    inner = _yantra_model(model, "save_checkpoint")
    metadata = dict(metadata or {})
    try:
        json.dumps(metadata, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise CheckpointError(
            f"metadata for {path} is not JSON-serialisable ({error}); pass plain "
            "numbers, strings, lists and dicts"
        ) from error
    _check_plain(extra_state, "extra_state")
    optimizer_state = optimizer.state_dict() if optimizer is not None else None
    scheduler_state = scheduler.state_dict() if scheduler is not None else None
    _check_plain(optimizer_state, "optimizer state")
    _check_plain(scheduler_state, "scheduler state")
    config = inner.config
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "timestamp": _timestamp(),
        "feature_spec_version": FEATURE_SPEC_VERSION,
        "model_config": config.to_dict(),
        "label_vocabularies": {
            "imports": list(config.import_vocab),
            "bugs": list(config.bug_classes),
        },
        "model_state": {k: v.detach() for k, v in inner.state_dict().items()},
        "optimizer_state": optimizer_state,
        "scheduler_state": scheduler_state,
        "rng_state": rng_state(),
        "epoch": int(epoch),
        "train_loss": _optional_float(train_loss, "train_loss"),
        "val_loss": _optional_float(val_loss, "val_loss"),
        "metadata": metadata,
        "extra_state": extra_state,
    }
    checked = _with_checksum(payload)
    atomic_write(path, lambda handle: torch.save(checked, handle))
    logger.info("saved checkpoint (epoch %d) to %s", epoch, path)
    return path


def _digest(value: Any) -> str:
    """SHA-256 of a payload of tensors and plain data, the same in every process.

    Dict keys are taken in sorted order; a tensor contributes its dtype, shape and raw
    bytes, any other leaf its type and ``repr``.
    """
    digest = hashlib.sha256()
    # (is_key, item) pairs: a dict key is hashed as text, never walked into.
    stack: list[tuple[bool, Any]] = [(False, value)]
    while stack:
        is_key, item = stack.pop()
        if is_key:
            digest.update(f"K{item!r}".encode())
        elif isinstance(item, torch.Tensor):
            flat = item.detach().cpu().contiguous().reshape(-1)
            digest.update(f"T{item.dtype}{tuple(item.shape)}".encode())
            digest.update(flat.view(torch.uint8).numpy().tobytes())
        elif isinstance(item, Mapping):
            keys = sorted(item, key=repr)
            digest.update(f"D{len(keys)}".encode())
            for key in reversed(keys):
                stack.append((False, item[key]))
                stack.append((True, key))
        elif isinstance(item, list | tuple):
            digest.update(f"L{type(item).__name__}{len(item)}".encode())
            stack.extend((False, element) for element in reversed(item))
        else:
            digest.update(f"V{type(item).__name__}:{item!r}".encode())
    return digest.hexdigest()


def _with_checksum(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` plus ``payload_sha256``, the digest of everything else in it."""
    body = {k: v for k, v in payload.items() if k != "payload_sha256"}
    return {**body, "payload_sha256": _digest(body)}


def _verify_checksum(path: Path, payload: dict[str, Any]) -> None:
    """A checkpoint whose content changed since it was saved is refused (files written
    before checksums were stored have none and are read as they are)."""
    saved = payload.get("payload_sha256")
    if saved is None:
        return
    body = {k: v for k, v in payload.items() if k != "payload_sha256"}
    if _digest(body) != saved:
        raise CheckpointError(
            f"checkpoint {path} fails its checksum: its content changed after it was saved "
            "(flipped bytes on disk or an edit); use another checkpoint or retrain"
        )


def _read_checkpoint(path: Path, map_location: torch.device | str) -> dict[str, Any]:
    """Load and validate a training checkpoint file (never unpickling objects)."""
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} does not exist (or is not a file); check the path"
        )
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch.load raises many types on corrupt input
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        if isinstance(error, pickle.UnpicklingError) and "Weights only load failed" in str(error):
            found = re.search(r"Unsupported (global: GLOBAL \S+|operand \d+)", str(error))
            raise CheckpointError(
                f"refused to load {path}: it is a pickle holding objects other than tensors "
                "and plain data (loading it could run code); only load checkpoints written "
                "by yantra_gnn.checkpoint.save_checkpoint"
                + (f" ({found.group(0)})" if found else "")
            ) from error
        detail = lines[0] if lines else type(error).__name__
        raise CheckpointError(
            f"cannot read checkpoint {path}: the file is truncated, corrupt or not a torch "
            f"checkpoint ({detail}); re-save it or use another checkpoint (a model file "
            "from save_model_for_inference is read with load_model_for_inference)"
        ) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not a yantra-gnn training checkpoint; write one with "
            "yantra_gnn.checkpoint.save_checkpoint (a model file from "
            "save_model_for_inference is read with load_model_for_inference)"
        )
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {_short(payload.get('format_version'))}; this "
            f"yantra-gnn ({__version__}) reads version {FORMAT_VERSION}: use the yantra-gnn "
            f"version that wrote it ({_short(payload.get('library_version'))})"
        )
    _check_feature_spec(path, payload.get("feature_spec_version"))
    _verify_checksum(path, payload)
    state = payload.get("model_state")
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise CheckpointError(
            f"{path} holds no model weights (model_state must map names to tensors); "
            "the file is damaged: use another checkpoint"
        )
    epoch = payload.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise CheckpointError(f"{path} holds an invalid epoch {_short(epoch)}; the file is damaged")
    for name in ("train_loss", "val_loss"):
        loss = payload.get(name)
        if loss is not None and (isinstance(loss, bool) or not isinstance(loss, int | float)):
            raise CheckpointError(
                f"{path} holds an invalid {name} {_short(loss)} (a number or None); the file "
                "is damaged"
            )
    for name in ("metadata", "optimizer_state", "scheduler_state", "rng_state"):
        part = payload.get(name)
        if part is not None and not isinstance(part, dict):
            raise CheckpointError(
                f"{path} holds a {type(part).__name__} as {name} (a dict or None); the file "
                "is damaged"
            )
    return payload


def _check_state(path: Path, config: ModelConfig, state: Mapping[str, torch.Tensor]) -> None:
    """The saved weights are exactly the tensors ``config`` builds (names, shapes, dtypes),
    all finite; checked on the ``meta`` device, so a hostile config allocates nothing."""
    try:
        with torch.device("meta"):
            expected = YantraGNN(config).state_dict()
    except Exception as error:  # any config that cannot build a model
        raise CheckpointError(f"{path}: its model config cannot build a model ({error})") from error
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{path}: its weights do not fit its own config (missing {missing[:4]}, "
            f"unexpected {unexpected[:4]}); the file is damaged or was edited"
        )
    for name, tensor in state.items():
        want = expected[name]
        if tensor.shape != want.shape or tensor.dtype != want.dtype:
            raise CheckpointError(
                f"{path}: weight {_short(name)} is {tensor.dtype} {tuple(tensor.shape)}, its config "
                f"needs {want.dtype} {tuple(want.shape)}; the file is damaged or was edited"
            )
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{path}: weight {_short(name)} holds NaN or infinite values (a corrupt file or a "
                "diverged run); use another checkpoint"
            )


def _check_feature_spec(path: Path, saved: Any) -> None:
    if saved != FEATURE_SPEC_VERSION:
        raise CheckpointError(
            f"{path} was trained on node features of spec version {_short(saved)}, but this "
            f"yantra-gnn builds features of spec version {FEATURE_SPEC_VERSION!r}; the model "
            "would read features of another layout. Retrain the model, or install the "
            "yantra-gnn version that wrote it"
        )


def _config_from(path: Path, values: Any) -> ModelConfig:
    if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
        kind = "no model config" if values is None else f"a {type(values).__name__}"
        raise CheckpointError(
            f"{path} holds an invalid model config: expected a mapping of field names, found "
            f"{kind}; the file is damaged or was not written by yantra-gnn"
        )
    if "import_evidence" not in values:
        # written before the field existed: those models have no evidence head
        values = {**values, "import_evidence": False}
    try:
        return ModelConfig.from_dict(values)
    except Exception as error:  # ConfigError, or whatever hostile values make it raise
        detail = str(error) if isinstance(error, ConfigError) else type(error).__name__
        if len(detail) > 300:
            detail = detail[:300] + "..."
        raise CheckpointError(f"{path} holds an invalid model config: {detail}") from error


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    device: DeviceLike = "cpu",
    *,
    scheduler: Any = None,
    restore_rng: bool = False,
) -> CheckpointInfo:
    """Restore a training checkpoint into ``model`` (and optimizer / scheduler / RNG).

    The model is moved to ``device`` before the optimizer state is loaded, so optimizer
    tensors land on the parameters' device. Keys with ``torch.compile``'s
    ``_orig_mod.`` prefix are accepted, and ``model`` may itself be compiled. The saved
    config may differ from the model's in ``confidence_temperature`` and
    ``confidence_bias`` only (the confidence head's Platt scaling, fitted after
    training); the model takes the saved ones.

    Args:
        path: a file written by ``save_checkpoint``.
        model: a ``YantraGNN`` built with the same config.
        optimizer: restore its state too when given (the file must hold one).
        device: where to put the model (``"auto"``, ``"cpu"``, ``"cuda:0"``, …).
        scheduler: restore its state too when given (the file must hold one).
        restore_rng: also restore the torch / numpy / random generator states, for an
            exact resume.

    Returns:
        ``CheckpointInfo`` with epoch, losses, metadata, extra_state, config, versions.

    Raises:
        CheckpointError: missing, corrupt or foreign file; another feature spec version;
            a config that does not match ``model``.
    """
    path = expand(path)  # "~/..." works as in the shell
    target = resolve_device(device)
    payload = _read_checkpoint(path, "cpu")
    inner = _yantra_model(model, "load_checkpoint")
    saved_config = _config_from(path, payload.get("model_config"))
    # The confidence temperature and bias are fitted after training, not part of the
    # architecture: a model built with others loads the weights and takes the saved ones.
    if not _same_architecture(saved_config, inner.config):
        mine, theirs = inner.config.to_dict(), saved_config.to_dict()
        differing = sorted(k for k in mine if mine[k] != theirs[k])
        raise CheckpointError(
            f"{path} holds a model with another config (fields {differing} differ); build "
            "the model with the saved config: YantraGNN(ModelConfig.from_dict(...)) or "
            "load_model_for_inference"
        )
    state = _strip_compile_prefix(payload["model_state"])
    _check_state(path, saved_config, state)
    for wanted, name, what, without in (
        (optimizer is not None, "optimizer_state", "optimizer state", "optimizer="),
        (scheduler is not None, "scheduler_state", "scheduler state", "scheduler="),
        (restore_rng, "rng_state", "RNG state", "restore_rng=False"),
    ):
        if wanted and payload.get(name) is None:
            raise CheckpointError(f"{path} holds no {what}; load without {without}")
    # Optimizer, scheduler and RNG states are restored before the weights; when one of
    # them does not fit, everything restored so far is rolled back, so an error leaves
    # the model, the optimizer, the scheduler and the generators as they were.
    optimizer_before = optimizer.state_dict() if optimizer is not None else None
    scheduler_before = scheduler.state_dict() if scheduler is not None else None
    rng_before = rng_state() if restore_rng else None
    inner.to(target)
    try:
        _restore_training_state(path, payload, inner, state, optimizer, scheduler, restore_rng)
    except BaseException:
        if optimizer is not None and optimizer_before is not None:
            optimizer.load_state_dict(optimizer_before)
        if scheduler is not None:
            scheduler.load_state_dict(scheduler_before)
        if rng_before is not None:
            set_rng_state(rng_before)
        raise
    inner.config = saved_config
    inner.to(target)
    logger.info("loaded checkpoint %s (epoch %d) onto %s", path, payload["epoch"], target)
    return CheckpointInfo(
        epoch=int(payload["epoch"]),
        train_loss=payload.get("train_loss"),
        val_loss=payload.get("val_loss"),
        metadata=dict(payload.get("metadata") or {}),
        extra_state=payload.get("extra_state"),
        config=saved_config,
        feature_spec_version=payload.get("feature_spec_version"),
        library_version=str(payload.get("library_version", "")),
        timestamp=str(payload.get("timestamp", "")),
    )


def _same_kind(saved: Any, current: Any) -> bool:
    """Whether a saved scheduler value may replace the current one: both numbers, one
    of them ``None``, or of the same type."""
    if saved is None or current is None:
        return True
    numbers = (int, float)
    if isinstance(saved, numbers) and isinstance(current, numbers):
        return isinstance(saved, bool) == isinstance(current, bool)
    return type(saved) is type(current)


def _restore_training_state(
    path: Path,
    payload: Mapping[str, Any],
    inner: YantraGNN,
    state: Mapping[str, torch.Tensor],
    optimizer: torch.optim.Optimizer | None,
    scheduler: Any,
    restore_rng: bool,
) -> None:
    """The optimizer, scheduler and RNG states, then the weights, of a checkpoint; any
    that does not fit is a ``CheckpointError`` (the caller rolls back the others)."""
    if optimizer is not None:
        try:
            optimizer.load_state_dict(payload["optimizer_state"])
        except Exception as error:  # ValueError, KeyError, TypeError, ... on a bad state
            raise CheckpointError(
                f"{path}: optimizer state does not fit the given optimizer "
                f"({type(error).__name__}: {_short(str(error))}); use the same optimizer class "
                "and parameter groups as when it was saved"
            ) from error
    if scheduler is not None:
        saved, current = payload["scheduler_state"], scheduler.state_dict()
        # load_state_dict sets whatever attributes it is given (its optimizer too)
        wrong = sorted(
            str(key)
            for key in saved
            if key not in current or not _same_kind(saved[key], current[key])
        )
        if wrong:
            raise CheckpointError(
                f"{path}: scheduler state does not fit the given scheduler (unknown fields or "
                f"values of another type: {_short(wrong)})"
            )
        try:
            scheduler.load_state_dict(saved)
        except Exception as error:
            raise CheckpointError(
                f"{path}: scheduler state does not fit the given scheduler "
                f"({type(error).__name__}: {_short(str(error))})"
            ) from error
    if restore_rng:
        try:
            set_rng_state(payload["rng_state"])
        except Exception as error:
            raise CheckpointError(
                f"{path}: its RNG state is damaged ({type(error).__name__}); load with "
                "restore_rng=False"
            ) from error
    try:
        inner.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: model weights do not fit the model: {error}") from error


def checkpoint_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metadata dict of a training checkpoint, read without a model to load it into.

    The Trainer reads it before building anything, to compare the saved run's settings
    (``metadata["train_config"]``) with those of a resumed run.

    Raises:
        CheckpointError: missing, corrupt or foreign file (as for ``load_checkpoint``).
    """
    payload = _read_checkpoint(expand(path), "cpu")
    return dict(payload.get("metadata") or {})


def _same_architecture(a: ModelConfig, b: ModelConfig) -> bool:
    """Whether two configs describe the same model, whatever their confidence calibration."""
    return (
        dataclasses.replace(
            a,
            confidence_temperature=b.confidence_temperature,
            confidence_bias=b.confidence_bias,
            confidence_base_rate=b.confidence_base_rate,
        )
        == b
    )


def set_checkpoint_temperature(
    path: str | os.PathLike[str],
    temperature: float,
    calibration: Mapping[str, Any] | None = None,
    *,
    bias: float = 0.0,
    base_rate: float | None = None,
) -> Path:
    """Write a fitted confidence calibration into a saved training checkpoint, atomically.

    The confidence head's Platt scaling ``sigmoid(logit / temperature + bias)``: only
    ``model_config.confidence_temperature`` and ``model_config.confidence_bias`` change
    (and, when ``calibration`` is given, ``metadata["confidence_calibration"]``);
    weights, optimizer, scheduler and RNG states stay as they were, so resuming from the
    file is unchanged. ``bias`` defaults to ``0.0``: temperature scaling alone.
    ``base_rate``: the share of correct candidates the scaling was fitted on
    (``model_config.confidence_base_rate``; ``None`` leaves it unknown).

    Raises:
        CheckpointError: the file is not a readable checkpoint, the temperature is not a
            finite number > 0, the bias not a finite number, or ``calibration`` is not
            JSON-able.
    """
    path = expand(path)  # "~/..." works as in the shell
    payload = _read_checkpoint(path, "cpu")
    config = _config_from(path, payload.get("model_config"))
    try:
        config = dataclasses.replace(
            config,
            confidence_temperature=temperature,
            confidence_bias=bias,
            confidence_base_rate=base_rate,
        )
    except ConfigError as error:
        raise CheckpointError(f"{path}: {error}") from error
    payload["model_config"] = config.to_dict()
    if calibration is not None:
        metadata = dict(payload.get("metadata") or {})
        metadata["confidence_calibration"] = dict(calibration)
        try:
            json.dumps(metadata, allow_nan=True)
        except (TypeError, ValueError) as error:
            raise CheckpointError(
                f"calibration record for {path} is not JSON-serialisable ({error})"
            ) from error
        payload["metadata"] = metadata
    checked = _with_checksum(payload)
    atomic_write(path, lambda handle: torch.save(checked, handle))
    logger.info(
        "saved confidence temperature %.4f and bias %.4f into %s",
        config.confidence_temperature,
        config.confidence_bias,
        path,
    )
    return path


#: Weight dtypes a model file may store (loaded back as float32).
STORAGE_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def save_model_for_inference(
    model: nn.Module, path: str | os.PathLike[str], *, dtype: str = "float32"
) -> Path:
    """Save the model's weights as one safetensors file, config as JSON metadata.

    The safetensors header metadata holds ``format``, ``format_version``, ``config``
    (the ``ModelConfig`` as JSON, label vocabularies included),
    ``feature_spec_version`` (JSON), ``library_version``, ``timestamp``,
    ``weights_dtype`` and ``tensors_sha256``.

    Args:
        model: the ``YantraGNN`` to save.
        path: the file to write (atomically).
        dtype: how the floating-point weights are stored: ``"float32"`` (exact),
            ``"float16"`` or ``"bfloat16"`` (half the size; loading casts back to
            float32, so predictions differ from the float32 model by rounding only).
    """
    path = expand(path)  # "~/..." works as in the shell
    if dtype not in STORAGE_DTYPES:
        raise CheckpointError(f"dtype must be one of {sorted(STORAGE_DTYPES)}, got {dtype!r}")
    inner = _yantra_model(model, "save_model_for_inference")
    storage = STORAGE_DTYPES[dtype]
    tensors = {
        k: (v.detach().to(storage) if v.is_floating_point() else v.detach()).cpu().contiguous()
        for k, v in inner.state_dict().items()
    }
    metadata = {
        "weights_dtype": dtype,
        "format": INFERENCE_FORMAT,
        "format_version": str(FORMAT_VERSION),
        "config": json.dumps(inner.config.to_dict()),
        "feature_spec_version": json.dumps(FEATURE_SPEC_VERSION),
        "library_version": __version__,
        "timestamp": _timestamp(),
        "tensors_sha256": _digest(tensors),
    }
    data = safetensors.torch.save(tensors, metadata=metadata)
    atomic_write(path, data)
    logger.info("saved inference model to %s", path)
    return path


#: Shipped models by name → file name under ``yantra_gnn/pretrained/``.
PRETRAINED_MODELS: dict[str, str] = {DEFAULT_MODEL: "default.safetensors"}
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def resolve_model_path(
    name_or_path: str | os.PathLike[str],
    *,
    registry: ModelRegistry | str | os.PathLike[str] | None = None,
) -> Path:
    """The file of a model: a shipped model's name (:data:`PRETRAINED_MODELS`), a
    registry reference (``NAME@VERSION``, ``NAME@latest``, ``NAME@production``: see
    :mod:`yantra_gnn.registry`), else the path itself (``~`` expanded). An existing file
    whose name looks like a reference is taken as the path.

    Args:
        registry: the registry (or its folder) for references; default
            ``$YANTRA_MODELS_DIR``, else ``~/.yantra/models``.

    Raises:
        CheckpointError: a shipped model's name whose file this installation lacks.
        RegistryError: a reference to nothing, or to a model of another feature spec
            version (the message names both versions).
    """
    if isinstance(name_or_path, str) and name_or_path in PRETRAINED_MODELS:
        path = PRETRAINED_DIR / PRETRAINED_MODELS[name_or_path]
        if not path.is_file():
            raise CheckpointError(
                f"{name_or_path!r} is not in this installation ({path} is missing); "
                "reinstall yantra-gnn, or train a model (python tools/train_default_model.py) "
                "and pass its file"
            )
        return path
    if (
        isinstance(name_or_path, str)
        and parse_reference(name_or_path) is not None
        and not expand(name_or_path).exists()
    ):
        return _registry(registry).resolve(name_or_path).path
    return expand(name_or_path)


def _registry(registry: ModelRegistry | str | os.PathLike[str] | None) -> ModelRegistry:
    return registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)


def load_model_for_inference(
    path: str | os.PathLike[str],
    device: DeviceLike = "auto",
    *,
    registry: ModelRegistry | str | os.PathLike[str] | None = None,
) -> YantraGNN:
    """Rebuild a ``YantraGNN`` from a saved file alone, on ``device``, in eval mode.

    Reads a safetensors file from ``save_model_for_inference``; a training checkpoint
    from ``save_checkpoint`` is accepted too (its weights and config are used). ``path``
    may also name a model shipped with the package, e.g. :data:`DEFAULT_MODEL`
    (``"yantra-gnn/default"``), or a registered one (``"NAME@VERSION"``,
    ``"NAME@latest"``, ``"NAME@production"``; ``registry`` as for
    :func:`resolve_model_path`).

    Raises:
        CheckpointError: missing, corrupt or foreign file, or another feature spec version
            (:class:`~yantra_gnn.registry.RegistryError` for a bad reference).
    """
    path = resolve_model_path(path, registry=registry)
    target = resolve_device(device)
    if not path.is_file():
        raise CheckpointError(
            f"model file {path} does not exist (or is not a file); check the path"
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == _ZIP_MAGIC:
        payload = _read_checkpoint(path, "cpu")
        config = _config_from(path, payload.get("model_config"))
        state = _strip_compile_prefix(payload["model_state"])
    else:
        config, state = _read_safetensors(path)
    _check_state(path, config, state)
    model = YantraGNN(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit its own config: {error}") from error
    model.to(target).eval()
    logger.info("loaded inference model %s onto %s", path, target)
    return model


def _read_safetensors(path: Path) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    what_to_do = (
        "pass a file written by yantra_gnn.checkpoint.save_model_for_inference (or a "
        "training checkpoint from save_checkpoint)"
    )
    try:
        with safetensors.safe_open(str(path), framework="pt", device="cpu") as handle:
            metadata = handle.metadata() or {}
            if metadata.get("format") != INFERENCE_FORMAT:
                raise CheckpointError(
                    f"{path} is a safetensors file but not a yantra-gnn model; {what_to_do}"
                )
            state = {key: handle.get_tensor(key) for key in handle.keys()}
    except CheckpointError:
        raise
    except Exception as error:  # safetensors raises its own SafetensorError and others
        raise CheckpointError(
            f"cannot read model file {path}: truncated, corrupt or not a safetensors file "
            f"({error}); {what_to_do}"
        ) from error
    if metadata.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(
            f"{path} has model format version {_short(metadata.get('format_version'))}; this "
            f"yantra-gnn ({__version__}) reads {FORMAT_VERSION}: use the version that wrote "
            f"it ({_short(metadata.get('library_version'))})"
        )
    try:
        feature_spec = json.loads(metadata.get("feature_spec_version", "null"))
        config_values = json.loads(metadata["config"])
    except (KeyError, ValueError, RecursionError) as error:  # RecursionError: [[[[...
        raise CheckpointError(
            f"{path} has unreadable model metadata ({error}); {what_to_do}"
        ) from error
    _check_feature_spec(path, feature_spec)
    saved = metadata.get("tensors_sha256")
    if saved is not None and _digest(state) != saved:
        raise CheckpointError(
            f"model file {path} fails its checksum: its weights changed after it was saved "
            "(flipped bytes on disk or an edit); use another model file"
        )
    stored = metadata.get("weights_dtype", "float32")
    if stored not in STORAGE_DTYPES:
        raise CheckpointError(f"{path} stores weights as {_short(stored)}; {what_to_do}")
    if stored != "float32":  # half-precision storage: compute in float32
        state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    return _config_from(path, config_values), state


#: Parameters whose rows are the import vocabulary (mapped by module name on transfer).
_IMPORT_ROW_PARAMETERS: tuple[str, ...] = (
    "import_head.out.weight",
    "import_head.out.bias",
    "import_evidence.feature_weight.weight",
    "import_evidence.feature_weight.bias",
    "import_evidence.node_weight.weight",
)


def initialise_from(model: nn.Module, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Start ``model`` from the weights of a saved model (e.g. a pretrained one).

    Every parameter whose name and shape match is copied. The import head's rows are
    matched by module name, so a model pretrained with another import vocabulary passes
    on what it learnt about the modules both know; the other rows keep their fresh
    initialisation. Parameters that do not match (another architecture, another number
    of bug classes) keep theirs too and are reported.

    Args:
        model: the ``YantraGNN`` to initialise (its config is kept).
        path: a file of ``save_model_for_inference`` or ``save_checkpoint``.

    Returns:
        ``{"copied": [...], "skipped": [...], "import_rows": n, "source": str}``.

    Raises:
        CheckpointError: unreadable file or another feature spec version (as
            :func:`load_model_for_inference`), or no parameter in common at all.
    """
    inner = _yantra_model(model, "initialise_from")
    source = load_model_for_inference(path, device="cpu")
    theirs = source.state_dict()
    mine = inner.state_dict()
    their_rows = {name: i for i, name in enumerate(source.config.import_vocab)}
    row_pairs = [
        (i, their_rows[name])
        for i, name in enumerate(inner.config.import_vocab)
        if name in their_rows
    ]
    copied, skipped = [], []
    with torch.no_grad():
        for name, tensor in mine.items():
            other = theirs.get(name)
            if other is None:
                skipped.append(name)
            elif name in _IMPORT_ROW_PARAMETERS:
                if other.shape[1:] != tensor.shape[1:] or not row_pairs:
                    skipped.append(name)
                    continue
                rows_mine = torch.tensor([a for a, _ in row_pairs])
                rows_theirs = torch.tensor([b for _, b in row_pairs])
                tensor[rows_mine] = other[rows_theirs].to(tensor.dtype)
                copied.append(name)
            elif other.shape == tensor.shape:
                tensor.copy_(other.to(tensor.dtype))
                copied.append(name)
            else:
                skipped.append(name)
    if not copied:
        raise CheckpointError(
            f"{path}: no parameter fits this model (another architecture); initialise "
            "from a model with the same layer widths"
        )
    inner.load_state_dict(mine)
    logger.info(
        "initialised %d of %d parameters from %s (%d import rows by module name)",
        len(copied),
        len(mine),
        path,
        len(row_pairs),
    )
    return {
        "source": str(path),
        "copied": copied,
        "skipped": skipped,
        "import_rows": len(row_pairs),
    }


#: Keys of a training checkpoint's metadata that may hold a fingerprint of its data.
_DATA_FINGERPRINT_KEYS: tuple[str, ...] = ("data_fingerprint", "data_digest", "data_sha256")


def register_model(
    model_or_file: nn.Module | str | os.PathLike[str],
    name: str,
    *,
    registry: ModelRegistry | str | os.PathLike[str] | None = None,
    metrics: Mapping[str, Any] | None = None,
    data_fingerprint: str | None = None,
    training_data: str | None = None,
) -> RegisteredModel:
    """Add a model to the registry (:mod:`yantra_gnn.registry`) as the next version of
    ``name``.

    Args:
        model_or_file: a ``YantraGNN``, a file of ``save_model_for_inference`` (e.g. a
            run's ``best_model.safetensors``) or a training checkpoint (converted to a
            model file). The model is loaded first, so a damaged file or one of another
            feature spec version is refused.
        registry: the registry or its folder (default ``$YANTRA_MODELS_DIR``, else
            ``~/.yantra/models``).
        metrics: evaluation metrics for the card; by default the validation metrics of
            the epoch the training checkpoint saved (its metadata's ``val_metrics``; a
            model file's sibling ``NAME.pt`` counts), if it holds them.
        data_fingerprint: what identifies the training data; by default the data digest
            in the training checkpoint's metadata (``data_fingerprint``: the Trainer
            records the sha256 of the training and validation programs and labels).
        training_data: where the data was; by default the checkpoint metadata's ``data``.

    Raises:
        CheckpointError: unreadable model, or another feature spec version.
        RegistryError: bad name or metrics.
    """
    target = _registry(registry)
    metadata: dict[str, Any] = {}
    source: str | None = None
    model: nn.Module | None = None
    if isinstance(model_or_file, nn.Module):
        model = model_or_file
        source = f"{type(unwrap_model(model)).__name__} object"
    else:
        path = resolve_model_path(model_or_file, registry=target)
        source = str(path)
        loaded = load_model_for_inference(path, device="cpu")  # validates the file
        checkpoint = path if _is_zip(path) else path.with_suffix(".pt")
        if checkpoint.is_file():
            try:
                metadata = checkpoint_metadata(checkpoint)
            except CheckpointError as error:
                logger.warning("no training metadata from %s: %s", checkpoint, error)
        if _is_zip(path):
            model = loaded
    if data_fingerprint is None:
        found = [metadata[key] for key in _DATA_FINGERPRINT_KEYS if metadata.get(key)]
        data_fingerprint = str(found[0]) if found else None
    if metrics is None and isinstance(metadata.get("val_metrics"), Mapping):
        metrics = dict(metadata["val_metrics"])  # the saved epoch's validation metrics
    if training_data is None and metadata.get("data") is not None:
        training_data = str(metadata["data"])
    with tempfile.TemporaryDirectory(prefix="yantra-register-") as folder:
        if model is not None:
            file = save_model_for_inference(model, Path(folder) / "model.safetensors")
        else:
            file = Path(str(source))
        return target.register(
            file,
            name,
            metrics=metrics,
            data_fingerprint=data_fingerprint,
            training_data=training_data,
            source=source,
        )


def _is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == _ZIP_MAGIC
