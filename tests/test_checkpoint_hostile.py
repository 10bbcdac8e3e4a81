"""Hostile checkpoint and model files: every load failure is a ``CheckpointError`` naming
the file, raised before any model, optimizer, scheduler or RNG state is overwritten.

Each file below is a valid checkpoint or model file with one thing broken, as a damaged
disk, a bad tool or an attacker would leave it: truncated zips, pickles that are not a
dict, values nested 10,000 deep (a plain ``repr`` or ``json.loads`` of them raises
``RecursionError``), missing keys, configs of the wrong type, garbage safetensors
headers. Every loader is tried on every file.
"""

from __future__ import annotations

import json
import pickle
import struct
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from yantra_gnn.checkpoint import (
    CHECKPOINT_FORMAT,
    checkpoint_metadata,
    initialise_from,
    load_checkpoint,
    load_model_for_inference,
    save_checkpoint,
    save_model_for_inference,
    set_checkpoint_temperature,
)
from yantra_gnn.errors import CheckpointError
from yantra_gnn.nn import ModelConfig, YantraGNN

warnings.filterwarnings("ignore", message="Sparse invariant checks")

SMALL = ModelConfig(
    layer_channels=(32, 32, 16),
    head_hidden_channels=16,
    embedding_dim=12,
    import_vocab=("sys", "math", "collections"),
)
#: Deep enough for any recursive reader (Python's limit is 1,000 frames).
DEPTH = 10_000
_PLACEHOLDER = "HOSTILE-VALUE-PLACEHOLDER"
#: Seconds any load of a hostile file may take.
MAX_LOAD_S = 5.0


def _model(seed: int = 0) -> YantraGNN:
    torch.manual_seed(seed)
    return YantraGNN(SMALL)


def _training(model: YantraGNN) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.StepLR]:
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    return optimizer, torch.optim.lr_scheduler.StepLR(optimizer, step_size=2)


def _deep_list_pickle(depth: int = DEPTH) -> bytes:
    """Pickle opcodes of ``[[[...[]...]]]`` nested ``depth`` deep (no pickler could write
    it: pickling recurses)."""
    return b"]" * depth + b"a" * (depth - 1)


