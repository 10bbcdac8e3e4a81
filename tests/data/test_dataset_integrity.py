"""The dataset cache proves its integrity: a SHA-256 beside it, its items checked.

Flipped bytes in a cache used to load silently (a changed label); now a cache whose
bytes differ from its digest, or that holds an invalid item, is rebuilt with a warning
naming the file. The dataset is built once for the module; a rebuild in a test replays
the recorded labels (no sandbox runs) and is counted.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from yantra_test_helpers import write_tiny_prepared

from yantra_gnn.data import dataset as dataset_module
from yantra_gnn.data.dataset import (
    CodeContestsDataset,
    decode_items,
    digest_path,
    encode_items,
    validate_items,
)
from yantra_gnn.errors import DatasetError
from yantra_gnn.labels.labelling import LabelSettings
from yantra_gnn.schema import FEATURE_DIM, NUM_EDGE_TYPES

FAST = LabelSettings(max_tests=3, mutants_per_class=1, max_mutants_per_solution=2)
LOGGER = "yantra_gnn.data.dataset"


def _open(root: Path) -> CodeContestsDataset:
    return CodeContestsDataset(
        root, "train", settings=FAST, import_min_count=1, sandbox_cache=None, progress=False
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A prepared dataset with its train cache built, and the labels the build made."""
    root = write_tiny_prepared(tmp_path_factory.mktemp("integrity") / "prepared")
    recorded = []
    real = dataset_module.label_problems

    def recording(*args, **kwargs):
        recorded.append(real(*args, **kwargs))
        return recorded[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dataset_module, "label_problems", recording)
        dataset = _open(root)
    return root, dataset, recorded[0]


@pytest.fixture
def copied(built, tmp_path, monkeypatch):
    """A copy of the built dataset's folder; ``rebuilds`` counts the processings."""
    source, dataset, labelled = built
    root = tmp_path / "prepared"
    shutil.copytree(source, root)
    rebuilds: list[int] = []

    def replay(*args, **kwargs):
        rebuilds.append(1)
        return labelled

    monkeypatch.setattr(dataset_module, "label_problems", replay)
    return root, dataset, rebuilds


def _cache(root: Path) -> Path:
    (path,) = (root / "processed").glob("train-*.pt")
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _same_items(a: CodeContestsDataset, b: CodeContestsDataset) -> bool:
    return len(a) == len(b) and all(
        x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
        for x, y in zip(a._items, b._items, strict=True)
    )


