"""Training streamed from shards (``--shards``) against training on the same data in memory.

One tiny prepared dataset is labelled once for the module; its two splits, as the
in-memory Trainer holds them, are written as shards (``write_shards_from_dataset``, the
writer of ``yantra-gnn shard``), and the runs below train on either.
"""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import os
import shutil
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
from yantra_test_helpers import TINY_TRAINING, write_tiny_prepared

from yantra_gnn.checkpoint import checkpoint_metadata, load_model_for_inference
from yantra_gnn.data.dataset import LabelledGraphs
from yantra_gnn.data.shards import MANIFEST_NAME, write_shards_from_dataset
from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.losses import positive_weights_from_counts

#: Tiny model, one epoch; calibration on (its fit is checked where it can be made).
SETTINGS: dict[str, Any] = {**TINY_TRAINING, "epochs": 1, "device": "cpu"}
#: Graphs per shard: the two training problems (9 and 4 graphs) land in two shards.
GRAPHS_PER_SHARD = 10


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The prepared dataset, an in-memory Trainer on it, and its splits as shards."""
    base = tmp_path_factory.mktemp("sharded-training")
    root = write_tiny_prepared(base / "prepared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))  # the sandbox cache of the labelling
        memory = Trainer(
            TrainConfig.from_dict({**SETTINGS, "data": str(root), "output": str(base / "m")})
        )
    assert isinstance(memory.train_set, LabelledGraphs)
    assert isinstance(memory.val_set, LabelledGraphs)
    shards = base / "shards"
    write_shards_from_dataset(memory.train_set, shards / "train", GRAPHS_PER_SHARD)
    write_shards_from_dataset(memory.val_set, shards / "val", GRAPHS_PER_SHARD)
    return {"base": base, "root": root, "memory": memory, "shards": shards}


def sharded_config(data: dict[str, Any], output: Path, **changes: Any) -> TrainConfig:
    return TrainConfig.from_dict(
        {**SETTINGS, "shards": str(data["shards"]), "output": str(output), **changes}
    )


def test_shards_give_the_in_memory_weights_steps_fingerprint_and_import_lookup(data, tmp_path):
    memory: Trainer = data["memory"]
    streamed = Trainer(sharded_config(data, tmp_path / "s"))
    assert len(streamed.train_set.manifest.shards) == 2  # type: ignore[union-attr]
    # class weights from the manifest's counts are those of the label matrices
    for mine, theirs in zip(streamed.positive_weights(), memory.positive_weights(), strict=True):
        assert mine is not None and theirs is not None
        assert torch.equal(mine, theirs)
    assert torch.equal(streamed.loss.import_pos_weight, memory.loss.import_pos_weight)
    # the same vocabularies, data fingerprint, graphs and steps per epoch
    assert streamed.model_config == memory.model_config
    assert streamed.data_fingerprint == memory.data_fingerprint
    assert (streamed.train_graphs, streamed.val_graphs) == (
        len(memory.train_set),
        len(memory.val_set),
    )
    for epoch in range(2):
        memory.sampler.set_epoch(epoch)  # type: ignore[union-attr]
        streamed.train_set.set_epoch(epoch)  # type: ignore[union-attr]
        steps = math.ceil(streamed.train_graphs / SETTINGS["batch_size"])
        assert len(streamed.train_loader) == len(memory.train_loader) == steps
    # the import lookup, streamed shard by shard, starts the head with the same weights
    head, reference = streamed.model.import_evidence, memory.model.import_evidence
    assert head is not None and reference is not None
    assert streamed.import_lookup == memory.import_lookup
    assert torch.equal(head.feature_weight.weight, reference.feature_weight.weight)
    assert torch.equal(head.feature_weight.bias, reference.feature_weight.bias)


def test_weights_from_counts_match_the_matrix_formula():
    from yantra_gnn.train.losses import positive_class_weights

    targets = torch.tensor([[1, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]] * 5 + [[0, 0, 0, 0]] * 60)
    counts = targets.sum(0).tolist()
    assert torch.equal(
        positive_weights_from_counts(counts, targets.size(0)), positive_class_weights(targets)
    )


def graphs_of(loader) -> Counter:
    """The multiset of an epoch's graphs: (problem, nodes, edges, confidence)."""
    seen: Counter = Counter()
    for batch in loader:
        for data in batch.to_data_list():
            seen[(int(data.group), data.num_nodes, data.num_edges, float(data.confidence))] += 1
    return seen


