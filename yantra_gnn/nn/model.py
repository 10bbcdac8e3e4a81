"""``YantraGNN``: the GraphSAGE encoder, graph pooling and the four task heads."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.data import Batch, Data

from yantra_gnn.errors import ConfigError
from yantra_gnn.nn.config import ModelConfig
from yantra_gnn.nn.encoder import GraphPooling, SAGEEncoder
from yantra_gnn.nn.heads import BugLocationHead, MLPHead, NodeEvidenceHead
from yantra_gnn.schema import EDGE_SETS, EDGE_TYPES


@dataclass
class ModelOutput:
    """What ``YantraGNN`` returns for a batch of ``B`` graphs with ``N`` nodes in all.

    Attributes:
        embedding: ``[B, embedding_dim]`` code embedding, L2-normalised (norm 1).
        confidence_logit: ``[B]`` raw logit of P(the program is correct), before the
            saved temperature; ``YantraGNN.confidence_probability`` turns it into the
            calibrated probability.
        import_logits: ``[B, len(import_vocab)]`` multi-label logits, one per module.
        bug_logits: ``[B, len(bug_classes)]`` multi-label logits, one per bug class.
        bug_node_logits: ``[N]`` bug-location score of each node; softmax within a
            graph (``batch``) to get a distribution over its nodes.
        node_embeddings: ``[N, layer_channels[-1]]`` encoder output per node.
        graph_embedding: ``[B, pooled_channels]`` pooled embedding the heads read.
        batch: ``[N]`` graph index of each node (long).
    """

    embedding: Tensor
    confidence_logit: Tensor
    import_logits: Tensor
    bug_logits: Tensor
    bug_node_logits: Tensor
    node_embeddings: Tensor
    graph_embedding: Tensor
    batch: Tensor


class YantraGNN(nn.Module):
    """GraphSAGE over code graphs with four heads: embedding, confidence, imports, bugs.

    ``YantraGNN()`` builds the default model (978 → 512 → 512 → 256 over all edges,
    mean+max pooling); ``YantraGNN(ModelConfig(...))`` any other, e.g. with
    ``edge_groups=SYNTAX_DATAFLOW_GROUPS`` for typed message passing.

    The model reads only the edges of ``config.edges``: with ``"syntax"`` it drops every
    other edge type of its input in ``forward``, so whoever feeds it (the Trainer,
    ``Predictor``, ``yantra-gnn evaluate``) gives it the edges it was trained on.

    Args:
        config: the architecture and label vocabularies; default ``ModelConfig()``.

    Shapes:
        - **input:** a PyG ``Batch`` (or a single ``Data``) from ``CodeGraphBuilder``:
          ``x`` sparse COO (or dense) ``[N, in_channels]``, ``edge_index`` ``[2, E]``,
          ``edge_type`` ``[E]``, ``batch`` ``[N]``
        - **output:** ``ModelOutput`` (see its fields)
    """

    edge_type_to_group: Tensor
    edge_type_kept: Tensor

    def __init__(self, config: ModelConfig | None = None) -> None:
        super().__init__()
        self.config = config if config is not None else ModelConfig()
        if not isinstance(self.config, ModelConfig):
            raise ConfigError(
                f"YantraGNN takes a ModelConfig, got {type(self.config).__name__}; "
                "use ModelConfig.from_dict(...) for a dict"
            )
        cfg = self.config
        # Edge type id → group id, or None for one homogeneous group.
        self.register_buffer(
            "edge_type_to_group", _edge_group_table(cfg.edge_groups), persistent=False
        )
        # Edge type id → whether the model reads it, or empty when it reads every edge.
        self.register_buffer("edge_type_kept", _edge_set_mask(cfg.edges), persistent=False)
        self.encoder = SAGEEncoder(
            cfg.in_channels, cfg.layer_channels, cfg.num_edge_groups, cfg.dropout, cfg.activation
        )
        self.pooling = GraphPooling(cfg.pooling, cfg.node_channels, cfg.activation)
        pooled = cfg.pooled_channels
        hidden = cfg.head_hidden_channels

        def head(out_channels: int) -> MLPHead:
            return MLPHead(pooled, hidden, out_channels, cfg.activation, cfg.dropout)

        self.embedding_head = head(cfg.embedding_dim)
        self.confidence_head = head(1)
        self.import_head = head(len(cfg.import_vocab))
        # The learned name lookup beside the import MLP (None: the MLP alone).
        self.import_evidence: NodeEvidenceHead | None = (
            NodeEvidenceHead(cfg.in_channels, cfg.node_channels, len(cfg.import_vocab))
            if cfg.import_evidence
            else None
        )
        self.bug_head = head(len(cfg.bug_classes))
        self.bug_location_head = BugLocationHead(
            cfg.node_channels, pooled, hidden, cfg.activation, cfg.dropout
        )

    def reset_parameters(self) -> None:
        """Re-initialise every weight (as a freshly built model)."""
        self.encoder.reset_parameters()
        self.pooling.reset_parameters()
        for module in (
            self.embedding_head,
            self.confidence_head,
            self.import_head,
            self.bug_head,
            self.bug_location_head,
        ):
            module.reset_parameters()
        if self.import_evidence is not None:
            self.import_evidence.reset_parameters()

    def confidence_probability(
        self, confidence_logit: Tensor, prior: float | None = None
    ) -> Tensor:
        """P(correct) from raw confidence logits: ``sigmoid(logit / T + b)`` (Platt scaling).

        ``T`` is ``config.confidence_temperature`` and ``b`` ``config.confidence_bias``,
        fitted after training on the validation split
        (``yantra_gnn.evaluation.calibration.fit_platt``; ``T = 1, b = 0``: uncalibrated,
        the plain sigmoid). ``T > 0``, so the ranking of the logits is kept. Every
        reported confidence (``Predictor``, ``yantra-gnn evaluate``) goes through here;
        the raw logits stay in ``ModelOutput.confidence_logit``.

        The calibrated probability holds at the base rate of correct programs the scaling
        was fitted at (``config.confidence_base_rate``). ``prior`` moves it to another
        share ``p`` of correct programs by Bayes' rule on the odds: ``logit(p) -
        logit(base rate)`` is added before the sigmoid (the ranking is unchanged). With
        ``prior=0.5`` a confidence above one half means the program reads more like the
        correct candidates than the failing ones.

        Raises:
            ConfigError: ``prior`` is not in (0, 1), or it is given for a model whose
                base rate is unknown (uncalibrated, or saved before base rates were
                recorded).
        """
        config = self.config
        scaled = confidence_logit / config.confidence_temperature + config.confidence_bias
        if prior is not None:
            scaled = scaled + self.prior_shift(prior)
        return torch.sigmoid(scaled)

    def prior_shift(self, prior: float) -> float:
        """``logit(prior) - logit(config.confidence_base_rate)``: what
        :meth:`confidence_probability` adds to the scaled logit for ``prior``.

        Raises:
            ConfigError: as :meth:`confidence_probability`.
        """
        if (
            isinstance(prior, bool)
            or not isinstance(prior, int | float)
            or not math.isfinite(prior)
            or not 0 < prior < 1
        ):
            raise ConfigError(f"prior must be a share of correct programs in (0, 1), got {prior!r}")
        rate = self.config.confidence_base_rate
        if rate is None:
            raise ConfigError(
                "this model does not record the base rate its confidence was calibrated "
                "at (uncalibrated, or saved by an older yantra-gnn), so a prior cannot be "
                "applied; use prior=None (the confidence as calibrated)"
            )
        return math.log(prior / (1 - prior)) - math.log(rate / (1 - rate))

    @property
    def device(self) -> torch.device:
        """The device of the model's weights."""
        return next(self.parameters()).device

    def split_edges(self, edge_index: Tensor, edge_type: Tensor | None) -> list[Tensor]:
        """Split ``edge_index`` ``[2, E]`` into one ``[2, E_g]`` tensor per edge group."""
        table = self.edge_type_to_group
        if table.numel() == 0:
            return [edge_index]
        edge_type = _checked_edge_type(
            edge_index, edge_type, table.numel(), "the model groups edges by type"
        )
        group = table.index_select(0, edge_type)
        return [edge_index[:, group == g] for g in range(self.config.num_edge_groups)]

    def select_edges(
        self, edge_index: Tensor, edge_type: Tensor | None
    ) -> tuple[Tensor, Tensor | None]:
        """Keep the edges of ``config.edges``: ``[2, E]``, ``[E]`` → ``[2, E']``, ``[E']``.

        With ``edges="all"`` both come back as they are. Filtering graphs that hold only
        the kept edge types already (e.g. ``SyntaxEdgesOnly`` output) changes nothing.
        """
        kept = self.edge_type_kept
        if kept.numel() == 0:
            return edge_index, edge_type
        edge_type = _checked_edge_type(
            edge_index, edge_type, kept.numel(), f"the model reads {self.config.edges} edges only"
        )
        keep = kept.index_select(0, edge_type)
        return edge_index[:, keep], edge_type[keep]

    def adjacency(
        self, edge_index: Tensor, edge_type: Tensor | None, num_nodes: int
    ) -> list[Tensor]:
        """One message-passing structure per edge group, built once per forward pass.

        On CPU and CUDA each group becomes a transposed adjacency ``adj_t`` (sparse CSR
        ``[N, N]``, row = target node, one entry per edge, duplicates kept), which
        ``SAGEConv`` aggregates with one fused sparse-dense product — several times
        faster on CPU than the scatter over ``edge_index`` and the same mean. On MPS,
        which has no sparse CSR tensors, the ``[2, E_g]`` edge indices are used as is.
        """
        groups = self.split_edges(edge_index, edge_type)
        if edge_index.device.type == "mps":
            return groups
        dtype = next(self.parameters()).dtype
        return [_csr_adjacency_t(g, num_nodes, dtype) for g in groups]

    def forward(self, batch: Data | Batch) -> ModelOutput:
        """Run the encoder, the pooling and every head on a batch of code graphs."""
        x = getattr(batch, "x", None)
        edge_index = getattr(batch, "edge_index", None)
        if not isinstance(x, Tensor) or not isinstance(edge_index, Tensor):
            raise ConfigError(
                "YantraGNN needs a torch_geometric Data/Batch with x and edge_index; build "
                "graphs with yantra_gnn.graph.CodeGraphBuilder"
            )
        if x.dim() != 2 or x.size(1) != self.config.in_channels:
            raise ConfigError(
                f"node features have shape {tuple(x.shape)}, the model expects "
                f"[num_nodes, {self.config.in_channels}]; build graphs with the "
                "CodeGraphBuilder of the feature spec the model was trained on"
            )
        device = self.device
        num_nodes = x.size(0)
        node_batch = getattr(batch, "batch", None)
        if node_batch is None:
            node_batch = torch.zeros(num_nodes, dtype=torch.long, device=device)
            num_graphs = 1
        else:
            node_batch = node_batch.to(device)
            num_graphs = int(batch.num_graphs) if isinstance(batch, Batch) else 1
        if not x.is_sparse:
            x = x.to(device)
        edge_index, edge_type = self.select_edges(
            edge_index.to(device), getattr(batch, "edge_type", None)
        )
        adjacency = self.adjacency(edge_index, edge_type, num_nodes)

        node_embeddings = self.encoder(x, adjacency)
        graph_embedding = self.pooling(node_embeddings, node_batch, num_graphs)
        import_logits = self.import_head(graph_embedding)
        if self.import_evidence is not None:
            import_logits = import_logits + self.import_evidence(
                x, node_embeddings, node_batch, num_graphs
            )
        return ModelOutput(
            embedding=F.normalize(self.embedding_head(graph_embedding), p=2.0, dim=-1),
            confidence_logit=self.confidence_head(graph_embedding).squeeze(-1),
            import_logits=import_logits,
            bug_logits=self.bug_head(graph_embedding),
            bug_node_logits=self.bug_location_head(node_embeddings, graph_embedding, node_batch),
            node_embeddings=node_embeddings,
            graph_embedding=graph_embedding,
            batch=node_batch,
        )

    def __repr__(self) -> str:
        cfg = self.config
        widths = " → ".join(str(w) for w in (cfg.in_channels, *cfg.layer_channels))
        return (
            f"{self.__class__.__name__}({widths}, edges={cfg.edges}, "
            f"edge_groups={cfg.num_edge_groups}, "
            f"pooling={cfg.pooling}, embedding={cfg.embedding_dim}, "
            f"imports={len(cfg.import_vocab)}, bugs={len(cfg.bug_classes)})"
        )