def _storage_offsets(data: bytes) -> dict[str, tuple[int, int]]:
    """``name → (offset, size)`` of every tensor storage in a torch zip file."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if "/data/" in info.filename:
                name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
                start = info.header_offset + 30 + name_length + extra_length
                found[info.filename] = (start, info.file_size)
    return found


def test_the_cache_carries_the_sha256_of_its_bytes(copied):
    root, dataset, rebuilds = copied
    cache = _cache(root)
    sidecar = digest_path(cache)
    assert sidecar.name == cache.name + ".sha256"
    assert sidecar.read_text() == f"{_sha256(cache)}  {cache.name}\n"  # sha256sum -c format
    assert _same_items(_open(root), dataset)
    assert rebuilds == []


def test_flipped_bytes_in_the_cache_are_caught_and_rebuilt(copied, caplog):
    """A label changed on disk (confidence 1.0 → 0.0) is a valid item that torch loads
    without a word: only the digest catches it."""
    root, dataset, rebuilds = copied
    cache = _cache(root)
    data = bytearray(cache.read_bytes())
    confidence = torch.load(cache, weights_only=True)["graphs"]["labels"]["confidence"]
    stored = confidence.numpy().tobytes()  # the [G] confidences, stored uncompressed
    start = next(
        start
        for start, size in _storage_offsets(bytes(data)).values()
        if data[start : start + size] == stored
    )
    offset = start + 4 * int((confidence == 1.0).nonzero()[0, 0])
    data[offset + 2 : offset + 4] = b"\x00\x00"  # 1.0 → 0.0: two flipped bits
    cache.write_bytes(bytes(data))
    # no CRC check in torch.load, and the changed label is a valid one
    silently = torch.load(cache, weights_only=True)["graphs"]
    validate_items(
        decode_items(silently),
        *(len(getattr(dataset, n)) for n in ("import_vocab", "bug_classes", "group_names")),
    )
    changed = int((silently["labels"]["confidence"] == 0.0).sum())
    assert changed == sum(float(item["confidence"]) == 0.0 for item in dataset._items) + 1

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        reopened = _open(root)
    assert rebuilds == [1]
    assert str(cache) in caplog.text and "fails its SHA-256 check" in caplog.text
    assert _same_items(reopened, dataset)
    assert digest_path(cache).read_text().split()[0] == _sha256(cache)


def test_a_bad_item_with_a_matching_digest_is_rebuilt(copied, caplog):
    root, dataset, rebuilds = copied
    cache = _cache(root)
    state = torch.load(cache, weights_only=True)
    items = decode_items(state["graphs"])
    items[1]["edge_index"][0, 0] = 10**6
    state["graphs"] = encode_items(items)  # stored exactly (its reverse edges too)
    assert state["graphs"]["reverse_edges"] == "stored"
    torch.save(state, cache)
    digest_path(cache).write_text(f"{_sha256(cache)}  {cache.name}\n")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        reopened = _open(root)
    assert rebuilds == [1]
    assert str(cache) in caplog.text
    assert "item 1: an edge index outside" in caplog.text
    assert _same_items(reopened, dataset)


def test_a_cache_without_a_digest_is_checked_then_adopted(copied):
    """Caches written before digests existed load once their items pass the checks."""
    root, dataset, rebuilds = copied
    cache = _cache(root)
    digest_path(cache).unlink()
    assert _same_items(_open(root), dataset)
    assert rebuilds == []
    assert digest_path(cache).read_text().split()[0] == _sha256(cache)


def test_a_cache_without_a_digest_holding_a_nan_label_is_rebuilt(copied, caplog):
    root, dataset, rebuilds = copied
    cache = _cache(root)
    state = torch.load(cache, weights_only=True)
    state["graphs"]["labels"]["confidence"][0] = float("nan")
    torch.save(state, cache)
    digest_path(cache).unlink()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        reopened = _open(root)
    assert rebuilds == [1]
    assert "item 0: confidence is not 0 or 1" in caplog.text and str(cache) in caplog.text
    assert _same_items(reopened, dataset)


def test_a_garbage_digest_file_means_a_rebuild(copied, caplog):
    root, _, rebuilds = copied
    digest_path(_cache(root)).write_text("not a digest\n")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        _open(root)
    assert rebuilds == [1] and "fails its SHA-256 check" in caplog.text


def test_a_save_killed_before_its_digest_leaves_a_cache_that_is_adopted(copied, monkeypatch):
    root, dataset, rebuilds = copied
    cache = _cache(root)
    cache.unlink()
    real = dataset_module.atomic_write_text

    def killed(path, text):
        if str(path).endswith(".sha256"):
            raise KeyboardInterrupt("killed")
        return real(path, text)

    monkeypatch.setattr(dataset_module, "atomic_write_text", killed)
    with pytest.raises(KeyboardInterrupt):
        _open(root)
    assert cache.exists() and not digest_path(cache).exists()  # the old digest went first
    monkeypatch.setattr(dataset_module, "atomic_write_text", real)
    assert _same_items(_open(root), dataset)
    assert rebuilds == [1]  # the killed build only


def test_invalid_built_items_are_an_error_and_never_cached(copied, monkeypatch):
    root, _, _ = copied
    cache = _cache(root)
    cache.unlink()
    real = dataset_module.graph_items

    def broken(*args, **kwargs):
        items, kept, unlocated = real(*args, **kwargs)
        items[0] = {**items[0], "bug_node": torch.tensor([10**6])}
        return items, kept, unlocated

    monkeypatch.setattr(dataset_module, "graph_items", broken)
    with pytest.raises(DatasetError, match="item 0: bug_node outside"):
        _open(root)
    assert not cache.exists()


def _set(name, index, value):
    def change(item):
        item[name] = item[name].clone()
        item[name].view(-1)[index] = value

    return change


CORRUPTIONS = {
    "edge index too large": (_set("edge_index", 0, 10**6), "edge index outside"),
    "negative edge index": (_set("edge_index", -1, -1), "edge index outside"),
    "edge type out of range": (_set("edge_type", 0, NUM_EDGE_TYPES), "edge type outside"),
    "nan confidence": (_set("confidence", 0, float("nan")), "confidence is not 0 or 1"),
    "inf confidence": (_set("confidence", 0, float("inf")), "confidence is not 0 or 1"),
    "confidence 0.5": (_set("confidence", 0, 0.5), "confidence is not 0 or 1"),
    "bug node too large": (_set("bug_node", 0, 10**6), "bug_node outside"),
    "bug node below -1": (_set("bug_node", 0, -2), "bug_node outside"),
    "group out of range": (_set("group", 0, 99), "group outside"),
    "negative group": (_set("group", 0, -1), "group outside"),
    "origin out of range": (_set("origin", 0, 9), "origin outside"),
    "feature column": (_set("col", 0, FEATURE_DIM), "feature column outside"),
    "nan feature": (_set("value", 0, float("nan")), "NaN or infinite feature value"),
    "row_ptr start": (_set("row_ptr", 0, 1), "row_ptr does not run"),
    "row_ptr decreasing": (_set("row_ptr", 1, -5), "row_ptr decreases"),
    "float edges": (
        lambda item: item.__setitem__("edge_index", item["edge_index"].float()),
        "edge_index is torch.float32",
    ),
    "edge types of other length": (
        lambda item: item.__setitem__("edge_type", item["edge_type"][1:]),
        "edge_type is torch.uint8",
    ),
    "missing key": (lambda item: item.pop("bugs"), "expected the keys"),
    "not a tensor": (lambda item: item.__setitem__("group", 0), "must be a tensor"),
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_validate_items_names_the_first_bad_item(built, kind):
    _, dataset, _ = built
    items = copy.copy(dataset._items)
    sizes = (len(dataset.import_vocab), len(dataset.bug_classes), len(dataset.group_names))
    validate_items(items, *sizes)  # the real items pass
    change, message = CORRUPTIONS[kind]
    items[2] = dict(items[2])
    change(items[2])
    with pytest.raises(DatasetError, match=f"item 2: .*{message}"):
        validate_items(items, *sizes)
