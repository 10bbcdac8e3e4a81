"""Sharded graph storage (``yantra_gnn.data.shards``): the shards hold exactly the
source's graphs, a problem never spans two shards, reading streams one shard at a time
into batches like the in-memory loaders', the order is seeded per (seed, epoch), workers
and ranks split the shards, and damaged, foreign or half-written data is refused with a
clear error. Graphs of the bundled sample's programs, labelled by how they were made
(no sandbox runs)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import weakref
from collections import Counter
from pathlib import Path

import pytest
import torch
from torch_geometric.loader import DataLoader

from yantra_gnn.data import shards as shards_module
from yantra_gnn.data.dataset import ProgramGraphs, file_sha256
from yantra_gnn.data.loader import GroupBatchSampler
from yantra_gnn.data.shards import (
    MANIFEST_NAME,
    ShardedGraphs,
    ShardManifest,
    ShardWriter,
    shard_name,
    write_shards,
    write_shards_from_dataset,
)
from yantra_gnn.datasets.codecontests import bundled_sample_path
from yantra_gnn.errors import DatasetError
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules, python3_sources
from yantra_gnn.labels.mutate import BUG_CLASSES, sample_mutants
from yantra_gnn.schema import FEATURE_SPEC_VERSION

PER_SHARD = 10


def _programs() -> list[LabelledProgram]:
    """Solutions, incorrect solutions and a mutant of each solution of 8 sample problems."""
    programs = []
    rows = [json.loads(line) for line in bundled_sample_path().read_text().splitlines()[:8]]
    for row in rows:
        for block, origin, confidence in (
            ("solutions", "solution", 1.0),
            ("incorrect_solutions", "incorrect_solution", 0.0),
        ):
            for source in python3_sources(row[block]):
                imports = tuple(sorted(imported_modules(source)))
                known = origin == "solution"
                made = [(source, origin, (), None, confidence, known)]
                if known:
                    for mutant in sample_mutants(source, per_class=1, seed=0)[:1]:
                        made.append(
                            (mutant.source, "mutant", (mutant.bug_class,), mutant.span, 0.0, True)
                        )
                for code, kind, bugs, span, conf, bugs_known in made:
                    programs.append(
                        LabelledProgram(
                            row["name"],
                            code,
                            kind,
                            block,
                            conf,
                            bugs_known,
                            bugs,
                            span,
                            imports,
                            "",
                        )
                    )
    return programs


@pytest.fixture(scope="module")
def dataset() -> ProgramGraphs:
    graphs = ProgramGraphs(_programs(), ("math", "sys"), BUG_CLASSES, name="sample", progress=False)
    assert len(graphs) > 3 * PER_SHARD and len(graphs.group_names) == 8
    return graphs


@pytest.fixture(scope="module")
def sharded(dataset, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("shards")
    write_shards_from_dataset(dataset, directory, PER_SHARD)
    return directory


def _by_group(dataset: ProgramGraphs) -> list[int]:
    """The dataset's indices in the order the shards hold them (group, then position)."""
    return sorted(range(len(dataset)), key=lambda i: dataset.groups[i])


def _signatures(batch) -> list[str]:
    """One fingerprint per graph of a batch (its nodes, features, edges and labels)."""
    x = batch.x.coalesce()
    rows, values = x.indices(), x.values()
    result = []
    for g in range(batch.num_graphs):
        start, stop = int(batch.ptr[g]), int(batch.ptr[g + 1])
        in_graph = (rows[0] >= start) & (rows[0] < stop)
        edges = (batch.edge_index[0] >= start) & (batch.edge_index[0] < stop)
        digest = hashlib.sha256()
        for tensor in (
            batch.node_kind[start:stop],
            batch.node_span[start:stop],
            rows[:, in_graph] - torch.tensor([[start], [0]]),
            values[in_graph],
            batch.edge_index[:, edges] - start,
            batch.edge_type[edges],
            batch.group[g : g + 1],
            batch.origin[g : g + 1],
            batch.confidence[g : g + 1],
            batch.imports[g],
            batch.bugs[g],
            batch.bug_node[g : g + 1],
        ):
            digest.update(tensor.contiguous().numpy().tobytes())
        result.append(digest.hexdigest())
    return result


