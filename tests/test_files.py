"""Atomic writes: the old file survives a failed write, and dead writers' leftovers go."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from yantra_gnn.files import atomic_write, atomic_write_text, process_is_gone


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path):
    target = atomic_write_text(tmp_path / "model.json", "old")

    def explode(handle):
        handle.write(b"half of the new")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_temporaries_of_dead_writers_are_removed_on_the_next_write(tmp_path: Path):
    target = tmp_path / "best[1].pt"  # glob characters in the name are matched literally
    dead, alive = _dead_pid(), subprocess.Popen([sys.executable, "-c", "input()"], stdin=-1)
    try:
        assert process_is_gone(dead) and not process_is_gone(alive.pid)
        orphan = tmp_path / f".{target.name}.{dead}.x1.tmp"
        in_progress = tmp_path / f".{target.name}.{alive.pid}.x2.tmp"
        other = tmp_path / f".other.pt.{dead}.x3.tmp"
        for path in (orphan, in_progress, other):
            path.write_bytes(b"partial")
        atomic_write(target, b"new")
        assert target.read_bytes() == b"new"
        assert not orphan.exists()
        assert in_progress.exists(), "a live writer's file must stay"
        assert other.exists(), "only the target's own leftovers are removed"
    finally:
        alive.kill()
        alive.wait()
