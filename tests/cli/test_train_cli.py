"""``yantra-gnn train`` options: values are checked when parsed, with the valid forms."""

from __future__ import annotations

import pytest

from yantra_gnn.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--progress", "maybe"], "expected true or false"),
        (["--calibrate", "2"], "expected true or false"),
        (["--layer-channels", "64,x"], "comma-separated positive integers"),
        (["--layer-channels", "64,0"], "comma-separated positive integers"),
    ],
)
def test_bad_option_values_are_rejected_with_the_valid_forms(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["train", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "lambda" not in err


@pytest.mark.parametrize(("text", "value"), [("no", False), ("ON", True), ("0", False)])
def test_boolean_options_read_every_documented_form(text, value):
    args = build_parser().parse_args(["train", "--progress", text, "--layer-channels", "8,4"])
    assert args.progress is value and args.layer_channels == (8, 4)


def test_a_boolean_option_alone_means_true():
    args = build_parser().parse_args(["train", "--overwrite", "--epochs", "2"])
    assert args.overwrite is True and args.epochs == 2
    assert build_parser().parse_args(["train", "--overwrite", "false"]).overwrite is False
    assert "overwrite" not in build_parser().parse_args(["train"])


def test_training_twice_into_one_folder_is_refused_in_one_line(
    prepared_root, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    out = tmp_path / "run"
    argv = ["train", "--data", str(prepared_root), "--output", str(out), "--epochs", "1"]
    argv += ["--layer-channels", "8,8,4", "--batch-size", "4", "--label-max-tests", "2"]
    argv += ["--label-max-mutants", "1", "--import-min-count", "1", "--progress", "false"]
    assert main(argv) == 0
    assert (out / "best_model.safetensors").is_file()  # --output X gives X/best_model...
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"yantra-gnn train: error: {out} already holds a training run (best_model.pt, "
        "best_model.safetensors, config.yaml, last_model.pt, …); pass --overwrite to replace "
        "it (its files are deleted), choose another --output, or continue it with "
        "--resume last"
    ]
    assert main([*argv, "--overwrite"]) == 0
