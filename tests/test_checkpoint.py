"""Checkpoints: round trips, exact resume, atomic writes, and refusal of bad files."""

from __future__ import annotations

import json
import pickle
import random
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from torch_geometric.data import Batch

import yantra_gnn.checkpoint as checkpoint_module
from yantra_gnn.checkpoint import (
    CheckpointInfo,
    load_checkpoint,
    load_model_for_inference,
    save_checkpoint,
    save_model_for_inference,
    set_checkpoint_temperature,
)
from yantra_gnn.errors import CheckpointError
from yantra_gnn.graph import FEATURE_SPEC_VERSION, CodeGraphBuilder
from yantra_gnn.nn import SYNTAX_DATAFLOW_GROUPS, ModelConfig, YantraGNN
from yantra_gnn.version import __version__

warnings.filterwarnings("ignore", message="Sparse invariant checks")

SMALL = ModelConfig(
    layer_channels=(32, 32, 16),
    head_hidden_channels=16,
    embedding_dim=12,
    import_vocab=("sys", "math", "collections"),
)
SOURCES = [
    "import math\nn = int(input())\nprint(math.isqrt(n))\n",
    "def g(xs):\n    total = 0\n    for x in xs:\n        total += x * x\n    return total\n",
]


@pytest.fixture(scope="module")
def batch():
    builder = CodeGraphBuilder()
    return Batch.from_data_list([builder.build(s, strip_imports=True) for s in SOURCES])


def _model(seed: int = 0, config: ModelConfig = SMALL) -> YantraGNN:
    torch.manual_seed(seed)
    return YantraGNN(config)


def _outputs(model: YantraGNN, batch: Batch) -> dict[str, torch.Tensor]:
    model.eval()
    with torch.no_grad():
        out = model(batch)
    return {k: v for k, v in vars(out).items() if k != "batch"}


