"""Test outcomes remembered in memory and in an SQLite file: :class:`ResultCache`.

:func:`~yantra_gnn.sandbox.judging.run_tests` looks each test up here, under a digest of
everything its outcome depends on (``judging._outcome_key``), before running it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

from yantra_gnn.errors import ConfigError
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.sandbox.judging import Verdict
from yantra_gnn.sandbox.process import RunResult, RunStatus

__all__ = ["DEFAULT_CACHE_DIR", "ResultCache"]

logger = logging.getLogger(__name__)

#: Where :class:`ResultCache` keeps its SQLite file unless told otherwise.
DEFAULT_CACHE_DIR = Path(SANDBOX_CACHE_DIR)


def _encode_outcome(verdict: Verdict, result: RunResult) -> str:
    fields = asdict(result)
    fields["status"] = result.status.value
    return json.dumps({"verdict": verdict.value, "result": fields})


def _decode_outcome(text: str) -> tuple[Verdict, RunResult]:
    data = json.loads(text)
    fields = data["result"]
    result = RunResult(
        status=RunStatus(fields["status"]),
        stdout=str(fields["stdout"]),
        stderr=str(fields["stderr"]),
        returncode=int(fields["returncode"]),
        time_s=float(fields["time_s"]),
        cpu_s=float(fields["cpu_s"]),
        limits=str(fields.get("limits", "rlimits")),
        syscall_filter=str(fields.get("syscall_filter", "none")),
    )
    return Verdict(data["verdict"]), result


class ResultCache:
    """Test outcomes remembered in memory (LRU) and, optionally, in an SQLite file.

    Keys are SHA-256 digests of everything an outcome depends on: the program, the
    test's input and expected output, the limits, the float tolerance, the interpreter
    version and the sandbox version. Safe to share between threads; several processes
    may share one directory (SQLite locks it). A corrupt database file is moved aside
    (``results.sqlite3.corrupt``) and started afresh; an unreadable entry is dropped
    and counts as a miss.

    Outcomes that depend on timing (``timeout``) are cached like the others: clear the
    cache (delete the directory) after changing the machine or its load a lot.

    Args:
        directory: where ``results.sqlite3`` lives (``~`` is expanded), or ``None`` for
            an in-memory cache only.
        max_memory_entries: how many outcomes the in-memory layer keeps.
    """

    FILENAME = "results.sqlite3"

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
        *,
        max_memory_entries: int = 4096,
    ) -> None:
        if isinstance(max_memory_entries, bool) or not isinstance(max_memory_entries, int):
            raise ConfigError(
                f"ResultCache: max_memory_entries must be an int, got {max_memory_entries!r}"
            )
        if max_memory_entries < 0:
            raise ConfigError(
                f"ResultCache: max_memory_entries must be >= 0, got {max_memory_entries}"
            )
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._max_memory = max_memory_entries
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.path: Path | None = None
        if directory is not None:
            folder = Path(directory).expanduser()
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"ResultCache: cannot create the cache directory {folder}: {error}; "
                    "pass another directory, or None for a memory-only cache"
                ) from error
            self.path = folder / self.FILENAME
            self._open()

    def _open(self) -> None:
        assert self.path is not None
        try:
            self._db = self._connect(self.path)
        except sqlite3.DatabaseError as error:
            corrupt = self.path.with_name(self.FILENAME + ".corrupt")
            logger.warning(
                "ResultCache: %s is not a usable SQLite database (%s); moved to %s",
                self.path,
                error,
                corrupt,
            )
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{corrupt}{suffix}")
            self._db = self._connect(self.path)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS outcomes (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("SELECT count(*) FROM outcomes").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _remember(self, key: str, value: str) -> None:
        if self._max_memory == 0:
            return
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self._max_memory:
            self._memory.popitem(last=False)

    def get(self, key: str) -> tuple[Verdict, RunResult] | None:
        """The outcome stored under ``key``, or ``None``."""
        with self._lock:
            text = self._memory.get(key)
            if text is not None:
                self._memory.move_to_end(key)
            elif self._db is not None:
                try:
                    row = self._db.execute(
                        "SELECT value FROM outcomes WHERE key = ?", (key,)
                    ).fetchone()
                except sqlite3.DatabaseError as error:
                    logger.warning("ResultCache: reading %s failed (%s)", self.path, error)
                    row = None
                text = row[0] if row is not None else None
            if text is None:
                return None
            try:
                outcome = _decode_outcome(text)
            except (ValueError, KeyError, TypeError) as error:
                logger.warning("ResultCache: dropping unreadable entry %s (%s)", key, error)
                self._forget(key)
                return None
            self._remember(key, text)
            return outcome

    def _forget(self, key: str) -> None:
        self._memory.pop(key, None)
        if self._db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("DELETE FROM outcomes WHERE key = ?", (key,))

    def put(self, key: str, verdict: Verdict, result: RunResult) -> None:
        """Store an outcome under ``key``."""
        text = _encode_outcome(verdict, result)
        with self._lock:
            self._remember(key, text)
            if self._db is not None:
                try:
                    self._db.execute(
                        "INSERT OR REPLACE INTO outcomes (key, value) VALUES (?, ?)", (key, text)
                    )
                except sqlite3.DatabaseError as error:
                    logger.warning("ResultCache: writing %s failed (%s)", self.path, error)

    def __len__(self) -> int:
        """Entries on disk (or in memory for a memory-only cache)."""
        with self._lock:
            if self._db is None:
                return len(self._memory)
            return int(self._db.execute("SELECT count(*) FROM outcomes").fetchone()[0])

    def close(self) -> None:
        """Close the database file; the cache keeps working from memory."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "memory only"
        return f"{type(self).__name__}({where})"