def _csr_adjacency_t(edge_index: Tensor, num_nodes: int, dtype: torch.dtype) -> Tensor:
    """Sparse CSR ``[N, N]`` with a 1 at (target, source) for every edge of ``[2, E]``.

    Edges are sorted by target (stable, so the result is deterministic); duplicate
    edges stay separate entries, so the mean over a row equals ``SAGEConv``'s scatter
    mean over the same edge list.
    """
    source, target = edge_index
    order = torch.argsort(target, stable=True)
    counts = torch.bincount(target, minlength=num_nodes)
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
    crow[1:] = torch.cumsum(counts, 0)
    values = torch.ones(source.numel(), dtype=dtype, device=edge_index.device)
    with warnings.catch_warnings():  # torch warns that sparse CSR support is "beta"
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, source[order], values, size=(num_nodes, num_nodes))


def _checked_edge_type(
    edge_index: Tensor, edge_type: Tensor | None, num_types: int, why: str
) -> Tensor:
    """``edge_type`` on ``edge_index``'s device, checked against the ``[2, E]`` edges."""
    if edge_type is None:
        raise ConfigError(
            f"the graph has no edge_type but {why}; build graphs with "
            "yantra_gnn.graph.CodeGraphBuilder"
        )
    edge_type = edge_type.to(edge_index.device)
    if edge_type.numel() != edge_index.size(1):
        raise ConfigError(
            f"edge_type has {edge_type.numel()} entries for {edge_index.size(1)} edges"
        )
    if edge_type.numel() and int(edge_type.max()) >= num_types:
        raise ConfigError(
            f"edge_type id {int(edge_type.max())} is outside the {num_types} known "
            "edge types; the graph was built by another feature spec"
        )
    return edge_type


