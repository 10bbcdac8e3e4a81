"""The import evidence head starts as the name lookup of the training data."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Batch

from yantra_gnn.data.dataset import CodeContestsDataset
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.graph.features import NAME_BLOCK, SUBTOKEN_BLOCK, subtoken_slots
from yantra_gnn.labels.labelling import LabelSettings
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.train.import_lookup import column_import_table, initialise_import_lookup

FAST = LabelSettings(max_tests=3, mutants_per_class=1, max_mutants_per_solution=2)


@pytest.fixture
def train_set(prepared_root):
    return CodeContestsDataset(
        prepared_root, "train", settings=FAST, import_min_count=1, sandbox_cache=None,
        progress=False,
    )  # fmt: skip


def test_table_is_the_shrunk_share_of_programs_importing_each_module(train_set):
    prior, table, _ = column_import_table(train_set, alpha=1.0)
    imports = train_set.label_matrix("imports").double()
    assert torch.allclose(prior, imports.mean(0))
    sys_column = next(iter(subtoken_slots("sys")))
    holding = [i for i, item in enumerate(train_set._items) if sys_column in item["col"].tolist()]
    assert holding, "some training program uses sys"
    expected = (imports[holding].sum(0) + prior) / (len(holding) + 1.0)
    assert torch.allclose(table[sys_column], expected)
    assert torch.equal(table[0], prior)  # node-kind columns keep the prior
    assert torch.equal(table[NAME_BLOCK.end], prior)  # scalar columns too


def test_before_training_the_head_scores_like_the_lookup(train_set):
    torch.manual_seed(0)
    model = YantraGNN(
        ModelConfig(layer_channels=(16, 16, 8), head_hidden_channels=8,
                    import_vocab=train_set.import_vocab)
    ).eval()  # fmt: skip
    initialise_import_lookup(model, train_set)
    prior, table, _ = column_import_table(train_set)
    builder = CodeGraphBuilder()
    uses_sys = builder.build("import sys\nn = int(sys.stdin.readline())\n", strip_imports=True)
    plain = builder.build("n = int(input())\nprint(n + 1)\n", strip_imports=True)
    with torch.no_grad():
        out = model(Batch.from_data_list([uses_sys, plain]))
        evidence = out.import_logits - model.import_head(out.graph_embedding)
    column = train_set.import_vocab.index("sys")
    eps = 1e-4
    lift = torch.logit(table.clamp(eps, 1 - eps)) - torch.logit(prior.clamp(eps, 1 - eps))
    dense = uses_sys.x.to_dense().double()
    nodes = (
        dense[:, SUBTOKEN_BLOCK.offset : NAME_BLOCK.end]
        @ lift[SUBTOKEN_BLOCK.offset : NAME_BLOCK.end, column]
    )
    expected = torch.logit(prior.clamp(eps, 1 - eps))[column] + nodes.max()
    assert float(evidence[0, column]) == pytest.approx(float(expected), abs=1e-4)
    assert evidence[0, column] > evidence[1, column]  # the program using sys scores higher


def test_lookup_needs_the_evidence_head_and_the_same_vocabulary(train_set):
    no_head = YantraGNN(ModelConfig(import_vocab=train_set.import_vocab, import_evidence=False))
    with pytest.raises(ValueError, match="no import evidence head"):
        initialise_import_lookup(no_head, train_set)
    other = YantraGNN(ModelConfig(import_vocab=("os",)))
    with pytest.raises(ValueError, match="vocabulary"):
        initialise_import_lookup(other, train_set)


def test_a_frozen_lookup_stays_the_lookup_while_the_rest_trains(
    prepared_root, tmp_path, monkeypatch
):
    from yantra_test_helpers import TINY_TRAINING

    from yantra_gnn.errors import ConfigError
    from yantra_gnn.train import TrainConfig, Trainer

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    settings = {"data": str(prepared_root), "epochs": 1, **TINY_TRAINING}
    config = TrainConfig.from_dict(
        {**settings, "output": str(tmp_path / "run"), "freeze_import_lookup": True}
    )
    trainer = Trainer(config)
    head = trainer.model.import_evidence
    start = {name: p.detach().clone() for name, p in trainer.model.named_parameters()}
    lookup = head.feature_weight.weight.detach().clone()
    trainer.fit()
    assert torch.equal(head.feature_weight.weight, lookup)
    assert torch.equal(head.feature_weight.bias, start["import_evidence.feature_weight.bias"])
    assert not torch.equal(head.node_weight.weight, start["import_evidence.node_weight.weight"])
    assert not torch.equal(trainer.model.import_head.out.weight, start["import_head.out.weight"])
    with pytest.raises(ConfigError, match="import_lookup_init"):
        TrainConfig.from_dict(
            {**settings, "freeze_import_lookup": True, "import_lookup_init": False}
        )
