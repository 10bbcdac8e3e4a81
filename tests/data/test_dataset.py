"""CodeContestsDataset, its cache, and group-aware batching."""

from __future__ import annotations

import pytest
import torch

from yantra_gnn.data import dataset as dataset_module
from yantra_gnn.data.dataset import ORIGINS, CodeContestsDataset, locate_node
from yantra_gnn.data.loader import DataLoaders, GroupBatchSampler, create_dataloaders
from yantra_gnn.errors import DatasetError
from yantra_gnn.graph.export import kind_name
from yantra_gnn.labels.labelling import LabelSettings

FAST = LabelSettings(max_tests=3, mutants_per_class=1, max_mutants_per_solution=2)


@pytest.fixture
def train_set(prepared_root):
    return CodeContestsDataset(
        prepared_root,
        "train",
        settings=FAST,
        import_min_count=1,
        sandbox_cache=None,
        progress=False,
    )


def test_items_carry_graph_and_labels(train_set):
    assert len(train_set) >= 4
    assert train_set.import_vocab == ("math", "sys")
    assert train_set.group_names == ["double", "max_pair"]
    origins = set()
    for i in range(len(train_set)):
        data = train_set[i]
        program = train_set.programs[i]
        origins.add(ORIGINS[int(data.origin)])
        assert data.x.is_sparse and data.x.shape == (data.num_nodes, 978)
        kinds = {kind_name(k) for k in data.node_kind.tolist()}
        assert "import_statement" not in kinds and "import_from_statement" not in kinds
        assert data.confidence.item() == program.confidence
        assert data.imports.shape == (1, 2) and data.bugs.shape == (1, len(train_set.bug_classes))
        expected = [name in program.imports for name in train_set.import_vocab]
        assert data.imports[0].bool().tolist() == expected
        assert train_set.group_names[int(data.group)] == program.problem
        if program.origin == "mutant":
            node = int(data.bug_node)
            assert node >= 0
            r0, c0, r1, c1 = data.node_span[node].tolist()
            s0, t0, s1, t1 = program.bug_span
            assert (r0, c0) <= (s0, t0) and (s1, t1) <= (r1, c1)
            assert data.bugs.sum() == 1 and bool(data.bug_mask)
        else:
            assert int(data.bug_node) == -1
    assert {"solution", "mutant", "rewrite"} <= origins
    assert train_set.stored_bytes_per_graph > 0


def test_cache_is_reused_and_keyed_by_settings(prepared_root, train_set, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("processing ran again")

    monkeypatch.setattr(dataset_module, "label_problems", fail)
    again = CodeContestsDataset(
        prepared_root,
        "train",
        settings=FAST,
        import_min_count=1,
        sandbox_cache=None,
        progress=False,
    )
    assert len(again) == len(train_set)
    assert torch.equal(again[0].x.to_dense(), train_set[0].x.to_dense())
    with pytest.raises(AssertionError, match="processing ran again"):
        CodeContestsDataset(
            prepared_root,
            "train",
            settings=LabelSettings(max_tests=2, max_mutants_per_solution=1),
            import_min_count=1,
            sandbox_cache=None,
            progress=False,
        )


def test_corrupt_cache_is_rebuilt(prepared_root, train_set):
    train_set.cache_path.write_bytes(b"not a torch file")
    rebuilt = CodeContestsDataset(
        prepared_root,
        "train",
        settings=FAST,
        import_min_count=1,
        sandbox_cache=None,
        progress=False,
    )
    assert len(rebuilt) == len(train_set)


def test_missing_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="yantra-gnn download"):
        CodeContestsDataset(tmp_path / "nowhere", "train")
    with pytest.raises(DatasetError, match="split"):
        CodeContestsDataset(tmp_path, "test")


def test_locate_node_prefers_exact_then_smallest_enclosing():
    spans = torch.tensor([[0, 0, 5, 0], [1, 0, 1, 10], [1, 4, 1, 6]])
    assert locate_node(spans, (1, 4, 1, 6)) == 2
    assert locate_node(spans, (1, 5, 1, 6)) == 2
    assert locate_node(spans, (1, 0, 1, 8)) == 1
    assert locate_node(spans, (9, 0, 9, 1)) == -1


def test_group_batch_sampler_puts_positives_together():
    groups = [0] * 6 + [1] * 6 + [2] * 6 + [3] * 6
    sampler = GroupBatchSampler(groups, batch_size=8, per_group=4, seed=3)
    batches = list(sampler)
    assert sorted(i for b in batches for i in b) == list(range(24))
    for batch in batches:
        counts = {}
        for i in batch:
            counts[groups[i]] = counts.get(groups[i], 0) + 1
        assert max(counts.values()) >= 2
    assert batches == list(sampler)  # same epoch, same order
    sampler.set_epoch(1)
    assert batches != list(sampler)