def _edge_set_mask(edges: str) -> Tensor:
    """``[NUM_EDGE_TYPES]`` bool: whether the model reads each edge type (empty: all)."""
    if edges == "all":
        return torch.empty(0, dtype=torch.bool)
    kept = set(EDGE_SETS[edges])
    return torch.tensor([name in kept for name in EDGE_TYPES], dtype=torch.bool)


def _edge_group_table(edge_groups: tuple[tuple[str, ...], ...]) -> Tensor:
    """``[NUM_EDGE_TYPES]`` long: group id of each edge type id (empty for one group).

    Every edge type of ``yantra_gnn.graph.EDGE_TYPES`` must be in exactly one group,
    so that no edge is silently dropped.
    """
    if not edge_groups:
        return torch.empty(0, dtype=torch.long)
    group_of = {name: g for g, group in enumerate(edge_groups) for name in group}
    unknown = sorted(set(group_of) - set(EDGE_TYPES))
    if unknown:
        raise ConfigError(
            f"ModelConfig.edge_groups names unknown edge types {unknown}; known: {EDGE_TYPES}"
        )
    missing = [name for name in EDGE_TYPES if name not in group_of]
    if missing:
        raise ConfigError(
            f"edge types {missing} are in no ModelConfig.edge_groups group; add them to one "
            "(or use edge_groups=() for one group of all edges)"
        )
    return torch.tensor([group_of[name] for name in EDGE_TYPES], dtype=torch.long)
