"""The model registry: versions, cards, aliases, references, the feature spec check,
atomic and locked changes (two real processes), and ``yantra-gnn models``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch

from yantra_gnn.checkpoint import (
    INFERENCE_FORMAT,
    load_model_for_inference,
    register_model,
    resolve_model_path,
    save_checkpoint,
    save_model_for_inference,
)
from yantra_gnn.cli import main
from yantra_gnn.errors import CheckpointError
from yantra_gnn.home import MODELS_DIR_ENV
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Predictor
from yantra_gnn.registry import INFERENCE_FORMAT as REGISTRY_FORMAT
from yantra_gnn.registry import (
    ModelReference,
    ModelRegistry,
    RegistryError,
    default_registry_root,
    fingerprint_files,
    parse_reference,
    read_model_header,
)
from yantra_gnn.schema import FEATURE_SPEC_VERSION

TINY = ModelConfig(
    layer_channels=(16, 16, 8),
    head_hidden_channels=8,
    embedding_dim=8,
    import_vocab=("sys", "math"),
)
PROGRAM = "n = int(input())\nprint(n * 2)\n"


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    return save_model_for_inference(
        YantraGNN(TINY), tmp_path_factory.mktemp("model") / "tiny.safetensors"
    )


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def test_the_registry_formats_agree():
    assert REGISTRY_FORMAT == INFERENCE_FORMAT


def test_register_gives_increasing_versions_and_a_full_card(registry, model_file):
    first = registry.register(
        model_file, "tiny", metrics={"auroc": 0.75}, data_fingerprint="sha256:abc"
    )
    second = registry.register(model_file, "tiny")
    assert (first.version, second.version) == (1, 2)
    assert first.path == registry.root / "tiny" / "1" / "model.safetensors"
    assert first.path.read_bytes() == model_file.read_bytes()
    card = json.loads((registry.root / "tiny" / "1" / "card.json").read_text())
    assert card["name"] == "tiny" and card["version"] == 1
    assert card["feature_spec_version"] == FEATURE_SPEC_VERSION
    assert card["config"]["layer_channels"] == [16, 16, 8]
    assert card["import_vocab"] == ["sys", "math"] and card["bug_classes"]
    assert card["metrics"] == {"auroc": 0.75} and card["data_fingerprint"] == "sha256:abc"
    assert card["created"] and card["sha256"].startswith("sha256:")
    assert [e.reference for e in registry.list()] == ["tiny@1", "tiny@2"]
    assert registry.names() == ["tiny"]


def test_references_resolve(registry, model_file):
    registry.register(model_file, "tiny")
    registry.register(model_file, "tiny")
    assert registry.resolve("tiny@latest").version == 2
    assert registry.resolve("tiny@1").version == 1
    with pytest.raises(RegistryError, match="no alias 'production'"):
        registry.resolve("tiny@production")
    registry.promote("tiny", 1)
    assert registry.resolve("tiny@production").version == 1
    assert registry.show("tiny").version == 2  # a bare name: the latest
    assert registry.resolve("tiny@1").aliases == ("production",)
    with pytest.raises(RegistryError, match="no version 7"):
        registry.resolve("tiny@7")
    with pytest.raises(RegistryError, match="no model named 'other'"):
        registry.resolve("other@latest")


def test_parse_reference():
    assert parse_reference("m@3") == ModelReference("m", "3")
    assert parse_reference("my-model.v2@production") == ModelReference("my-model.v2", "production")
    for text in ["yantra-gnn/default", "m", "m@", "@3", "a@b@c", "../m@1", "m@1.5", "m@-x"]:
        assert parse_reference(text) is None, text


def test_remove_keeps_an_aliased_version_unless_forced(registry, model_file):
    registry.register(model_file, "tiny")
    registry.register(model_file, "tiny")
    registry.promote("tiny", "latest", alias="production")
    with pytest.raises(RegistryError, match="tiny@production"):
        registry.remove("tiny", 2)
    registry.remove("tiny", 1)
    registry.remove("tiny", 2, force=True)
    assert registry.list() == [] and registry.aliases("tiny") == {}
    assert registry.register(model_file, "tiny").version == 3  # versions are never reused
    assert sorted(p.name for p in (registry.root / "tiny").iterdir()) == [
        "3",
        "aliases.json",
        "last_version",
    ]


def test_bad_names_and_aliases_are_refused(registry, model_file):
    for name in ["", "a/b", "../x", ".hidden", "x" * 101]:
        with pytest.raises(RegistryError):
            registry.register(model_file, name)
    registry.register(model_file, "tiny")
    for alias in ["latest", "3", "a b"]:
        with pytest.raises(RegistryError):
            registry.promote("tiny", 1, alias=alias)
    with pytest.raises(RegistryError, match="JSON"):
        registry.register(model_file, "tiny", metrics={"x": object()})


def test_a_file_that_is_not_a_model_is_refused(registry, tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}              ")
    with pytest.raises(CheckpointError, match="not a yantra-gnn model"):
        registry.register(junk, "junk")
    assert registry.list() == []


def test_predictor_loads_by_reference(registry, model_file, monkeypatch):
    registry.register(model_file, "tiny")
    registry.promote("tiny", 1)
    expected = Predictor.from_pretrained(model_file, device="cpu").predict(PROGRAM).confidence
    by_reference = Predictor.from_pretrained("tiny@production", device="cpu", registry=registry)
    assert by_reference.predict(PROGRAM).confidence == pytest.approx(expected, abs=1e-7)
    monkeypatch.setenv(MODELS_DIR_ENV, str(registry.root))
    assert default_registry_root() == registry.root
    assert resolve_model_path("tiny@latest") == registry.resolve("tiny@1").path
    assert isinstance(load_model_for_inference("tiny@1", device="cpu"), YantraGNN)
    assert resolve_model_path("yantra-gnn/default").name == "default.safetensors"


def test_an_existing_file_named_like_a_reference_is_a_path(tmp_path, model_file, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("tiny@1").write_bytes(model_file.read_bytes())
    assert resolve_model_path("tiny@1") == Path("tiny@1")


def test_another_feature_spec_is_refused_naming_both_versions(registry, model_file):
    tensors = safetensors.torch.load_file(str(model_file))
    metadata = read_model_header(model_file)
    metadata["feature_spec_version"] = json.dumps("yantra-features-0.9/old")
    old = model_file.with_name("old.safetensors")
    old.write_bytes(safetensors.torch.save(tensors, metadata=metadata))
    registry.register(old, "old")  # the registry records it ...
    with pytest.raises(RegistryError) as refused:  # ... and refuses to load it
        Predictor.from_pretrained("old@latest", device="cpu", registry=registry)
    message = str(refused.value)
    assert "yantra-features-0.9/old" in message and FEATURE_SPEC_VERSION in message
    assert "old@latest" in message
    assert registry.show("old@1").card["feature_spec_version"] == "yantra-features-0.9/old"
    with pytest.raises(CheckpointError, match="spec version"):
        register_model(old, "old", registry=registry)  # register_model loads it first


def test_register_model_takes_a_model_or_a_training_checkpoint(registry, tmp_path):
    torch.manual_seed(1)
    model = YantraGNN(TINY)
    entry = register_model(model, "obj", registry=registry, metrics={"loss": 0.5})
    assert entry.card["source"] == "YantraGNN object" and entry.metrics == {"loss": 0.5}
    checkpoint = save_checkpoint(
        model,
        None,
        3,
        0.4,
        0.5,
        tmp_path / "run" / "best_model.pt",
        {"data": "/data/cc", "data_digest": "sha256:feed"},
    )
    from_checkpoint = register_model(checkpoint, "run", registry=registry)
    assert from_checkpoint.card["data_fingerprint"] == "sha256:feed"
    assert from_checkpoint.card["training_data"] == "/data/cc"
    # a run's model file takes the metadata of its training checkpoint beside it
    beside = save_model_for_inference(model, tmp_path / "run" / "best_model.safetensors")
    assert register_model(beside, "run", registry=registry).card["data_fingerprint"] == (
        "sha256:feed"
    )
    loaded = load_model_for_inference("run@1", device="cpu", registry=registry)
    assert torch.equal(loaded.state_dict()["import_head.out.bias"], model.import_head.out.bias)


def test_fingerprint_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.jsonl").write_text("1\n")
    first = fingerprint_files([tmp_path / "d"])
    assert first.startswith("sha256:") and first == fingerprint_files([tmp_path / "d"])
    (tmp_path / "d" / "a.jsonl").write_text("2\n")
    assert fingerprint_files([tmp_path / "d"]) != first


_REGISTER_MANY = """
import os, sys, time
from yantra_gnn.registry import ModelRegistry
registry = ModelRegistry(sys.argv[1])
while not os.path.exists(sys.argv[3]):  # both start together
    time.sleep(0.001)
