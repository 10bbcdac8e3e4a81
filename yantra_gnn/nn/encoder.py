"""The GraphSAGE encoder: edge-grouped ``SAGEConv`` layers and graph pooling.

Each layer is ``GroupedSAGEConv``: one real ``torch_geometric.nn.SAGEConv`` per edge
group (e.g. syntax edges and dataflow edges), summed, the root term counted once. The
first layer reads the sparse 978-dim node features and is computed *project first*:
the linear maps are applied to the sparse rows (an ``embedding_bag`` over the non-zero
entries) and the mean aggregation runs on the projected 512-dim vectors. Mean is
linear, so this equals the dense ``SAGEConv(978, 512)`` computation exactly (up to
float rounding) while touching only the non-zeros.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import SAGEConv
from torch_geometric.nn.aggr import AttentionalAggregation
from torch_geometric.nn.pool import global_max_pool, global_mean_pool

from yantra_gnn.errors import ConfigError

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
}


def make_activation(name: str) -> nn.Module:
    """A fresh activation module for a ``ModelConfig.activation`` name."""
    if name not in _ACTIVATIONS:
        raise ConfigError(f"unknown activation {name!r}; use one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def accumulate(total: Tensor, term: Tensor) -> Tensor:
    """``total + term``, written into ``total`` when nothing records gradients.

    Inference makes no new ``[N, C]`` tensor for each sum (a fresh tensor of a large
    batch costs its page faults, as much as the sum itself). Only for a ``total`` the
    caller owns (made by the step before), and only when the sum keeps ``total``'s shape
    and dtype, so the result is bit for bit ``total + term``.
    """
    if (
        torch.is_grad_enabled()
        or torch.result_type(total, term) != total.dtype
        or torch.broadcast_shapes(total.shape, term.shape) != total.shape
    ):
        return total + term
    return total.add_(term)


def activate(activation: nn.Module, x: Tensor) -> Tensor:
    """``activation(x)``; a ReLU overwrites ``x`` when nothing records gradients (as
    :func:`accumulate`: only for an ``x`` the caller owns; the same values)."""
    if isinstance(activation, nn.ReLU) and not torch.is_grad_enabled():
        return x.relu_()
    return activation(x)


def sparse_rows_matmul(x: Tensor, weight_t: Tensor, *, use_index_add: bool = False) -> Tensor:
    """``x @ weight_t`` for a sparse COO ``x`` without densifying it.

    Args:
        x: sparse COO ``[N, F_in]`` (coalesced or not), any device.
        weight_t: dense ``[F_in, F_out]`` on the compute device.
        use_index_add: compute with ``index_select`` + ``index_add_`` instead of
            ``embedding_bag``; used on Apple MPS, where sparse tensors and
            ``embedding_bag`` with per-sample weights are not available.

    Returns:
        dense ``[N, F_out]`` on ``weight_t``'s device.
    """
    x = x.coalesce()  # sorted by row; a no-op when PyG already coalesced it
    num_rows = x.size(0)
    device = weight_t.device
    # Index/value tensors move to the compute device; the sparse tensor itself may stay
    # on the CPU (MPS cannot hold sparse COO tensors).
    row, col = x.indices().to(device)
    values = x.values().to(device=device, dtype=weight_t.dtype)
    if use_index_add:
        out = weight_t.new_zeros(num_rows, weight_t.size(1))
        return out.index_add_(0, row, weight_t.index_select(0, col) * values.unsqueeze(1))
    counts = torch.bincount(row, minlength=num_rows)
    offsets = torch.cumsum(counts, 0) - counts
    return F.embedding_bag(col, weight_t, offsets, mode="sum", per_sample_weights=values)


class GroupedSAGEConv(nn.Module):
    r"""GraphSAGE over edge groups: one ``SAGEConv`` per group, summed.

    .. math::
        \mathbf{x}'_i = \mathbf{W}_r \mathbf{x}_i + \sum_{g} \left( \mathbf{W}_g \cdot
        \mathrm{mean}_{j \in \mathcal{N}_g(i)} \mathbf{x}_j + \mathbf{b}_g \right)

    ``convs[0]`` holds the root weight :math:`\mathbf{W}_r`; the other groups' convs
    are ``SAGEConv(root_weight=False)``. With one group this is exactly one
    ``SAGEConv(in_channels, out_channels)``.

    With ``project_first=True`` (the first layer), the input may be a sparse COO
    matrix and the linear maps are applied before aggregation (see module docstring).

    Args:
        in_channels: input node feature width.
        out_channels: output node feature width.
        num_groups: number of edge groups (≥ 1).
        project_first: apply the linear maps before the mean aggregation.

    Shapes:
        - **input:** ``x`` ``[N, in_channels]`` (dense, or sparse COO when
          ``project_first``), ``edge_indices``: one per group, either an
          ``edge_index`` ``[2, E_g]`` or a sparse ``adj_t`` ``[N, N]`` (as ``SAGEConv``
          takes)
        - **output:** ``[N, out_channels]``
    """

    def __init__(
        self, in_channels: int, out_channels: int, num_groups: int, project_first: bool = False
    ) -> None:
        super().__init__()
        if num_groups < 1:
            raise ConfigError(f"GroupedSAGEConv needs at least one edge group, got {num_groups}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_groups = num_groups
        self.project_first = project_first
        self.convs = nn.ModuleList(
            SAGEConv(in_channels, out_channels, aggr="mean", root_weight=(g == 0))
            for g in range(num_groups)
        )
        # Inference cache of the concatenated, transposed first-layer weight (the
        # transpose copy of a 978 × 1536 matrix costs more than the sparse product).
        self._weight_t_cache: tuple[tuple[int, ...], Tensor] | None = None

    def sage_convs(self) -> list[SAGEConv]:
        """``convs``, typed: a ``ModuleList`` yields plain modules to a type checker."""
        return [cast(SAGEConv, conv) for conv in self.convs]

    def reset_parameters(self) -> None:
        for conv in self.sage_convs():
            conv.reset_parameters()
        self._weight_t_cache = None

    def forward(self, x: Tensor, edge_indices: list[Tensor]) -> Tensor:
        if len(edge_indices) != self.num_groups:
            raise ConfigError(
                f"{self!r} expects {self.num_groups} edge groups, got {len(edge_indices)}"
            )
        if self.project_first:
            return self._forward_project_first(x, edge_indices)
        convs = self.sage_convs()
        # An int8 map (yantra_gnn.nn.quantize) has a weight() method, and float32 inputs.
        weight = convs[0].lin_l.weight
        dtype = weight.dtype if isinstance(weight, Tensor) else torch.float32
        if x.dtype != dtype:
            # Under bf16 autocast the previous layer's output is bf16; the mean
            # aggregation (a sparse product) runs in the weights' dtype, the linear
            # maps in bf16 again (autocast casts their inputs).
            x = x.to(dtype)
        out = _sage_conv(convs[0], x, edge_indices[0])
        for conv, edge_index in zip(convs[1:], edge_indices[1:], strict=True):
            out = accumulate(out, _sage_conv(conv, x, edge_index))
        return out

    def _weights(self) -> list[Tensor]:
        """The ``[out, in]`` weights in projection order: each group's ``lin_l``, then the root."""
        convs = self.sage_convs()
        weights = [conv.lin_l.weight for conv in convs]
        weights.append(convs[0].lin_r.weight)
        return weights

    def _stacked_weight_t(self) -> Tensor:
        """``[in, (G + 1) * out]``: all linear maps of the layer side by side, input-major.

        Without autograd (inference) the result is cached and reused until a weight
        changes (its version counter or storage changes).
        """
        weights = self._weights()
        if torch.is_grad_enabled():
            self._weight_t_cache = None
            return torch.cat(weights, 0).t().contiguous()
        key = tuple(p.data_ptr() for p in weights) + tuple(p._version for p in weights)
        if self._weight_t_cache is None or self._weight_t_cache[0] != key:
            self._weight_t_cache = (key, torch.cat(weights, 0).t().contiguous())
        return self._weight_t_cache[1]

    def _forward_project_first(self, x: Tensor, edge_indices: list[Tensor]) -> Tensor:
        weight_t = self._stacked_weight_t()
        device = weight_t.device
        if x.is_sparse:
            projected = sparse_rows_matmul(x, weight_t, use_index_add=device.type == "mps")
        else:
            projected = x.to(device=device, dtype=weight_t.dtype) @ weight_t
        width = self.out_channels
        root = projected[:, self.num_groups * width :]  # root term W_r x_i
        out: Tensor | None = None
        for g, (conv, edge_index) in enumerate(zip(self.sage_convs(), edge_indices, strict=True)):
            part = projected[:, g * width : (g + 1) * width]
            # SAGEConv's own message passing (message x_j, mean aggregation) on the
            # projected features; then lin_l's bias, as in SAGEConv.forward.
            aggregated = conv.propagate(edge_index, x=(part, part), size=None)
            # root + aggregated (the same sum either way round), then the next groups
            out = accumulate(aggregated, root) if out is None else accumulate(out, aggregated)
            if conv.lin_l.bias is not None:
                out = accumulate(out, conv.lin_l.bias)
        assert out is not None  # num_groups >= 1
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
            f"groups={self.num_groups}, project_first={self.project_first})"
        )


