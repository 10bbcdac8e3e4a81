"""ConDefects: real AtCoder Python submissions the judge rejected, each with its fix.

A ConDefects file (``condefects_dev.jsonl`` in the project's shared data) holds one
JSON object per line::

    {"task", "contest", "submission_id", "difficulty", "fault_lines", "faulty_code",
     "correct_code"}

``faulty_code`` is a submission the AtCoder judge rejected, ``correct_code`` the same
author's later accepted fix, and ``fault_lines`` the 1-based line number(s) of the fault
in ``faulty_code``. No tests come with it: the labels are the judge's verdicts.

:func:`load_pairs` reads and validates a file (a :class:`DatasetError` names the file
and line of the first malformed row); :func:`split_pairs` splits the pairs **by task**
(every submission of one task lands in the same split: a task's submissions solve the
same problem and share much of their code), the way
:mod:`yantra_gnn.datasets.codecontests` splits by problem. The file is read where it is
and never copied.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from yantra_gnn.datasets.codecontests import DEFAULT_VAL_FRACTION, _val_names
from yantra_gnn.datasets.jsonl import json_lines
from yantra_gnn.errors import ConfigError, DatasetError

#: Where ConDefects comes from (the full data set; the shared file is a by-task half of
#: its Python tasks).
SOURCE_URL = "https://github.com/appmlk/ConDefects"

#: The splits :func:`split_pairs` makes.
SPLITS: tuple[str, ...] = ("train", "val")

_REQUIRED = ("task", "contest", "submission_id", "fault_lines", "faulty_code", "correct_code")
_STR_FIELDS = ("task", "contest", "faulty_code", "correct_code")


@dataclass(frozen=True)
class ConDefectsPair:
    """One rejected submission and its accepted fix.

    Attributes:
        task: the AtCoder task (``abc221_g``): the problem both programs solve.
        contest: the contest (``abc221``).
        submission_id: the rejected submission's id (the pair's key; a string).
        difficulty: the task's difficulty rating, or ``None`` when unknown.
        fault_lines: 1-based line numbers of the fault in ``faulty_code``, as in the file:
            one past the last line means code is missing at the end; ``(0,)`` means the
            fault is not located (ConDefects writes it when the fix only deletes lines).
        faulty_code: the program the judge rejected.
        correct_code: the same author's fix, accepted by the judge.
        line: the line of the file the pair was read from (1-based).
    """

    task: str
    contest: str
    submission_id: str
    difficulty: int | None
    fault_lines: tuple[int, ...]
    faulty_code: str
    correct_code: str
    line: int = 0

    @property
    def located_fault_lines(self) -> tuple[int, ...]:
        """The fault lines that name a line (``fault_lines`` without the 0 marker)."""
        return tuple(x for x in self.fault_lines if x >= 1)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_row(row: object) -> str | None:
    """Why ``row`` is not a valid ConDefects row, or ``None`` when it is."""
    if not isinstance(row, dict):
        return f"not a JSON object (got {type(row).__name__})"
    missing = [key for key in _REQUIRED if key not in row]
    if missing:
        return f"missing field(s) {missing}"
    for key in _STR_FIELDS:
        if not isinstance(row[key], str):
            return f"{key!r} must be a string, got {type(row[key]).__name__}"
    for key in ("task", "faulty_code", "correct_code"):
        if not row[key].strip():
            return f"{key!r} is empty"
    submission = row["submission_id"]
    if not (isinstance(submission, str) and submission.strip()) and not _is_int(submission):
        return f"'submission_id' must be a non-empty string or an integer, got {submission!r}"
    difficulty = row.get("difficulty")
    if difficulty is not None and not _is_int(difficulty):
        return f"'difficulty' must be an integer or null, got {difficulty!r}"
    lines = row["fault_lines"]
    if not isinstance(lines, list) or not lines or not all(_is_int(x) for x in lines):
        return f"'fault_lines' must be a non-empty list of integers, got {lines!r}"
    if lines == [0]:
        pass  # the fault is not located (ConDefects writes [0] when the fix only deletes code)
    else:
        count = len(row["faulty_code"].removesuffix("\n").split("\n"))
        outside = [x for x in lines if not 1 <= x <= count + 1]  # count + 1: missing at the end
        if outside:
            return (
                f"'fault_lines' {outside} outside 1..{count + 1} ('faulty_code' has {count} "
                "line(s); lines are 1-based; [0] alone means not located)"
            )
    if row["faulty_code"] == row["correct_code"]:
        return "'faulty_code' and 'correct_code' are identical"
    return None


def _missing_file_error(path: Path) -> DatasetError:
    return DatasetError(
        f"{path}: no such ConDefects file. It is a JSON-lines file of rejected AtCoder "
        "Python submissions with their accepted fixes and fault lines (fields task, "
        "contest, submission_id, difficulty, fault_lines, faulty_code, correct_code); the "
        "project's development copy is shared/data/condefects_dev.jsonl beside the "
        f"repository (../shared/data/ from a checkout), and the full data set is at "
        f"{SOURCE_URL}"
    )


def load_pairs(path: str | os.PathLike[str]) -> list[ConDefectsPair]:
    """Every pair of a ConDefects JSON-lines file, in file order.

    Blank lines are skipped. Anything else that is not a valid row (not JSON, not an
    object, a missing or mistyped field, a fault line outside the program, identical
    programs, a repeated ``submission_id``) raises a :class:`DatasetError` naming the
    file and the line.

    Raises:
        DatasetError: the file is missing, unreadable, empty or holds a malformed row.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise _missing_file_error(path)
    pairs: list[ConDefectsPair] = []
    seen: dict[str, int] = {}
    for number, row, reason in json_lines(path, "pair"):
        if reason is None:
            reason = validate_row(row)
        if reason is not None or not isinstance(row, dict):
            raise DatasetError(f"{path}: line {number}: {reason or 'not a JSON object'}")
        submission = str(row["submission_id"]).strip()
        if submission in seen:
            raise DatasetError(
                f"{path}: line {number}: submission_id {submission!r} repeats line "
                f"{seen[submission]}"
            )
        seen[submission] = number
        pairs.append(
            ConDefectsPair(
                task=row["task"].strip(),
                contest=row["contest"],
                submission_id=submission,
                difficulty=row.get("difficulty"),
                fault_lines=tuple(sorted(set(row["fault_lines"]))),
                faulty_code=row["faulty_code"],
                correct_code=row["correct_code"],
                line=number,
            )
        )
    if not pairs:
        raise DatasetError(f"{path}: holds no ConDefects pairs")
    return pairs


