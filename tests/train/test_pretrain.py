"""Pretraining on a Python corpus, then fine-tuning from its weights."""

from __future__ import annotations

import csv
import textwrap

import pytest
import torch

from yantra_gnn.checkpoint import initialise_from, load_model_for_inference
from yantra_gnn.cli import build_parser
from yantra_gnn.errors import CheckpointError, ConfigError, DatasetError
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.pretrain import is_validation_function, pretrain, pretrain_config

SMALL = {
    "layer_channels": (16, 16, 8),
    "batch_size": 8,
    "progress": False,
    "checkpoint_every": 1,
    "seed": 3,
}


def _write_corpus(root) -> None:
    """A package of small modules that import and use math, collections and itertools."""
    package = root / "pkg"
    package.mkdir(parents=True)
    for i in range(16):
        (package / f"mod{i}.py").write_text(
            textwrap.dedent(
                f"""\
                import math
                import collections
                import itertools


                def area_{i}(radius, scale={i}):
                    if radius < 0:
                        raise ValueError("negative")
                    value = math.pi * radius ** 2
                    return value * scale


                def count_{i}(words):
                    counts = collections.Counter()
                    for word in words:
                        counts[word] += {i + 1}
                    return counts.most_common({i % 3 + 1})


                def pairs_{i}(items):
                    out = []
                    for a, b in itertools.combinations(items, 2):
                        if a + b > {i}:
                            out.append((a, b))
                    return out
                """
            )
        )


@pytest.fixture
def corpus_root(tmp_path):
    root = tmp_path / "corpus"
    _write_corpus(root)
    return root


def test_pretraining_switches_off_the_confidence_terms():
    config = pretrain_config(TrainConfig(condefects="x.jsonl", init_from="y.safetensors"))
    assert (config.weight_confidence, config.weight_rank) == (0.0, 0.0)
    assert (config.select_by, config.calibrate) == ("loss", False)
    assert config.condefects is None and config.init_from is None
    held_out = [is_validation_function(f"f{i}", 0) for i in range(2000)]
    assert 0.07 < sum(held_out) / len(held_out) < 0.13
    assert held_out == [is_validation_function(f"f{i}", 0) for i in range(2000)]


def test_pretrain_then_fine_tune_starts_from_the_pretrained_weights(
    corpus_root, tmp_path, monkeypatch, prepared_root
):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = TrainConfig.from_dict({"output": str(tmp_path / "pre"), "epochs": 2, **SMALL})
    result = pretrain(config, units=40, roots=[str(corpus_root)])
    rows = list(csv.DictReader((result.output / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    # the confidence terms carry no weight: the total is the other terms' weighted sum
    for row in rows:
        total = (
            float(row["train_code"])
            + 0.5 * float(row["train_imports"])
            + 0.5 * (float(row["train_bugs"]) + float(row["train_bug_location"]))
        )
        assert float(row["train_loss"]) == pytest.approx(total, rel=1e-4)
    pretrained = load_model_for_inference(result.inference_model, device="cpu")
    assert {"math", "collections", "itertools"} <= set(pretrained.config.import_vocab)
    assert pretrained.config.confidence_temperature == 1.0  # never calibrated

    tune = TrainConfig.from_dict(
        {
            "data": str(prepared_root),
            "output": str(tmp_path / "tune"),
            "epochs": 1,
            "init_from": str(result.inference_model),
            "label_max_tests": 3,
            "label_max_mutants": 2,
            "import_min_count": 1,
            **SMALL,
        }
    )
    trainer = Trainer(tune)
    report = trainer.initialisation
    assert report is not None and "encoder.layers.0.convs.0.lin_l.weight" in report["copied"]
    theirs = pretrained.state_dict()
    mine = trainer.model.state_dict()
    assert torch.equal(
        mine["encoder.layers.1.convs.0.lin_l.weight"],
        theirs["encoder.layers.1.convs.0.lin_l.weight"],
    )
    # import rows are matched by module name: "math" keeps its pretrained row
    row_mine = trainer.model.config.import_vocab.index("math")
    row_theirs = pretrained.config.import_vocab.index("math")
    assert torch.equal(
        mine["import_head.out.weight"][row_mine], theirs["import_head.out.weight"][row_theirs]
    )
    assert report["import_rows"] == len(
        set(trainer.model.config.import_vocab) & set(pretrained.config.import_vocab)
    )


def test_initialise_from_copies_only_what_fits(tmp_path):
    from yantra_gnn.checkpoint import save_model_for_inference

    other = YantraGNN(
        ModelConfig(layer_channels=(16, 32, 8), import_vocab=("os", "math"), head_hidden_channels=6)
    )
    path = save_model_for_inference(other, tmp_path / "other.safetensors")
    model = YantraGNN(
        ModelConfig(
            layer_channels=(16, 16, 8), import_vocab=("math", "sys"), head_hidden_channels=6
        )
    )
    report = initialise_from(model, path)
    assert "encoder.layers.0.convs.0.lin_l.weight" in report["copied"]  # 978 -> 16 fits
    assert "encoder.layers.1.convs.0.lin_l.weight" in report["skipped"]  # 16 -> 16 vs 16 -> 32
    assert report["import_rows"] == 1  # only "math" is in both vocabularies
    mine, theirs = model.state_dict(), other.state_dict()
    assert torch.equal(mine["import_head.out.weight"][0], theirs["import_head.out.weight"][1])
    assert not torch.equal(mine["import_head.out.weight"][1], theirs["import_head.out.weight"][0])
    with pytest.raises(CheckpointError, match="does not exist"):
        initialise_from(model, tmp_path / "missing.safetensors")


def test_pretrain_command_line(tmp_path):
    parser = build_parser()
    args = parser.parse_args(
        ["pretrain", "--units", "5", "--corpus-root", str(tmp_path), "--epochs", "1"]
    )
    assert (args.units, args.corpus_root, args.epochs) == (5, [str(tmp_path)], 1)
    config = TrainConfig.from_dict({"output": str(tmp_path / "out"), **SMALL})
    with pytest.raises(DatasetError, match="at least 10"):
        pretrain(config, units=5, roots=[str(tmp_path)])
    with pytest.raises(DatasetError, match="no Python functions"):
        pretrain(config, units=20, roots=[str(tmp_path)])


def test_a_folder_holding_a_run_is_refused_before_the_corpus_is_labelled(tmp_path, monkeypatch):
    out = tmp_path / "pre"
    out.mkdir()
    (out / "metrics.csv").write_text("epoch\n1\n")  # an earlier run's file
    monkeypatch.setattr(
        "yantra_gnn.train.pretrain.corpus_loaders",
        lambda *args: pytest.fail("the corpus was labelled before the folder was checked"),
    )
    config = TrainConfig.from_dict({"output": str(out), **SMALL})
    with pytest.raises(ConfigError, match="already holds a training run"):
        pretrain(config, units=20, roots=[str(tmp_path)])
    with pytest.raises(ConfigError, match="cannot resume"):
        pretrain(config, units=20, roots=[str(tmp_path)], resume="last")