class Files:
    """Makes the hostile files from one good checkpoint and one good model file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        model = _model(1)
        optimizer, scheduler = _training(model)
        model(_tiny_batch()).confidence_logit.sum().backward()
        optimizer.step()
        scheduler.step()
        self.good = save_checkpoint(
            model, optimizer, 1, 0.5, 0.25, folder / "good.pt", {"run": "x"}, scheduler=scheduler
        )
        self.good_model = save_model_for_inference(model, folder / "good.safetensors")
        payload = torch.load(self.good, weights_only=True)
        del payload["payload_sha256"]  # as a damaged file from before checksums would be
        self.payload = payload

    def path(self, name: str) -> Path:
        return self.folder / name

    def bytes(self, name: str, data: bytes) -> Path:
        self.path(name).write_bytes(data)
        return self.path(name)

    def changed(self, name: str, **changes: object) -> Path:
        """The good payload with keys replaced (``...``: removed), saved by torch."""
        payload = dict(self.payload)
        for key, value in changes.items():
            if value is ...:
                payload.pop(key)
            else:
                payload[key] = value
        torch.save(payload, self.path(name))
        return self.path(name)

    def with_pickle(self, name: str, replace: Callable[[bytes], bytes], **changes: object) -> Path:
        """A torch zip whose ``data.pkl`` is rewritten by ``replace``."""
        source = self.changed(name + ".src", **changes)
        with (
            zipfile.ZipFile(source) as original,
            zipfile.ZipFile(self.path(name), "w", zipfile.ZIP_STORED) as archive,
        ):
            for info in original.infolist():
                data = original.read(info.filename)
                if info.filename.endswith("/data.pkl"):
                    data = replace(data)
                archive.writestr(info.filename, data)
        source.unlink()
        return self.path(name)

    def deep(self, name: str, key: str) -> Path:
        """The good payload with ``payload[key]`` a list nested :data:`DEPTH` deep."""
        text = _PLACEHOLDER.encode()
        placeholder = b"X" + struct.pack("<I", len(text)) + text  # its BINUNICODE op
        return self.with_pickle(
            name,
            lambda data: data.replace(placeholder, _deep_list_pickle(), 1),
            **{key: _PLACEHOLDER},
        )

    def config(self, name: str, **changes: object) -> Path:
        return self.changed(name, model_config={**self.payload["model_config"], **changes})

    def safetensors_header(self, name: str, change: Callable[[dict], None]) -> Path:
        """The good model file with its JSON header changed by ``change(header)``."""
        blob = self.good_model.read_bytes()
        size = struct.unpack("<Q", blob[:8])[0]
        header = json.loads(blob[8 : 8 + size])
        change(header)
        raw = json.dumps(header).encode()
        raw += b" " * (-len(raw) % 8)
        return self.bytes(name, struct.pack("<Q", len(raw)) + raw + blob[8 + size :])

    def metadata(self, name: str, **changes: str | None) -> Path:
        def change(header: dict) -> None:
            for key, value in changes.items():
                if value is None:
                    header["__metadata__"].pop(key)
                else:
                    header["__metadata__"][key] = value

        return self.safetensors_header(name, change)


def _tiny_batch():
    from torch_geometric.data import Batch

    from yantra_gnn.graph import CodeGraphBuilder

    return Batch.from_data_list([CodeGraphBuilder().build("x = int(input())\nprint(x * 2)\n")])


def _first_tensor(header: dict) -> str:
    return next(key for key in header if key != "__metadata__")


ALL = "all"
#: ``checkpoint_metadata`` reads no model config: every other loader must refuse these.
CONFIG = "config"
#: Only ``load_checkpoint`` with an optimizer, a scheduler and ``restore_rng`` reads
#: these parts; the other loaders never touch them.
TRAINING_STATE = "training state"

#: name → (how to make it, which loaders must refuse it).
HOSTILE: dict[str, tuple[Callable[[Files], Path], str]] = {
    # truncated or foreign containers
    "truncated_to_10_bytes": (lambda f: f.bytes("t10.pt", f.good.read_bytes()[:10]), ALL),
    "truncated_to_1000_bytes": (lambda f: f.bytes("t1k.pt", f.good.read_bytes()[:1000]), ALL),
    "truncated_to_a_third": (
        lambda f: f.bytes("t3.pt", f.good.read_bytes()[: f.good.stat().st_size // 3]),
        ALL,
    ),
    "zip_without_its_end_record": (lambda f: f.bytes("eocd.pt", f.good.read_bytes()[:-22]), ALL),
    # pickles that are not a dict
    "list_payload": (lambda f: _saved(f.path("list.pt"), [1, 2, 3]), ALL),
    "tensor_payload": (lambda f: _saved(f.path("tensor.pt"), torch.zeros(3)), ALL),
    "raw_pickle_int": (lambda f: f.bytes("int.pt", pickle.dumps(7, protocol=2)), ALL),
    # nested 10,000 deep
    "deep_whole_payload": (
        lambda f: f.with_pickle("deep.pt", lambda _: b"\x80\x02" + _deep_list_pickle() + b"."),
        ALL,
    ),
    "deep_raw_pickle": (
        lambda f: f.bytes("deep_raw.pt", b"\x80\x02" + _deep_list_pickle() + b"."),
        ALL,
    ),
    "deep_format": (lambda f: f.deep("deep_format.pt", "format"), ALL),
    "deep_format_version": (lambda f: f.deep("deep_fv.pt", "format_version"), ALL),
    "deep_feature_spec": (lambda f: f.deep("deep_spec.pt", "feature_spec_version"), ALL),
    "deep_epoch": (lambda f: f.deep("deep_epoch.pt", "epoch"), ALL),
    "deep_model_config": (lambda f: f.deep("deep_config.pt", "model_config"), CONFIG),
    "deep_model_state": (lambda f: f.deep("deep_state.pt", "model_state"), ALL),
    "deep_metadata": (lambda f: f.deep("deep_meta.pt", "metadata"), ALL),
    "deep_train_loss": (lambda f: f.deep("deep_loss.pt", "train_loss"), ALL),
    "deep_optimizer_state": (lambda f: f.deep("deep_opt.pt", "optimizer_state"), ALL),
    "deep_rng_state": (lambda f: f.deep("deep_rng.pt", "rng_state"), ALL),
    # missing keys
    "no_format": (lambda f: f.changed("nf.pt", format=...), ALL),
    "no_format_version": (lambda f: f.changed("nfv.pt", format_version=...), ALL),
    "no_feature_spec": (lambda f: f.changed("nspec.pt", feature_spec_version=...), ALL),
    "no_model_config": (lambda f: f.changed("ncfg.pt", model_config=...), CONFIG),
    "no_model_state": (lambda f: f.changed("nstate.pt", model_state=...), ALL),
    "no_epoch": (lambda f: f.changed("nepoch.pt", epoch=...), ALL),
    "no_optimizer_state": (lambda f: f.changed("nopt.pt", optimizer_state=...), TRAINING_STATE),
    "no_scheduler_state": (lambda f: f.changed("nsch.pt", scheduler_state=...), TRAINING_STATE),
    "no_rng_state": (lambda f: f.changed("nrng.pt", rng_state=...), TRAINING_STATE),
    # model configs of the wrong kind or types
    "config_is_a_list": (lambda f: f.changed("cl.pt", model_config=[1, 2, 3]), CONFIG),
    "config_is_a_string": (lambda f: f.changed("cs.pt", model_config="layers"), CONFIG),
    "config_with_non_string_keys": (
        lambda f: f.changed("ck.pt", model_config={**f.payload["model_config"], 1: 2, (3,): 4}),
        CONFIG,
    ),
    "config_widths_a_string": (lambda f: f.config("cw.pt", layer_channels="abc"), CONFIG),
    "config_widths_an_int": (lambda f: f.config("ci.pt", layer_channels=32), CONFIG),
    "config_widths_floats": (
        lambda f: f.config("cf.pt", layer_channels=[32.0, 32.0, 16.0]),
        CONFIG,
    ),
    "config_vocab_a_string": (lambda f: f.config("cv.pt", import_vocab="abc"), CONFIG),
    "config_vocab_an_int": (lambda f: f.config("cvi.pt", import_vocab=5), CONFIG),
    "config_vocab_of_lists": (lambda f: f.config("cvl.pt", bug_classes=[[1]]), CONFIG),
    "config_edge_groups_ints": (lambda f: f.config("ce.pt", edge_groups=[1]), CONFIG),
    "config_dropout_a_string": (lambda f: f.config("cd.pt", dropout="x"), CONFIG),
    "config_pooling_an_int": (lambda f: f.config("cp.pt", pooling=3), CONFIG),
    "config_temperature_a_string": (
        lambda f: f.config("ct.pt", confidence_temperature="hot"),
        CONFIG,
    ),
    "config_unknown_field": (lambda f: f.config("cu.pt", hidden_layers=3), CONFIG),
    # other values of the wrong type
    "metadata_a_list": (lambda f: f.changed("ml.pt", metadata=[1, 2]), ALL),
    "metadata_a_string": (lambda f: f.changed("ms.pt", metadata="run"), ALL),
    "train_loss_a_string": (lambda f: f.changed("tl.pt", train_loss="low"), ALL),
    "model_state_a_list": (lambda f: f.changed("sl.pt", model_state=[1]), ALL),
    "optimizer_state_a_list": (lambda f: f.changed("ol.pt", optimizer_state=[1]), ALL),
    "rng_state_a_list": (lambda f: f.changed("rl.pt", rng_state=[1]), ALL),
    "optimizer_state_wrong": (
        lambda f: f.changed("ow.pt", optimizer_state={"state": 3, "param_groups": 4}),
        TRAINING_STATE,
    ),
    "scheduler_state_sets_attributes": (
        lambda f: f.changed("sw.pt", scheduler_state={"optimizer": 3, "last_epoch": 1}),
        TRAINING_STATE,
    ),
    "scheduler_state_wrong_values": (
        lambda f: f.changed(
            "sv.pt", scheduler_state={**f.payload["scheduler_state"], "_last_lr": 3}
        ),
        TRAINING_STATE,
    ),
    "rng_state_wrong": (lambda f: f.changed("rw.pt", rng_state={"torch": 3}), TRAINING_STATE),
    "rng_state_short_numpy": (
        lambda f: f.changed(
            "rn.pt",
            rng_state={
                **f.payload["rng_state"],
                "numpy": {**f.payload["rng_state"]["numpy"], "keys": torch.zeros(3)},
            },
        ),
        TRAINING_STATE,
    ),
    # safetensors files with garbage headers
    "safetensors_garbage_header": (
        lambda f: f.bytes("sg.safetensors", struct.pack("<Q", 50) + b"\xff" * 50 + bytes(100)),
        ALL,
    ),
    "safetensors_huge_header_length": (
        lambda f: f.bytes("sh.safetensors", struct.pack("<Q", 2**62) + b"{}"),
        ALL,
    ),
    "safetensors_header_a_list": (
        lambda f: f.bytes("sl.safetensors", struct.pack("<Q", 7) + b"[1,2,3]"),
        ALL,
    ),
    "safetensors_deep_header": (
        lambda f: f.bytes(
            "sd.safetensors", struct.pack("<Q", 2 * DEPTH) + b"[" * DEPTH + b"]" * DEPTH
        ),
        ALL,
    ),
    "safetensors_two_bytes": (lambda f: f.bytes("s2.safetensors", b"\x01\x02"), ALL),
    "safetensors_offsets_past_the_end": (
        lambda f: f.safetensors_header(
            "so.safetensors",
            lambda h: h[_first_tensor(h)].__setitem__("data_offsets", [0, 10**12]),
        ),
        ALL,
    ),
    "safetensors_dtype_mismatch": (
        lambda f: f.safetensors_header(
            "sdt.safetensors", lambda h: h[_first_tensor(h)].__setitem__("dtype", "F64")
        ),
        ALL,
    ),
    "safetensors_deep_config": (
        lambda f: f.metadata("sdc.safetensors", config="[" * DEPTH + "]" * DEPTH),
        ALL,
    ),
    "safetensors_deep_feature_spec": (
        lambda f: f.metadata("sds.safetensors", feature_spec_version="[" * DEPTH + "]" * DEPTH),
        ALL,
    ),
    "safetensors_config_a_list": (lambda f: f.metadata("scl.safetensors", config="[1, 2]"), ALL),
    "safetensors_config_not_json": (lambda f: f.metadata("scj.safetensors", config="{{{"), ALL),
    "safetensors_config_wrong_types": (
        lambda f: f.metadata(
            "sct.safetensors",
            config=json.dumps({**f.payload["model_config"], "layer_channels": "abc"}),
        ),
        ALL,
    ),
    "safetensors_no_config": (lambda f: f.metadata("snc.safetensors", config=None), ALL),
    "safetensors_weights_dtype": (
        lambda f: f.metadata("swd.safetensors", weights_dtype="int8"),
        ALL,
    ),
    "safetensors_format_version": (
        lambda f: f.metadata("sfv.safetensors", format_version="[" * DEPTH),
        ALL,
    ),
}


def _saved(path: Path, value: object) -> Path:
    torch.save(value, path)
    return path


def _load_everything(path: Path, model: YantraGNN, optimizer, scheduler) -> None:
    load_checkpoint(path, model, optimizer, scheduler=scheduler, restore_rng=True)


LOADERS: dict[str, Callable[[Path], object]] = {
    "load_checkpoint": lambda path: load_checkpoint(path, _model()),
    "load_model_for_inference": lambda path: load_model_for_inference(path, device="cpu"),
    "checkpoint_metadata": checkpoint_metadata,
    "set_checkpoint_temperature": lambda path: set_checkpoint_temperature(path, 1.5),
    "initialise_from": lambda path: initialise_from(_model(), path),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Files:
    return Files(tmp_path_factory.mktemp("hostile"))


def test_the_good_files_load_everywhere(files):
    model = _model(2)
    optimizer, scheduler = _training(model)
    info = load_checkpoint(files.good, model, optimizer, scheduler=scheduler, restore_rng=True)
    assert info.epoch == 1 and info.metadata == {"run": "x"}
    assert scheduler.last_epoch == 1
    for loader in LOADERS.values():
        loader(files.good)
    for loader in ("load_model_for_inference", "initialise_from"):
        LOADERS[loader](files.good_model)
    # the deep-value files are made by patching the pickle: a harmless value loads
    patched = files.with_pickle("patched.pt", lambda data: data, epoch=1)
    assert load_checkpoint(patched, _model()).epoch == 1


def _state_of(model: YantraGNN, optimizer, scheduler) -> dict[str, object]:
    return {
        "model": {k: v.clone() for k, v in model.state_dict().items()},
        "optimizer": repr(optimizer.state_dict()),
        "scheduler": repr(scheduler.state_dict()),
        "scheduler_optimizer": scheduler.optimizer,
        "torch_rng": torch.get_rng_state(),
    }


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    return (
        all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])  # type: ignore[index]
        and a["optimizer"] == b["optimizer"]
        and a["scheduler"] == b["scheduler"]
        and a["scheduler_optimizer"] is b["scheduler_optimizer"]
        and torch.equal(a["torch_rng"], b["torch_rng"])  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_every_loader_refuses_a_hostile_file_naming_it(files, kind):
    make, refused_by = HOSTILE[kind]
    path = make(files)
    # load_checkpoint with everything to restore: nothing may change before the error
    model = _model(3)
    optimizer, scheduler = _training(model)
    before = _state_of(model, optimizer, scheduler)
    start = time.perf_counter()
    with pytest.raises(CheckpointError) as caught:
        _load_everything(path, model, optimizer, scheduler)
    assert time.perf_counter() - start < MAX_LOAD_S
    assert str(path) in str(caught.value)
    assert len(str(caught.value)) < 2000
    assert _same(before, _state_of(model, optimizer, scheduler)), "state overwritten"
    if refused_by == TRAINING_STATE:
        return
    for name, loader in LOADERS.items():
        if refused_by == CONFIG and name == "checkpoint_metadata":
            continue
        start = time.perf_counter()
        with pytest.raises(CheckpointError) as caught:
            loader(path)
        assert time.perf_counter() - start < MAX_LOAD_S, name
        assert str(path) in str(caught.value), name
        assert len(str(caught.value)) < 2000, name


def test_a_deep_value_really_defeats_a_plain_repr(files):
    """The hostile deep files are what they claim: a naive error message would raise."""
    path = files.deep("deep_check.pt", "format_version")
    payload = torch.load(path, weights_only=True)
    with pytest.raises(RecursionError):
        repr(payload["format_version"])
    assert payload["format"] == CHECKPOINT_FORMAT
