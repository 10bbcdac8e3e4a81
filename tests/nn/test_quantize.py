"""Int8 inference (``yantra_gnn.nn.quantize``): which maps turn int8, how far outputs
move, what stays untouched, and the clear errors where int8 cannot run."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch
from yantra_test_helpers import MODEL_SOURCES

from yantra_gnn.errors import ConfigError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.nn import quantize as quantize_module
from yantra_gnn.nn.quantize import int8_engine, int8_linear, quantize_int8
from yantra_gnn.schema import SYNTAX_DATAFLOW_GROUPS

warnings.filterwarnings("ignore", message="Sparse invariant checks")

pytestmark = pytest.mark.skipif(
    int8_engine() is None, reason="this torch build has no quantized CPU engine"
)


GROUPED = ModelConfig(
    layer_channels=(64, 64, 32),
    head_hidden_channels=32,
    embedding_dim=16,
    edge_groups=SYNTAX_DATAFLOW_GROUPS,
)


@pytest.fixture(scope="module")
def batch():
    builder = CodeGraphBuilder()
    return Batch.from_data_list([builder.build(s, strip_imports=True) for s in MODEL_SOURCES])


def _seeded(config: ModelConfig) -> YantraGNN:
    torch.manual_seed(0)
    return YantraGNN(config).eval()


def _is_int8(module: nn.Module) -> bool:
    return isinstance(module, torch.ao.nn.quantized.dynamic.Linear)


def test_int8_linear_matches_the_float_map_within_8_bit_rounding():
    torch.manual_seed(0)
    linear = nn.Linear(64, 32)
    quantized = int8_linear(linear)
    x = torch.randn(100, 64)
    with torch.inference_mode():
        want, got = linear(x), quantized(x)
    assert got.dtype == torch.float32 and got.shape == want.shape
    error = (got - want).abs().max()
    assert 0 < error < 0.02 * want.abs().max()  # rounded, but only by 8-bit steps


@pytest.mark.parametrize("config", [ModelConfig(), GROUPED], ids=["default", "grouped"])
def test_int8_outputs_are_close_to_fp32_and_the_model_is_left_alone(batch, config):
    model = _seeded(config)
    before = {name: p.clone() for name, p in model.state_dict().items()}
    fast = quantize_int8(model)
    # The wide node-wise maps are int8; the sparse first layer and the pooled heads stay float.
    for layer in list(fast.encoder.layers)[1:]:
        for conv in layer.sage_convs():
            assert _is_int8(conv.lin_l) and (not conv.root_weight or _is_int8(conv.lin_r))
    assert not any(_is_int8(m) for m in fast.encoder.layers[0].modules())
    assert _is_int8(fast.bug_location_head.node_hidden)
    assert not _is_int8(fast.confidence_head.hidden)
    # The original keeps its float maps and its weights.
    assert not any(_is_int8(m) for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with torch.inference_mode():
        want, got = model(batch), fast(batch)
    for name in ("confidence_logit", "import_logits", "bug_logits", "bug_node_logits"):
        expected, actual = getattr(want, name), getattr(got, name)
        scale = expected.abs().max().clamp_min(1.0)
        assert (actual - expected).abs().max() <= 0.05 * scale, name
        assert not torch.equal(actual, expected), name  # int8 did run
    cosine = F.cosine_similarity(got.embedding, want.embedding, dim=-1)
    assert cosine.min() > 0.99


def test_int8_refuses_a_model_off_the_cpu():
    model = YantraGNN(ModelConfig(layer_channels=(8, 8), head_hidden_channels=8)).to("meta")
    with pytest.raises(ConfigError, match="CPU only, and the model is on meta"):
        quantize_int8(model)


def test_int8_without_a_quantized_engine_says_what_to_use(monkeypatch):
    monkeypatch.setattr(quantize_module, "int8_engine", lambda: None)
    with pytest.raises(ConfigError, match="quantized CPU engines.*use 'fp32' or 'bf16'"):
        quantize_int8(_seeded(GROUPED))


def test_int8_where_torch_cannot_make_int8_weights_says_what_to_use(monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("Didn't find engine for operation quantized::linear_prepack")

    monkeypatch.setattr(torch.ao.nn.quantized.dynamic.Linear, "from_float", unavailable)
    with pytest.raises(ConfigError, match="cannot make int8 weights.*use precision 'fp32'"):
        quantize_int8(_seeded(GROUPED))
