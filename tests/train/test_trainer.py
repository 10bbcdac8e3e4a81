"""End-to-end training on tiny data: artifacts, learning, resume, config errors."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import re

import pytest
import torch
import yaml
from yantra_test_helpers import TINY_TRAINING

from yantra_gnn.checkpoint import load_checkpoint, load_model_for_inference
from yantra_gnn.cli.train import add_arguments, config_from_args
from yantra_gnn.errors import ConfigError
from yantra_gnn.labels.labelling import LabelSettings
from yantra_gnn.nn import SYNTAX_DATAFLOW_GROUPS, ModelConfig, YantraGNN
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.config import resume_changes
from yantra_gnn.train.losses import MultiTaskLoss

SMALL = TINY_TRAINING


@pytest.fixture
def tiny_config(prepared_root, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # sandbox cache under a temp home
    return TrainConfig.from_dict(
        {"data": str(prepared_root), "output": str(tmp_path / "run"), "epochs": 2, **SMALL}
    )


def test_two_epochs_leave_checkpoints_metrics_plot_and_inference_model(tiny_config):
    result = Trainer(tiny_config).fit()
    out = result.output
    for name in ("best_model.pt", "last_model.pt", "epoch_001.pt", "metrics.csv", "training.png"):
        assert (out / name).exists(), name
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert {"train_loss", "val_loss", "val_confidence_auroc", "val_bug_location_top1"} <= set(
        rows[0]
    )
    model = load_model_for_inference(result.inference_model, device="cpu")
    assert model.config.import_vocab == ("math", "sys")
    assert (out / "training.png").read_bytes()[:4] == b"\x89PNG"


def test_resume_reaches_the_same_weights(tiny_config, tmp_path):
    straight = Trainer(tiny_config).fit()
    weights = torch.load(straight.output / "last_model.pt", weights_only=True)["model_state"]

    split = TrainConfig.from_dict(
        {**tiny_config.to_dict(), "output": str(tmp_path / "split"), "epochs": 1}
    )
    Trainer(split).fit()
    resumed_config = TrainConfig.from_dict({**split.to_dict(), "epochs": 2})
    resumed = Trainer(resumed_config, resume="last").fit()
    again = torch.load(resumed.output / "last_model.pt", weights_only=True)["model_state"]
    assert resumed.epochs_run == 2
    for key, value in weights.items():
        assert torch.equal(value, again[key]), key


def test_loss_goes_down_on_a_learnable_toy_task(prepared_root, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = TrainConfig.from_dict(
        {"data": str(prepared_root), "output": str(tmp_path / "toy"), "epochs": 1, **SMALL}
    )
    trainer = Trainer(config)
    batch = next(iter(trainer.train_loader))
    model = YantraGNN(ModelConfig(layer_channels=(32, 32, 16), import_vocab=("math", "sys")))
    loss_fn = MultiTaskLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(40):
        loss, _ = loss_fn(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_bad_config_values_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ConfigError, match="dropout"):
        TrainConfig.from_dict({"dropout": 1.5})
    with pytest.raises(ConfigError, match="dropout"):
        TrainConfig.from_dict({"model": {"dropout": 1.5}})
    with pytest.raises(ConfigError, match="lr"):
        TrainConfig(lr=-1)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"batch_sise": 4}))
    with pytest.raises(ConfigError, match="unknown setting"):
        TrainConfig.load(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("epochs: [1, 2\n")
    with pytest.raises(ConfigError, match="not valid"):
        TrainConfig.load(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        TrainConfig.load(tmp_path / "missing.yaml")


def test_config_round_trip_and_command_line_overrides(tmp_path):
    path = TrainConfig(epochs=3, model=ModelConfig(layer_channels=(64, 32))).save(
        tmp_path / "run.yaml"
    )
    assert TrainConfig.load(path).model.layer_channels == (64, 32)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--config", str(path), "--batch-size", "8", "--layer-channels", "8,4"]
    )
    config = config_from_args(args)
    assert (config.epochs, config.batch_size, config.model.layer_channels) == (3, 8, (8, 4))
    assert config.lr == 1e-3  # untouched defaults are the original spec's


def test_the_best_model_is_saved_with_a_fitted_confidence_temperature(tiny_config, tmp_path):
    calibrated = Trainer(tiny_config).fit()
    record = calibrated.calibration
    assert record is not None and record["fitted_on"] == "val"
    temperature = record["temperature"]
    # The tiny validation split has a handful of candidates (its solution and its failing
    # mutants): the fitted T is whatever minimises their NLL, here not 1.
    assert temperature != 1.0
    assert record["after"]["nll"] <= record["before"]["nll"]
    model = load_model_for_inference(calibrated.inference_model, device="cpu")
    assert model.config.confidence_temperature == temperature
    assert model.config.confidence_bias == record["bias"]  # Platt scaling: T and b
    # ... at the share of correct candidates it was fitted on (Predictor's prior starts there)
    assert 0 < record["base_rate"] < 1
    assert model.config.confidence_base_rate == record["base_rate"]
    best = torch.load(calibrated.output / "best_model.pt", weights_only=True)
    assert best["model_config"]["confidence_temperature"] == temperature
    assert best["model_config"]["confidence_bias"] == record["bias"]
    assert best["metadata"]["confidence_calibration"] == record
    last = torch.load(calibrated.output / "last_model.pt", weights_only=True)
    assert last["model_config"]["confidence_temperature"] == 1.0  # not fitted for its weights
    assert last["model_config"]["confidence_bias"] == 0.0

    # Turned off: T stays 1, and the weights are those of the calibrated run (calibration
    # adds a temperature, it never changes a weight).
    off = TrainConfig.from_dict(
        {**tiny_config.to_dict(), "output": str(tmp_path / "off"), "calibrate": False}
    )
    plain = Trainer(off).fit()
    assert plain.calibration is None
    plain_model = load_model_for_inference(plain.inference_model, device="cpu")
    assert plain_model.config.confidence_temperature == 1.0
    for name in ("best_model.pt", "last_model.pt"):
        a = torch.load(calibrated.output / name, weights_only=True)["model_state"]
        b = torch.load(plain.output / name, weights_only=True)["model_state"]
        for key, value in a.items():
            assert torch.equal(value, b[key]), (name, key)
    for key, value in model.state_dict().items():
        assert torch.equal(value, plain_model.state_dict()[key]), key

    # Resuming from the calibrated best checkpoint trains a model without a temperature.
    resumed = Trainer(tiny_config, resume=str(calibrated.output / "best_model.pt"))
    assert resumed.model.config.confidence_temperature == 1.0


def test_a_temperature_is_not_a_training_setting():
    with pytest.raises(ConfigError, match="set from the validation split"):
        TrainConfig(model=ModelConfig(confidence_temperature=2.0))
    with pytest.raises(ConfigError, match="known model settings"):
        TrainConfig.from_dict({"model": {"confidence_temperature": 2.0}})
    assert "confidence_temperature" not in TrainConfig().to_dict()["model"]
    assert TrainConfig.from_dict({"calibrate": False}).calibrate is False


def test_resume_without_checkpoint_is_a_clear_error(tiny_config):
    with pytest.raises(ConfigError, match="cannot resume"):
        Trainer(tiny_config, resume="last")


# ---------------------------------------------------------------------- one run a folder
def test_a_new_run_refuses_a_folder_that_holds_a_run_unless_told_to_overwrite(
    tiny_config, monkeypatch
):
    one_epoch = TrainConfig.from_dict({**tiny_config.to_dict(), "epochs": 1, "lr": 2e-3})
    first = Trainer(one_epoch).fit()
    out = first.output
    stale = out / "epoch_009.pt"  # a file of a longer earlier run, as an old folder holds
    stale.write_bytes(b"old")
    notes = out / "notes.txt"  # not a run's file: never touched
    notes.write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    # Refused before any data is loaded, with the ways out; the folder is untouched.
    with monkeypatch.context() as patched, pytest.raises(ConfigError) as error:
        patched.setattr(
            "yantra_gnn.train.trainer.resolve_data",
            lambda config: pytest.fail("data loaded before the output folder was checked"),
        )
        Trainer(tiny_config)
    message = str(error.value)
    assert str(out) in message and "already holds a training run" in message
    assert "--overwrite" in message and "--output" in message and "--resume last" in message
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before

    # --overwrite deletes the earlier run's files (all of them), then trains afresh.
    again = TrainConfig.from_dict({**tiny_config.to_dict(), "overwrite": True})
    result = Trainer(again).fit()
    assert not stale.exists() and notes.read_text() == "mine"
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert TrainConfig.load(out / "config.yaml").lr == 1e-3  # the new run's config
    assert result.previous_run is None
    assert sorted(p.name for p in out.glob("epoch_*.pt")) == ["epoch_001.pt", "epoch_002.pt"]
    # --overwrite never deletes the run that --resume continues
    with pytest.raises(ConfigError, match="--overwrite would delete the run"):
        Trainer(again, resume="last")
    # ... and acted once: the run's own config resumes it
    saved = TrainConfig.load(out / "config.yaml")
    assert saved.overwrite is False
    assert Trainer(saved, resume="last").start_epoch == 2


def test_the_default_folder_keeps_the_newest_run_and_moves_earlier_ones_aside(
    prepared_root, tmp_path, monkeypatch
):
    """The README's `python examples/train_codecontests.py`, run twice, keeps both runs."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = TrainConfig.from_dict({"data": str(prepared_root), "epochs": 1, **SMALL})
    default = tmp_path / "home" / ".yantra" / "checkpoints" / "graphsage"
    first = Trainer(config).fit()
    assert first.output == default and first.previous_run is None
    first_model = (default / "best_model.safetensors").read_bytes()
    newer = TrainConfig.from_dict({**config.to_dict(), "lr": 2e-3})
    second = Trainer(newer).fit()
    moved = default / "previous" / "version_0"
    assert second.previous_run == moved
    assert (moved / "best_model.safetensors").read_bytes() == first_model
    assert {p.name for p in moved.iterdir()} >= {"best_model.pt", "last_model.pt", "metrics.csv"}
    assert TrainConfig.load(default / "config.yaml").lr == 2e-3  # the newest run on top
    assert TrainConfig.load(moved / "config.yaml").lr == 1e-3
    # --resume last continues the newest run
    resumed = Trainer(TrainConfig.from_dict({**newer.to_dict(), "epochs": 2}), "last")
    assert resumed.start_epoch == 1
    assert resumed.resume_path == default / "last_model.pt"