def test_an_epoch_from_shards_sees_the_in_memory_graphs_and_validates_the_same(data, tmp_path):
    memory: Trainer = data["memory"]
    streamed = Trainer(sharded_config(data, tmp_path / "s"))
    memory.sampler.set_epoch(0)  # type: ignore[union-attr]
    streamed.train_set.set_epoch(0)  # type: ignore[union-attr]
    # Another batch order (shards and chunks shuffle from their own seeds), the same graphs.
    assert graphs_of(streamed.train_loader) == graphs_of(memory.train_loader)
    # The validation split streams whole in its stored order (problem by problem): with
    # the same weights the metrics are those of the split in memory, and here (one
    # validation problem, so the same batches) the losses too. On a split not ordered by
    # problem the within-batch terms (contrastive, ranking) would differ.
    streamed.model.load_state_dict(memory.model.state_dict())
    (streamed_losses, streamed_metrics) = streamed.validate()
    (memory_losses, memory_metrics) = memory.validate()
    assert streamed_losses == pytest.approx(memory_losses, rel=1e-6, abs=1e-9)
    assert streamed_metrics == pytest.approx(memory_metrics, rel=1e-6, abs=1e-9, nan_ok=True)


def test_one_epoch_from_shards_against_one_in_memory_under_the_same_seed(data, tmp_path):
    """The same seed gives the same starting weights and the same graphs in the same
    number of steps, in another batch order: the runs are close, not identical."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(data["base"] / "home"))
        memory = Trainer(
            TrainConfig.from_dict(
                {**SETTINGS, "data": str(data["root"]), "output": str(tmp_path / "m")}
            )
        )
    streamed = Trainer(sharded_config(data, tmp_path / "s"))
    start = memory.model.state_dict()
    assert all(torch.equal(value, streamed.model.state_dict()[k]) for k, value in start.items())
    start = {k: v.clone() for k, v in start.items()}
    ran = [trainer.fit().history[0] for trainer in (memory, streamed)]
    assert [row["epoch"] for row in ran] == [1, 1]
    train_losses = [row["train_loss"] for row in ran]
    val_losses = [row["val_loss"] for row in ran]
    assert all(math.isfinite(loss) for loss in train_losses + val_losses)
    # Measured: train loss 3.27 in memory, 3.62 from shards (a mean over the same graphs,
    # taken along other steps); val loss 3.609 and 3.611 (4 small steps from one start,
    # the same validation batches: one validation problem).
    assert abs(train_losses[0] - train_losses[1]) < 0.25 * max(train_losses)
    assert abs(val_losses[0] - val_losses[1]) < 0.01 * max(val_losses)
    # Not bit-identical: the batches differ, so the steps and the weights do.
    after = [trainer.model.state_dict() for trainer in (memory, streamed)]
    for weights in after:
        assert any(not torch.equal(weights[k], start[k]) for k in start)  # both trained
    assert any(not torch.equal(after[0][k], after[1][k]) for k in start)


def test_a_run_from_shards_trains_checkpoints_calibrates_and_resumes_only_on_its_shards(
    data, tmp_path
):
    shards = tmp_path / "shards"
    shutil.copytree(data["shards"], shards)
    result = Trainer(sharded_config(data, tmp_path / "run", epochs=2, shards=str(shards))).fit()
    rows = list(csv.DictReader((result.output / "metrics.csv").open()))
    assert [int(row["epoch"]) for row in rows] == [1, 2]
    losses = [float(row["train_loss"]) for row in rows]
    assert all(math.isfinite(loss) and 0 < loss < 50 for loss in losses)
    assert all(math.isfinite(float(row["val_loss"])) for row in rows)
    for name in ("best_model.pt", "last_model.pt", "best_model.safetensors"):
        assert (result.output / name).exists(), name
    metadata = checkpoint_metadata(result.output / "last_model.pt")
    assert metadata["data"] == str(shards)
    assert metadata["data_fingerprint"] == data["memory"].data_fingerprint
    assert metadata["train_config"]["shards"] == str(shards)
    # calibration ran on the streamed validation split (fitted, or skipped with a
    # warning when the tiny split cannot fit one); the inference model loads either way
    model = load_model_for_inference(result.inference_model, device="cpu")
    if result.calibration is not None:
        assert result.calibration["candidates"] > 0
        assert model.config.confidence_temperature == result.calibration["temperature"]

    def resume(epochs: int, directory: Path) -> Trainer:
        config = sharded_config(data, tmp_path / "run", epochs=epochs, shards=str(directory))
        return Trainer(config, resume="last")

    # on the same shards the run continues
    assert resume(3, shards).fit().epochs_run == 3
    # other shards (one training problem fewer) are refused: another --shards ...
    memory: Trainer = data["memory"]
    other = tmp_path / "other"
    for split in ("train", "val"):
        write_shards_from_dataset(memory.val_set, other / split, GRAPHS_PER_SHARD)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="shards: "):
        resume(4, other)
    # ... and the same directory written again with them: the fingerprint differs
    for split in ("train", "val"):
        write_shards_from_dataset(
            memory.val_set,  # type: ignore[arg-type]
            shards / split,
            GRAPHS_PER_SHARD,
            overwrite=True,
        )
    with pytest.raises(ConfigError, match="hold other data"):
        resume(4, shards)


def test_missing_or_mismatched_shards_are_clear_errors(data, tmp_path):
    with pytest.raises(DatasetError, match="yantra-gnn shard --data DATA --output"):
        Trainer(sharded_config(data, tmp_path / "a", shards=str(tmp_path / "nowhere")))
    half = tmp_path / "half"
    write_shards_from_dataset(data["memory"].train_set, half / "train", GRAPHS_PER_SHARD)
    with pytest.raises(DatasetError, match=r"val.*manifest\.json does not exist"):
        Trainer(sharded_config(data, tmp_path / "b", shards=str(half)))
    # graphs of another feature spec version: refused, naming both versions
    copy = tmp_path / "copy"
    for split in ("train", "val"):
        write_shards_from_dataset(data["memory"].train_set, copy / split, GRAPHS_PER_SHARD)
    manifest = copy / "train" / MANIFEST_NAME
    manifest.write_text(
        json.dumps({**json.loads(manifest.read_text()), "feature_spec_version": "0-old"})
    )
    with pytest.raises(DatasetError, match=r"feature spec version '0-old'.*yantra-gnn shard"):
        Trainer(sharded_config(data, tmp_path / "c", shards=str(copy)))
    # splits written with other vocabularies
    write_shards_from_dataset(data["memory"].train_set, copy / "train", 10, overwrite=True)
    manifest = copy / "val" / MANIFEST_NAME
    values = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**values, "import_vocab": ["x", *values["import_vocab"][1:]]}))
    with pytest.raises(DatasetError, match="different label vocabularies"):
        Trainer(sharded_config(data, tmp_path / "d", shards=str(copy)))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"data": "somewhere"}, "give only one of them"),
        ({"limit": 3}, "yantra-gnn shard --limit"),
        ({"condefects": "condefects.jsonl"}, "ConDefects"),
        ({"continue_from": "model.safetensors"}, "continuing a model"),
    ],
)
def test_settings_that_need_the_data_in_memory_are_refused_with_shards(setting, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict({"shards": "shards", **setting})


def _rank_main(rank: int, port: int, settings: dict[str, Any]) -> None:
    """One of 2 forked ranks with torchrun's variables (as tests/train/test_ddp_training.py)."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE="2",
        LOCAL_RANK=str(rank),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    Trainer(TrainConfig.from_dict(settings)).fit()


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods()
    or not (torch.distributed.is_available() and torch.distributed.is_gloo_available()),
    reason="the ranks are forked and talk over gloo",
)
def test_two_ranks_train_from_their_own_shards(data, tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    settings = {
        **sharded_config(data, tmp_path / "ddp").to_dict(),
        "calibrate": False,
        "dist_timeout_s": 60.0,
    }
    context = multiprocessing.get_context("fork")
    ranks = [context.Process(target=_rank_main, args=(r, port, settings)) for r in range(2)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join(90)
        if process.exitcode is None:
            process.kill()
            process.join()
    assert [process.exitcode for process in ranks] == [0, 0]
    rows = list(csv.DictReader((tmp_path / "ddp" / "metrics.csv").open()))
    assert len(rows) == 1 and math.isfinite(float(rows[0]["train_loss"]))
    assert (tmp_path / "ddp" / "best_model.pt").exists()