print(" ".join(str(registry.register(sys.argv[2], "shared").version) for _ in range(6)))
"""


def test_two_processes_registering_at_once_get_distinct_versions(registry, model_file):
    gate = registry.root.parent / "go"
    command = [sys.executable, "-c", _REGISTER_MANY, str(registry.root), str(model_file), str(gate)]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    gate.touch()
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    versions = [int(v) for out, _ in outputs for v in out.split()]
    assert sorted(versions) == list(range(1, 13))
    assert [e.version for e in registry.list("shared")] == list(range(1, 13))
    assert all(e.path.read_bytes() == model_file.read_bytes() for e in registry.list("shared"))
    assert not [p for p in (registry.root / "shared").iterdir() if p.name.startswith(".")]


def test_models_command(tmp_path, model_file, capsys):
    root = str(tmp_path / "models")
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"auroc": 0.8}))
    data = tmp_path / "train.jsonl"
    data.write_text("{}\n")
    add = ["models", "add", str(model_file), "--name", "cli", "--registry", root]
    assert main([*add, "--metrics", str(metrics), "--data", str(data)]) == 0
    assert main([*add, "--promote", "production"]) == 0
    capsys.readouterr()
    assert main(["models", "list", "--registry", root]) == 0
    listing = capsys.readouterr().out
    assert "cli@1" in listing and "auroc=0.8" in listing and "production" in listing
    assert main(["models", "show", "cli@1", "--registry", root]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["metrics"] == {"auroc": 0.8} and card["data_fingerprint"].startswith("sha256:")
    assert main(["models", "promote", "cli", "1", "--registry", root]) == 0
    assert main(["models", "remove", "cli", "1", "--registry", root]) == 1  # production
    assert "models: error:" in capsys.readouterr().err
    assert main(["models", "remove", "cli", "2", "--registry", root]) == 0
    assert capsys.readouterr().out == "removed cli@2\n"
    assert main(["models", "list", "--json", "--registry", root]) == 0
    assert [e["version"] for e in json.loads(capsys.readouterr().out)] == [1]
