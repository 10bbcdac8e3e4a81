"""Helpers shared by the test modules (importable thanks to pytest's ``pythonpath``)."""

from __future__ import annotations

import json
from pathlib import Path

from yantra_gnn.graph import EDGE_TYPES, CodeGraphBuilder

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI_DATASET = REPO_ROOT.parent / "shared" / "data" / "codecontests_mini.jsonl"

#: Training settings small enough for a test run on a tiny prepared dataset (flat
#: ``TrainConfig`` names; ``tests/fixtures/behaviour.py`` keeps its own frozen copy).
TINY_TRAINING = {
    "layer_channels": (16, 16, 8),
    "batch_size": 4,
    "label_max_tests": 3,
    "label_max_mutants": 2,
    "import_min_count": 1,
    "progress": False,
    "checkpoint_every": 1,
    "seed": 7,
}


def node_label(source: str, span: list[int]) -> str:
    """``text@line`` of a node (first line of its text), e.g. ``x@3``."""
    start_row, start_col, end_row, end_col = span
    line = source.encode().split(b"\n")[start_row]
    text = line[start_col : end_col if end_row == start_row else None].decode().strip()
    return f"{text}@{start_row + 1}"


def labelled_edges(source: str, edge_type: str, **build_kwargs) -> set[tuple[str, str]]:
    """The edges of one type as ``(source label, target label)`` pairs."""
    data = CodeGraphBuilder().build(source, **build_kwargs)
    wanted = EDGE_TYPES.index(edge_type)
    spans = data.node_span.tolist()
    return {
        (node_label(source, spans[a]), node_label(source, spans[b]))
        for (a, b), t in zip(data.edge_index.t().tolist(), data.edge_type.tolist(), strict=True)
        if t == wanted
    }


# --- tiny CodeContests-style problems the data and training tests make themselves ---

DOUBLE = {
    "name": "double",
    "description": "Print twice n.",
    "public_tests": {"input": ["3\n", "0\n"], "output": ["6\n", "0\n"]},
    "private_tests": {"input": ["-5\n", "100\n"], "output": ["-10\n", "200\n"]},
    "generated_tests": {"input": [], "output": []},
    "solutions": {
        "language": [3, 2, 3],
        "solution": [
            "import sys\nn = int(sys.stdin.readline())\nprint(n * 2)\n",
            "int main() {}",
            "n = int(input())\nresult = n + n\nif result >= 0:\n    print(result)\nelse:\n    print(result)\n",
        ],
    },
    "incorrect_solutions": {
        "language": [3, 3],
        "solution": [
            "n = int(input())\nprint(n + 2)\n",
            "n = int(input())\nprint(2 * n)\n",  # not wrong on these tests: dropped
        ],
    },
}

MAX_PAIR = {
    "name": "max_pair",
    "description": "Print the larger of two numbers, then their sum.",
    "public_tests": {"input": ["1 2\n", "5 3\n"], "output": ["2 3\n", "5 8\n"]},
    "private_tests": {"input": ["4 4\n"], "output": ["4 8\n"]},
    "generated_tests": {"input": [], "output": []},
    "solutions": {
        "language": [3],
        "solution": [
            "from math import inf\na, b = map(int, input().split())\nbest = max(a, b)\nprint(best, a + b)\n"
        ],
    },
    "incorrect_solutions": {"language": [], "solution": []},
}

NO_TESTS = {
    "name": "untested",
    "description": "No tests.",
    "public_tests": {"input": [], "output": []},
    "private_tests": {"input": [], "output": []},
    "generated_tests": {"input": [], "output": []},
    "solutions": {"language": [3], "solution": ["print(1)\n"]},
    "incorrect_solutions": {"language": [], "solution": []},
}


# ---------------------------------------------------------------------- ConDefects
#: The shared ConDefects development file (absent in a fresh clone: tests skip).
CONDEFECTS_DEV = REPO_ROOT.parent / "shared" / "data" / "condefects_dev.jsonl"


