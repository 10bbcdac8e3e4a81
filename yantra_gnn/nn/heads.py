"""The task heads that read the pooled graph embedding (and the node embeddings)."""

from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.utils import scatter

from yantra_gnn.nn.encoder import accumulate, activate, make_activation, sparse_rows_matmul


class MLPHead(nn.Module):
    """Two-layer MLP head: ``Linear → activation → dropout → Linear``.

    Args:
        in_channels: input width.
        hidden_channels: hidden width.
        out_channels: output width (number of logits, or the embedding width).
        activation: activation name.
        dropout: dropout probability after the hidden layer.

    Shapes:
        - **input:** ``[*, in_channels]``
        - **output:** ``[*, out_channels]``
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        activation: str,
        dropout: float,
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.hidden = nn.Linear(in_channels, hidden_channels)
        self.activation = make_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_channels, out_channels)

    def reset_parameters(self) -> None:
        self.hidden.reset_parameters()
        self.out.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.dropout(self.activation(self.hidden(x))))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.in_channels} → {self.hidden_channels} → "
            f"{self.out_channels})"
        )


class BugLocationHead(nn.Module):
    """Per-node bug-location score from each node's embedding and its graph's embedding.

    The node embedding says what the node is; the graph embedding gives the context
    (what the program as a whole seems to do), so the same ``<`` can score high in one
    program and low in another. It is a two-layer MLP on ``[node ‖ graph]``; the first
    layer's graph half is applied once per graph and gathered to the nodes (the same
    function as a ``Linear`` on the concatenation, without an ``[N, C_graph]`` copy).

    Shapes:
        - **input:** ``node_embeddings`` ``[N, C_node]``, ``graph_embedding``
          ``[B, C_graph]``, ``batch`` ``[N]``
        - **output:** ``[N]`` logits (softmax them within a graph to locate the bug)
    """

    def __init__(
        self,
        node_channels: int,
        graph_channels: int,
        hidden_channels: int,
        activation: str,
        dropout: float,
    ) -> None:
        super().__init__()
        self.node_channels = node_channels
        self.graph_channels = graph_channels
        self.hidden_channels = hidden_channels
        self.node_hidden = nn.Linear(node_channels, hidden_channels)
        self.graph_hidden = nn.Linear(graph_channels, hidden_channels, bias=False)
        self.activation = make_activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_channels, 1)

    def reset_parameters(self) -> None:
        self.node_hidden.reset_parameters()
        self.graph_hidden.reset_parameters()
        self.out.reset_parameters()

    def forward(self, node_embeddings: Tensor, graph_embedding: Tensor, batch: Tensor) -> Tensor:
        context = self.graph_hidden(graph_embedding).index_select(0, batch)
        hidden = activate(self.activation, accumulate(self.node_hidden(node_embeddings), context))
        return self.out(self.dropout(hidden)).squeeze(-1)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.node_channels} + {self.graph_channels} → "
            f"{self.hidden_channels} → 1)"
        )


class NodeEvidenceHead(nn.Module):
    r"""Multi-label graph logits from the strongest per-node evidence (max over nodes).

    Each node scores every label from its raw input features (which hold its identifier
    sub-tokens and known names) and its embedding (its context); a graph's logit for a
    label is its highest-scoring node's:

    .. math::
        z_{g,m} = \max_{v \in g} \big( W_x x_v + W_h h_v \big)_m + b_m

    It is the learned form of a name lookup (a program needs ``collections`` when one
    of its nodes is ``defaultdict``), so the import head sees each name directly
    rather than through a mean over hundreds of nodes. The model adds it to the pooled
    embedding's MLP logits (``ModelConfig.import_evidence``).

    Shapes:
        - **input:** ``x`` ``[N, F]`` (sparse COO or dense), ``node_embeddings``
          ``[N, C]``, ``batch`` ``[N]``, ``num_graphs`` ``B``
        - **output:** ``[B, out_channels]`` logits
    """

    def __init__(self, in_channels: int, node_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.node_channels = node_channels
        self.out_channels = out_channels
        self.feature_weight = nn.Linear(in_channels, out_channels)
        self.node_weight = nn.Linear(node_channels, out_channels, bias=False)

    def reset_parameters(self) -> None:
        self.feature_weight.reset_parameters()
        self.node_weight.reset_parameters()

    def forward(self, x: Tensor, node_embeddings: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        weight_t = self.feature_weight.weight.t()
        if x.is_sparse:
            from_features = sparse_rows_matmul(
                x, weight_t, use_index_add=node_embeddings.device.type == "mps"
            )
        else:
            from_features = x.to(weight_t.dtype) @ weight_t
        per_node = from_features + self.node_weight(node_embeddings)
        if per_node.size(0) == 0:
            return per_node.new_zeros(num_graphs, self.out_channels) + self.feature_weight.bias
        pooled = scatter(per_node, batch, dim=0, dim_size=num_graphs, reduce="max")
        return pooled + self.feature_weight.bias

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(max over nodes of {self.in_channels} + "
            f"{self.node_channels} → {self.out_channels})"
        )
