"""``yantra-gnn train`` options: values are checked when parsed, with the valid forms."""

from __future__ import annotations

import pytest

from yantra_gnn.cli import build_parser


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