# ---------------------------------------------------------------------- resume checks
def test_resume_refuses_settings_that_change_what_is_trained_and_warns_on_others(
    tiny_config, tmp_path, caplog
):
    one_epoch = TrainConfig.from_dict({**tiny_config.to_dict(), "epochs": 1})
    Trainer(one_epoch).fit()

    def resumed(**changes):
        config = TrainConfig.from_dict(one_epoch.to_dict(), overrides=changes)
        return Trainer(config, resume="last")

    with pytest.raises(ConfigError) as error:
        resumed(batch_size=8, layer_channels=(16, 8), label_max_tests=2)
    message = str(error.value)
    assert "cannot resume" in message and "change what is trained" in message
    assert "batch_size: 4 in the checkpoint, 8 now" in message
    assert "model.layer_channels: [16, 16, 8] in the checkpoint, [16, 8] now" in message
    assert "labels.max_tests: 3 in the checkpoint, 2 now" in message
    assert "config.yaml" in message  # the way to resume with the saved settings
    other_data = tmp_path / "other"
    other_data.mkdir()
    for name, change in (
        ("data", {"data": str(other_data)}),
        ("seed", {"seed": 1}),
        ("per_group", {"per_group": 2}),
        ("limit", {"limit": 1}),
        ("import_min_count", {"import_min_count": 2}),
        ("init_from", {"init_from": str(tmp_path / "pre.safetensors")}),
    ):
        with pytest.raises(ConfigError, match=f"{name}: "):
            resumed(**change)

    # Other changes (epochs, learning rate, patience) resume with one warning naming them.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.train.trainer"):
        trainer = resumed(epochs=3, lr=5e-4, early_stopping_patience=4, progress=True)
    assert trainer.start_epoch == 1
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "changed settings" in warning
    assert "epochs: 1 in the checkpoint, 3 now" in warning and "lr: 0.001" in warning
    assert "early_stopping_patience: 10 in the checkpoint, 4 now" in warning
    assert "progress" not in warning  # how a run reports is not a change of the run

    # The same settings: not a word.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.train.trainer"):
        resumed()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_resume_changes_compares_sections_and_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    saved = TrainConfig(data="~/data", epochs=2, batch_size=4).to_dict()
    same = TrainConfig(data=str(tmp_path / "data"), epochs=2, batch_size=4, output="elsewhere")
    assert resume_changes(saved, same) == ([], [])
    changed = TrainConfig.from_dict(
        {"data": "~/data", "epochs": 5, "batch_size": 4, "pooling": "attention"}
    )
    incompatible, other = resume_changes(saved, changed)
    assert [c.name for c in incompatible] == ["model.pooling"]
    assert [(c.name, c.saved, c.current) for c in other] == [("epochs", 2, 5)]
    # a checkpoint written before a setting existed: the setting takes its default
    older = {k: v for k, v in saved.items() if k not in ("init_from", "overwrite")}
    assert resume_changes(older, TrainConfig(data="~/data", epochs=2, batch_size=4)) == ([], [])


