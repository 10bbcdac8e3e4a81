"""Reading JSON-lines files line by line, with the line number of every problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from yantra_gnn.errors import DatasetError


def json_lines(path: Path, item: str) -> Iterator[tuple[int, object, str | None]]:
    """``(line number, value, None)`` for each non-blank line of ``path`` that parses, or
    ``(line number, None, reason)`` for one that does not (bad UTF-8 or JSON).

    Raises:
        DatasetError: the file cannot be opened, or it is one JSON array (``item`` names
            what each line should hold, e.g. ``"problem"``).
    """
    try:
        handle = path.open("rb")
    except OSError as error:
        raise DatasetError(f"{path}: cannot open it ({error})") from error
    first = True
    with handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            if first and raw.lstrip().startswith(b"["):
                raise DatasetError(
                    f"{path}: line {number}: starts with '[': a JSON array, not JSON lines. "
                    f"Write one {item} object per line (e.g. jq -c '.[]' FILE > FILE.jsonl)"
                )
            first = False
            try:
                yield number, json.loads(raw.decode("utf-8")), None
            except UnicodeDecodeError as error:
                yield number, None, f"not valid UTF-8 ({error.reason} at byte {error.start})"
            except json.JSONDecodeError as error:
                yield number, None, f"not valid JSON ({error.msg} at column {error.colno})"
            except RecursionError:
                yield number, None, "not valid JSON (nested too deeply)"
