"""``yantra-gnn evaluate`` end to end on the tiny cached HumanEval set (no sandbox runs)."""

from __future__ import annotations

import json

import pytest
import torch

from yantra_gnn.checkpoint import save_model_for_inference
from yantra_gnn.cli import build_parser
from yantra_gnn.cli.evaluate import dataset_options
from yantra_gnn.errors import CheckpointError, ConfigError, DatasetError
from yantra_gnn.nn import ModelConfig, YantraGNN


def run_cli(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "untrained.safetensors"
    save_model_for_inference(YantraGNN(ModelConfig()), path)
    return path


def test_evaluate_humaneval_writes_report_and_plot(
    model_file, humaneval_cache, tiny_humaneval, tmp_path, capsys
) -> None:
    directory, _ = humaneval_cache
    out = tmp_path / "report.json"
    code = run_cli(
        [
            "evaluate",
            "--model",
            str(model_file),
            "--data",
            "humaneval",
            "--limit",
            str(tiny_humaneval.limit),
            "--humaneval-mutants",
            str(tiny_humaneval.max_mutants_per_problem),
            "--cache-dir",
            str(directory),
            "--out",
            str(out),
            "--plots",
            str(tmp_path / "plots"),
            "--device",
            "cpu",
            "--no-progress",
        ]  # fmt: skip
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "## humaneval — 2 programs, 1 problems" in printed
    assert "1/1 canonical solutions pass their checks" in printed
    assert "### Confidence (2 candidates)" in printed
    report = json.loads(out.read_text())
    assert report["metrics"]["model"]["confidence"]["problems_mixed"] == 1
    assert report["metrics"]["model"]["bug_location"]["num_graphs"] == 1
    assert (tmp_path / "plots" / "reliability-humaneval.png").is_file()


def test_evaluate_rejects_bad_arguments(model_file, tmp_path) -> None:
    with pytest.raises(ConfigError, match="neither 'humaneval' nor a directory"):
        run_cli(["evaluate", "--model", str(model_file), "--data", str(tmp_path / "nope")])
    with pytest.raises(CheckpointError, match="does not exist"):
        run_cli(
            ["evaluate", "--model", str(tmp_path / "missing.safetensors"), "--data", "humaneval"]
        )
    with pytest.raises(ConfigError, match="batch-size"):
        run_cli(
            ["evaluate", "--model", str(model_file), "--data", "humaneval", "--batch-size", "0"]
        )


def test_edges_must_agree_with_the_model(model_file, tmp_path) -> None:
    # The model applies its own saved edge setting; --edges only checks it.
    with pytest.raises(ConfigError, match="--edges syntax contradicts .* 'all' edges"):
        run_cli(
            ["evaluate", "--model", str(model_file), "--data", "humaneval", "--edges", "syntax"]
        )
    syntax_file = tmp_path / "syntax.safetensors"
    save_model_for_inference(YantraGNN(ModelConfig(edges="syntax")), syntax_file)
    with pytest.raises(ConfigError, match="--edges all contradicts .* 'syntax' edges"):
        run_cli(["evaluate", "--model", str(syntax_file), "--data", "humaneval", "--edges", "all"])
    # an --edges that agrees passes the check (and fails later, on the missing data)
    with pytest.raises(ConfigError, match="neither 'humaneval' nor a directory"):
        run_cli(
            ["evaluate", "--model", str(syntax_file), "--data", str(tmp_path / "nope"),
             "--edges", "syntax"]
        )  # fmt: skip


def test_label_settings_come_from_the_training_config(model_file, tmp_path) -> None:
    from yantra_gnn.labels.labelling import LabelSettings
    from yantra_gnn.train.config import TrainConfig

    config = tmp_path / "config.yaml"
    labels = LabelSettings(max_tests=3, max_mutants_per_solution=2)
    TrainConfig(labels=labels, seed=7, limit=5).save(config)
    parser = build_parser()
    argv = ["evaluate", "--model", str(model_file), "--data", "x", "--train-config", str(config)]
    options = dataset_options(parser.parse_args(argv))
    settings = options["settings"]
    assert (settings.max_tests, settings.max_mutants_per_solution, settings.seed) == (3, 2, 7)
    assert settings == LabelSettings(max_tests=3, max_mutants_per_solution=2, seed=7)
    assert options["limit"] == 5
    # A config.yaml of the first, flat layout gives the same label settings.
    flat = tmp_path / "flat.yaml"
    flat.write_text("label_max_tests: 3\nlabel_max_mutants: 2\nseed: 7\nlimit: 5\n")
    old_argv = [*argv[:-1], str(flat)]
    assert dataset_options(parser.parse_args(old_argv))["settings"] == settings
    assert dataset_options(parser.parse_args([*argv, "--limit", "2"]))["limit"] == 2
    # Without a config (none beside the model either): the library defaults.
    plain = dataset_options(parser.parse_args(argv[:-2]))
    assert "settings" not in plain and plain["limit"] is None


def test_evaluate_condefects_file(model_file, tmp_path, capsys) -> None:
    from yantra_test_helpers import write_condefects

    data = write_condefects(tmp_path / "condefects.jsonl")
    out = tmp_path / "report.json"
    argv = ["evaluate", "--model", str(model_file), "--data", "condefects", str(data),
            "--out", str(out), "--device", "cpu", "--no-progress"]  # fmt: skip
    assert run_cli(argv) == 0
    printed = capsys.readouterr().out
    assert "## condefects/val — 2 programs, 1 problems" in printed
    assert "baselines fitted on: condefects/train" in printed
    assert "### Real bugs: fix vs faulty (1 pairs)" in printed
    assert "### Real bugs: fault line" in printed
    report = json.loads(out.read_text())
    assert report["eval_set"]["split"] == "val" and report["rows"]["pairs"] == 1
    assert report["metrics"]["bag-of-features LR"]["pairs"]["num_pairs"] == 1
    assert report["baselines"]["programs"] == 14  # the 7 pairs of the 4 train tasks
    assert report["precision"] == "fp32" and "precision: fp32" in printed
    # --split train scores the train tasks (warned: the baselines are fitted there too),
    # here at the int8 precision a Predictor can serve at
    assert run_cli([*argv[:-5], "--split", "train", "--no-baselines", "--device", "cpu",
                    "--precision", "int8", "--no-progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "## condefects/train — 14 programs, 4 problems" in printed
    assert "precision: int8" in printed
    assert "bag-of-features LR" not in printed


def test_evaluate_condefects_bad_data_arguments(model_file, tmp_path) -> None:
    with pytest.raises(ConfigError, match="--data condefects takes the ConDefects file"):
        run_cli(["evaluate", "--model", str(model_file), "--data", "condefects"])
    with pytest.raises(ConfigError, match="--data takes one value"):
        run_cli(["evaluate", "--model", str(model_file), "--data", "a", "b"])
    with pytest.raises(DatasetError, match="no such ConDefects file"):
        run_cli(
            ["evaluate", "--model", str(model_file), "--data", "condefects",
             str(tmp_path / "missing.jsonl"), "--device", "cpu"]
        )  # fmt: skip
