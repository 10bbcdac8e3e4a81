"""YantraGNN: head shapes and ranges, sparse first layer = dense SAGEConv, config checks."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import SAGEConv, global_max_pool, global_mean_pool
from yantra_test_helpers import MODEL_SOURCES

from yantra_gnn.device import precision_context
from yantra_gnn.errors import ConfigError
from yantra_gnn.graph import EDGE_TYPES, CodeGraphBuilder, to_dense_features
from yantra_gnn.nn import BUG_CLASSES, ModelConfig, ModelOutput, YantraGNN
from yantra_gnn.nn.encoder import GroupedSAGEConv, sparse_rows_matmul
from yantra_gnn.schema import DATAFLOW_EDGE_TYPES, SYNTAX_DATAFLOW_GROUPS, SYNTAX_EDGE_TYPES

warnings.filterwarnings("ignore", message="Sparse invariant checks")


SMALL = ModelConfig(layer_channels=(32, 32, 16), head_hidden_channels=16, embedding_dim=12)
GROUPED = ModelConfig(**{**SMALL.to_dict(), "edge_groups": SYNTAX_DATAFLOW_GROUPS})


@pytest.fixture(scope="module")
def graphs():
    builder = CodeGraphBuilder()
    return [builder.build(s, strip_imports=True) for s in MODEL_SOURCES]


@pytest.fixture(scope="module")
def batch(graphs):
    return Batch.from_data_list(graphs)


def _seeded(config: ModelConfig, seed: int = 0) -> YantraGNN:
    torch.manual_seed(seed)
    return YantraGNN(config)


def test_default_model_has_the_specified_architecture():
    model = YantraGNN()
    cfg = model.config
    assert cfg.in_channels == 978 and cfg.layer_channels == (512, 512, 256)
    assert cfg.dropout == 0.1 and cfg.embedding_dim == 256
    assert cfg.bug_classes == BUG_CLASSES and len(BUG_CLASSES) == 8
    convs = [conv for layer in model.encoder.layers for conv in layer.convs]
    assert all(isinstance(conv, SAGEConv) for conv in convs)
    assert [(c.in_channels, c.out_channels) for c in model.encoder.layers] == [
        (978, 512),
        (512, 512),
        (512, 256),
    ]
    text = repr(model)
    assert "\n" not in text and "978 → 512 → 512 → 256" in text and "pooling=" in text


def test_default_model_outputs_have_the_documented_shapes_and_depend_on_the_graph(batch):
    model = YantraGNN().eval()
    with torch.no_grad():
        out = model(batch)
    assert isinstance(out, ModelOutput)
    num_graphs, num_nodes = batch.num_graphs, batch.num_nodes
    assert out.embedding.shape == (num_graphs, 256)
    assert torch.allclose(out.embedding.norm(dim=-1), torch.ones(num_graphs), atol=1e-5)
    assert out.confidence_logit.shape == (num_graphs,)
    assert out.import_logits.shape == (num_graphs, len(model.config.import_vocab))
    assert out.bug_logits.shape == (num_graphs, 8)
    assert out.bug_node_logits.shape == (num_nodes,)
    assert out.node_embeddings.shape == (num_nodes, 256)
    assert out.graph_embedding.shape == (num_graphs, 512)  # mean_max pooling
    assert torch.equal(out.batch, batch.batch)
    for logits in (out.confidence_logit, out.import_logits, out.bug_logits, out.bug_node_logits):
        assert torch.isfinite(logits).all()
    # Different programs get different outputs: nothing collapses to a constant.
    assert num_graphs >= 2
    for per_graph in (out.embedding, out.confidence_logit, out.import_logits, out.bug_logits):
        assert not torch.allclose(per_graph[0], per_graph[1]), "outputs ignore the input graph"


@pytest.mark.parametrize("edge_groups", [(), SYNTAX_DATAFLOW_GROUPS])
def test_sparse_first_layer_equals_dense_pyg_sageconv(graphs, edge_groups):
    batch = Batch.from_data_list(graphs)
    model = _seeded(ModelConfig(edge_groups=edge_groups))
    layer = model.encoder.layers[0]
    assert layer.in_channels == 978 and layer.out_channels == 512
    adjacency = model.adjacency(batch.edge_index, batch.edge_type, batch.num_nodes)
    edge_indices = model.split_edges(batch.edge_index, batch.edge_type)
    dense_x = to_dense_features(batch)
    with torch.no_grad():
        sparse_out = layer(batch.x, adjacency)
        # The reference: torch_geometric's own SAGEConv(978, 512) with the same weights,
        # on dense features and the plain edge_index.
        reference = torch.zeros_like(sparse_out)
        for g, conv in enumerate(layer.convs):
            plain = SAGEConv(978, 512, root_weight=(g == 0))
            plain.load_state_dict(conv.state_dict())
            reference += plain(dense_x, edge_indices[g])
    assert (sparse_out - reference).abs().max().item() < 1e-5
    # Also under inference mode (cached stacked weight) and with a dense input.
    with torch.inference_mode():
        assert (layer(batch.x, adjacency) - reference).abs().max().item() < 1e-5
        assert (layer(dense_x, edge_indices) - reference).abs().max().item() < 1e-5


def test_index_add_kernel_for_mps_equals_embedding_bag(batch):
    weight_t = torch.randn(978, 24, generator=torch.Generator().manual_seed(1))
    dense = to_dense_features(batch) @ weight_t
    by_bag = sparse_rows_matmul(batch.x, weight_t)
    by_index_add = sparse_rows_matmul(batch.x, weight_t, use_index_add=True)
    assert (by_bag - dense).abs().max().item() < 1e-5
    assert (by_index_add - dense).abs().max().item() < 1e-5


def test_homogeneous_encoder_is_a_plain_pyg_sage_stack(batch):
    """With edge_groups=() the encoder is exactly SAGEConv → relu → SAGEConv → relu → SAGEConv."""
    model = _seeded(ModelConfig(edge_groups=(), layer_channels=(64, 48, 32))).eval()
    with torch.no_grad():
        out = model(batch)
        h = to_dense_features(batch)
        layers = model.encoder.layers
        for i, layer in enumerate(layers):
            h = layer.convs[0](h, batch.edge_index)
            if i < len(layers) - 1:
                h = F.relu(h)
    assert (out.node_embeddings - h).abs().max().item() < 1e-5
    pooled = torch.cat([global_mean_pool(h, batch.batch), global_max_pool(h, batch.batch)], -1)
    assert (out.graph_embedding - pooled).abs().max().item() < 1e-5


def test_grouped_layer_sums_one_sageconv_per_edge_group(batch):
    model = _seeded(GROUPED).eval()
    layer = model.encoder.layers[1]
    assert isinstance(layer, GroupedSAGEConv) and layer.num_groups == 2
    assert layer.convs[0].root_weight and not layer.convs[1].root_weight
    groups = model.split_edges(batch.edge_index, batch.edge_type)
    names = [EDGE_TYPES[t] for t in batch.edge_type.tolist()]
    assert sum(g.size(1) for g in groups) == batch.edge_index.size(1)
    assert groups[0].size(1) == sum(name in SYNTAX_EDGE_TYPES for name in names)
    assert groups[1].size(1) == sum(name in DATAFLOW_EDGE_TYPES for name in names)
    h = torch.randn(batch.num_nodes, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = layer.convs[0](h, groups[0]) + layer.convs[1](h, groups[1])
        got = layer(h, model.adjacency(batch.edge_index, batch.edge_type, batch.num_nodes))
    assert (got - expected).abs().max().item() < 1e-5


@pytest.mark.parametrize("pooling", ["mean", "mean_max", "attention"])
def test_each_pooling_gives_graph_embeddings_of_its_width(batch, pooling):
    model = _seeded(ModelConfig(**{**SMALL.to_dict(), "pooling": pooling})).eval()
    with torch.no_grad():
        out = model(batch)
    width = 32 if pooling == "mean_max" else 16
    assert out.graph_embedding.shape == (batch.num_graphs, width)
    assert out.embedding.shape == (batch.num_graphs, 12)
    assert torch.allclose(out.embedding.norm(dim=-1), torch.ones(batch.num_graphs), atol=1e-5)


@pytest.mark.parametrize("config", [SMALL, GROUPED], ids=["homogeneous", "grouped"])
def test_sparse_and_dense_inputs_give_the_same_outputs(batch, config):
    model = _seeded(config).eval()
    dense_batch = batch.clone()
    dense_batch.x = to_dense_features(batch)
    with torch.no_grad():
        a, b = model(batch), model(dense_batch)
    for name in ("embedding", "confidence_logit", "import_logits", "bug_logits", "bug_node_logits"):
        assert (getattr(a, name) - getattr(b, name)).abs().max().item() < 1e-5, name


@pytest.mark.parametrize("config", [SMALL, GROUPED], ids=["homogeneous", "grouped"])
def test_a_graph_gets_the_same_outputs_alone_as_in_a_batch(graphs, batch, config):
    model = _seeded(config).eval()
    with torch.no_grad():
        together = model(batch)
        alone = model(Batch.from_data_list([graphs[1]]))
        single_data = model(graphs[1])
    nodes = batch.batch == 1
    assert torch.allclose(together.embedding[1], alone.embedding[0], atol=1e-5)
    assert torch.allclose(together.bug_logits[1], alone.bug_logits[0], atol=1e-5)
    assert torch.allclose(together.bug_node_logits[nodes], alone.bug_node_logits, atol=1e-5)
    assert torch.allclose(single_data.embedding, alone.embedding, atol=1e-6)


@pytest.mark.parametrize("config", [SMALL, GROUPED], ids=["homogeneous", "grouped"])
@pytest.mark.parametrize("pooling", ["mean_max", "attention"])
def test_every_parameter_gets_a_gradient(batch, config, pooling):
    model = _seeded(ModelConfig(**{**config.to_dict(), "pooling": pooling})).train()
    out = model(batch)
    loss = (
        out.embedding.sum()
        + out.confidence_logit.sum()
        + out.import_logits.sum()
        + out.bug_logits.sum()
        + out.bug_node_logits.sum()
    )
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing


def test_inference_cache_follows_weight_updates(batch):
    """The cached first-layer weight must not go stale after an optimizer step or a reset."""
    model = _seeded(SMALL).eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    with torch.inference_mode():
        before = model(batch).node_embeddings.clone()
    model.train()
    model(batch).node_embeddings.pow(2).sum().backward()
    optimizer.step()
    model.eval()
    with torch.inference_mode():
        cached = model(batch).node_embeddings
    with torch.no_grad():
        model.encoder.layers[0]._weight_t_cache = None
        fresh = model(batch).node_embeddings
    assert not torch.allclose(before, cached)
    assert torch.equal(cached, fresh)
    model.reset_parameters()
    with torch.inference_mode():
        after_reset = model(batch).node_embeddings
    assert not torch.allclose(after_reset, cached)


def test_reset_parameters_reinitialises_every_weight():
    model = _seeded(SMALL)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(123)
    model.reset_parameters()
    unchanged = [
        k for k, v in model.state_dict().items() if "weight" in k and torch.equal(v, before[k])
    ]
    assert not unchanged


def test_wrong_feature_width_is_a_config_error(graphs):
    model = _seeded(SMALL)
    bad = graphs[0].clone()
    bad.x = torch.zeros(graphs[0].num_nodes, 100)
    with pytest.raises(ConfigError, match="978"):
        model(bad)


def test_out_of_range_edge_type_is_a_config_error(graphs):
    model = _seeded(GROUPED)
    bad = graphs[2].clone()
    bad.edge_type = bad.edge_type.clone()
    bad.edge_type[0] = len(EDGE_TYPES) + 3
    with pytest.raises(ConfigError, match="edge_type"):
        model(bad)


@pytest.mark.parametrize(
    "changes",
    [
        {"activation": "swish2"},
        {"pooling": "sum"},
        {"dropout": 1.0},
        {"dropout": -0.1},
        {"layer_channels": ()},
        {"layer_channels": (32, 0)},
        {"embedding_dim": 0},
        {"import_vocab": ()},
        {"bug_classes": ("off_by_one", "off_by_one")},
        {"edge_groups": (("ast_child",), ("ast_child", "last_read"))},
    ],
)
def test_invalid_config_values_are_config_errors(changes):
    with pytest.raises(ConfigError):
        ModelConfig(**{**SMALL.to_dict(), **changes})


def test_default_passes_messages_over_every_edge_and_ignores_edge_type(batch):
    model = _seeded(SMALL).eval()
    assert SMALL.edge_groups == () and ModelConfig().edge_groups == ()
    shuffled = batch.clone()
    shuffled.edge_type = torch.zeros_like(batch.edge_type)
    with torch.no_grad():
        assert torch.equal(model(batch).embedding, model(shuffled).embedding)
    grouped = _seeded(GROUPED).eval()
    with torch.no_grad():
        assert not torch.allclose(grouped(batch).embedding, grouped(shuffled).embedding)


def test_edge_groups_must_cover_every_edge_type_with_known_names():
    with pytest.raises(ConfigError, match="in no ModelConfig.edge_groups"):
        YantraGNN(ModelConfig(edge_groups=(SYNTAX_EDGE_TYPES,)))
    with pytest.raises(ConfigError, match="unknown edge types"):
        YantraGNN(ModelConfig(edge_groups=((*SYNTAX_EDGE_TYPES, "telepathy"), DATAFLOW_EDGE_TYPES)))


def test_config_dict_round_trip_and_unknown_fields():
    config = ModelConfig(
        **{**SMALL.to_dict(), "pooling": "mean_max", "import_vocab": ["sys", "re"]}
    )
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert config.import_vocab == ("sys", "re")
    with pytest.raises(ConfigError, match="unknown ModelConfig fields"):
        ModelConfig.from_dict({**config.to_dict(), "depth": 3})
    with pytest.raises(ConfigError):
        YantraGNN({"in_channels": 978})  # type: ignore[arg-type]


def test_confidence_temperature_is_validated_saved_and_applied(batch):
    assert ModelConfig().confidence_temperature == 1.0
    calibrated = ModelConfig(**{**SMALL.to_dict(), "confidence_temperature": 2})
    assert calibrated.confidence_temperature == 2.0
    assert isinstance(calibrated.confidence_temperature, float)
    assert ModelConfig.from_dict(calibrated.to_dict()) == calibrated
    old = {k: v for k, v in calibrated.to_dict().items() if k != "confidence_temperature"}
    assert ModelConfig.from_dict(old).confidence_temperature == 1.0  # a file before the field
    for bad in (0, -1.0, float("nan"), float("inf"), True, "2"):
        with pytest.raises(ConfigError, match="confidence_temperature"):
            ModelConfig(confidence_temperature=bad)
    model = _seeded(calibrated).eval()
    with torch.no_grad():
        logit = model(batch).confidence_logit  # raw: the temperature is not in forward
        assert torch.equal(logit, _seeded(SMALL).eval()(batch).confidence_logit)
    assert torch.allclose(model.confidence_probability(logit), torch.sigmoid(logit / 2.0))
    uncalibrated = _seeded(SMALL)
    assert torch.equal(uncalibrated.confidence_probability(logit), torch.sigmoid(logit))


# ---------------------------------------------------------------------- edge setting
SYNTAX = ModelConfig(**{**SMALL.to_dict(), "edges": "syntax"})


def test_edges_default_to_all_and_round_trip():
    assert ModelConfig().edges == "all" and SMALL.edges == "all"
    assert ModelConfig.from_dict(SYNTAX.to_dict()) == SYNTAX
    old = {k: v for k, v in SYNTAX.to_dict().items() if k != "edges"}  # a file before edges
    assert ModelConfig.from_dict(old).edges == "all"
    with pytest.raises(ConfigError, match="ModelConfig.edges"):
        ModelConfig(edges="dataflow")
    assert "edges=syntax" in repr(YantraGNN(SYNTAX))


@pytest.mark.parametrize("grouped", [False, True])
def test_syntax_model_reads_only_syntax_edges(batch, grouped):
    from yantra_gnn.graph.transforms import SyntaxEdgesOnly

    base = GROUPED if grouped else SMALL
    syntax_config = ModelConfig(**{**base.to_dict(), "edges": "syntax"})
    every_edge = _seeded(base).eval()
    syntax = YantraGNN(syntax_config).eval()
    syntax.load_state_dict(every_edge.state_dict())  # same weights, same keys
    assert every_edge.state_dict().keys() == syntax.state_dict().keys()
    filtered = Batch.from_data_list([SyntaxEdgesOnly()(g) for g in batch.to_data_list()])
    assert filtered.edge_index.size(1) < batch.edge_index.size(1)
    with torch.no_grad():
        expected = every_edge(filtered)
        for fed in (batch, filtered):  # whole graphs, or graphs filtered already
            out = syntax(fed)
            for name in ("embedding", "confidence_logit", "bug_node_logits", "node_embeddings"):
                assert torch.allclose(getattr(out, name), getattr(expected, name), atol=1e-6)
        assert not torch.allclose(every_edge(batch).embedding, expected.embedding)
    kept, kept_type = syntax.select_edges(batch.edge_index, batch.edge_type)
    assert kept.size(1) == kept_type.numel() == filtered.edge_index.size(1)
    assert {EDGE_TYPES[int(t)] for t in kept_type.unique()} <= set(SYNTAX_EDGE_TYPES)


def test_syntax_model_needs_edge_types(batch):
    model = _seeded(SYNTAX).eval()
    untyped = batch.clone()
    del untyped.edge_type
    with pytest.raises(ConfigError, match="no edge_type"):
        model(untyped)
    with torch.no_grad():
        _seeded(SMALL).eval()(untyped)  # a model of all edges does not read edge_type


def test_import_logits_add_the_strongest_node_evidence(batch):
    model = _seeded(SMALL).eval()
    assert model.import_evidence is not None
    with torch.no_grad():
        out = model(batch)
        evidence = model.import_evidence
        per_node = (
            to_dense_features(batch.x) @ evidence.feature_weight.weight.t()
            + out.node_embeddings @ evidence.node_weight.weight.t()
        )
        expected = torch.stack(
            [per_node[batch.batch == g].max(0).values for g in range(batch.num_graphs)]
        )
        expected = expected + evidence.feature_weight.bias
        expected = expected + model.import_head(out.graph_embedding)
    torch.testing.assert_close(out.import_logits, expected, rtol=1e-5, atol=1e-5)


def test_one_node_can_raise_an_import_the_mean_would_dilute(graphs):
    """The evidence is a max: one node's feature sets a graph's score whatever its size."""
    model = _seeded(ModelConfig(**{**SMALL.to_dict(), "import_evidence": True})).eval()
    column = 900  # a known-name column
    with torch.no_grad():
        model.import_evidence.feature_weight.weight.zero_()
        model.import_evidence.node_weight.weight.zero_()
        model.import_evidence.feature_weight.weight[0, column] = 10.0
        small, large = graphs[0], graphs[1]
        scores = []
        for data in (small, large):
            dense = to_dense_features(data.x).clone()
            dense[:, column] = 0.0
            dense[0, column] = 1.0  # exactly one node has the feature
            plain = model(Batch.from_data_list([data.clone().update({"x": dense})]))
            scores.append(
                plain.import_logits[0, 0] - model.import_head(plain.graph_embedding)[0, 0]
            )
    torch.testing.assert_close(scores[0], scores[1])
    bias = float(model.import_evidence.feature_weight.bias[0].detach())
    assert float(scores[0]) == pytest.approx(10.0 + bias)


def test_checkpoints_from_before_the_evidence_head_load_without_it(tmp_path):
    from yantra_gnn.checkpoint import load_model_for_inference, save_model_for_inference

    old = _seeded(ModelConfig(**{**SMALL.to_dict(), "import_evidence": False}))
    assert old.import_evidence is None
    path = save_model_for_inference(old, tmp_path / "old.safetensors")
    # a file written before the field existed: its config has no import_evidence key
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), "pt") as handle:
        metadata = handle.metadata()
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    config = json.loads(metadata["config"])
    del config["import_evidence"]
    save_file(tensors, str(path), metadata={**metadata, "config": json.dumps(config)})
    assert load_model_for_inference(path, device="cpu").import_evidence is None
    assert ModelConfig.from_dict({}).import_evidence is True  # new configs have it


@pytest.mark.parametrize("config", [ModelConfig(), GROUPED], ids=["default", "grouped"])
def test_bf16_autocast_outputs_are_close_to_fp32(batch, config):
    model = _seeded(config).eval()
    with torch.inference_mode():
        reference = model(batch)
        with precision_context("bf16", "cpu"):
            fast = model(batch)
    assert fast.embedding.shape == reference.embedding.shape
    for name in ("confidence_logit", "import_logits", "bug_logits", "bug_node_logits"):
        got, want = getattr(fast, name).float(), getattr(reference, name)
        scale = want.abs().max().clamp_min(1.0)
        assert (got - want).abs().max() <= 0.05 * scale, name
    cosine = F.cosine_similarity(fast.embedding.float(), reference.embedding, dim=-1)
    assert cosine.min() > 0.99


def test_unknown_precision_is_a_config_error():
    with pytest.raises(ConfigError, match="precision must be one of"):
        precision_context("int4", "cpu")


@pytest.mark.parametrize("config", [ModelConfig(), GROUPED], ids=["default", "grouped"])
def test_inference_sums_in_place_give_the_autograd_outputs_bit_for_bit(batch, config):
    # Without gradients the encoder and the bug-location head add and apply ReLU in
    # place (no new [N, C] tensor per step); the values must not move by one bit.
    model = _seeded(config).eval()
    with_autograd = model(batch)
    with torch.inference_mode():
        in_place = model(batch)
    for name in ("node_embeddings", "graph_embedding", "bug_node_logits", "import_logits"):
        assert torch.equal(getattr(in_place, name), getattr(with_autograd, name).detach()), name