def test_create_dataloaders(prepared_root):
    train, val = create_dataloaders(
        prepared_root, batch_size=4, settings=FAST, sandbox_cache=None, progress=False
    )
    batch = next(iter(train))
    assert batch.num_graphs <= 4 and batch.x.is_sparse
    assert batch.imports.shape[0] == batch.num_graphs
    assert len(val.dataset) >= 1 and val.dataset.split == "val"


def test_create_dataloaders_gives_the_datasets_and_the_sampler(prepared_root, train_set):
    loaders = create_dataloaders(
        prepared_root,
        batch_size=4,
        settings=FAST,
        import_min_count=1,
        per_group=2,
        seed=5,
        sandbox_cache=None,
        progress=False,
    )
    assert isinstance(loaders, DataLoaders)
    assert loaders.train.dataset is loaders.train_set and loaders.val.dataset is loaders.val_set
    assert loaders.train_set.cache_path == train_set.cache_path  # the same processed data
    assert loaders.train_set.import_vocab == ("math", "sys")
    assert loaders.train.batch_sampler is loaders.sampler
    assert (loaders.sampler.batch_size, loaders.sampler.per_group) == (4, 2)
    expected = GroupBatchSampler(train_set.groups, 4, per_group=2, seed=5)
    assert list(loaders.sampler) == list(expected)
    loaders.sampler.set_epoch(1)
    expected.set_epoch(1)
    first = next(iter(loaders.train))
    assert first.num_graphs == len(list(expected)[0])


def test_label_matrix_matches_the_items(train_set):
    imports = train_set.label_matrix("imports")
    assert imports.shape == (len(train_set), len(train_set.import_vocab))
    for i in range(len(train_set)):
        assert torch.equal(imports[i].float(), train_set[i].imports[0])
        assert bool(train_set.label_matrix("bug_mask")[i]) == bool(train_set[i].bug_mask)
    with pytest.raises(DatasetError, match="no label"):
        train_set.label_matrix("x")


def test_program_graphs_and_combine_keep_problems_apart(tmp_path, train_set):
    from yantra_test_helpers import write_condefects

    from yantra_gnn.data.dataset import LabelledGraphs, ProgramGraphs
    from yantra_gnn.train.trainer import condefects_training_programs

    programs = condefects_training_programs(str(write_condefects(tmp_path / "cd.jsonl")))
    assert programs and all(p.origin in ("solution", "incorrect_solution") for p in programs)
    extra = ProgramGraphs(
        programs, train_set.import_vocab, train_set.bug_classes, name="cd", progress=False
    )
    assert len(extra) == len(programs)
    faulty = [i for i, p in enumerate(programs) if p.origin == "incorrect_solution"]
    for i in faulty:  # the fault line is the location target; bug classes are unknown
        data = extra[i]
        assert float(data.confidence) == 0.0 and not bool(data.bug_mask)
        node = int(data.bug_node)
        if programs[i].bug_span is None:  # a fault past the last line: not located
            assert node == -1
            continue
        assert node >= 0 and data.node_span[node, 0] == programs[i].bug_span[0]
    combined = LabelledGraphs.combine([train_set, extra])
    assert len(combined) == len(train_set) + len(extra)
    assert combined.split == "train+cd"
    groups = combined.groups
    assert set(groups[: len(train_set)]).isdisjoint(groups[len(train_set) :])
    assert combined.group_names[groups[-1]] == f"cd/{programs[-1].problem}"
    assert combined.label_matrix("imports").shape[1] == len(train_set.import_vocab)
    other = ProgramGraphs(programs, ("os",), train_set.bug_classes, progress=False)
    with pytest.raises(DatasetError, match="other label vocabularies"):
        LabelledGraphs.combine([train_set, other])


def test_create_dataloaders_joins_extra_training_programs(tmp_path, prepared_root, train_set):
    from yantra_test_helpers import write_condefects

    from yantra_gnn.train.trainer import condefects_training_programs

    programs = condefects_training_programs(str(write_condefects(tmp_path / "cd.jsonl")))
    loaders = create_dataloaders(
        prepared_root,
        batch_size=4,
        settings=FAST,
        import_min_count=1,
        sandbox_cache=None,
        progress=False,
        extra_train=programs,
        extra_name="condefects/train",
    )
    assert len(loaders.train_set) == len(train_set) + len(programs)
    assert len(loaders.val_set) < len(loaders.train_set)  # validation stays CodeContests only
    seen = sum(len(batch) for batch in loaders.sampler)
    assert seen == len(loaders.train_set)
