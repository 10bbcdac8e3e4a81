"""Labelling problem by problem on executors, graphs built with the labels: same bytes
everywhere, resumable, used by the dataset (yantra_gnn.labels.prepare,
yantra_gnn.labels.executors)."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from crashing_work import always_crash, crash_once
from yantra_test_helpers import DOUBLE, MAX_PAIR, NO_TESTS, write_tiny_prepared

from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.labels import prepare
from yantra_gnn.labels.executors import LocalExecutor, WorkFailedError
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings
from yantra_gnn.labels.prepare import (
    MANIFEST_FILE,
    decode_graphs,
    decode_result,
    encode_graphs,
    graph_spec,
    graphs_name,
    label_prepared_split,
    label_split,
    labelled_dir,
    program_graph,
    read_labelled,
    read_prebuilt_graphs,
    result_name,
    usable_manifest,
)

#: Few tests, mutants and rewrites: the three problems cost about 12 sandbox programs.
TINY = LabelSettings(
    timeout_s=2.0,
    max_tests=2,
    mutants_per_class=1,
    max_mutants_per_solution=2,
    rewrite_kinds=("rename_variables",),
)


def _write_split_files(root: Path) -> Path:
    return write_tiny_prepared(root, (DOUBLE, MAX_PAIR, NO_TESTS))


def _same_tensors(a: list[dict[str, torch.Tensor]], b: list[dict[str, torch.Tensor]]) -> bool:
    """Whether two item lists are equal bit for bit: keys, dtypes, shapes and values."""
    return len(a) == len(b) and all(
        list(x) == list(y) and all(x[k].dtype == y[k].dtype and torch.equal(x[k], y[k]) for k in x)
        for x, y in zip(a, b, strict=True)
    )


def _tree(directory: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
    }


@pytest.fixture(scope="module")
def one_worker() -> Iterator[LocalExecutor]:
    """One local worker process, kept for the module (it imports torch once)."""
    with LocalExecutor(1) as executor:
        yield executor


@pytest.fixture(scope="module")
def labelled_root(tmp_path_factory: pytest.TempPathFactory, one_worker: LocalExecutor) -> Path:
    """A prepared dataset whose two splits were labelled with one local worker."""
    root = _write_split_files(tmp_path_factory.mktemp("labelled") / "prepared")
    for split in ("train", "val"):
        stats = label_prepared_split(root, split, TINY, executor=one_worker)
        assert stats.labelled == stats.problems and stats.reused == 0
    assert one_worker.pools_made == 1  # the pool served both splits
    return root


def test_result_files_and_manifest(labelled_root: Path) -> None:
    directory = labelled_dir(labelled_root, "train")
    manifest = json.loads((directory / MANIFEST_FILE).read_text())
    assert [entry["name"] for entry in manifest["problems"]] == ["double", "max_pair", "untested"]
    assert manifest["settings_digest"] == TINY.digest()
    assert manifest["source"]["file"] == "train.jsonl"
    assert manifest["counts"]["problems_without_tests"] == 1
    assert manifest["graphs"]["spec"] == graph_spec()
    for entry in manifest["problems"]:
        data = (directory / entry["file"]).read_bytes()
        assert entry["file"] == result_name(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(decode_result(data)["programs"]) == entry["programs"]
        graphs = (directory / entry["graphs_file"]).read_bytes()
        assert entry["graphs_file"] == graphs_name(entry["name"])
        assert hashlib.sha256(graphs).hexdigest() == entry["graphs_sha256"]
        header, built = decode_graphs(graphs)
        assert header["result_sha256"] == entry["sha256"] and len(built) == entry["programs"]
    programs, stats = read_labelled(directory)
    assert len(programs) == manifest["counts"]["programs"] > 0
    assert {p.origin for p in programs} >= {"solution", "incorrect_solution", "mutant"}
    assert stats.problems == 3 and stats.programs_run == manifest["counts"]["programs_run"]
    # The worker's graphs are those program_graph builds here, tensor for tensor.
    builder = CodeGraphBuilder()
    prebuilt = read_prebuilt_graphs(directory)
    assert manifest["graphs"]["graphs"] == len(prebuilt) == len(programs)
    here = [program_graph(builder, program.source) for program in programs]
    assert _same_tensors(here, [graph for graph in prebuilt if not isinstance(graph, str)])


def test_graphs_files_round_trip_exactly_and_keep_programs_without_a_graph() -> None:
    sources = ["x = (\n", "", "n = int(input())\nprint(n * 2)\n"]  # a syntax error, empty
    programs = [
        LabelledProgram("p", source, "solution", "solution 0", 1.0, False, (), None, (), "")
        for source in sources
    ]
    data = encode_graphs("p", "0" * 64, programs)
    header, built = decode_graphs(data)
    assert header["spec"] == graph_spec() and header["skipped"][0][0] == 1
    assert isinstance(built[1], str) and "empty" in built[1]
    builder = CodeGraphBuilder()
    expected = [program_graph(builder, sources[0]), program_graph(builder, sources[2])]
    assert _same_tensors(expected, [built[0], built[2]])  # type: ignore[list-item]
    assert bool(built[0]["has_error"]) and encode_graphs("p", "0" * 64, programs) == data
    assert decode_graphs(encode_graphs("q", "1" * 64, []))[1] == []
    flipped = bytearray(data)
    flipped[-3] ^= 1
    with pytest.raises(ValueError, match="fails its checksum"):
        decode_graphs(bytes(flipped))


def test_two_local_workers_write_the_same_bytes(labelled_root: Path, tmp_path: Path) -> None:
    root = _write_split_files(tmp_path / "prepared")
    with LocalExecutor(2) as executor:
        stats = label_prepared_split(root, "train", TINY, executor=executor)
    assert stats.labelled == 3
    assert _tree(labelled_dir(root, "train")) == _tree(labelled_dir(labelled_root, "train"))


def test_a_dask_cluster_writes_the_same_bytes(labelled_root: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from yantra_gnn.labels.executors import DaskExecutor

    root = _write_split_files(tmp_path / "prepared")
    # Two single-threaded worker processes (daemonic, started by Dask's nannies): the
    # sandbox runs every program of a problem from inside them.
    with DaskExecutor(workers=2) as executor:
        assert len(executor.client.scheduler_info()["workers"]) == 2
        stats = label_prepared_split(root, "train", TINY, executor=executor)
        # A worker that dies mid-task: Dask's nanny restarts it, the task runs again.
        marker = str(tmp_path / "dask-marker")
        assert list(executor.map_unordered(crash_once, [marker])) == [(marker, "dask-marker")]
    assert stats.labelled == 3 and stats.programs_run > 0
    assert _tree(labelled_dir(root, "train")) == _tree(labelled_dir(labelled_root, "train"))


def test_a_rerun_redoes_only_missing_or_damaged_problems(
    labelled_root: Path,
    one_worker: LocalExecutor,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "prepared"
    shutil.copytree(labelled_root, root)
    directory = labelled_dir(root, "train")
    (directory / result_name("untested")).unlink()  # killed before it was written
    damaged = directory / result_name("max_pair")
    damaged.write_bytes(damaged.read_bytes().replace(b'"confidence":1.0', b'"confidence":0.0', 1))
    (directory / graphs_name("double")).unlink()  # killed between its two files
    (directory / MANIFEST_FILE).unlink()  # the killed run never wrote one
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.labels.prepare"):
        stats = label_prepared_split(root, "train", TINY, executor=one_worker)
    assert "fails its checksum" in caplog.text
    # "double" kept its labels: only its graphs were built again (no sandbox run).
    assert (stats.labelled, stats.graphs_rebuilt, stats.reused, stats.problems) == (2, 1, 0, 3)
    assert stats.graph_seconds > 0
    assert _tree(directory) == _tree(labelled_dir(labelled_root, "train"))
    again = label_prepared_split(root, "train", TINY, executor=one_worker)
    assert (again.labelled, again.graphs_rebuilt, again.reused) == (0, 0, 3)


def test_bad_rows_and_problems_without_tests(
    one_worker: LocalExecutor, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [{"name": 3}, NO_TESTS]
    with caplog.at_level(logging.WARNING, logger="yantra_gnn.labels.prepare"):
        stats = label_split(rows, tmp_path / "out", TINY, executor=one_worker)
    assert "skipping row 1: 'name' is not a non-empty string" in caplog.text
    assert "problem 'untested' has no tests" in caplog.text
    assert (stats.problems, stats.bad_rows, stats.programs) == (1, 1, 0)
    manifest = json.loads((tmp_path / "out" / MANIFEST_FILE).read_text())
    assert manifest["bad_rows"] == [
        {"location": "row 1", "reason": "'name' is not a non-empty string"}
    ]
    with pytest.raises(DatasetError, match="row 1: 'name' is not a non-empty string"):
        label_split(rows, tmp_path / "fail", TINY, executor=one_worker, on_bad_row="fail")
    with pytest.raises(DatasetError, match="'untested' appears twice"):
        # one in flight: the second is read once the first is done (the pool stays idle, kept)
        label_split(
            [NO_TESTS, NO_TESTS], tmp_path / "twice", TINY, executor=one_worker, max_in_flight=1
        )
    assert one_worker.pools_made == 1


def test_a_crashed_local_worker_is_replaced_and_its_problem_retried(tmp_path: Path) -> None:
    markers = [str(tmp_path / name) for name in ("a", "b")]
    with LocalExecutor(1, attempts=3) as executor:
        done = dict(executor.map_unordered(crash_once, markers, max_in_flight=1))
    assert done == {markers[0]: "a", markers[1]: "b"}
    assert executor.pools_made == 3  # each item's first run killed its pool
    with pytest.raises(WorkFailedError, match="'x' failed 2 time"):
        list(LocalExecutor(1, attempts=2).map_unordered(always_crash, ["x"]))


def test_the_dataset_uses_prelabelled_problems(
    labelled_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from yantra_gnn.data import dataset as dataset_module
    from yantra_gnn.data.dataset import CodeContestsDataset

    root = tmp_path / "prepared"
    shutil.copytree(labelled_root, root)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("labelled in-process")

    graph_items = dataset_module.graph_items
    monkeypatch.setattr(dataset_module, "label_problems", fail)
    monkeypatch.setattr(dataset_module, "graph_items", fail)  # no graph is built here
    options = {"import_min_count": 1, "sandbox_cache": None, "progress": False}
    with caplog.at_level(logging.INFO, logger="yantra_gnn.data.dataset"):
        train = CodeContestsDataset(root, "train", settings=TINY, **options)
    assert "using the problems labelled beforehand" in caplog.text
    assert "using the graphs built with the labels" in caplog.text
    programs, _ = read_labelled(labelled_dir(root, "train"))
    assert train.programs == programs and len(train) == len(programs)
    # Bit for bit the items graph_items builds from the same labelled programs.
    expected, kept, _ = graph_items(
        programs, train.import_vocab, train.bug_classes, train.group_names, progress=False
    )
    assert kept == programs and _same_tensors(train._items, expected)
    manifest = usable_manifest(root, "train", TINY)
    assert manifest is not None
    # Other settings, or a changed split file: the manifest is not used, the cache key differs.
    assert usable_manifest(root, "train", LabelSettings()) is None
    with pytest.raises(AssertionError, match="labelled in-process"):
        CodeContestsDataset(root, "train", settings=LabelSettings(max_tests=2), **options)
    with (root / "train.jsonl").open("a") as handle:
        handle.write("\n")
    assert usable_manifest(root, "train", TINY) is None
    with pytest.raises(AssertionError, match="labelled in-process"):
        CodeContestsDataset(root, "train", settings=TINY, **options)


def test_the_dataset_builds_graphs_itself_when_their_feature_spec_differs(
    labelled_root: Path,
    one_worker: LocalExecutor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from yantra_gnn.data import dataset as dataset_module
    from yantra_gnn.data.dataset import CodeContestsDataset, graph_items

    root = tmp_path / "prepared"
    shutil.copytree(labelled_root, root)
    directory = labelled_dir(root, "val")
    # This version builds other features than those the files were built with.
    monkeypatch.setattr(prepare, "FEATURE_SPEC_VERSION", "yantra-features-0/older")
    built: list[int] = []

    def counting_graph_items(programs, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(len(programs))
        return graph_items(programs, *args, **kwargs)

    monkeypatch.setattr(dataset_module, "graph_items", counting_graph_items)
    options = {"import_min_count": 1, "sandbox_cache": None, "progress": False}
    with caplog.at_level(logging.INFO, logger="yantra_gnn.data.dataset"):
        val = CodeContestsDataset(root, "val", settings=TINY, **options)
    assert "building the graphs in-process" in caplog.text
    assert "were built with" in caplog.text and "yantra-features-0/older" in caplog.text
    programs, _ = read_labelled(directory)
    assert built == [len(programs)] and len(val) == len(programs) > 0
    # The driver keeps results whose graphs are of another spec, and has their graphs built
    # again; workers of yet another version are refused.
    with pytest.raises(ConfigError, match="install the same yantra-gnn version"):
        label_prepared_split(root, "val", TINY, executor=one_worker)
