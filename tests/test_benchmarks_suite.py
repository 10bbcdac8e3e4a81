"""The machinery of ``python -m benchmarks``: selection, the JSON schema, ratios, targets.

Runs cheap entries with one round on a two-problem file, so nothing here depends on the
machine's speed: no assertion is about a time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from yantra_test_helpers import DOUBLE, MAX_PAIR

from benchmarks import suite
from benchmarks.__main__ import main

ENTRY_KEYS = {
    "name",
    "title",
    "value",
    "unit",
    "baseline",
    "ratio",
    "ratio_of",
    "target",
    "met",
    "details",
    "seconds",
}
HEADER_KEYS = {
    "command",
    "cpu",
    "cores",
    "cores_available",
    "torch_threads",
    "torch",
    "torch_geometric",
    "python",
    "device",
    "quick",
    "repeats",
    "load_average_start",
    "load_average_end",
    "seconds",
}


@pytest.fixture
def two_problems(tmp_path: Path) -> Path:
    """A CodeContests-schema file of two tiny problems with tests."""
    path = tmp_path / "problems.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in (DOUBLE, MAX_PAIR)))
    return path


def check_entry(result: dict) -> None:
    """The documented shape of one entry, and its ratio and verdict from its figures."""
    assert ENTRY_KEYS <= set(result), result
    if "skipped" in result or "error" in result:
        assert result["value"] is None and result["met"] is None
        return
    assert isinstance(result["value"], float) and math.isfinite(result["value"])
    assert isinstance(result["met"], bool) if result["target"] else result["met"] is None
    baseline = result["baseline"]
    if baseline is None:
        assert result["ratio"] is None and result["ratio_of"] is None
        return
    assert set(baseline) == {"name", "value", "unit"}
    value, theirs = result["value"], baseline["value"]
    expected = value / theirs if result["ratio_of"] == "value/baseline" else theirs / value
    assert result["ratio_of"] in suite.RATIO_ORIENTATIONS
    assert result["ratio"] == pytest.approx(expected, rel=2e-3)


def test_cheap_entries_give_the_documented_json_and_markdown(two_problems, tmp_path, capsys):
    out, markdown = tmp_path / "run.json", tmp_path / "run.md"
    argv = ["--only", "featurize_one,sandbox_tests", "--quick", "--repeats", "1"]
    argv += ["--data", str(two_problems), "--out", str(out), "--markdown", str(markdown)]
    assert main(argv) == 0

    document = json.loads(out.read_text())
    assert HEADER_KEYS <= set(document["header"])
    assert document["header"]["quick"] is True and document["header"]["repeats"] == 1
    assert [r["name"] for r in document["entries"]] == ["featurize_one", "sandbox_tests"]
    for result in document["entries"]:
        check_entry(result)
    first = document["entries"][0]
    assert first["unit"] == "graphs/s" and first["target"] == "ratio ≥ 0.25×"
    assert first["met"] == (first["ratio"] >= 0.25)

    table = markdown.read_text()
    assert "| `featurize_one` |" in table and "| `sandbox_tests` |" in table
    printed = capsys.readouterr().out
    assert printed.startswith("{") and table in printed


def test_unknown_names_are_refused_with_the_valid_ones(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--only", "featurize_one,no_such_entry"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "unknown benchmark 'no_such_entry'" in error
    for name in suite.entries():
        assert name in error


def test_every_issue_path_is_an_entry_with_a_target():
    known = suite.entries()
    assert list(known) == [
        "featurize_one",
        "featurize_corpus",
        "dataset_bytes",
        "dataset_load",
        "sandbox_tests",
        "train_step",
        "train_step_bf16",
        "train_step_flops",
        "train_epoch",
        "predict_one",
        "predict_one_int8",
        "predict_batch",
        "predict_batch_bf16",
        "predict_batch_int8",
        "predict_flops",
    ]
    bounds = {
        "train_step_flops",
        "predict_flops",
    }  # figures that explain a target, with none of their own
    for item in known.values():
        assert bool(item.target) == (item.name not in bounds) and item.title
        assert item.ratio_of in suite.RATIO_ORIENTATIONS  # every entry has a baseline
    assert [e.name for e in suite.select(["predict_one", "featurize_one"])] == [
        "featurize_one",
        "predict_one",
    ]


def fake_entry(measurement: suite.Measurement | Exception, **kwargs) -> suite.Entry:
    def measure(context: suite.Context) -> suite.Measurement:
        if isinstance(measurement, Exception):
            raise measurement
        return measurement

    return suite.Entry("fake", "a fake path", measure, **kwargs)


def test_ratio_orientation_targets_skips_and_errors():
    context = suite.Context(quick=True)
    timed = suite.Measurement(2.0, "s", suite.Baseline("slower", 8.0, "s"))
    speed = fake_entry(
        timed,
        target=(suite.Condition("ratio", ">=", 3.0), suite.Condition("value", "<=", 60, "s")),
        ratio_of="baseline/value",
    ).run(context)
    check_entry(speed)
    assert speed["ratio"] == 4.0 and speed["met"] is True
    assert speed["target"] == "ratio ≥ 3× and value ≤ 60 s"

    share = fake_entry(timed, target=(suite.Condition("ratio", "<=", 0.2),)).run(context)
    assert share["ratio"] == 0.25 and share["met"] is False

    bound = fake_entry(timed, target=(), ratio_of="baseline/value").run(context)
    check_entry(bound)
    assert bound["ratio"] == 4.0 and bound["met"] is None and bound["target"] == ""
    assert "a bound, not a target" in suite.render_markdown(
        {"header": suite.header(context, "python -m benchmarks"), "entries": [bound]}
    )

    skipped = fake_entry(suite.Skipped("no sandbox here"), target=()).run(context)
    check_entry(skipped)
    assert skipped["skipped"] == "no sandbox here"

    failed = fake_entry(ValueError("broken"), target=()).run(context)
    check_entry(failed)
    assert failed["error"] == "ValueError: broken"
    table = suite.render_markdown(
        {"header": suite.header(context, "python -m benchmarks"), "entries": [speed, skipped]}
    )
    assert "**met**" in table and "skipped: no sandbox here" in table


def test_interleaving_alternates_the_order_and_drops_the_warmup():
    calls: list[str] = []
    times = suite.Context().interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=2, warmup=1
    )
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert [len(v) for v in times.values()] == [2, 2]