# ---------------------------------------------------------------------- config layout
#: A config file of the first, flat layout (every setting that moved into a section).
FLAT_LAYOUT = {
    "layer_channels": [16, 16, 8],
    "dropout": 0.2,
    "pooling": "attention",
    "edges": "syntax",
    "edge_grouping": "syntax_dataflow",
    "label_max_tests": 3,
    "label_mutants_per_class": 2,
    "label_max_mutants": 5,
    "label_timeout_s": 1.5,
    "import_min_count": 1,
    "batch_size": 4,
    "seed": 7,
}
NESTED_LAYOUT = {
    "batch_size": 4,
    "seed": 7,
    "import_min_count": 1,
    "model": {
        "layer_channels": [16, 16, 8],
        "dropout": 0.2,
        "pooling": "attention",
        "edges": "syntax",
        "edge_groups": [list(group) for group in SYNTAX_DATAFLOW_GROUPS],
    },
    "labels": {
        "max_tests": 3,
        "mutants_per_class": 2,
        "max_mutants_per_solution": 5,
        "timeout_s": 1.5,
    },
}


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_file_of_the_flat_layout_loads_to_the_same_config(tmp_path, suffix):
    path = tmp_path / f"old{suffix}"
    path.write_text(yaml.safe_dump(FLAT_LAYOUT) if suffix == ".yaml" else json.dumps(FLAT_LAYOUT))
    config = TrainConfig.load(path)
    assert config == TrainConfig.from_dict(NESTED_LAYOUT)
    assert config.model == ModelConfig(
        layer_channels=(16, 16, 8),
        dropout=0.2,
        pooling="attention",
        edges="syntax",
        edge_groups=SYNTAX_DATAFLOW_GROUPS,
    )
    assert config.labels == LabelSettings(
        max_tests=3, mutants_per_class=2, max_mutants_per_solution=5, timeout_s=1.5, seed=7
    )
    assert (config.import_min_count, config.batch_size, config.seed) == (1, 4, 7)
    # flat and nested together are fine when they agree
    assert TrainConfig.from_dict({**NESTED_LAYOUT, "label_max_tests": 3}) == config


