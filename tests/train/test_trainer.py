"""End-to-end training on tiny data: artifacts, learning, resume, config errors."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from yantra_gnn.checkpoint import load_model_for_inference
from yantra_gnn.cli.train import config_from_args
from yantra_gnn.errors import ConfigError
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.losses import MultiTaskLoss

SMALL = {
    "layer_channels": (16, 16, 8),
    "batch_size": 4,
    "label_max_tests": 3,
    "label_max_mutants": 2,
    "import_min_count": 1,
    "progress": False,
    "checkpoint_every": 1,
    "seed": 7,
}


@pytest.fixture
def tiny_config(prepared_root, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # sandbox cache under a temp home
    return TrainConfig(data=str(prepared_root), output=str(tmp_path / "run"), epochs=2, **SMALL)


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
    config = TrainConfig(data=str(prepared_root), output=str(tmp_path / "toy"), epochs=1, **SMALL)
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
        TrainConfig(dropout=1.5)
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
    import argparse

    from yantra_gnn.cli.train import add_arguments

    path = TrainConfig(epochs=3, layer_channels=(64, 32)).save(tmp_path / "run.yaml")
    assert TrainConfig.load(path).layer_channels == (64, 32)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--config", str(path), "--batch-size", "8", "--layer-channels", "8,4"]
    )
    config = config_from_args(args)
    assert (config.epochs, config.batch_size, config.layer_channels) == (3, 8, (8, 4))
    assert config.lr == 1e-3  # untouched defaults are the original spec's


def test_resume_without_checkpoint_is_a_clear_error(tiny_config):
    with pytest.raises(ConfigError, match="cannot resume"):
        Trainer(tiny_config, resume="last")