def _source_signatures(dataset: ProgramGraphs) -> Counter:
    batch = next(iter(DataLoader(dataset, batch_size=len(dataset), shuffle=False)))
    return Counter(_signatures(batch))


def _stream(graphs: ShardedGraphs) -> list[str]:
    return [s for batch in graphs.loader() for s in _signatures(batch)]


# --------------------------------------------------------------------- writing
def test_shards_hold_every_graph_and_program_exactly(dataset, sharded):
    manifest = ShardManifest.read(sharded)
    reader = ShardedGraphs(sharded)
    stored = [reader.read_shard(i) for i in range(len(manifest.shards))]
    expected = _by_group(dataset)
    items = [item for shard in stored for item in shard._items]
    programs = [program for shard in stored for program in shard.programs]
    assert len(items) == len(expected) == manifest.graphs
    for position, index in enumerate(expected):
        want, got = dataset._items[index], items[position]
        assert got.keys() == want.keys()
        for name, tensor in want.items():
            assert got[name].dtype == tensor.dtype, (position, name)
            assert got[name].shape == tensor.shape, (position, name)
            assert torch.equal(got[name], tensor), (position, name)
        assert programs[position] == dataset.programs[index]


def test_the_manifest_describes_the_shards(dataset, sharded):
    manifest = ShardManifest.read(sharded)
    raw = json.loads((sharded / MANIFEST_NAME).read_text())
    assert raw["format"] == shards_module.SHARD_FORMAT
    assert manifest.feature_spec_version == FEATURE_SPEC_VERSION
    assert manifest.graphs == len(dataset) == sum(s.graphs for s in manifest.shards)
    assert manifest.graphs_per_shard == PER_SHARD
    assert manifest.import_vocab == list(dataset.import_vocab)
    assert manifest.bug_classes == list(dataset.bug_classes)
    assert manifest.group_names == dataset.group_names
    assert manifest.source_fingerprint == dataset.fingerprint()
    assert manifest.programs
    for index, info in enumerate(manifest.shards):
        assert info.file == shard_name(index)
        assert info.sha256 == file_sha256(sharded / info.file)
        assert info.bytes == (sharded / info.file).stat().st_size
    counts = manifest.label_counts
    assert counts["imports_positive"] == dataset.label_matrix("imports").sum(0).tolist()
    known = dataset.label_matrix("bug_mask")
    assert counts["bug_known"] == int(known.sum())
    assert counts["bugs_positive"] == dataset.label_matrix("bugs")[known].sum(0).tolist()
    assert counts["confidence_positive"] == int(dataset.label_matrix("confidence").sum())
    assert sum(counts["origins"].values()) == len(dataset)


def test_a_problem_is_never_split_between_shards(dataset, sharded):
    manifest = ShardManifest.read(sharded)
    reader = ShardedGraphs(sharded)
    seen: list[int] = []
    for index, info in enumerate(manifest.shards):
        shard = reader.read_shard(index)
        assert sorted(set(shard.groups)) == info.groups
        sizes = Counter(dataset.groups)
        # full unless the next problem would not fit; larger only for one big problem
        assert info.graphs <= PER_SHARD or len(info.groups) == 1
        assert info.graphs == sum(sizes[g] for g in info.groups)
        seen += info.groups
    assert sorted(seen) == sorted(set(dataset.groups))  # each group in exactly one shard
    assert len(manifest.shards) >= 3


def test_writer_refuses_groups_out_of_order_and_an_existing_dataset(dataset, sharded, tmp_path):
    first, second = (dataset._items[i] for i in _by_group(dataset)[:1] + _by_group(dataset)[-1:])
    vocab = {
        "import_vocab": dataset.import_vocab,
        "bug_classes": dataset.bug_classes,
        "group_names": dataset.group_names,
    }
    with pytest.raises(DatasetError, match="not together"):
        write_shards([first, second, first], tmp_path / "out", **vocab)
    assert not (tmp_path / "out" / MANIFEST_NAME).exists()
    with pytest.raises(DatasetError, match="already holds a sharded dataset"):
        ShardWriter(sharded, **vocab)