def _sage_conv(conv: SAGEConv, x: Tensor, edge_index: Tensor) -> Tensor:
    """``conv(x, edge_index)``; without gradients, the same steps with the root term added
    in place (:func:`accumulate`): ``lin_l(mean_j x_j) + lin_r(x_i)``, as
    ``SAGEConv.forward`` computes it with this library's settings (no projection, no
    normalization)."""
    if torch.is_grad_enabled():
        return conv(x, edge_index)
    out = conv.lin_l(conv.propagate(edge_index, x=(x, x), size=None))
    return accumulate(out, conv.lin_r(x)) if conv.root_weight else out


class GraphPooling(nn.Module):
    """Pool node embeddings ``[N, C]`` into graph embeddings ``[B, C]`` or ``[B, 2C]``.

    ``mean``: mean over each graph's nodes. ``mean_max``: mean and max concatenated.
    ``attention``: gated attention (``AttentionalAggregation``) with a two-layer gate.

    Shapes:
        - **input:** ``x`` ``[N, C]``, ``batch`` ``[N]`` (graph index of each node)
        - **output:** ``[B, C]`` (``[B, 2C]`` for ``mean_max``)
    """

    def __init__(self, mode: str, channels: int, activation: str = "relu") -> None:
        super().__init__()
        self.mode = mode
        self.channels = channels
        self.attention: AttentionalAggregation | None = None
        if mode == "attention":
            gate = nn.Sequential(
                nn.Linear(channels, channels // 2 or 1),
                make_activation(activation),
                nn.Linear(channels // 2 or 1, 1),
            )
            self.attention = AttentionalAggregation(gate_nn=gate)
        elif mode not in ("mean", "mean_max"):
            raise ConfigError(f"unknown pooling {mode!r}; use mean, mean_max or attention")

    @property
    def out_channels(self) -> int:
        return 2 * self.channels if self.mode == "mean_max" else self.channels

    def reset_parameters(self) -> None:
        if self.attention is not None:
            self.attention.reset_parameters()

    def forward(self, x: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        if self.attention is not None:
            return self.attention(x, index=batch, dim_size=num_graphs)
        mean = global_mean_pool(x, batch, size=num_graphs)
        if self.mode == "mean":
            return mean
        return torch.cat([mean, global_max_pool(x, batch, size=num_graphs)], dim=-1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.mode}, {self.channels} → {self.out_channels})"


class SAGEEncoder(nn.Module):
    """A stack of ``GroupedSAGEConv`` layers: node features → node embeddings.

    Activation and dropout follow every layer but the last (as in PyG's
    ``BasicGNN``); the first layer is project-first so it can read sparse features.

    Args:
        in_channels: input node feature width (978).
        layer_channels: output width of each layer, e.g. ``(512, 512, 256)``.
        num_groups: edge groups per layer.
        dropout: dropout probability between layers.
        activation: activation name.

    Shapes:
        - **input:** ``x`` ``[N, in_channels]`` (sparse COO or dense),
          ``edge_indices``: one ``edge_index`` ``[2, E_g]`` or sparse ``adj_t``
          ``[N, N]`` per group
        - **output:** ``[N, layer_channels[-1]]``
    """

    def __init__(
        self,
        in_channels: int,
        layer_channels: tuple[int, ...],
        num_groups: int,
        dropout: float,
        activation: str,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.layer_channels = tuple(layer_channels)
        widths = (in_channels, *self.layer_channels)
        self.layers = nn.ModuleList(
            GroupedSAGEConv(widths[i], widths[i + 1], num_groups, project_first=(i == 0))
            for i in range(len(self.layer_channels))
        )
        self.activation = make_activation(activation)
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        for layer in self.layers:
            cast(GroupedSAGEConv, layer).reset_parameters()

    def forward(self, x: Tensor, edge_indices: list[Tensor]) -> Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x, edge_indices)
            if i < last:
                x = self.dropout(activate(self.activation, x))
        return x

    def __repr__(self) -> str:
        widths = " → ".join(str(w) for w in (self.in_channels, *self.layer_channels))
        return f"{self.__class__.__name__}({widths}, groups={self.layers[0].num_groups})"
