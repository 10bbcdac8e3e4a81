"""CodeContests reading and preparation, on small problem files made by the tests."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from yantra_gnn.cli import build_parser
from yantra_gnn.cli import download as download_cli
from yantra_gnn.cli.common import standalone_main
from yantra_gnn.datasets import codecontests
from yantra_gnn.datasets.codecontests import (
    BadRow,
    iter_problems,
    prepare_dataset,
    validate_problem_row,
)
from yantra_gnn.errors import ConfigError, DatasetError

MINI = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "codecontests_mini.jsonl"


def make_problem(
    name: str,
    *,
    python3: int = 1,
    cpp: int = 1,
    python2: int = 0,
    incorrect_python3: int = 0,
    tests: bool = True,
    tags: tuple[str, ...] = ("math",),
    difficulty: int = 8,
) -> dict:
    """A problem row in the Hugging Face schema with distinct, tiny solutions."""
    languages = [3] * python3 + [2] * cpp + [1] * python2
    solutions = (
        [f"print({i})  # {name} py3\n" for i in range(python3)]
        + [f"int main() {{ return {i}; }}" for i in range(cpp)]
        + [f"print {i}" for i in range(python2)]
    )
    empty = {"input": [], "output": []}
    return {
        "name": name,
        "description": f"Problem {name}.",
        "public_tests": {"input": ["1\n"], "output": ["1\n"]} if tests else empty,
        "private_tests": {"input": ["2\n", "3\n"], "output": ["2\n", "3\n"]} if tests else empty,
        "generated_tests": empty,
        "source": 2,
        "difficulty": difficulty,
        "solutions": {"language": languages, "solution": solutions},
        "incorrect_solutions": {
            "language": [3] * incorrect_python3 + [2],
            "solution": [f"print(-{i})\n" for i in range(incorrect_python3)] + ["int x;"],
        },
        "cf_contest_id": 1,
        "cf_index": "A",
        "cf_points": 0.0,
        "cf_rating": 800,
        "cf_tags": list(tags),
        "is_description_translated": False,
        "untranslated_description": "",
        "time_limit": {"seconds": 1, "nanos": 0},
        "memory_limit_bytes": 256 << 20,
        "input_file": "",
        "output_file": "",
    }


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def prepare_file(source: Path, output: Path, **kwargs) -> codecontests.PrepareStats:
    bad_rows: list[BadRow] = []
    on_bad_row = kwargs.pop("on_bad_row", "skip")
    rows = iter_problems(source, on_bad_row=on_bad_row, bad_rows=bad_rows)
    return prepare_dataset(rows, output, on_bad_row=on_bad_row, bad_rows=bad_rows, **kwargs)


@pytest.fixture
def twenty(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "problems.jsonl", [make_problem(f"p{i:02d}") for i in range(20)])


def test_split_is_by_problem_80_20_and_disjoint(twenty: Path, tmp_path: Path) -> None:
    stats = prepare_file(twenty, tmp_path / "out", seed=0)
    train = read_jsonl(tmp_path / "out" / "train.jsonl")
    val = read_jsonl(tmp_path / "out" / "val.jsonl")
    train_names, val_names = {p["name"] for p in train}, {p["name"] for p in val}
    assert (len(train), len(val)) == (16, 4)
    assert (stats.train_problems, stats.val_problems) == (16, 4)
    assert not train_names & val_names
    assert train_names | val_names == {f"p{i:02d}" for i in range(20)}
    summary = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert summary["splits"]["train"]["problems"] == 16
    assert summary["splits"]["val"]["tests"]["total"] == 4 * 3
    assert summary["total"]["solution_lines"] == {
        "count": 20,
        "min": 1,
        "median": 1,
        "mean": 1.0,
        "max": 1,
    }
    assert summary["total"]["difficulty"] == {"B": 20}
    assert summary["arguments"]["seed"] == 0
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_same_seed_same_files_other_seed_other_split(twenty: Path, tmp_path: Path) -> None:
    prepare_file(twenty, tmp_path / "a", seed=1)
    prepare_file(twenty, tmp_path / "b", seed=1)
    prepare_file(twenty, tmp_path / "c", seed=2)
    for name in ("train.jsonl", "val.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    val_1 = {p["name"] for p in read_jsonl(tmp_path / "a" / "val.jsonl")}
    val_2 = {p["name"] for p in read_jsonl(tmp_path / "c" / "val.jsonl")}
    assert len(val_2) == 4 and val_1 != val_2


def test_only_python3_solutions_are_kept(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "p.jsonl",
        [make_problem("mixed", python3=2, cpp=3, python2=2, incorrect_python3=1)],
    )
    stats = prepare_file(source, tmp_path / "out", val_fraction=0.0)
    (problem,) = read_jsonl(tmp_path / "out" / "train.jsonl")
    assert problem["solutions"] == {
        "language": [3, 3],
        "solution": ["print(0)  # mixed py3\n", "print(1)  # mixed py3\n"],
    }
    assert problem["incorrect_solutions"] == {"language": [3], "solution": ["print(-0)\n"]}
    not_kept = stats.summary["solutions_not_kept"]
    assert not_kept["correct"]["other_language"] == 5
    assert not_kept["incorrect"]["other_language"] == 1
    assert set(problem) >= {"name", "description", "public_tests", "private_tests", "cf_tags"}
    assert "untranslated_description" not in problem


def test_max_solutions_caps_with_a_seeded_choice(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "p.jsonl", [make_problem("many", python3=8)])
    originals = make_problem("many", python3=8)["solutions"]["solution"][:8]
    chosen = []
    for seed in range(4):
        stats = prepare_file(source, tmp_path / f"out{seed}", max_solutions=3, seed=seed)
        (problem,) = read_jsonl(tmp_path / f"out{seed}" / "train.jsonl")
        kept = problem["solutions"]["solution"]
        assert len(kept) == 3
        assert kept == [text for text in originals if text in kept]  # original order
        assert stats.summary["solutions_not_kept"]["correct"]["over_cap"] == 5
        chosen.append(tuple(kept))
    again = prepare_file(source, tmp_path / "again", max_solutions=3, seed=0)
    assert again.summary["total"]["solutions"] == 3
    assert (
        tuple(read_jsonl(tmp_path / "again" / "train.jsonl")[0]["solutions"]["solution"])
        == chosen[0]
    )
    assert len(set(chosen)) > 1


def test_problems_without_tests_or_python3_are_dropped(tmp_path: Path) -> None:
    rows = [
        make_problem("ok1"),
        make_problem("no_tests", tests=False),
        make_problem("cpp_only", python3=0, cpp=2),
        make_problem("ok2"),
        make_problem("ok1"),  # repeated name
    ]
    stats = prepare_file(write_jsonl(tmp_path / "p.jsonl", rows), tmp_path / "out")
    assert stats.dropped == {"no_tests": 1, "no_python3_solution": 1, "duplicate_name": 1}
    names = [
        p["name"]
        for name in ("train.jsonl", "val.jsonl")
        for p in read_jsonl(tmp_path / "out" / name)
    ]
    assert sorted(names) == ["ok1", "ok2"]


def test_limit_stops_after_n_kept_problems(twenty: Path, tmp_path: Path) -> None:
    stats = prepare_file(twenty, tmp_path / "out", limit=5)
    assert stats.summary["total"]["problems"] == 5
    assert stats.rows_read == 5


MALFORMED_LINES = [
    json.dumps(make_problem("good1")),
    '{"name": "broken", ',  # line 2: not JSON
    json.dumps(make_problem("good2")),
    json.dumps(["a", "list"]),  # line 4
    json.dumps({k: v for k, v in make_problem("x").items() if k != "name"}),  # line 5
    json.dumps({**make_problem("strsol"), "solutions": "print(1)"}),  # line 6
    json.dumps({**make_problem("badlang"), "solutions": {"language": ["3"], "solution": ["x"]}}),
]


def test_malformed_rows_are_skipped_and_reported_with_line_numbers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(MALFORMED_LINES) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.datasets.codecontests"):
        stats = prepare_file(source, tmp_path / "out", val_fraction=0.0)
    assert stats.bad_rows == 5
    examples = stats.summary["bad_rows"]["examples"]
    assert [e["location"] for e in examples] == ["line 2", "line 4", "line 5", "line 6", "line 7"]
    assert "not valid JSON" in examples[0]["reason"]
    assert "missing 'name'" in examples[2]["reason"]
    assert "line 2" in caplog.text and "line 7" in caplog.text
    assert [p["name"] for p in read_jsonl(tmp_path / "out" / "train.jsonl")] == ["good1", "good2"]


def test_fail_mode_raises_and_leaves_previous_output_alone(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", [make_problem(f"g{i}") for i in range(5)])
    prepare_file(good, tmp_path / "out")
    before = (tmp_path / "out" / "train.jsonl").read_bytes()
    source = tmp_path / "bad.jsonl"
    source.write_text("\n".join(MALFORMED_LINES) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.jsonl: line 2: not valid JSON"):
        prepare_file(source, tmp_path / "out", on_bad_row="fail")
    assert (tmp_path / "out" / "train.jsonl").read_bytes() == before
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_bad_rows_from_an_iterable_are_numbered(tmp_path: Path) -> None:
    rows = [make_problem("a"), {"name": 3, "solutions": {}}, make_problem("b")]
    stats = prepare_dataset(rows, tmp_path / "out", source_label="memory")
    assert stats.summary["bad_rows"]["examples"] == [
        {"location": "row 2", "reason": "'name' is not a non-empty string"}
    ]
    with pytest.raises(DatasetError, match="memory: row 2"):
        prepare_dataset(rows, tmp_path / "out2", on_bad_row="fail", source_label="memory")


def test_validate_problem_row() -> None:
    assert validate_problem_row(make_problem("fine")) is None
    assert validate_problem_row("text") == "not a JSON object (got str)"
    assert validate_problem_row({"name": "x"}) == "missing 'solutions'"
    unequal = {"name": "x", "solutions": {"language": [3, 3], "solution": ["a"]}}
    assert "1 'solution'" in validate_problem_row(unequal)
    bad_tests = {**make_problem("t"), "public_tests": {"input": [1], "output": ["1"]}}
    assert "non-string" in validate_problem_row(bad_tests)


def test_missing_and_unsupported_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope\.jsonl: no such file.*--from"):
        iter_problems(tmp_path / "nope.jsonl")
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(DatasetError, match="unsupported file type '.csv'"):
        iter_problems(tmp_path / "data.csv")
    with pytest.raises(DatasetError, match="no 'train-\\*.parquet' files"):
        iter_problems(tmp_path)
    with pytest.raises(ConfigError):
        iter_problems(tmp_path / "x.jsonl", on_bad_row="ignore")
    array = tmp_path / "array.json"
    array.write_text(json.dumps([make_problem("a")], indent=1))
    with pytest.raises(DatasetError, match="JSON array, not JSON lines"):
        list(iter_problems(array))


def test_unreachable_hub_names_the_offline_option(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    calls = []

    def unreachable(path: str, **kwargs: object) -> None:
        calls.append((path, kwargs))
        # What datasets 5 raises when the hub cannot be resolved (checked on this machine).
        raise ConnectionError(
            "Couldn't reach 'deepmind/code_contests' on the Hub (LocalEntryNotFoundError)"
        )

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    # The host answers (a flaky hub): the error then comes from the datasets client.
    monkeypatch.setattr(codecontests, "_hub_unreachable_reason", lambda: None)
    with pytest.raises(DatasetError, match="--from PATH") as caught:
        iter_problems(None)
    assert "Couldn't reach" in str(caught.value)
    assert calls == [("deepmind/code_contests", {"split": "train", "streaming": True})]


def test_an_unreachable_hub_host_fails_at_once_without_the_client_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    import datasets

    def no_route(address: tuple[str, int], timeout: float) -> None:
        assert timeout <= 5
        raise OSError(-2, "Name or service not known")

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("load_dataset ran: the client would retry for ~30 s")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(socket, "create_connection", no_route)
    monkeypatch.setattr(datasets, "load_dataset", must_not_run)
    with pytest.raises(DatasetError, match="unreachable from this machine.*--from PATH"):
        iter_problems(None)


def test_cli_main_end_to_end(twenty: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    output = tmp_path / "out"
    argv = ["--from", str(twenty), "--output", str(output), "--max-solutions", "2", "--seed", "5"]
    assert standalone_main("yantra_gnn.cli.download", argv) == 0
    summary = json.loads((output / "stats.json").read_text())
    assert summary["arguments"]["max_solutions"] == 2
    assert summary["arguments"]["seed"] == 5
    assert summary["source"] == str(twenty)
    assert len(read_jsonl(output / "train.jsonl")) + len(read_jsonl(output / "val.jsonl")) == 20
    assert (
        standalone_main(
            "yantra_gnn.cli.download",
            ["--from", str(tmp_path / "missing.jsonl"), "--output", str(output)],
        )
        == 1
    )
    assert "missing.jsonl: no such file" in capsys.readouterr().err


def test_cli_reports_unreachable_hub(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import datasets

    def unreachable(path: str, **kwargs: object) -> None:
        raise ConnectionError("Couldn't reach 'deepmind/code_contests' on the Hub")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    assert standalone_main("yantra_gnn.cli.download", ["--output", str(tmp_path / "out")]) == 1
    assert "--from" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_register_cli_adds_download() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["download", "--from", "x.jsonl", "--limit", "3", "--on-bad-row", "fail"]
    )
    assert args.func is download_cli.run
    assert (args.from_path, args.limit, args.on_bad_row) == ("x.jsonl", 3, "fail")
    assert args.output == codecontests.DEFAULT_OUTPUT_DIR


def test_parquet_files_and_prepared_output_read_back(twenty: Path, tmp_path: Path) -> None:
    import datasets

    rows = read_jsonl(twenty)
    directory = tmp_path / "hub_copy" / "data"
    directory.mkdir(parents=True)
    datasets.Dataset.from_list(rows).to_parquet(str(directory / "train-00000-of-00001.parquet"))
    from_parquet = list(iter_problems(tmp_path / "hub_copy"))
    assert [r["name"] for r in from_parquet] == [r["name"] for r in rows]
    assert from_parquet[3]["solutions"] == rows[3]["solutions"]
    prepare_dataset(from_parquet, tmp_path / "out")
    again = list(iter_problems(tmp_path / "out" / "train.jsonl"))
    assert len(again) == 16 and all(r["solutions"]["language"] == [3] for r in again)


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="max_solutions"):
        prepare_dataset([], tmp_path / "o", max_solutions=0)
    with pytest.raises(ConfigError, match="val_fraction"):
        prepare_dataset([], tmp_path / "o", val_fraction=1.0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="not a directory"):
        prepare_dataset([], tmp_path / "file")


@pytest.mark.skipif(not MINI.exists(), reason="shared CodeContests mini file not present")
def test_shared_mini_file(tmp_path: Path) -> None:
    stats = prepare_file(MINI, tmp_path / "out", seed=0)
    total = stats.summary["total"]
    assert (stats.train_problems, stats.val_problems) == (160, 40)
    assert total["solutions"] == 200
    assert total["tests"]["total"] == 3152
    assert total["solution_lines"]["median"] == 42
    assert total["solution_lines"]["max"] == 645
    assert stats.bad_rows == 0 and sum(stats.dropped.values()) == 0