def _assert_same_outputs(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


def _train_step(model: YantraGNN, optimizer: torch.optim.Optimizer, batch: Batch) -> None:
    model.train()
    torch.manual_seed(7)  # same dropout mask in both runs
    optimizer.zero_grad()
    out = model(batch)
    loss = out.import_logits.pow(2).mean() + out.confidence_logit.pow(2).mean()
    loss.backward()
    optimizer.step()


def test_checkpoint_round_trip_restores_weights_and_fields(tmp_path, batch):
    model = _model(1)
    path = save_checkpoint(
        model, None, 3, 0.5, 0.75, tmp_path / "run" / "ckpt.pt", {"run": "a", "f1": [0.1]}
    )
    assert path.is_file()
    fresh = _model(2)
    info = load_checkpoint(path, fresh)
    assert isinstance(info, CheckpointInfo)
    assert (info.epoch, info.train_loss, info.val_loss) == (3, 0.5, 0.75)
    assert info.metadata == {"run": "a", "f1": [0.1]}
    assert info.config == SMALL
    assert info.feature_spec_version == FEATURE_SPEC_VERSION
    assert info.library_version == __version__
    assert info.timestamp.startswith("20")
    _assert_same_outputs(_outputs(model, batch), _outputs(fresh, batch))
    raw = torch.load(path, weights_only=True)
    assert raw["label_vocabularies"] == {
        "imports": ["sys", "math", "collections"],
        "bugs": list(SMALL.bug_classes),
    }


def test_inference_file_round_trip_rebuilds_the_model_from_the_file_alone(tmp_path, batch):
    config = ModelConfig(
        **{**SMALL.to_dict(), "pooling": "attention", "edge_groups": SYNTAX_DATAFLOW_GROUPS}
    )
    model = _model(3, config)
    path = save_model_for_inference(model, tmp_path / "model.safetensors")
    loaded = load_model_for_inference(path, device="cpu")
    assert loaded.config == config and not loaded.training
    _assert_same_outputs(_outputs(model, batch), _outputs(loaded, batch))
    with safetensors.safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    assert json.loads(metadata["config"]) == config.to_dict()
    assert json.loads(metadata["feature_spec_version"]) == FEATURE_SPEC_VERSION


def test_load_model_for_inference_also_reads_a_training_checkpoint(tmp_path, batch):
    model = _model(4)
    path = save_checkpoint(model, None, 1, None, None, tmp_path / "c.pt")
    loaded = load_model_for_inference(path, device="cpu")
    _assert_same_outputs(_outputs(model, batch), _outputs(loaded, batch))


def test_the_edge_setting_is_saved_with_the_model_and_old_files_read_all(tmp_path, batch):
    syntax = ModelConfig(**{**SMALL.to_dict(), "edges": "syntax"})
    model = _model(6, syntax)
    inference = save_model_for_inference(model, tmp_path / "syntax.safetensors")
    training = save_checkpoint(model, None, 1, None, None, tmp_path / "syntax.pt")
    for path in (inference, training):
        loaded = load_model_for_inference(path, device="cpu")
        assert loaded.config.edges == "syntax"
        _assert_same_outputs(_outputs(model, batch), _outputs(loaded, batch))

    # Files written before the setting existed: no "edges" in their config → "all".
    old_files = _files_without_config_key(inference, training, "edges", tmp_path)
    for path in old_files:
        loaded = load_model_for_inference(path, device="cpu")
        assert loaded.config == ModelConfig(**{**syntax.to_dict(), "edges": "all"})
    info = load_checkpoint(old_files[1], _model(6))  # an "all" model takes the old file
    assert info.config.edges == "all"


def test_the_confidence_calibration_travels_with_the_model(tmp_path, batch):
    calibrated = ModelConfig(
        **{**SMALL.to_dict(), "confidence_temperature": 2.5, "confidence_bias": -0.75}
    )
    model = _model(8, calibrated)
    inference = save_model_for_inference(model, tmp_path / "calibrated.safetensors")
    training = save_checkpoint(model, None, 1, None, None, tmp_path / "calibrated.pt")
    logit = _outputs(model, batch)["confidence_logit"]
    for path in (inference, training):
        loaded = load_model_for_inference(path, device="cpu")
        assert loaded.config == calibrated
        assert (loaded.config.confidence_temperature, loaded.config.confidence_bias) == (2.5, -0.75)
        _assert_same_outputs(_outputs(model, batch), _outputs(loaded, batch))
        assert torch.allclose(
            loaded.confidence_probability(logit), torch.sigmoid(logit / 2.5 - 0.75)
        )
    # A model built without the calibration takes the file's (it is no architecture).
    fresh = _model(9)
    info = load_checkpoint(training, fresh)
    assert fresh.config == calibrated and info.config == calibrated
    # ... and so does one built with another temperature and bias.
    other = _model(
        9, ModelConfig(**{**SMALL.to_dict(), "confidence_temperature": 0.3, "confidence_bias": 4})
    )
    load_checkpoint(training, other)
    assert other.config == calibrated
    # An architecture difference is still refused.
    with pytest.raises(CheckpointError, match="embedding_dim"):
        load_checkpoint(training, _model(9, ModelConfig(**{**SMALL.to_dict(), "embedding_dim": 8})))

    # Files written before the fields existed load as T = 1 and b = 0.
    for path in _files_without_config_key(inference, training, "confidence_temperature", tmp_path):
        assert load_model_for_inference(path, device="cpu").config == ModelConfig(
            **{**SMALL.to_dict(), "confidence_bias": -0.75}
        )
    for path in _files_without_config_key(inference, training, "confidence_bias", tmp_path):
        loaded = load_model_for_inference(path, device="cpu")
        assert loaded.config.confidence_bias == 0.0
        assert loaded.config.confidence_temperature == 2.5
    assert (SMALL.confidence_temperature, SMALL.confidence_bias) == (1.0, 0.0)


def test_set_checkpoint_temperature_changes_only_the_calibration(tmp_path, batch):
    model = _model(10)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    _train_step(model, optimizer, batch)
    path = save_checkpoint(model, optimizer, 4, 0.5, 0.6, tmp_path / "best.pt", {"run": "a"})
    before = torch.load(path, weights_only=True)
    record = {"temperature": 1.7, "bias": -0.4, "before": {"ece": 0.2}}
    set_checkpoint_temperature(path, 1.7, record, bias=-0.4)
    after = torch.load(path, weights_only=True)
    assert after["model_config"] == {
        **before["model_config"],
        "confidence_temperature": 1.7,
        "confidence_bias": -0.4,
    }
    assert after["metadata"] == {"run": "a", "confidence_calibration": record}
    for key in ("model_state", "optimizer_state", "rng_state", "epoch", "timestamp"):
        assert repr(after[key]) == repr(before[key]), key
    for name, tensor in before["model_state"].items():
        assert torch.equal(tensor, after["model_state"][name]), name
    resumed = _model(11)
    resumed_optimizer = torch.optim.AdamW(resumed.parameters(), lr=1e-2)
    load_checkpoint(path, resumed, resumed_optimizer)  # still resumes
    assert (resumed.config.confidence_temperature, resumed.config.confidence_bias) == (1.7, -0.4)
    # Without a bias: temperature scaling alone (b = 0).
    set_checkpoint_temperature(path, 2.0)
    config = torch.load(path, weights_only=True)["model_config"]
    assert (config["confidence_temperature"], config["confidence_bias"]) == (2.0, 0.0)
    with pytest.raises(CheckpointError, match="confidence_temperature"):
        set_checkpoint_temperature(path, 0.0)
    with pytest.raises(CheckpointError, match="confidence_bias"):
        set_checkpoint_temperature(path, 1.0, bias=float("nan"))
    with pytest.raises(CheckpointError, match="does not exist"):
        set_checkpoint_temperature(tmp_path / "missing.pt", 2.0)


def test_resume_gives_the_same_step_as_an_uninterrupted_run(tmp_path, batch):
    model = _model(5)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    _train_step(model, optimizer, batch)
    scheduler.step(1.0)
    scheduler.step(2.0)  # worse: halves the learning rate
    path = save_checkpoint(
        model,
        optimizer,
        1,
        1.0,
        2.0,
        tmp_path / "c.pt",
        scheduler=scheduler,
        extra_state={"bad": 1},
    )

    resumed = _model(6)
    resumed_optimizer = torch.optim.AdamW(resumed.parameters(), lr=1e-2)
    resumed_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(resumed_optimizer)
    info = load_checkpoint(
        path, resumed, resumed_optimizer, device="cpu", scheduler=resumed_scheduler
    )
    assert info.extra_state == {"bad": 1}
    assert resumed_optimizer.param_groups[0]["lr"] == pytest.approx(5e-3)
    assert resumed_scheduler.state_dict() == scheduler.state_dict()

    _train_step(model, optimizer, batch)
    _train_step(resumed, resumed_optimizer, batch)
    for (name, a), b in zip(model.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_restore_rng_replays_the_same_random_numbers(tmp_path):
    torch.manual_seed(11)
    np.random.seed(11)
    random.seed(11)
    path = save_checkpoint(_model(), None, 0, None, None, tmp_path / "c.pt")
    expected = (torch.rand(3), np.random.rand(3), random.random(), np.random.randn())
    torch.manual_seed(99)
    np.random.seed(99)
    random.seed(99)
    load_checkpoint(path, _model(), restore_rng=True)
    got = (torch.rand(3), np.random.rand(3), random.random(), np.random.randn())
    assert torch.equal(expected[0], got[0])
    assert np.array_equal(expected[1], got[1])
    assert expected[2:] == got[2:]


def test_torch_compile_prefix_is_handled_on_load(tmp_path, batch):
    model = _model(8)
    path = save_checkpoint(model, None, 2, None, None, tmp_path / "c.pt")
    payload = torch.load(path, weights_only=True)
    payload["model_state"] = {f"_orig_mod.{k}": v for k, v in payload["model_state"].items()}
    del payload["payload_sha256"]  # as another tool (or an older version) would write it
    torch.save(payload, path)
    fresh = _model(9)
    load_checkpoint(path, fresh)
    _assert_same_outputs(_outputs(model, batch), _outputs(fresh, batch))
    compiled_target = torch.compile(_model(10))  # a wrapper; nothing is compiled until called
    load_checkpoint(path, compiled_target)
    _assert_same_outputs(_outputs(model, batch), _outputs(compiled_target._orig_mod, batch))
    assert not any(
        k.startswith("_orig_mod.")
        for k in torch.load(
            save_checkpoint(compiled_target, None, 0, None, None, tmp_path / "d.pt"),
            weights_only=True,
        )["model_state"]
    )


def test_a_crash_mid_save_leaves_the_previous_file_intact(tmp_path, monkeypatch, batch):
    model = _model(12)
    path = save_checkpoint(model, None, 1, 0.1, 0.2, tmp_path / "c.pt")
    before = path.read_bytes()

    def crash(obj, handle, *args, **kwargs):
        handle.write(b"PK\x03\x04 half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module.torch, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(_model(13), None, 2, 0.0, 0.0, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]  # no temp file left
    assert load_checkpoint(path, _model(14)).epoch == 1


def test_a_crash_mid_save_of_an_inference_file_leaves_the_previous_file(tmp_path, monkeypatch):
    path = save_model_for_inference(_model(15), tmp_path / "m.safetensors")
    before = path.read_bytes()
    monkeypatch.setattr(
        checkpoint_module.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("power cut"))
    )
    with pytest.raises(OSError, match="power cut"):
        save_model_for_inference(_model(16), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    files["text"] = tmp_path / "notes.pt"
    files["text"].write_text("this is not a checkpoint\n")
    files["empty"] = tmp_path / "empty.pt"
    files["empty"].write_bytes(b"")
    files["zip"] = tmp_path / "other.zip"
    with zipfile.ZipFile(files["zip"], "w") as archive:
        archive.writestr("readme.txt", "a zip of something else")
    good = save_checkpoint(
        _model(),
        torch.optim.SGD(_model().parameters(), lr=0.1),
        0,
        None,
        None,
        tmp_path / "good.pt",
    )
    data = good.read_bytes()
    files["truncated"] = tmp_path / "truncated.pt"
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["foreign_torch"] = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, files["foreign_torch"])
    inference = save_model_for_inference(_model(), tmp_path / "good.safetensors")
    blob = inference.read_bytes()
    files["truncated_safetensors"] = tmp_path / "truncated.safetensors"
    files["truncated_safetensors"].write_bytes(blob[: len(blob) - 100])
    files["foreign_safetensors"] = tmp_path / "foreign.safetensors"
    safetensors.torch.save_file({"w": torch.zeros(3)}, str(files["foreign_safetensors"]))
    files["missing"] = tmp_path / "nope" / "missing.pt"
    return files


@pytest.mark.parametrize(
    "kind", ["text", "empty", "zip", "truncated", "foreign_torch", "missing", "inference"]
)
def test_bad_files_give_checkpoint_error_naming_the_file(tmp_path, kind):
    files = _bad_files(tmp_path)
    files["inference"] = tmp_path / "good.safetensors"  # the other format
    path = files[kind]
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path, _model())
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "kind",
    [
        "text",
        "empty",
        "zip",
        "truncated",
        "foreign_torch",
        "missing",
        "truncated_safetensors",
        "foreign_safetensors",
    ],
)
def test_bad_model_files_give_checkpoint_error_naming_the_file(tmp_path, kind):
    path = _bad_files(tmp_path)[kind]
    with pytest.raises(CheckpointError) as caught:
        load_model_for_inference(path, device="cpu")
    assert str(path) in str(caught.value)