def test_config_is_saved_nested_and_reloads_equal(tmp_path):
    config = TrainConfig.from_dict(FLAT_LAYOUT)
    for name in ("run.yaml", "run.json"):
        path = config.save(tmp_path / name)
        text = path.read_text()
        values = yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)
        assert values["model"]["layer_channels"] == [16, 16, 8]
        assert values["model"]["edges"] == "syntax"
        assert values["labels"]["max_tests"] == 3 and values["batch_size"] == 4
        assert not (set(FLAT_LAYOUT) - {"import_min_count", "batch_size", "seed"}) & set(values)
        assert "import_vocab" not in values["model"] and "seed" not in values["labels"]
        assert TrainConfig.load(path) == config
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert TrainConfig().to_dict()["model"]["edges"] == "all"


def test_unknown_or_contradicting_settings_are_clear_errors():
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) \['label_max_test'\]") as error:
        TrainConfig.from_dict({"label_max_test": 3})
    assert "label_max_tests" in str(error.value) and "batch_size" in str(error.value)
    with pytest.raises(ConfigError, match=r"\['model.layer_channel'\]; known model settings"):
        TrainConfig.from_dict({"model": {"layer_channel": [8]}})
    with pytest.raises(ConfigError, match=r"\['labels.max_test'\]; known labels settings"):
        TrainConfig.from_dict({"labels": {"max_test": 3}})
    with pytest.raises(ConfigError, match="set from the training data"):
        TrainConfig.from_dict({"model": {"import_vocab": ["sys"]}})
    with pytest.raises(ConfigError, match="set from the training data"):
        TrainConfig(model=ModelConfig(import_vocab=("sys",)))
    with pytest.raises(ConfigError, match="contradicts model.layer_channels"):
        TrainConfig.from_dict({"layer_channels": [8], "model": {"layer_channels": [4]}})
    with pytest.raises(ConfigError, match="labels.seed is the run's seed"):
        TrainConfig.from_dict({"seed": 1, "labels": {"seed": 2}})
    with pytest.raises(ConfigError, match="edge_grouping must be one of"):
        TrainConfig.from_dict({"edge_grouping": "typed"})
    with pytest.raises(ConfigError, match="ModelConfig.edges"):
        TrainConfig.from_dict({"edges": "dataflow"})