def test_overwriting_removes_the_shards_of_the_earlier_write(dataset, tmp_path):
    write_shards_from_dataset(dataset, tmp_path, 4)
    assert (tmp_path / shard_name(5)).exists()
    manifest = write_shards_from_dataset(dataset, tmp_path, 100, overwrite=True)
    assert len(manifest.shards) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [MANIFEST_NAME, shard_name(0)]


# --------------------------------------------------------------------- reading
def test_batches_look_like_the_in_memory_loaders(dataset, sharded):
    sampler = GroupBatchSampler(dataset.groups, 8, per_group=4, seed=0)
    in_memory = next(iter(DataLoader(dataset, batch_sampler=sampler)))
    streamed = next(iter(ShardedGraphs(sharded, batch_size=8, per_group=4).loader()))

    def layout(batch) -> dict:
        return {
            key: (value.dtype, value.is_sparse, value.dim())
            for key, value in batch.items()
            if isinstance(value, torch.Tensor)
        }

    assert layout(streamed) == layout(in_memory)
    assert streamed.num_graphs == in_memory.num_graphs == 8
    for key in ("x", "node_span", "imports", "bugs"):  # the fixed widths
        assert streamed[key].shape[1] == in_memory[key].shape[1], key
    assert streamed.edge_index.shape[0] == 2