class _WritesMarker:
    """Unpickling this calls ``open(marker, "w")``: it would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("how", ["torch_zip", "raw_pickle"])
def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path, how):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    payload = {"format": "yantra-gnn-checkpoint", "model_state": _WritesMarker(marker)}
    if how == "torch_zip":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))
    with pytest.raises(CheckpointError, match="refused to load .*evil.pt.*GLOBAL io.open"):
        load_checkpoint(path, _model())
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_model_for_inference(path, device="cpu")
    assert not marker.exists()
    # The file really is malicious: an unrestricted load would have run the code.
    if how == "raw_pickle":
        pickle.loads(path.read_bytes())
        assert marker.exists()


def test_another_feature_spec_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint_module, "FEATURE_SPEC_VERSION", "features-0.1-old")
    ckpt = save_checkpoint(_model(), None, 0, None, None, tmp_path / "old.pt")
    model_file = save_model_for_inference(_model(), tmp_path / "old.safetensors")
    monkeypatch.undo()
    with pytest.raises(CheckpointError, match="features-0.1-old") as caught:
        load_checkpoint(ckpt, _model())
    assert str(ckpt) in str(caught.value)
    for path in (ckpt, model_file):
        with pytest.raises(CheckpointError, match="features-0.1-old") as caught:
            load_model_for_inference(path, device="cpu")
        assert str(path) in str(caught.value)


def test_a_checkpoint_of_another_config_is_refused_with_the_differing_fields(tmp_path):
    path = save_checkpoint(_model(), None, 0, None, None, tmp_path / "c.pt")
    other = YantraGNN(ModelConfig(**{**SMALL.to_dict(), "pooling": "attention"}))
    with pytest.raises(CheckpointError, match="pooling"):
        load_checkpoint(path, other)


def test_missing_optimizer_state_and_unsafe_values_are_reported(tmp_path):
    path = save_checkpoint(_model(), None, 0, None, None, tmp_path / "c.pt")
    model = _model()
    with pytest.raises(CheckpointError, match="no optimizer state"):
        load_checkpoint(path, model, torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(model, None, 0, None, None, tmp_path / "d.pt", {"when": object()})
    with pytest.raises(CheckpointError, match="extra_state"):
        save_checkpoint(model, None, 0, None, None, tmp_path / "d.pt", extra_state={"f": len})
    with pytest.raises(CheckpointError, match="YantraGNN"):
        save_checkpoint(torch.nn.Linear(2, 2), None, 0, None, None, tmp_path / "d.pt")
    assert not (tmp_path / "d.pt").exists()


def _files_without_config_key(inference, training, key, tmp_path):
    """Copies of an inference file and a checkpoint as written before ``key`` existed."""
    with safetensors.safe_open(str(inference), framework="pt") as handle:
        metadata = dict(handle.metadata())
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    old_config = {k: v for k, v in json.loads(metadata["config"]).items() if k != key}
    metadata["config"] = json.dumps(old_config)
    del metadata["tensors_sha256"]  # older files carry no checksum either
    old_inference = tmp_path / f"without-{key}.safetensors"
    safetensors.torch.save_file(tensors, str(old_inference), metadata=metadata)
    payload = torch.load(training, weights_only=True)
    payload["model_config"] = old_config
    del payload["payload_sha256"]
    old_training = tmp_path / f"without-{key}.pt"
    torch.save(payload, old_training)
    return old_inference, old_training


def test_content_changed_after_saving_fails_the_checksum(tmp_path):
    """A flipped value that still loads (NaN optimizer state, another weight) is refused."""
    model = _model(11)
    optimizer = torch.optim.Adam(model.parameters())
    path = save_checkpoint(model, optimizer, 1, 0.5, 0.6, tmp_path / "c.pt")
    assert load_checkpoint(path, _model(12)).epoch == 1  # intact: loads
    payload = torch.load(path, weights_only=True)
    name = next(iter(payload["model_state"]))
    payload["model_state"][name] = payload["model_state"][name].clone()
    payload["model_state"][name].view(-1)[0] += 1.0
    tampered = tmp_path / "tampered.pt"
    torch.save(payload, tampered)
    fresh = _model(13)
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    with pytest.raises(CheckpointError, match="tampered.pt fails its checksum"):
        load_checkpoint(tampered, fresh)
    assert all(torch.equal(before[k], v) for k, v in fresh.state_dict().items())

    inference = save_model_for_inference(model, tmp_path / "m.safetensors")
    data = bytearray(inference.read_bytes())
    data[-3] ^= 0x40  # a bit in the last weight
    flipped = tmp_path / "flipped.safetensors"
    flipped.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="flipped.safetensors fails its checksum"):
        load_model_for_inference(flipped, device="cpu")


def _damaged(tmp_path, name, change):
    """A copy of a small checkpoint with ``change(payload)`` applied (no checksum)."""
    model = _model(14)
    path = save_checkpoint(
        model, torch.optim.Adam(model.parameters()), 1, None, None, tmp_path / "ok.pt"
    )
    payload = torch.load(path, weights_only=True)
    del payload["payload_sha256"]  # as a damaged file from before checksums would be
    payload["model_state"] = dict(payload["model_state"])
    change(payload)
    damaged = tmp_path / f"{name}.pt"
    torch.save(payload, damaged)
    return damaged


def _first_weight(payload):
    return next(iter(payload["model_state"]))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("no_weights", lambda p: p.pop("model_state"), "holds no model weights"),
        ("epoch", lambda p: p.__setitem__("epoch", "x"), "invalid epoch"),
        (
            "nan",
            lambda p: p["model_state"].__setitem__(
                _first_weight(p), torch.full_like(p["model_state"][_first_weight(p)], float("nan"))
            ),
            "NaN or infinite",
        ),
        (
            "dtype",
            lambda p: p["model_state"].__setitem__(
                _first_weight(p), p["model_state"][_first_weight(p)].to(torch.int64)
            ),
            "torch.int64",
        ),
        (
            "huge",  # 1e6-wide layers: refused from the meta-device check, nothing allocated
            lambda p: p.__setitem__(
                "model_config", {**p["model_config"], "layer_channels": [1_000_000, 1_000_000]}
            ),
            "do not fit its own config",
        ),
    ],
)
def test_damaged_checkpoints_are_checkpoint_errors_naming_the_file(tmp_path, name, change, message):
    damaged = _damaged(tmp_path, name, change)
    with pytest.raises(CheckpointError, match=message) as error_info:
        load_model_for_inference(damaged, device="cpu")
    assert f"{name}.pt" in str(error_info.value)


def test_an_optimizer_state_that_does_not_fit_leaves_the_weights_alone(tmp_path):
    damaged = _damaged(
        tmp_path, "optimizer", lambda p: p.__setitem__("optimizer_state", {"state": 3})
    )
    model = _model(15)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match="optimizer.pt: optimizer state does not fit"):
        load_checkpoint(damaged, model, torch.optim.Adam(model.parameters()))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_float16_storage_halves_the_file_and_loads_as_float32(tmp_path, batch):
    from yantra_gnn.checkpoint import load_model_for_inference, save_model_for_inference

    torch.manual_seed(0)
    model = YantraGNN(ModelConfig(layer_channels=(32, 32, 16), head_hidden_channels=16)).eval()
    full = save_model_for_inference(model, tmp_path / "full.safetensors")
    half = save_model_for_inference(model, tmp_path / "half.safetensors", dtype="float16")
    assert half.stat().st_size < 0.6 * full.stat().st_size
    loaded = load_model_for_inference(half, device="cpu")
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    with torch.no_grad():
        a, b = model(batch), loaded(batch)
    torch.testing.assert_close(a.confidence_logit, b.confidence_logit, rtol=1e-2, atol=1e-2)
    with pytest.raises(CheckpointError, match="dtype must be one of"):
        save_model_for_inference(model, tmp_path / "x.safetensors", dtype="int8")


def test_shipped_model_names_resolve_or_say_what_is_missing(tmp_path, monkeypatch):
    from yantra_gnn import checkpoint

    assert checkpoint.resolve_model_path("~/m.safetensors") == Path.home() / "m.safetensors"
    monkeypatch.setattr(checkpoint, "PRETRAINED_DIR", tmp_path / "none")
    with pytest.raises(CheckpointError, match="not in this installation"):
        checkpoint.load_model_for_inference(checkpoint.DEFAULT_MODEL)
