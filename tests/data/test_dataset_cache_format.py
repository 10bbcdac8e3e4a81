"""Cache format 2: every graph of a split in a few concatenated, compressed arrays, the
reverse edges left out. What it loads must be exactly what was built (every tensor of
every item: dtype, shape, values), whatever the graphs look like; a malformed or older
cache is rebuilt. Labels come from a stand-in for the sandbox (no programs run)."""

from __future__ import annotations

import io
import json
import logging
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from yantra_gnn.data import dataset as dataset_module
from yantra_gnn.data.dataset import (
    ORIGINS,
    CodeContestsDataset,
    decode_items,
    digest_path,
    encode_items,
    graph_items,
    validate_items,
)
from yantra_gnn.errors import DatasetError
from yantra_gnn.labels.labelling import LabelledProgram, LabelStats, imported_modules
from yantra_gnn.labels.mutate import BUG_CLASSES, sample_mutants
from yantra_gnn.labels.rewrite import rewrites
from yantra_gnn.schema import FORWARD_EDGE_TYPES

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "yantra_gnn"
    / "datasets"
    / "sample"
    / "codecontests_sample.jsonl"
)
LOGGER = "yantra_gnn.data.dataset"
#: Sources the sample lacks: syntax errors, non-ASCII text, a one-statement program,
#: imports only (stripped: a one-node graph) and a class with methods.
ODD_SOURCES = (
    "def f(:\n    return x +\nprint(f(1)\n",
    "s = 'héllo wörld ✓'\nprint(s[::-1], len(s))\n",
    "print(1)\n",
    "import sys\nfrom math import gcd\n",
    "class A:\n    def m(self, x):\n        return self.n(x) + 1\n"
    "    def n(self, y):\n        return y * 2\nprint(A().m(3))\n",
)


def _programs() -> list[LabelledProgram]:
    """Solutions and incorrect solutions of the bundled sample, mutants and rewrites of
    some, and :data:`ODD_SOURCES`: every origin, bug spans, imports."""
    programs = []
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:8]]
    for number, row in enumerate(rows):
        for block, origin, confidence in (
            ("solutions", "solution", 1.0),
            ("incorrect_solutions", "incorrect_solution", 0.0),
        ):
            for source in row[block]["solution"]:
                imports = tuple(sorted(imported_modules(source)))
                known = origin == "solution"
                programs.append(
                    LabelledProgram(
                        row["name"], source, origin, block, confidence, known, (), None, imports, ""
                    )
                )
                if number % 3 or not known:
                    continue
                for mutant in sample_mutants(source, per_class=1, seed=0)[:3]:
                    programs.append(
                        LabelledProgram(
                            row["name"],
                            mutant.source,
                            "mutant",
                            mutant.description,
                            0.0,
                            True,
                            (mutant.bug_class,),
                            mutant.span,
                            imports,
                            "",
                        )
                    )
                for rewrite in rewrites(source)[:1]:
                    programs.append(
                        LabelledProgram(
                            row["name"], rewrite.source, "rewrite", "", 1.0, True, (), None, (), ""
                        )
                    )
    for number, source in enumerate(ODD_SOURCES):
        programs.append(
            LabelledProgram(
                "odd", source, "solution", str(number), 1.0, True, (), None, ("math", "sys"), ""
            )
        )
    return programs


PROGRAMS = _programs()
VOCAB = ("math", "sys")
GROUPS = sorted({p.problem for p in PROGRAMS})


@pytest.fixture(scope="module")
def built() -> list[dict[str, torch.Tensor]]:
    items, kept, _ = graph_items(PROGRAMS, VOCAB, BUG_CLASSES, GROUPS, progress=False)
    assert len(kept) == len(PROGRAMS) > 40
    assert {ORIGINS[int(item["origin"])] for item in items} == set(ORIGINS)
    assert any(bool(item["has_error"]) for item in items)
    assert any(item["edge_type"].numel() == 0 for item in items)  # the imports-only program
    return items


