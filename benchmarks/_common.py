"""Helpers shared by the benchmarks: where the real solutions and problems come from."""

from __future__ import annotations

import json
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from yantra_gnn.labels.labelling import python3_sources

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI_DATASET = REPO_ROOT.parent / "shared" / "data" / "codecontests_mini.jsonl"


def _rows(path: Path) -> Iterator[dict]:
    """The JSON objects of a CodeContests-schema jsonl, one per line."""
    with path.open() as handle:
        for line in handle:
            yield json.loads(line)


def load_solutions(path: Path | None = None, limit: int | None = None) -> tuple[list[str], str]:
    """Python 3 solutions from a CodeContests jsonl, else the standard library's files.

    Returns the sources and a description of where they came from.
    """
    path = path or MINI_DATASET
    sources: list[str] = []
    if path.exists():
        for row in _rows(path):
            sources += python3_sources(row["solutions"])
        origin = f"CodeContests Python 3 solutions from {path}"
    else:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for file in sorted(stdlib.glob("*.py")):
            text = file.read_text(encoding="utf-8", errors="replace")
            if 0 < len(text) < 20_000:
                sources.append(text)
        origin = f"Python standard library files under {stdlib} (shared dataset absent)"
    return sources[:limit] if limit else sources, origin


def problems_file(path: Path | None = None) -> Path:
    """The CodeContests-schema file with tests: the shared sample, else the bundled one.

    The standard library (the fallback of :func:`load_solutions`) has programs but no
    tests, so what needs tests (sandbox runs, labels) falls back to the sample shipped
    in the package instead.
    """
    path = path or MINI_DATASET
    if path.exists():
        return path
    from yantra_gnn.datasets.codecontests import bundled_sample_path

    return bundled_sample_path()


def load_problems(path: Path | None = None) -> tuple[list[dict], str]:
    """The rows of :func:`problems_file` that have a Python 3 solution, and their origin."""
    chosen = problems_file(path)
    rows = [row for row in _rows(chosen) if python3_sources(row["solutions"])]
    return rows, f"CodeContests problems from {chosen}"