def split_tasks(
    tasks: Iterable[str], *, seed: int = 0, val_fraction: float = DEFAULT_VAL_FRACTION
) -> tuple[list[str], list[str]]:
    """``(train tasks, val tasks)``, each sorted: ``round(n * val_fraction)`` tasks go to
    validation, chosen by a seeded stable hash of the task name (the rule of the
    CodeContests problem split), so the result depends only on the seed, the fraction
    and the set of task names (not on their order or on the other fields of a file)."""
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    names = sorted(set(tasks))
    val = _val_names(names, seed, val_fraction)
    return [n for n in names if n not in val], sorted(val)


def split_pairs(
    pairs: Sequence[ConDefectsPair],
    split: str,
    *,
    seed: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
) -> list[ConDefectsPair]:
    """The pairs of ``split`` (``"train"`` or ``"val"``, see :func:`split_tasks`), in the
    order of ``pairs``; a task's pairs are all in one split."""
    if split not in SPLITS:
        raise ConfigError(f"ConDefects split must be one of {SPLITS}, got {split!r}")
    train, val = split_tasks((p.task for p in pairs), seed=seed, val_fraction=val_fraction)
    keep = set(train if split == "train" else val)
    return [p for p in pairs if p.task in keep]


def load_split(
    path: str | os.PathLike[str],
    split: str,
    *,
    seed: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
) -> list[ConDefectsPair]:
    """:func:`load_pairs` then :func:`split_pairs`."""
    return split_pairs(load_pairs(path), split, seed=seed, val_fraction=val_fraction)