def assert_identical(expected, actual) -> None:
    """Same keys, and every tensor of the same dtype, shape and values."""
    assert len(actual) == len(expected)
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        assert got.keys() == want.keys(), index
        for name, tensor in want.items():
            assert got[name].dtype == tensor.dtype, (index, name)
            assert got[name].shape == tensor.shape, (index, name)
            assert torch.equal(got[name], tensor), (index, name)


def _through_torch_save(packed: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(packed, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_decoding_gives_back_every_built_tensor_exactly(built):
    packed = encode_items(built)
    assert packed["reverse_edges"] == "derived"  # the builder's layout: half the edges stored
    stored = int(packed["stored_edges"].sum())
    assert 2 * stored == sum(item["edge_type"].numel() for item in built)
    decoded = decode_items(_through_torch_save(packed))
    assert_identical(built, decoded)
    assert all(t.is_contiguous() for item in decoded for t in item.values())
    validate_items(decoded, len(VOCAB), len(BUG_CLASSES), len(GROUPS))


def test_the_graphs_of_get_are_those_of_the_built_items(built):
    decoded = decode_items(encode_items(built))
    holder, loaded = (dataset_module.LabelledGraphs() for _ in range(2))
    holder._items, loaded._items = built, decoded
    for i in range(len(built)):
        want, got = holder[i], loaded[i]
        assert sorted(want.keys()) == sorted(got.keys())
        for name in want.keys():
            a, b = want[name], got[name]
            if isinstance(a, torch.Tensor):
                assert a.dtype == b.dtype and a.shape == b.shape, name
                assert torch.equal(a.to_dense(), b.to_dense()) if a.is_sparse else torch.equal(a, b)
            else:
                assert a == b, name


def _shuffled_edges(item: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    order = torch.randperm(item["edge_type"].numel(), generator=torch.Generator().manual_seed(seed))
    return {
        **item,
        "edge_index": item["edge_index"][:, order],
        "edge_type": item["edge_type"][order],
    }


def test_edges_in_another_layout_are_stored_whole_and_still_exact(built):
    """A builder that ordered its edges otherwise (or kept no reverse edges) still gets
    its graphs back exactly: the cache checks what it wrote and stores every edge."""
    items = [_shuffled_edges(item, i) if i % 2 else item for i, item in enumerate(built)]
    packed = encode_items(items)
    assert packed["reverse_edges"] == "stored"
    assert_identical(items, decode_items(packed))
    forward_only = [
        {**item, "edge_index": item["edge_index"][:, keep], "edge_type": item["edge_type"][keep]}
        for item in built
        for keep in [item["edge_type"] < len(FORWARD_EDGE_TYPES)]
    ]
    packed = encode_items(forward_only)
    assert packed["reverse_edges"] == "stored"
    assert_identical(forward_only, decode_items(packed))


def test_no_graphs():
    assert decode_items(_through_torch_save(encode_items([]))) == []


def _stream(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.frombuffer(zlib.compress(array.tobytes()), dtype=np.uint8).copy())


def _forward_types(packed: dict) -> np.ndarray:
    raw = zlib.decompress(packed["streams"]["edge_type"].numpy().tobytes())
    return np.frombuffer(raw, dtype=np.uint8).copy()


def _types_out_of_order(packed: dict) -> None:
    types = _forward_types(packed)
    types[:2] = types[:2][::-1].copy() if types[0] != types[1] else [1, 0]
    packed["streams"]["edge_type"] = _stream(types)


def _reverse_type_stored(packed: dict) -> None:
    types = _forward_types(packed)
    types[-1] = len(FORWARD_EDGE_TYPES)
    packed["streams"]["edge_type"] = _stream(types)


MALFORMED = {
    "a truncated stream": (
        lambda p: p["streams"].__setitem__("col", p["streams"]["col"][:-3]),
        "col is not a valid zlib stream|col does not hold",
    ),
    "garbage in a stream": (
        lambda p: p["streams"]["value"][2:6].fill_(7),
        "value is not a valid zlib stream|value does not hold",
    ),
    "a count too large": (
        lambda p: p["num_nodes"].__setitem__(0, p["num_nodes"][0] + 1),
        "does not hold the",
    ),
    "a negative count": (
        lambda p: p["num_features"].__setitem__(1, -1),
        "num_features is not",
    ),
    "counts of another length": (
        lambda p: p.__setitem__("stored_edges", p["stored_edges"][1:]),
        "stored_edges is not",
    ),
    "a stream of another dtype": (
        lambda p: p["streams"].__setitem__("row_ptr", p["streams"]["row_ptr"].int()),
        "row_ptr is not a uint8 vector",
    ),
    "forward types out of order": (_types_out_of_order, "not grouped by type"),
    "a reverse type among the forward ones": (_reverse_type_stored, "not a forward one"),
    "labels of another length": (
        lambda p: p["labels"].__setitem__("group", p["labels"]["group"][1:]),
        "the group labels are not",
    ),
    "an unknown edge layout": (lambda p: p.__setitem__("reverse_edges", "mirrored"), "mirrored"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_stored_form_is_refused(built, kind):
    packed = encode_items(built)
    change, message = MALFORMED[kind]
    change(packed)
    with pytest.raises(DatasetError, match=message):
        decode_items(packed)


@pytest.fixture
def dataset_root(prepared_root, monkeypatch):
    """A prepared dataset whose labelling gives :data:`PROGRAMS` (counted, no runs)."""
    calls: list[int] = []

    def labelled(*args, **kwargs):
        calls.append(1)
        return list(PROGRAMS), LabelStats()

    monkeypatch.setattr(dataset_module, "label_problems", labelled)
    return prepared_root, calls


def _open(root: Path) -> CodeContestsDataset:
    return CodeContestsDataset(
        root, "train", import_min_count=1, sandbox_cache=None, progress=False
    )


def test_a_loaded_cache_holds_exactly_the_built_items(dataset_root, built):
    root, calls = dataset_root
    first = _open(root)
    assert_identical(built, first._items)  # graph_items, as built (the vocabularies match)
    loaded = _open(root)
    assert calls == [1]  # the second one came from the cache
    assert_identical(built, loaded._items)
    assert loaded.programs == first.programs == PROGRAMS
    assert (loaded.import_vocab, loaded.bug_classes) == (VOCAB, BUG_CLASSES)
    assert loaded.group_names == GROUPS and loaded.label_stats == first.label_stats
    assert torch.load(loaded.cache_path, weights_only=True)["format"] == 2
    assert loaded.stored_bytes_per_graph == first.stored_bytes_per_graph
    assert 0 < loaded.cache_bytes_per_graph < loaded.stored_bytes_per_graph / 4


def test_a_cache_of_the_older_format_is_rebuilt(dataset_root, built, caplog):
    """Format 1 pickled every item's tensors; its caches have another key (so another
    file name), and one found at this format's path is not read but rebuilt."""
    root, calls = dataset_root
    dataset = _open(root)
    old = {
        "import_vocab": list(VOCAB),
        "bug_classes": list(BUG_CLASSES),
        "group_names": GROUPS,
        "label_stats": {},
        "items": built,
        "programs": [json.dumps(p.to_json()) for p in PROGRAMS],
    }
    torch.save(old, dataset.cache_path)
    digest_path(dataset.cache_path).unlink()
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        again = _open(root)
    assert calls == [1, 1]
    assert "cache format 1, expected 2" in caplog.text and str(dataset.cache_path) in caplog.text
    assert_identical(built, again._items)
    assert torch.load(again.cache_path, weights_only=True)["format"] == 2


def test_a_malformed_cache_with_a_matching_digest_is_rebuilt(dataset_root, built, caplog):
    root, calls = dataset_root
    dataset = _open(root)
    state = torch.load(dataset.cache_path, weights_only=True)
    state["graphs"]["num_nodes"][3] += 1
    torch.save(state, dataset.cache_path)
    digest_path(dataset.cache_path).write_text(
        f"{dataset_module.file_sha256(dataset.cache_path)}  {dataset.cache_path.name}\n"
    )
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        again = _open(root)
    assert calls == [1, 1]
    assert f"dataset cache {dataset.cache_path} is malformed" in caplog.text
    assert_identical(built, again._items)