def test_labels_seed_is_the_run_seed():
    assert TrainConfig(seed=7).labels.seed == 7
    assert TrainConfig(seed=7, labels=LabelSettings(max_tests=3)).labels == LabelSettings(
        max_tests=3, seed=7
    )
    assert TrainConfig.from_dict({"seed": 3, "labels": {"seed": 3}}).labels.seed == 3


#: The options of the first layout's ``yantra-gnn train``, in order (``--import-evidence``,
#: ``--calibrate``, ``--condefects``, ``--init-from``, ``--overwrite``, ``--precision``
#: and ``--dist-timeout-s`` came later).
FIRST_LAYOUT_OPTIONS = [
    "--data", "--output", "--epochs", "--batch-size", "--lr", "--weight-decay",
    "--weight-code", "--weight-confidence", "--weight-imports", "--weight-bugs",
    "--weight-rank", "--scheduler-patience", "--scheduler-factor",
    "--early-stopping-patience", "--select-by", "--grad-clip", "--checkpoint-every", "--device", "--seed", "--limit", "--per-group",
    "--temperature", "--log-every", "--layer-channels", "--dropout", "--pooling", "--edges",
    "--edge-grouping", "--import-evidence", "--label-max-tests", "--label-mutants-per-class",
    "--label-max-mutants", "--label-timeout-s", "--import-min-count", "--num-threads", "--precision",
    "--progress", "--calibrate", "--condefects", "--init-from", "--import-lookup-init",
    "--overwrite", "--continue-from", "--replay-data", "--replay-size", "--continue-lr-scale",
    "--min-pass-rate", "--promote-margin", "--promote-to", "--dist-timeout-s", "--shards",
    "--fault-target", "--freeze-import-lookup",
]  # fmt: skip


def test_command_line_options_are_those_of_the_first_layout():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    usage = parser.format_usage()
    options = [o for o in re.findall(r"\[(--[a-z-]+)", usage) if o not in ("--config", "--resume")]
    assert options == FIRST_LAYOUT_OPTIONS
    help_text = parser.format_help()
    assert "--layer-channels CHANNELS" in help_text and "(default: 512,512,256)" in help_text
    assert "(default: single)" in help_text
    args = parser.parse_args(
        [
            "--layer-channels",
            "64,64,32",
            "--label-max-tests",
            "3",
            "--label-max-mutants",
            "2",
            "--label-timeout-s",
            "1.5",
            "--edges",
            "syntax",
            "--edge-grouping",
            "syntax_dataflow",
            "--batch-size",
            "8",
            "--seed",
            "5",
            "--progress",
            "false",
        ]  # fmt: skip
    )
    config = config_from_args(args)
    assert config.model.layer_channels == (64, 64, 32)
    assert config.model.edges == "syntax" and config.model.edge_groups == SYNTAX_DATAFLOW_GROUPS
    assert config.labels == LabelSettings(
        max_tests=3, max_mutants_per_solution=2, timeout_s=1.5, seed=5
    )
    assert (config.batch_size, config.seed, config.progress) == (8, 5, False)
    assert config.flat("edge_grouping") == "syntax_dataflow"
    assert config.flat("label_max_mutants") == 2


def test_command_line_options_override_a_nested_config_file(tmp_path):
    path = TrainConfig.from_dict(NESTED_LAYOUT).save(tmp_path / "run.yaml")
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--config", str(path), "--layer-channels", "8,4", "--label-max-tests", "2"]
    )
    config = config_from_args(args)
    assert config.model.layer_channels == (8, 4) and config.labels.max_tests == 2
    assert config.model.pooling == "attention" and config.labels.max_mutants_per_solution == 5
    assert config.model.edge_groups == SYNTAX_DATAFLOW_GROUPS


