"""The local model registry: named, integer-versioned models, each with its card.

Layout (root ``~/.yantra/models`` by default; the ``YANTRA_MODELS_DIR`` environment
variable or the ``root`` argument moves it)::

    ROOT/
      .lock                     held (filelock) while anything in the registry changes
      NAME/
        last_version            the highest version ever given to NAME (never reused)
        aliases.json            {"production": 3, ...}
        1/model.safetensors     the model file (save_model_for_inference format)
        1/card.json             name, version, created, feature spec, config, metrics, ...
        2/...

A model is referred to as ``NAME@VERSION`` (``mymodel@3``), ``NAME@latest`` (the
highest version present) or ``NAME@ALIAS`` (``mymodel@production``, set by
:meth:`ModelRegistry.promote`).

Every change is atomic and serialised: a new version is assembled in a hidden staging
folder and renamed into place (a reader never sees half a version); ``aliases.json``
and ``last_version`` are written to a temporary file and moved over the old one; and
the registry's lock file makes two processes that register at once take distinct
versions. This module reads model files' safetensors headers only (no torch), so
listing the registry is fast; :func:`yantra_gnn.checkpoint.register_model` registers a
model object or a training checkpoint.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from yantra_gnn.errors import CheckpointError
from yantra_gnn.files import atomic_write_text, left_by_a_dead_process
from yantra_gnn.home import MODELS_DIR, MODELS_DIR_ENV, expand
from yantra_gnn.schema import FEATURE_SPEC_VERSION
from yantra_gnn.version import __version__

logger = logging.getLogger(__name__)

__all__ = [
    "CARD_FILE",
    "MODEL_FILE",
    "LATEST",
    "DEFAULT_ALIAS",
    "ModelReference",
    "ModelRegistry",
    "RegisteredModel",
    "RegistryError",
    "default_registry_root",
    "fingerprint_files",
    "parse_reference",
    "read_model_header",
]

#: The model file and the card of each version folder.
MODEL_FILE = "model.safetensors"
CARD_FILE = "card.json"
ALIASES_FILE = "aliases.json"
LAST_VERSION_FILE = "last_version"
LOCK_FILE = ".lock"
#: The reference to the highest version present.
LATEST = "latest"
#: The alias :meth:`ModelRegistry.promote` sets by default.
DEFAULT_ALIAS = "production"
#: ``format`` in the safetensors metadata of a yantra-gnn model file (as
#: ``yantra_gnn.checkpoint.INFERENCE_FORMAT``, which this lower layer cannot import).
INFERENCE_FORMAT = "yantra-gnn-inference"
#: Seconds to wait for another process's change of the registry.
LOCK_TIMEOUT_S = 60.0

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ALIAS = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,49}")
_STAGING_PREFIX = ".staging."
#: A safetensors header larger than this is refused (real ones are a few hundred KB).
_MAX_HEADER_BYTES = 64 * 1024 * 1024


class RegistryError(CheckpointError):
    """A registry reference that names nothing, a bad name or alias, or a refused change."""


@dataclass(frozen=True)
class ModelReference:
    """``NAME@REF``: ``REF`` is a version number, ``latest`` or an alias."""

    name: str
    ref: str

    def __str__(self) -> str:
        return f"{self.name}@{self.ref}"


def parse_reference(text: str) -> ModelReference | None:
    """The registry reference ``text`` spells (``NAME@3``, ``NAME@latest``,
    ``NAME@production``), or ``None`` when it is not one (a path, a shipped model's name)."""
    if not isinstance(text, str) or text.count("@") != 1:
        return None
    name, ref = text.split("@")
    if not _NAME.fullmatch(name) or not (ref.isdigit() or _ALIAS.fullmatch(ref)):
        return None
    return ModelReference(name, ref)


@dataclass(frozen=True)
class RegisteredModel:
    """One version of a registered model."""

    name: str
    version: int
    #: The model file.
    path: Path
    #: The card (``card.json``): see docs/lifecycle.md for its fields.
    card: dict[str, Any]
    #: The aliases that point at this version.
    aliases: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        """``NAME@VERSION``."""
        return f"{self.name}@{self.version}"

    @property
    def metrics(self) -> dict[str, Any]:
        """The evaluation metrics given when it was registered."""
        return dict(self.card.get("metrics") or {})

    def summary(self) -> dict[str, Any]:
        """A JSON-able description: the card plus the aliases and the file's path."""
        return {**self.card, "aliases": list(self.aliases), "path": str(self.path)}


def default_registry_root() -> Path:
    """``$YANTRA_MODELS_DIR`` when set, else ``~/.yantra/models``."""
    return expand(os.environ.get(MODELS_DIR_ENV) or MODELS_DIR)


def read_model_header(path: str | os.PathLike[str]) -> dict[str, str]:
    """The safetensors metadata of a yantra-gnn model file, read without torch.

    Raises:
        CheckpointError: not a file, not safetensors, or not a yantra-gnn model file.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            prefix = handle.read(8)
            if len(prefix) != 8:
                raise ValueError("shorter than a safetensors header")
            (size,) = struct.unpack("<Q", prefix)
            if size > _MAX_HEADER_BYTES:
                raise ValueError(f"header of {size} bytes")
            raw = handle.read(size)
        header = json.loads(raw)
    except FileNotFoundError:
        raise CheckpointError(f"model file {path} does not exist; check the path") from None
    except (OSError, ValueError, RecursionError) as error:
        raise CheckpointError(
            f"{path} is not a safetensors model file ({error}); register a file written by "
            "yantra_gnn.checkpoint.save_model_for_inference"
        ) from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    if not isinstance(metadata, dict) or metadata.get("format") != INFERENCE_FORMAT:
        raise CheckpointError(
            f"{path} is a safetensors file but not a yantra-gnn model; register a file "
            "written by yantra_gnn.checkpoint.save_model_for_inference"
        )
    return {str(k): str(v) for k, v in metadata.items()}


def fingerprint_files(paths: Iterable[str | os.PathLike[str]]) -> str:
    """``sha256:HEX`` of files' contents (a folder: every file under it, by relative
    name), the training-data fingerprint ``yantra-gnn models add --data`` records."""
    digest = hashlib.sha256()
    for given in paths:
        root = expand(given)
        if not root.exists():
            raise CheckpointError(f"{root}: no such file or folder to fingerprint")
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for file in files:
            name = file.relative_to(root).as_posix() if root.is_dir() else file.name
            digest.update(f"{name}\0".encode())
            with file.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            digest.update(b"\0")
    return f"sha256:{digest.hexdigest()}"


class ModelRegistry:
    """A registry folder of named, versioned models (see the module docstring).

    Args:
        root: the registry folder; default ``$YANTRA_MODELS_DIR``, else ``~/.yantra/models``.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = expand(root) if root is not None else default_registry_root()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.root)!r})"

    # ------------------------------------------------------------------ changes

    def register(
        self,
        model_file: str | os.PathLike[str],
        name: str,
        *,
        metrics: Mapping[str, Any] | None = None,
        data_fingerprint: str | None = None,
        training_data: str | None = None,
        source: str | None = None,
    ) -> RegisteredModel:
        """Copy a model file into the registry as the next version of ``name``.

        Args:
            model_file: a file of ``save_model_for_inference`` (its header is read for the
                card: config, label vocabularies, feature spec and library versions).
            name: letters, digits, ``.``, ``_`` and ``-`` (starting with a letter or digit).
            metrics: evaluation metrics (a JSON-able mapping, e.g. ``{"val_auroc": 0.71}``).
            data_fingerprint: what identifies the training data (e.g.
                :func:`fingerprint_files` of it), recorded as given.
            training_data: where the training data was (a path or a description).
            source: where the model came from (default: ``model_file``).

        Returns:
            The new version; versions are 1, 2, 3, ... per name, never reused.

        Raises:
            RegistryError: a bad name, metrics that are not JSON-able.
            CheckpointError: ``model_file`` is not a yantra-gnn model file.
        """
        _check_name(name)
        model_file = expand(model_file)
        header = read_model_header(model_file)
        metrics_dict = _plain_metrics(metrics)
        if data_fingerprint is not None and (
            not isinstance(data_fingerprint, str) or not 0 < len(data_fingerprint) <= 200
        ):
            raise RegistryError(
                f"data_fingerprint must be a short string (e.g. sha256:HEX), got "
                f"{data_fingerprint!r:.80}"
            )
        config = _json_field(header, "config")
        model_dir = self.root / name
        model_dir.mkdir(parents=True, exist_ok=True)
        _remove_dead_staging(model_dir)
        staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}.", dir=model_dir))
        try:
            digest = _copy_with_digest(model_file, staging / MODEL_FILE)
            with self._lock():
                version = max(self._last_version(name), *self._versions(name), 0) + 1
                card = {
                    "name": name,
                    "version": version,
                    "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "file": MODEL_FILE,
                    "sha256": digest,
                    "size_bytes": (staging / MODEL_FILE).stat().st_size,
                    "feature_spec_version": _json_field(header, "feature_spec_version"),
                    "format_version": header.get("format_version"),
                    "library_version": header.get("library_version"),
                    "registered_with": __version__,
                    "model_saved": header.get("timestamp"),
                    "weights_dtype": header.get("weights_dtype", "float32"),
                    "config": config,
                    "import_vocab": list(config.get("import_vocab") or [])
                    if isinstance(config, dict)
                    else [],
                    "bug_classes": list(config.get("bug_classes") or [])
                    if isinstance(config, dict)
                    else [],
                    "data_fingerprint": data_fingerprint,
                    "training_data": training_data,
                    "metrics": metrics_dict,
                    "source": source if source is not None else str(model_file),
                }
                atomic_write_text(staging / CARD_FILE, json.dumps(card, indent=2) + "\n")
                os.replace(staging, model_dir / str(version))
                atomic_write_text(model_dir / LAST_VERSION_FILE, f"{version}\n")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        logger.info("registered %s as %s@%d in %s", model_file, name, version, self.root)
        return self._entry(name, version)

    def promote(self, name: str, version: int | str, alias: str = DEFAULT_ALIAS) -> RegisteredModel:
        """Point ``NAME@ALIAS`` at ``version`` (a number, ``"latest"`` or another alias).

        Raises:
            RegistryError: no such version, or an alias that is not a word (or ``latest``).
        """
        _check_name(name)
        if not isinstance(alias, str) or not _ALIAS.fullmatch(alias) or alias == LATEST:
            raise RegistryError(
                f"alias must be a word of letters, digits, _ and - (not {LATEST!r}), got {alias!r}"
            )
        with self._lock():
            number = self._version_of(ModelReference(name, str(version)))
            aliases = self._aliases(name)
            previous = aliases.get(alias)
            aliases[alias] = number
            self._write_aliases(name, aliases)
        logger.info("%s@%s -> version %d (was %s)", name, alias, number, previous)
        return self._entry(name, number)

    def remove(self, name: str, version: int | str, *, force: bool = False) -> RegisteredModel:
        """Delete one version. A version an alias points at is kept unless ``force``
        (which drops those aliases too).

        Raises:
            RegistryError: no such version, or an alias points at it and not ``force``.
        """
        _check_name(name)
        with self._lock():
            number = self._version_of(ModelReference(name, str(version)))
            entry = self._entry(name, number)
            aliases = self._aliases(name)
            pointing = sorted(a for a, v in aliases.items() if v == number)
            if pointing and not force:
                raise RegistryError(
                    f"{name}@{number} is {', '.join(f'{name}@{a}' for a in pointing)}; promote "
                    f"another version first, or remove it with force (--force) to drop "
                    f"{'that alias' if len(pointing) == 1 else 'those aliases'} too"
                )
            if pointing:
                self._write_aliases(name, {a: v for a, v in aliases.items() if v != number})
            folder = self.root / name / str(number)
            # Renamed first, so that no reader finds a half-deleted version.
            doomed = folder.with_name(f"{_STAGING_PREFIX}{os.getpid()}.removed-{number}")
            os.replace(folder, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        logger.info("removed %s from %s", entry.reference, self.root)
        return entry

    # ------------------------------------------------------------------ reading

    def resolve(self, reference: str, *, check_feature_spec: bool = True) -> RegisteredModel:
        """The version ``NAME@VERSION``, ``NAME@latest`` or ``NAME@ALIAS`` names.

        Args:
            check_feature_spec: refuse a model whose feature spec version is not this
                library's (it would read node features of another layout).

        Raises:
            RegistryError: not a reference, no such name, version or alias, or (with
                ``check_feature_spec``) another feature spec version; the message says
                which versions differ.
        """
        parsed = parse_reference(reference)
        if parsed is None:
            raise RegistryError(
                f"{reference!r} is not a registry reference (NAME@VERSION, NAME@{LATEST} or "
                f"NAME@{DEFAULT_ALIAS})"
            )
        entry = self._entry(parsed.name, self._version_of(parsed))
        if check_feature_spec:
            saved = entry.card.get("feature_spec_version")
            if saved != FEATURE_SPEC_VERSION:
                raise RegistryError(
                    f"{reference} ({entry.reference}) was trained on node features of spec "
                    f"version {saved!r}, but this yantra-gnn ({__version__}) builds features "
                    f"of spec version {FEATURE_SPEC_VERSION!r}; it was saved by yantra-gnn "
                    f"{entry.card.get('library_version')}. Retrain it with this version, or "
                    "load it with the yantra-gnn version that wrote it"
                )
        return entry

    def names(self) -> builtins.list[str]:
        """The registered model names, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _NAME.fullmatch(p.name))

    def list(self, name: str | None = None) -> builtins.list[RegisteredModel]:
        """Every version (of ``name``, or of every name), by name then version."""
        if name is not None:
            _check_name(name)
        entries = []
        for model_name in [name] if name is not None else self.names():
            for version in sorted(self._versions(model_name)):
                try:
                    entries.append(self._entry(model_name, version))
                except RegistryError as error:  # removed meanwhile, or a damaged card
                    logger.warning("skipping %s@%d: %s", model_name, version, error)
        return entries

    def show(self, reference: str) -> RegisteredModel:
        """One version: ``NAME@REF``, or ``NAME`` alone for its latest version (no
        feature spec check: a model of another spec can still be inspected)."""
        if "@" not in reference:
            reference = f"{reference}@{LATEST}"
        return self.resolve(reference, check_feature_spec=False)

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version}`` of ``name``."""
        _check_name(name)
        return self._aliases(name)

    # ------------------------------------------------------------------ internals

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """Hold the registry's lock file (one change at a time, across processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / LOCK_FILE), timeout=LOCK_TIMEOUT_S)
        try:
            lock.acquire()
        except Timeout:
            raise RegistryError(
                f"the model registry is locked by another process ({lock.lock_file}); try "
                "again, or delete the lock file if no yantra-gnn process is running"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _versions(self, name: str) -> builtins.list[int]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return [
            int(p.name) for p in folder.iterdir() if p.name.isdigit() and (p / CARD_FILE).is_file()
        ]

    def _last_version(self, name: str) -> int:
        try:
            text = (self.root / name / LAST_VERSION_FILE).read_text().strip()
        except FileNotFoundError:
            return 0
        return int(text) if text.isdigit() else 0

    def _aliases(self, name: str) -> dict[str, int]:
        path = self.root / name / ALIASES_FILE
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            raise RegistryError(f"{path} is unreadable ({error}); fix or delete it") from None
        if not isinstance(values, dict):
            raise RegistryError(f"{path} must hold an object of alias: version")
        return {
            str(k): int(v) for k, v in values.items() if isinstance(v, int) and _ALIAS.fullmatch(k)
        }

    def _write_aliases(self, name: str, aliases: Mapping[str, int]) -> None:
        text = json.dumps(dict(sorted(aliases.items())), indent=2) + "\n"
        atomic_write_text(self.root / name / ALIASES_FILE, text)

    def _version_of(self, reference: ModelReference) -> int:
        _check_name(reference.name)
        versions = self._versions(reference.name)
        if not versions:
            known = ", ".join(self.names()) or "none"
            raise RegistryError(
                f"no model named {reference.name!r} in the registry {self.root} (registered: "
                f"{known}); add one with `yantra-gnn models add FILE --name {reference.name}`"
            )
        if reference.ref == LATEST:
            return max(versions)
        if reference.ref.isdigit():
            number = int(reference.ref)
            if number not in versions:
                raise RegistryError(
                    f"{reference.name} has no version {number} in {self.root} (versions: "
                    f"{', '.join(map(str, sorted(versions)))})"
                )
            return number
        aliases = self._aliases(reference.name)
        if reference.ref not in aliases:
            raise RegistryError(
                f"{reference.name} has no alias {reference.ref!r} (aliases: "
                f"{', '.join(sorted(aliases)) or 'none'}); set it with `yantra-gnn models "
                f"promote {reference.name} VERSION --alias {reference.ref}`"
            )
        number = aliases[reference.ref]
        if number not in versions:
            raise RegistryError(
                f"{reference} points at version {number}, which is no longer in {self.root}"
            )
        return number

    def _entry(self, name: str, version: int) -> RegisteredModel:
        folder = self.root / name / str(version)
        try:
            card = json.loads((folder / CARD_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RegistryError(f"{name}@{version} is not in the registry {self.root}") from None
        except (OSError, ValueError) as error:
            raise RegistryError(f"{folder / CARD_FILE} is unreadable ({error})") from None
        if not isinstance(card, dict):
            raise RegistryError(f"{folder / CARD_FILE} must hold a JSON object")
        aliases = tuple(sorted(a for a, v in self._aliases(name).items() if v == version))
        return RegisteredModel(name, version, folder / MODEL_FILE, card, aliases)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise RegistryError(
            f"model name must be letters, digits, '.', '_' and '-' (starting with a letter or "
            f"digit, at most 100 characters), got {name!r:.120}"
        )


def _plain_metrics(metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise RegistryError(f"metrics must be a mapping, got {type(metrics).__name__}")
    values = dict(metrics)
    try:
        text = json.dumps(values, allow_nan=True)
    except (TypeError, ValueError) as error:
        raise RegistryError(f"metrics must be JSON-able ({error})") from None
    # NaN is kept as null: card.json stays strict JSON.
    return json.loads(text, parse_constant=lambda _: None)


def _json_field(header: Mapping[str, str], key: str) -> Any:
    try:
        return json.loads(header.get(key, "null"))
    except (ValueError, RecursionError):
        return None


def _copy_with_digest(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` (fsynced) and return ``sha256:HEX`` of the bytes."""
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
        for chunk in iter(lambda: reader.read(1 << 20), b""):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return f"sha256:{digest.hexdigest()}"


def _remove_dead_staging(folder: Path) -> None:
    """Remove staging folders left by killed registering processes."""
    for path in folder.glob(f"{_STAGING_PREFIX}*"):
        if left_by_a_dead_process(path.name, _STAGING_PREFIX, "."):
            shutil.rmtree(path, ignore_errors=True)
