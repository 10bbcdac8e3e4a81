"""Helpers shared by the benchmarks: where the real solutions come from."""

from __future__ import annotations

import json
import sysconfig
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI_DATASET = REPO_ROOT.parent / "shared" / "data" / "codecontests_mini.jsonl"


def load_solutions(path: Path | None = None, limit: int | None = None) -> tuple[list[str], str]:
    """Python 3 solutions from a CodeContests jsonl, else the standard library's files.

    Returns the sources and a description of where they came from.
    """
    path = path or MINI_DATASET
    sources: list[str] = []
    if path.exists():
        with path.open() as handle:
            for line in handle:
                row = json.loads(line)
                solutions = row["solutions"]
                sources += [
                    code
                    for language, code in zip(
                        solutions["language"], solutions["solution"], strict=True
                    )
                    if language == 3
                ]
        origin = f"CodeContests Python 3 solutions from {path}"
    else:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for file in sorted(stdlib.glob("*.py")):
            text = file.read_text(encoding="utf-8", errors="replace")
            if 0 < len(text) < 20_000:
                sources.append(text)
        origin = f"Python standard library files under {stdlib} (shared dataset absent)"
    return sources[:limit] if limit else sources, origin