# ---------------------------------------------------------------------- edge setting
def test_a_syntax_only_model_predicts_as_it_was_trained(prepared_root, tmp_path, monkeypatch):
    """The saved model keeps its edge setting: Predictor feeds it syntax edges only."""
    from torch_geometric.data import Batch

    from yantra_gnn.graph.transforms import SyntaxEdgesOnly
    from yantra_gnn.predict import Predictor

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = TrainConfig.from_dict(
        {
            **SMALL,
            "data": str(prepared_root),
            "output": str(tmp_path / "syntax"),
            "epochs": 1,
            "edges": "syntax",
        }
    )
    trainer = Trainer(config)
    result = trainer.fit()
    assert trainer.model_config.edges == "syntax"
    assert TrainConfig.load(result.output / "config.yaml").model.edges == "syntax"
    predictor = Predictor.from_pretrained(result.inference_model, device="cpu", prior=None)
    # The saved model is the trained one plus the calibration fitted after training.
    saved_config = predictor.model.config
    assert saved_config == dataclasses.replace(
        trainer.model_config,
        confidence_temperature=saved_config.confidence_temperature,
        confidence_bias=saved_config.confidence_bias,
        confidence_base_rate=saved_config.confidence_base_rate,
    )
    best = YantraGNN(trainer.model_config)
    load_checkpoint(result.output / "best_model.pt", best)  # what training validated
    best.eval()
    # The same weights with every edge, to feed graphs as training saw them (syntax edges
    # only, as the dataset transform did before models kept their edge setting) and whole.
    every_edge = YantraGNN(dataclasses.replace(trainer.model_config, edges="all")).eval()
    every_edge.load_state_dict(best.state_dict())

    index = next(i for i, p in enumerate(trainer.val_set.programs) if p.origin == "solution")
    graph = trainer.val_set[index]  # the training-time input of this program
    source = trainer.val_set.programs[index].source
    with torch.no_grad():
        trained = best(Batch.from_data_list([graph]))
        syntax_only = every_edge(Batch.from_data_list([SyntaxEdgesOnly()(graph)]))
        all_edges = every_edge(Batch.from_data_list([graph]))
    assert torch.allclose(trained.embedding, syntax_only.embedding, atol=1e-6)
    [from_graph] = predictor.predict_graphs([graph])
    from_source = predictor.predict(source)
    for prediction, tolerance in ((from_graph, 1e-5), (from_source, 1e-3)):
        assert prediction.embedding == pytest.approx(trained.embedding[0].numpy(), abs=tolerance)
        assert prediction.confidence == pytest.approx(
            best.confidence_probability(trained.confidence_logit[0]).item(), abs=tolerance
        )
    # ... and not what the model gives when it is fed the dataflow edges too
    assert not torch.allclose(all_edges.embedding, trained.embedding, atol=1e-4)
    assert from_graph.embedding != pytest.approx(all_edges.embedding[0].numpy(), abs=1e-4)


def test_bf16_training_runs_and_stays_close_to_fp32(tiny_config, tmp_path):
    # The same run under bf16 autocast: it trains, and its first epoch's losses are
    # within bf16's precision of the fp32 run's (same seed, same batches).
    fp32 = Trainer(TrainConfig.from_dict({**tiny_config.to_dict(), "epochs": 1})).fit()
    bf16_config = TrainConfig.from_dict(
        {**tiny_config.to_dict(), "epochs": 1, "precision": "bf16", "output": str(tmp_path / "bf")}
    )
    bf16 = Trainer(bf16_config).fit()
    first_fp32, first_bf16 = fp32.history[0], bf16.history[0]
    for key in ("train_loss", "val_loss"):
        assert abs(first_bf16[key] - first_fp32[key]) < 0.05 * abs(first_fp32[key]), key
    model = load_model_for_inference(bf16.inference_model, device="cpu")
    assert next(model.parameters()).dtype == torch.float32  # weights stay fp32


def test_unknown_precision_is_refused_before_any_work():
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16"):
        TrainConfig(precision="fp16")


def test_a_trained_model_registers_with_its_data_fingerprint_and_metrics(tiny_config, tmp_path):
    from yantra_gnn.checkpoint import register_model

    trainer = Trainer(tiny_config)
    result = trainer.fit()
    assert trainer.data_fingerprint.startswith("sha256:")
    # the same programs and labels give the same fingerprint; other programs another
    again = TrainConfig.from_dict({**tiny_config.to_dict(), "output": str(tmp_path / "again")})
    assert Trainer(again).data_fingerprint == trainer.data_fingerprint
    assert trainer.train_set.fingerprint() != trainer.val_set.fingerprint()
    entry = register_model(result.inference_model, "tiny", registry=tmp_path / "models")
    assert entry.card["data_fingerprint"] == trainer.data_fingerprint
    best = result.history[result.best_epoch - 1]
    assert entry.metrics["val_loss"] == pytest.approx(best["val_loss"])
    assert all(name.startswith("val_") for name in entry.metrics)
