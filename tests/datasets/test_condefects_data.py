"""ConDefects reading, validation and the split by task, on small files the tests write."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from yantra_test_helpers import CONDEFECTS_DEV, CONDEFECTS_ROWS, condefects_row, write_condefects

from yantra_gnn.datasets.condefects import (
    ConDefectsPair,
    load_pairs,
    load_split,
    split_pairs,
    split_tasks,
    validate_row,
)
from yantra_gnn.errors import ConfigError, DatasetError


def test_load_pairs_reads_every_row_in_order(tmp_path: Path) -> None:
    path = write_condefects(tmp_path / "cd.jsonl")
    pairs = load_pairs(path)
    assert len(pairs) == len(CONDEFECTS_ROWS)
    first = pairs[0]
    assert isinstance(first, ConDefectsPair)
    assert (first.task, first.contest, first.submission_id) == ("abc001_a", "abc001", "abc001_a-1")
    assert first.fault_lines == (2,) and first.located_fault_lines == (2,)
    assert first.faulty_code == CONDEFECTS_ROWS[0]["faulty_code"]
    assert first.correct_code == CONDEFECTS_ROWS[0]["correct_code"]
    assert [p.line for p in pairs] == list(range(1, len(CONDEFECTS_ROWS) + 1))


def test_blank_lines_integer_ids_null_difficulty_and_unlocated_faults(tmp_path: Path) -> None:
    row = dict(CONDEFECTS_ROWS[0], submission_id=123, difficulty=None)
    unlocated = dict(CONDEFECTS_ROWS[1], fault_lines=[0])  # the fix only deletes code
    past_end = condefects_row("abc009_z", 1, "x = 1", "x = 1\nprint(x)", 2)  # missing last line
    path = tmp_path / "cd.jsonl"
    path.write_text("\n" + json.dumps(row) + "\n\n" + json.dumps(unlocated) + "\n")
    path.write_text(path.read_text() + json.dumps(past_end) + "\n")
    pairs = load_pairs(path)
    assert pairs[0].submission_id == "123" and pairs[0].difficulty is None
    assert pairs[0].line == 2 and pairs[1].line == 4
    assert pairs[1].fault_lines == (0,) and pairs[1].located_fault_lines == ()
    assert pairs[2].fault_lines == (2,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"task": 5}, "'task' must be a string"),
        ({"task": "  "}, "'task' is empty"),
        ({"faulty_code": ""}, "'faulty_code' is empty"),
        ({"fault_lines": []}, "'fault_lines' must be a non-empty list"),
        ({"fault_lines": [1.5]}, "'fault_lines' must be a non-empty list"),
        ({"fault_lines": [True]}, "'fault_lines' must be a non-empty list"),
        ({"fault_lines": [9]}, r"'fault_lines' \[9\] outside 1..3"),
        ({"fault_lines": [0, 2]}, r"'fault_lines' \[0\] outside"),
        ({"fault_lines": [-1]}, "outside"),
        ({"difficulty": "hard"}, "'difficulty' must be an integer or null"),
        ({"submission_id": ""}, "'submission_id' must be"),
        ({"correct_code": CONDEFECTS_ROWS[0]["faulty_code"]}, "identical"),
    ],
)
def test_malformed_rows_name_file_and_line(tmp_path: Path, change: dict, message: str) -> None:
    bad = dict(CONDEFECTS_ROWS[0], **change)
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(CONDEFECTS_ROWS[1]) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(DatasetError, match=rf"bad\.jsonl: line 2: .*{message}"):
        load_pairs(path)


def test_other_malformed_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(CONDEFECTS_ROWS[0]) + "\n{not json\n")
    with pytest.raises(DatasetError, match="bad.jsonl: line 2: not valid JSON"):
        load_pairs(path)
    path.write_text("[1, 2]\n")
    with pytest.raises(DatasetError, match="line 1: .*JSON array, not JSON lines"):
        load_pairs(path)
    path.write_text(json.dumps("a") + "\n")
    with pytest.raises(DatasetError, match="line 1: not a JSON object \\(got str\\)"):
        load_pairs(path)
    missing = {k: v for k, v in CONDEFECTS_ROWS[0].items() if k != "fault_lines"}
    path.write_text(json.dumps(missing) + "\n")
    with pytest.raises(DatasetError, match=r"line 1: missing field\(s\) \['fault_lines'\]"):
        load_pairs(path)
    path.write_text(json.dumps(CONDEFECTS_ROWS[0]) + "\n" + json.dumps(CONDEFECTS_ROWS[0]) + "\n")
    with pytest.raises(DatasetError, match="line 2: submission_id 'abc001_a-1' repeats line 1"):
        load_pairs(path)
    path.write_bytes(b"\xff\xfe\n")
    with pytest.raises(DatasetError, match="line 1: not valid UTF-8"):
        load_pairs(path)
    path.write_text("\n\n")
    with pytest.raises(DatasetError, match="holds no ConDefects pairs"):
        load_pairs(path)


def test_missing_file_says_where_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope\.jsonl: no such ConDefects file.*condefects_dev"):
        load_pairs(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="github.com/appmlk/ConDefects"):
        load_pairs(tmp_path / "nope.jsonl")


def test_validate_row_accepts_the_schema() -> None:
    assert all(validate_row(row) is None for row in CONDEFECTS_ROWS)
    assert validate_row([]) == "not a JSON object (got list)"


def test_split_is_by_task_deterministic_and_seedable() -> None:
    tasks = [f"abc{i:03d}_{c}" for i in range(40) for c in "abcd"]
    train, val = split_tasks(tasks)
    assert len(val) == round(len(set(tasks)) * 0.2) == 32
    assert not set(train) & set(val) and set(train) | set(val) == set(tasks)
    # order and repetitions of the input do not matter
    assert split_tasks(list(reversed(tasks)) + tasks[:5]) == (train, val)
    assert split_tasks(tasks, seed=1) != (train, val)
    assert split_tasks(tasks, seed=1) == split_tasks(tasks, seed=1)
    assert len(split_tasks(tasks, val_fraction=0.5)[1]) == 80
    assert split_tasks(tasks, val_fraction=0.0)[1] == []
    with pytest.raises(ConfigError, match="val_fraction"):
        split_tasks(tasks, val_fraction=1.0)


def test_split_pairs_never_puts_a_task_in_both_splits(tmp_path: Path) -> None:
    path = write_condefects(tmp_path / "cd.jsonl")
    pairs = load_pairs(path)
    for seed in range(5):
        train = split_pairs(pairs, "train", seed=seed)
        val = split_pairs(pairs, "val", seed=seed)
        assert len(train) + len(val) == len(pairs)
        assert not {p.task for p in train} & {p.task for p in val}
        assert len({p.task for p in val}) == 1  # round(5 tasks * 0.2)
    assert load_split(path, "val") == split_pairs(pairs, "val")
    with pytest.raises(ConfigError, match="split must be one of"):
        split_pairs(pairs, "test")


def test_the_shared_development_file() -> None:
    """The real file, when present: 1,395 pairs of 471 tasks, one fault line each."""
    if not CONDEFECTS_DEV.exists():
        pytest.skip(f"shared ConDefects file not present at {CONDEFECTS_DEV}")
    pairs = load_pairs(CONDEFECTS_DEV)
    assert len(pairs) == 1395
    assert len({p.task for p in pairs}) == 471
    assert Counter(len(p.fault_lines) for p in pairs) == {1: 1395}
    assert len({p.submission_id for p in pairs}) == 1395
    train, val = split_pairs(pairs, "train"), split_pairs(pairs, "val")
    assert len({p.task for p in val}) == round(471 * 0.2)
    assert not {p.task for p in train} & {p.task for p in val}
    assert len(train) + len(val) == 1395