def test_one_epoch_streams_every_graph_once(dataset, sharded):
    graphs = ShardedGraphs(sharded, batch_size=8, per_group=3)
    batches = list(graphs.loader())
    assert len(batches) == len(graphs) == -(-len(dataset) // 8)
    assert Counter(s for b in batches for s in _signatures(b)) == _source_signatures(dataset)


def test_unshuffled_reading_keeps_the_stored_order(dataset, sharded):
    graphs = ShardedGraphs(sharded, batch_size=7, shuffle=False)
    source = next(iter(DataLoader(dataset, batch_size=len(dataset), shuffle=False)))
    by_index = _signatures(source)
    assert _stream(graphs) == [by_index[i] for i in _by_group(dataset)]


def test_batches_put_programs_of_one_problem_together(sharded):
    graphs = ShardedGraphs(sharded, batch_size=8, per_group=4, shuffle=True)
    together = 0
    for batch in graphs.loader():
        groups = batch.group.tolist()
        # chunks of per_group programs of one problem, so most batches repeat a problem
        together += len(set(groups)) < len(groups)
    assert together >= len(graphs) // 2


def test_reading_holds_one_shard_at_a_time(sharded, monkeypatch):
    alive: weakref.WeakSet = weakref.WeakSet()
    opened: list[int] = []
    most = 0
    read = ShardedGraphs.read_shard

    def tracked(self, index):
        assert len(alive) == 0, "a shard was still in memory when the next one was opened"
        shard = read(self, index)
        alive.add(shard)
        opened.append(index)
        return shard

    monkeypatch.setattr(ShardedGraphs, "read_shard", tracked)
    graphs = ShardedGraphs(sharded, batch_size=8)
    for _ in graphs.loader():
        most = max(most, len(alive))
    assert most == 1
    assert sorted(opened) == list(range(len(graphs.manifest.shards)))


def test_shuffling_is_seeded_by_seed_and_epoch(sharded):
    def order(seed: int, epoch: int) -> list[str]:
        graphs = ShardedGraphs(sharded, batch_size=8, seed=seed)
        graphs.set_epoch(epoch)
        return _stream(graphs)

    first = order(0, 0)
    assert order(0, 0) == first
    assert order(0, 1) != first
    assert order(1, 0) != first
    assert sorted(order(0, 1)) == sorted(first)


def test_workers_and_ranks_split_the_shards(dataset, sharded):
    shards = len(ShardManifest.read(sharded).shards)
    graphs = ShardedGraphs(sharded, world_size=2, rank=0, num_workers=2, even=False)
    graphs.set_epoch(3)
    parts = [graphs.shards_of(r, w) for r in range(2) for w in range(2)]
    dealt = [i for part in parts for i in part]
    assert sorted(dealt) == list(range(shards))  # disjoint, and every shard

    # two real DataLoader workers: every graph once
    with_workers = ShardedGraphs(sharded, batch_size=8, num_workers=2)
    assert Counter(_stream(with_workers)) == _source_signatures(dataset)
    assert len(list(with_workers.loader())) == len(with_workers)

    # two ranks: disjoint and together everything
    ranks = [ShardedGraphs(sharded, batch_size=8, rank=r, world_size=2, even=False) for r in (0, 1)]
    streams = [Counter(_stream(r)) for r in ranks]
    assert not set(streams[0]) & set(streams[1])
    assert sum(streams, Counter()) == _source_signatures(dataset)


def test_even_ranks_yield_the_same_number_of_batches(sharded):
    for epoch in range(3):
        ranks = [ShardedGraphs(sharded, batch_size=4, rank=r, world_size=3) for r in range(3)]
        for graphs in ranks:
            graphs.set_epoch(epoch)
        counts = [len(list(graphs.loader())) for graphs in ranks]
        assert counts == [len(graphs) for graphs in ranks]
        assert len(set(counts)) == 1


def test_a_loader_with_other_workers_is_refused(sharded):
    graphs = ShardedGraphs(sharded, num_workers=0)
    loader = torch.utils.data.DataLoader(graphs, batch_size=None, num_workers=2)
    with pytest.raises(DatasetError, match="num_workers=0"):
        list(loader)


# --------------------------------------------------------------------- refusals
def _copy(source: Path, target: Path) -> Path:
    target.mkdir()
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def test_a_damaged_shard_fails_its_checksum_when_opened(sharded, tmp_path):
    directory = _copy(sharded, tmp_path / "copy")
    path = directory / shard_name(1)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    graphs = ShardedGraphs(directory, shuffle=False)
    graphs.read_shard(0)  # the others are fine
    with pytest.raises(DatasetError, match=r"shard-00001\.pt fails its SHA-256 check") as error:
        graphs.read_shard(1)
    assert "write the shards" in str(error.value) and "again" in str(error.value)
    with pytest.raises(DatasetError, match="shard-00001"):
        list(graphs.loader())
    path.unlink()
    with pytest.raises(DatasetError, match=r"shard-00001\.pt .*cannot be read"):
        graphs.read_shard(1)


def test_another_feature_spec_version_is_refused(sharded, tmp_path):
    directory = _copy(sharded, tmp_path / "copy")
    manifest = json.loads((directory / MANIFEST_NAME).read_text())
    manifest["feature_spec_version"] = "yantra-features-0.9/old"
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(DatasetError) as error:
        ShardedGraphs(directory)
    assert "yantra-features-0.9/old" in str(error.value)
    assert FEATURE_SPEC_VERSION in str(error.value)


def test_no_manifest_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="not a sharded dataset, or writing it did not finish"):
        ShardedGraphs(tmp_path)


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    import torch
    from yantra_gnn.data import shards

    items = torch.load(sys.argv[2], weights_only=True)
    real = shards.atomic_write
    written = []

    def dying(path, data):
        if written:  # the second shard: half of it, then killed
            def write(handle):
                handle.write(data[: len(data) // 2])
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            return real(path, write)
        written.append(path)
        return real(path, data)

    shards.atomic_write = dying
    shards.write_shards(
        items, sys.argv[1], import_vocab=["math", "sys"], bug_classes=sys.argv[3].split(","),
        group_names=[str(i) for i in range(int(sys.argv[4]))], graphs_per_shard=4,
        overwrite=True,
    )
    """
)


def test_a_killed_write_leaves_no_manifest(dataset, sharded, tmp_path):
    directory = _copy(sharded, tmp_path / "copy")  # a finished dataset, being rewritten
    items_path = tmp_path / "items.pt"
    torch.save([dataset._items[i] for i in _by_group(dataset)], items_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_WRITER,
            str(directory),
            str(items_path),
            ",".join(BUG_CLASSES),
            str(len(dataset.group_names)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr
    assert not (directory / MANIFEST_NAME).exists()
    with pytest.raises(DatasetError, match="writing it did not finish"):
        ShardedGraphs(directory)