def condefects_row(task: str, number: int, faulty: str, correct: str, fault_line: int) -> dict:
    """A row in the ConDefects schema (``submission_id`` made from task and number)."""
    return {
        "task": task,
        "contest": task.split("_")[0],
        "submission_id": f"{task}-{number}",
        "difficulty": 100 * number,
        "fault_lines": [fault_line],
        "faulty_code": faulty,
        "correct_code": correct,
    }


#: Eight pairs of five tasks: off-by-one, wrong operator, wrong comparison, a missing line.
CONDEFECTS_ROWS: list[dict] = [
    condefects_row(
        "abc001_a", 1, "n = int(input())\nprint(n - 1)\n", "n = int(input())\nprint(n)\n", 2
    ),
    condefects_row(
        "abc001_a",
        2,
        "n = int(input())\nx = n * 2\nprint(x + 1)\n",
        "n = int(input())\nx = n * 2\nprint(x)\n",
        3,
    ),
    condefects_row(
        "abc002_b",
        1,
        "a, b = map(int, input().split())\nif a < b:\n    print(a)\nelse:\n    print(b)\n",
        "a, b = map(int, input().split())\nif a > b:\n    print(a)\nelse:\n    print(b)\n",
        2,
    ),
    condefects_row(
        "abc003_c",
        1,
        "s = input()\nt = s[::-1]\nprint(s == t)\n",
        "s = input()\nt = s[::-1]\nprint('Yes' if s == t else 'No')\n",
        3,
    ),
    condefects_row(
        "abc003_c",
        2,
        "s = input()\n\nprint(len(s))\n",
        "s = input().strip()\n\nprint(len(s))\n",
        1,
    ),
    condefects_row(
        "abc004_d",
        1,
        "xs = list(map(int, input().split()))\ntotal = 0\nfor x in xs:\n    total -= x\n"
        "print(total)\n",
        "xs = list(map(int, input().split()))\ntotal = 0\nfor x in xs:\n    total += x\n"
        "print(total)\n",
        4,
    ),
    condefects_row(
        "abc005_e",
        1,
        "n = int(input())\nans = 1\nfor i in range(1, n):\n    ans *= i\n",
        "n = int(input())\nans = 1\nfor i in range(1, n + 1):\n    ans *= i\nprint(ans)\n",
        5,
    ),
    condefects_row(
        "abc005_e",
        2,
        "n = int(input())\nprint(n // 2)\n",
        "n = int(input())\nprint((n + 1) // 2)\n",
        2,
    ),
]


def write_condefects(path: Path, rows: list[dict] | None = None) -> Path:
    """Write ``rows`` (default :data:`CONDEFECTS_ROWS`) as a ConDefects JSON-lines file."""
    import json

    rows = CONDEFECTS_ROWS if rows is None else rows
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def write_tiny_prepared(root: Path, train_rows: tuple[dict, ...] = (DOUBLE, MAX_PAIR)) -> Path:
    """A prepared dataset in ``root`` (created): ``train_rows`` in ``train.jsonl`` and
    ``MAX_PAIR`` under another name in ``val.jsonl``, as ``yantra-gnn download`` writes."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "train.jsonl").write_text("".join(json.dumps(row) + "\n" for row in train_rows))
    (root / "val.jsonl").write_text(json.dumps(dict(MAX_PAIR, name="max_pair_val")) + "\n")
    return root


#: Small programs for model tests: stdin reading, a function with a comprehension, a
#: branch, and a syntax error (which still makes a graph).
MODEL_SOURCES = [
    "import sys\nn = int(sys.stdin.readline())\nprint(sum(range(n)))\n",
    (
        "from collections import Counter\n\n"
        "def solve(words):\n"
        "    counts = Counter(words)\n"
        "    best = max(counts.values())\n"
        "    return [w for w, c in counts.items() if c == best]\n\n"
        "for _ in range(int(input())):\n"
        "    print(*solve(input().split()))\n"
    ),
    "def f(a, b):\n    if a < b:\n        return b - a\n    return a - b\n\nprint(f(3, 5))\n",
    "x = [1, 2,\nprint(x)\n",  # syntax error: still a graph
]
