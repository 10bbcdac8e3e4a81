"""Atomic file writes: a reader sees the old file or the new one, never half of either.

Every file the library writes for later (checkpoints, models, dataset caches, prepared
datasets, reports) goes through :func:`atomic_write`: the bytes go to a temporary file
in the target's directory, are flushed to disk, and the temporary file is moved over
the target with ``os.replace``. A crash or ``kill -9`` mid-write leaves the previous
file in place and a hidden ``.NAME.PID.*.tmp`` beside it; the next write of ``NAME``
removes every such file whose writer process ``PID`` is gone.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from yantra_gnn.errors import SourceError

__all__ = [
    "atomic_write",
    "atomic_write_text",
    "open_temporary",
    "left_by_a_dead_process",
    "process_is_gone",
    "read_source_file",
    "remove_stale_temporaries",
    "replace_with",
]


def process_is_gone(pid: int) -> bool:
    """Whether no process ``pid`` exists any more (its leftovers may be removed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user
        return False
    return False


def left_by_a_dead_process(name: str, prefix: str, separator: str) -> bool:
    """Whether ``name`` is ``PREFIX + PID + SEPARATOR + …`` and process ``PID`` is gone:
    the leftover of a killed run (temporary files, sandbox directories and cgroups)."""
    if not name.startswith(prefix):
        return False
    pid_text = name[len(prefix) :].split(separator, 1)[0]
    return pid_text.isdigit() and process_is_gone(int(pid_text))


def remove_stale_temporaries(path: Path) -> int:
    """Remove the ``.NAME.PID.*.tmp`` files beside ``path`` left by dead writers; returns
    how many were removed."""
    removed = 0
    for temporary in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        if left_by_a_dead_process(temporary.name, f".{path.name}.", "."):
            temporary.unlink(missing_ok=True)
            removed += 1
    return removed


def open_temporary(path: Path, mode: str = "wb") -> IO:
    """An open temporary file beside ``path`` (``.NAME.PID.*.tmp``), created 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    encoding = None if "b" in mode else "utf-8"
    return tempfile.NamedTemporaryFile(
        mode, encoding=encoding, dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
        delete=False,
    )  # fmt: skip


def replace_with(temporary: Path, target: Path) -> None:
    """Give a finished temporary file the usual permissions and move it over ``target``."""
    umask = os.umask(0)
    os.umask(umask)
    temporary.chmod(0o666 & ~umask)
    os.replace(temporary, target)


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[bytes]], object] | bytes
) -> Path:
    """Write ``path`` atomically: ``write(handle)`` (or the given bytes) fills a temporary
    file beside it, which is fsynced and moved over ``path``. Returns ``path``.

    The file keeps the usual permissions (0644 less the umask); the parent directory is
    created when missing. On any error the temporary file is removed and the old
    ``path``, if any, is untouched.
    """
    target = Path(path)
    handle = open_temporary(target)
    temporary = Path(handle.name)
    try:
        with handle:
            if isinstance(write, bytes):
                handle.write(write)
            else:
                write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        replace_with(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8."""
    return atomic_write(path, text.encode("utf-8"))


def read_source_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a source file, with one clear error naming the file.

    Raises:
        SourceError: ``PATH: no such file``, ``PATH: is a directory, ...`` or
            ``PATH: cannot read the file (REASON)``.
    """
    path = Path(path).expanduser()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{path}: is a directory, expected a Python file") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror or error})") from None
