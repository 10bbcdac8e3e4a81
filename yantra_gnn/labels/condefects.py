"""Labels of ConDefects pairs, from the AtCoder judge's verdicts (no sandbox run).

Each :class:`~yantra_gnn.datasets.condefects.ConDefectsPair` gives two
:class:`~yantra_gnn.labels.labelling.LabelledProgram`\\ s, grouped under their task:

| program | origin | confidence | bugs | bug span |
| --- | --- | --- | --- | --- |
| the accepted fix | ``solution`` | 1 | unknown (masked) | ``None`` |
| the rejected submission | ``incorrect_solution`` | 0 | unknown (masked) | its fault line(s) |

Both bug-class labels are masked: ConDefects has no bug classes, so the faulty
program's class is unknown, and labelling only the fixes ("no bug") would give the
class head nothing but negatives from this source, teaching it that AtCoder-style code
has no bugs. The fault *location* is known: ``bug_span`` covers the fault line(s) (from
the first non-blank character of the first to the end of the last, trailing blanks
left out; 0-based rows, UTF-8 byte columns as in tree-sitter), ``None`` when the fault
is not located or lies past the last line. :class:`LabelledPair` keeps the pairing and
the 1-based fault lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yantra_gnn.datasets.condefects import ConDefectsPair
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules

#: The ``verdict`` of each side of a pair.
ACCEPTED = "accepted by the AtCoder judge"
REJECTED = "rejected by the AtCoder judge"


@dataclass(frozen=True)
class LabelledPair:
    """A ConDefects pair as two labelled programs.

    Attributes:
        task: the AtCoder task (the ``problem`` of both programs).
        submission_id: the rejected submission's id.
        fault_lines: 1-based fault lines in ``faulty.source`` (empty: not located).
        fixed: the accepted fix (confidence 1).
        faulty: the rejected submission (confidence 0).
    """

    task: str
    submission_id: str
    fault_lines: tuple[int, ...]
    fixed: LabelledProgram
    faulty: LabelledProgram


def fault_span(source: str, lines: Iterable[int]) -> tuple[int, int, int, int] | None:
    """The span ``(start_row, start_col, end_row, end_col)`` of the 1-based ``lines`` of
    ``source``: from the first non-blank character of the first non-blank line among them
    to the end of the text of the last one (trailing blanks left out), columns in UTF-8
    bytes. ``None`` when no line is inside ``source`` or all of them are blank."""
    text_lines = source.split("\n")
    rows = sorted(x - 1 for x in lines if 1 <= x <= len(text_lines) and text_lines[x - 1].strip())
    if not rows:
        return None
    first = text_lines[rows[0]].encode("utf-8")
    last = text_lines[rows[-1]].encode("utf-8")
    start_col = len(first) - len(first.lstrip())
    return (rows[0], start_col, rows[-1], len(last.rstrip()))


def label_pair(pair: ConDefectsPair) -> LabelledPair:
    """The two labelled programs of ``pair``."""
    lines = pair.located_fault_lines
    where = (
        f"fault line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"
        if lines
        else "fault not located"
    )
    fixed = LabelledProgram(
        problem=pair.task,
        source=pair.correct_code,
        origin="solution",
        detail=f"accepted fix of submission {pair.submission_id}",
        confidence=1.0,
        bugs_known=False,
        bug_classes=(),
        bug_span=None,
        imports=imported_modules(pair.correct_code),
        verdict=ACCEPTED,
    )
    faulty = LabelledProgram(
        problem=pair.task,
        source=pair.faulty_code,
        origin="incorrect_solution",
        detail=f"submission {pair.submission_id} ({where})",
        confidence=0.0,
        bugs_known=False,
        bug_classes=(),
        bug_span=fault_span(pair.faulty_code, lines),
        imports=imported_modules(pair.faulty_code),
        verdict=REJECTED,
    )
    return LabelledPair(pair.task, pair.submission_id, lines, fixed, faulty)


def label_pairs(pairs: Sequence[ConDefectsPair]) -> list[LabelledPair]:
    """:func:`label_pair` of every pair, in order."""
    return [label_pair(pair) for pair in pairs]


def programs_of(pairs: Sequence[LabelledPair]) -> list[LabelledProgram]:
    """The programs of ``pairs`` as one list: each pair's fix, then its faulty version
    (so pair ``i`` is rows ``2 i`` and ``2 i + 1``)."""
    return [program for pair in pairs for program in (pair.fixed, pair.faulty)]
