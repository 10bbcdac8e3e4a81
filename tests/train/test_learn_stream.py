"""``yantra-gnn learn``: streaming updates from tested programs (labels, bad lines,
versions, promotion, signals, the command end to end)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from yantra_test_helpers import DOUBLE, MAX_PAIR, TINY_TRAINING, write_tiny_prepared

from yantra_gnn.checkpoint import load_model_for_inference, register_model
from yantra_gnn.registry import ModelRegistry
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.continue_training import pass_rate, success_only
from yantra_gnn.train.learn_stream import (
    BadLine,
    LearnSettings,
    StopRequest,
    StreamLearner,
    label_streamed,
    parse_line,
    read_line,
)

SMALL = {**TINY_TRAINING, "calibrate": False}

#: Programs of the tiny problems, with made-up test results (the labels come from them).
DOUBLE_OK = DOUBLE["solutions"]["solution"][0]
DOUBLE_ALT = DOUBLE["solutions"]["solution"][2]
DOUBLE_BAD = DOUBLE["incorrect_solutions"]["solution"][0]
PAIR_OK = MAX_PAIR["solutions"]["solution"][0]


def line(source: str, problem: str | None = "double", passed: int = 10, total: int = 10) -> str:
    row: dict = {"source": source, "tests_passed": passed, "tests_total": total}
    if problem is not None:
        row["problem"] = problem
    return json.dumps(row)


@pytest.fixture(scope="module")
def base_run(tmp_path_factory) -> Path:
    """A run folder of a tiny model trained one epoch on the tiny prepared dataset."""
    root = tmp_path_factory.mktemp("learn")
    prepared = write_tiny_prepared(root / "prepared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(root / "home"))
        config = TrainConfig.from_dict(
            {"data": str(prepared), "output": str(root / "base"), "epochs": 1, **SMALL}
        )
        Trainer(config).fit()
    return root / "base"


@pytest.fixture
def registry(base_run, tmp_path, monkeypatch) -> ModelRegistry:
    """A fresh registry holding the tiny model as ``tiny@1``."""
    monkeypatch.setenv("HOME", str(base_run.parent / "home"))
    monkeypatch.setenv("YANTRA_MODELS_DIR", str(tmp_path / "models"))
    register_model(base_run / "best_model.safetensors", "tiny")
    return ModelRegistry()


def learner(base_run: Path, **settings) -> StreamLearner:
    config = TrainConfig.load(base_run / "config.yaml")
    options = {"model": "tiny@1", "batch_size": 2, "replay": 2, "save_every": 2, **settings}
    margin = options.pop("promote_margin", 0.02)
    config = TrainConfig.from_dict(config.to_dict(), overrides={"promote_margin": margin})
    return StreamLearner(LearnSettings(**options), config)


# ---------------------------------------------------------------------- labels
def test_labels_follow_the_success_only_rule():
    rows = [
        (line(DOUBLE_OK, passed=10), 1.0, "solution"),
        (line(DOUBLE_OK, passed=9), 1.0, "solution"),  # 0.9: at the threshold
        (line(DOUBLE_BAD, passed=8), 0.0, "incorrect_solution"),  # below: a negative
        (line(DOUBLE_BAD, passed=0), 0.0, "incorrect_solution"),
        (json.dumps({"source": PAIR_OK, "pass_rate": 0.95}), 1.0, "solution"),
        (json.dumps({"source": PAIR_OK, "pass_rate": 0.5}), 0.0, "incorrect_solution"),
    ]
    labelled = []
    for number, (raw, confidence, origin) in enumerate(rows, 1):
        program = label_streamed(parse_line(raw.encode(), number), 0.9)
        assert (program.confidence, program.origin) == (confidence, origin), raw
        assert not program.bugs_known and program.bug_classes == () and program.bug_span is None
        labelled.append(program)
    # imports from the code; the group is the problem, else the line alone
    assert labelled[0].imports == ("sys",) and labelled[4].imports == ("math",)
    assert labelled[0].problem == "stream/double" and labelled[4].problem == "stream/line-5"
    # continue_training's helpers read the same rate back and keep every label
    assert [pass_rate(p) for p in labelled] == [1.0, 0.9, 0.8, 0.0, 0.95, 0.5]
    assert success_only(labelled, 0.9) == (labelled, 0)
    stricter = label_streamed(parse_line(line(DOUBLE_OK, passed=9).encode(), 1), 1.0)
    assert stricter.confidence == 0.0


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"not json\n", "not_json"),
        (b"[1, 2]\n", "not_json"),
        (b'{"problem": "x", "pass_rate": 1}\n', "missing_source"),
        (b'{"source": "def f(:\\n", "pass_rate": 1}\n', "syntax_error"),
        (b'{"source": "print(\\"\xff\\")", "pass_rate": 1}\n', "not_utf8"),
        (b'{"source": "print(1)"}\n', "bad_field"),
        (b'{"source": "print(1)", "tests_passed": 3, "tests_total": 2}\n', "bad_field"),
        (b'{"source": "print(1)", "pass_rate": 1.5}\n', "bad_field"),
        (
            b'{"source": "print(1)", "pass_rate": 0.5, "tests_passed": 1, "tests_total": 1}\n',
            "bad_field",
        ),
    ],
)
def test_bad_lines_name_what_was_wrong(raw, kind):
    with pytest.raises(BadLine) as caught:
        parse_line(raw, 3)
    assert caught.value.kind == kind and caught.value.message


def test_an_oversize_line_is_cut_and_skipped():
    stream = io.BytesIO(b"x" * 100 + b"\n" + b'{"a": 1}\n')
    assert read_line(stream, 10) == (b"x" * 11, True)
    assert read_line(stream, 10) == (b'{"a": 1}\n', False)
    assert read_line(stream, 10) is None


# ---------------------------------------------------------------------- the learner
def test_stream_saves_versions_skips_bad_lines_and_changes_weights(base_run, registry):
    stream = "\n".join(
        [
            line(DOUBLE_OK),
            line(DOUBLE_ALT),
            line(DOUBLE_BAD, passed=1, total=4),  # 3: held out (every 3rd accepted)
            "{not json",  # line 4
            line(PAIR_OK, problem="max_pair"),
            "",  # a blank line: skipped silently
            json.dumps({"problem": "double", "pass_rate": 1.0}),  # line 7: no source
            line(DOUBLE_OK, passed=9),
            line(DOUBLE_BAD, passed=0),  # held out
            line(PAIR_OK, problem=None),
            line(DOUBLE_ALT),
            line(DOUBLE_BAD, passed=3),  # held out
        ]
    ).encode()
    errors, saves = [], []
    runner = learner(base_run, holdout_every=3, promote_to="production", promote_margin=1e9)
    summary = runner.run(io.BytesIO(stream), on_save=saves.append, on_error=errors.append)
    assert [(e["error"], e["line"]) for e in errors] == [("not_json", 4), ("missing_source", 7)]
    assert (summary.accepted, summary.held_out, summary.trained) == (9, 3, 6)
    # 6 trained programs, 2 an update: 3 updates; a save after 2, the last at the end
    assert summary.updates == 3 and [s["version"] for s in saves] == ["tiny@2", "tiny@3"]
    assert [s["updates"] for s in saves] == [2, 3]
    assert [e.version for e in registry.list("tiny")] == [1, 2, 3]
    last = saves[-1]
    assert set(last["metrics"]) == {"old_val", "holdout"}
    for pair in last["metrics"].values():
        assert {"score", "confidence_auroc"} <= set(pair["old"]) & set(pair["new"])
    assert last["promotion"]["promoted"] and registry.aliases("tiny") == {"production": 3}
    card = registry.resolve("tiny@3").card
    assert card["data_fingerprint"] == last["data_fingerprint"] != saves[0]["data_fingerprint"]
    assert card["metrics"]["streamed_programs"] == 6
    before = load_model_for_inference(base_run / "best_model.safetensors", device="cpu")
    after = load_model_for_inference("tiny@3", device="cpu")
    changed = [
        name
        for name, tensor in after.state_dict().items()
        if not torch.equal(tensor, before.state_dict()[name])
    ]
    assert changed


@pytest.mark.parametrize(("margin", "promoted"), [(-1.0, False), (1e9, True)])
def test_promotion_follows_the_margin_and_end_of_input_saves(base_run, registry, margin, promoted):
    stream = "\n".join(
        [line(DOUBLE_OK), line(PAIR_OK, problem="max_pair"), line(DOUBLE_BAD, passed=0)]
    )
    runner = learner(
        base_run, save_every=100, holdout_every=0, promote_to="production", promote_margin=margin
    )
    summary = runner.run(io.BytesIO(stream.encode()))
    # fewer updates than save_every: one version, saved at the end of input
    assert summary.updates == 2 and len(summary.saves) == 1
    promotion = summary.saves[0]["promotion"]
    assert (promotion["allowed"], promotion["promoted"]) == (promoted, promoted)
    assert ("<= margin" if promoted else "> margin") in promotion["reason"]
    assert registry.aliases("tiny") == ({"production": 2} if promoted else {})


class StoppingStream(io.BytesIO):
    """Asks the learner to stop (as SIGTERM would) after ``after`` lines."""

    def __init__(self, data: bytes, stop: StopRequest, after: int) -> None:
        super().__init__(data)
        self.stop, self.after, self.lines = stop, after, 0

    def readline(self, size: int | None = -1) -> bytes:
        self.lines += 1
        if self.lines == self.after:
            self.stop.request(signal.SIGTERM)
        return super().readline(size)


def test_a_stop_request_discards_the_open_batch_and_saves(base_run, registry):
    stop = StopRequest()
    data = "\n".join([line(DOUBLE_OK)] * 3 + [line(DOUBLE_ALT)] * 3).encode()
    runner = learner(base_run, save_every=100, holdout_every=0)
    summary = runner.run(StoppingStream(data, stop, after=3), stop=stop)
    assert summary.stopped_by == signal.SIGTERM
    assert (summary.updates, summary.trained, summary.discarded) == (1, 2, 1)
    assert [s["version"] for s in summary.saves] == ["tiny@2"]
    assert not any(p.name.startswith(".staging") for p in (registry.root / "tiny").iterdir())


# ---------------------------------------------------------------------- the command
def test_the_command_end_to_end(base_run, registry, tmp_path):
    """Lines on stdin, a JSON line per save on stdout, JSON errors on stderr; SIGTERM
    while it waits for input stops it with exit 0."""
    command = [
        sys.executable,
        "-m",
        "yantra_gnn.cli",
        "learn",
        "--model",
        "tiny@1",
        "--config",
        str(base_run / "config.yaml"),
        "--batch-size",
        "2",
        "--replay",
        "2",
        "--save-every",
        "1",
        "--holdout-every",
        "0",
        "--promote-to",
        "production",
        "--promote-margin",
        "-1",
    ]
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    assert process.stdin is not None and process.stdout is not None
    lines = [line(DOUBLE_OK), "oops", line(PAIR_OK, problem="max_pair")]
    process.stdin.write(("\n".join(lines) + "\n").encode())
    process.stdin.flush()
    first = json.loads(process.stdout.readline())  # saved after the first update
    process.send_signal(signal.SIGTERM)  # waiting for more input now
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    assert first["version"] == "tiny@2" and first["updates"] == 1
    assert not first["promotion"]["promoted"]  # margin -1: always refused
    assert "old_val" in first["metrics"]
    assert out.strip() == b""  # no updates after the save: nothing more saved
    errors = [json.loads(x) for x in err.decode().splitlines() if x.startswith("{")]
    assert [(e["error"], e["line"]) for e in errors] == [("not_json", 2)]
    assert b"refused to promote tiny@2" in err
    assert [e.version for e in registry.list("tiny")] == [1, 2]
    assert registry.aliases("tiny") == {}
