"""The multi-task loss: contrastive embedding, confidence (BCE and a within-problem ranking
term), imports, bugs and bug location.

Heads whose label is missing for a sample are masked out of the mean, never fed zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from yantra_gnn.data.dataset import ORIGINS, LabelledGraphs
from yantra_gnn.defaults import FAULT_TARGETS

if TYPE_CHECKING:
    from yantra_gnn.train.config import TrainConfig


def info_nce(embedding: Tensor, group: Tensor, mask: Tensor, temperature: float = 0.1) -> Tensor:
    r"""Supervised InfoNCE (SupCon) with in-batch negatives.

    For each anchor :math:`i` with at least one positive :math:`P(i)` (another masked-in
    sample of the same group),

    .. math::
        \ell_i = -\frac{1}{|P(i)|} \sum_{p \in P(i)}
            \log \frac{\exp(z_i \cdot z_p / \tau)}{\sum_{a \ne i} \exp(z_i \cdot z_a / \tau)}

    where the denominator runs over the masked-in samples.

    Args:
        embedding: ``[B, D]`` L2-normalised embeddings.
        group: ``[B]`` group (problem) ids.
        mask: ``[B]`` bool, which samples take part (correct programs only).
        temperature: :math:`\tau`.

    Returns:
        The mean over anchors that have a positive; ``0`` (with grad) when none has.
    """
    z = embedding[mask]
    g = group[mask]
    if z.size(0) < 2:
        return embedding.sum() * 0.0
    logits = z @ z.t() / temperature
    self_mask = torch.eye(z.size(0), dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    positives = (g.unsqueeze(0) == g.unsqueeze(1)) & ~self_mask
    has_positive = positives.any(dim=1)
    if not has_positive.any():
        return embedding.sum() * 0.0
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    log_prob = log_prob.masked_fill(~positives, 0.0)
    per_anchor = -log_prob.sum(dim=1) / positives.sum(dim=1).clamp(min=1)
    return per_anchor[has_positive].mean()


def node_log_softmax(logits: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """Log-softmax of node scores within each graph.

    Args:
        logits: ``[N]`` node scores.
        batch: ``[N]`` graph index of each node.
        num_graphs: ``B``.
    """
    maxima = torch.full((num_graphs,), float("-inf"), device=logits.device, dtype=logits.dtype)
    maxima = maxima.scatter_reduce(0, batch, logits.detach(), reduce="amax", include_self=True)
    shifted = logits - maxima[batch]
    sums = torch.zeros(num_graphs, device=logits.device, dtype=logits.dtype)
    sums = sums.index_add(0, batch, shifted.exp())
    return shifted - sums.log()[batch]


def fault_line_loss(
    node_logits: Tensor,
    batch: Tensor,
    ptr: Tensor,
    bug_node: Tensor,
    node_line: Tensor,
    line_level: Tensor,
) -> Tensor:
    r"""Cross-entropy over each located graph's nodes, with a whole line as the target
    where the fault is known only to the line; 0 (with grad) when none is located.

    A mutant's bug is one node, its mutated span, and its target is that node alone. A
    real bug (a ConDefects submission) is known only by its fault line, and
    ``yantra-gnn evaluate`` scores it by the line the top-ranked node starts on, so its
    target is every node that starts on the located node's line:

    .. math::
        \ell_g = -\log \sum_{v \in g,\ \mathrm{line}(v) = \mathrm{line}(t_g)} p_v

    with :math:`p` the softmax of the node scores within graph :math:`g` and
    :math:`t_g` its located node. Picking one node of the line instead (the smallest one
    holding the whole line, ``locate_node``) asks the head to tell apart nodes of the
    same line that the metric does not. Measured, it does not find the fault line more
    often (docs/results.md), so ``node`` stays the default.

    Args:
        node_logits: ``[N]``; batch: ``[N]``; ptr: ``[B + 1]`` node offsets;
        bug_node: ``[B]`` local index of the located node, -1 when there is none;
        node_line: ``[N]`` the line (row) each node starts on;
        line_level: ``[B]`` bool, the graphs whose target is the located node's line.
    """
    located = bug_node >= 0
    if not located.any():
        return node_logits.sum() * 0.0
    num_graphs = bug_node.numel()
    log_prob = node_log_softmax(node_logits, batch, num_graphs)
    targets = ptr[:-1] + bug_node.clamp(min=0)  # [B]; only read where located
    positive = torch.zeros_like(log_prob, dtype=torch.bool)
    positive[targets[located]] = True
    lines = located & line_level
    if lines.any():
        positive |= lines[batch] & (node_line == node_line[targets][batch])
    masked = log_prob.masked_fill(~positive, float("-inf"))
    maxima = torch.full((num_graphs,), float("-inf"), device=log_prob.device, dtype=log_prob.dtype)
    maxima = maxima.scatter_reduce(0, batch, masked.detach(), reduce="amax", include_self=True)
    maxima = torch.where(located, maxima, torch.zeros_like(maxima))
    sums = torch.zeros(num_graphs, device=log_prob.device, dtype=log_prob.dtype)
    sums = sums.index_add(0, batch, (masked - maxima[batch]).exp())
    return -(sums[located].log() + maxima[located]).mean()


def within_group_ranking_loss(
    logits: Tensor, target: Tensor, group: Tensor, mask: Tensor | None = None
) -> Tensor:
    r"""Pairwise ranking loss between the correct and incorrect programs of one problem.

    For every pair of a correct program :math:`i` and an incorrect one :math:`j` of the
    same group (problem) in the batch, :math:`\log(1 + e^{-(s_i - s_j)})` on the
    confidence logits, averaged over the pairs (RankNet). Binary cross-entropy alone
    lets the confidence head score a problem's programs by what the problem looks like:
    a mutant then scores like the solution it was made from, a little above or below
    it at random, and ranked pass@1 falls *below* a random pick (the correct program
    sits in the middle of its mutants and is rarely the top one; docs/training.md).

    Args:
        logits: ``[B]`` confidence logits; target: ``[B]`` 1.0 = correct;
        group: ``[B]`` problem ids; mask: ``[B]`` bool, the programs that take part
            (default all; the Trainer leaves rewrites out: they are correct by
            construction and their renamed identifiers are a shortcut, not a sign of
            correctness, and ``yantra-gnn evaluate`` does not rank them).

    Returns:
        The mean over pairs; ``0`` (with grad) when the batch holds no such pair.
    """
    correct = target > 0.5
    pairs = (
        (group.unsqueeze(1) == group.unsqueeze(0)) & correct.unsqueeze(1) & ~correct.unsqueeze(0)
    )
    if mask is not None:
        pairs &= mask.unsqueeze(1) & mask.unsqueeze(0)
    if not pairs.any():
        return logits.sum() * 0.0
    margin = logits.unsqueeze(1) - logits.unsqueeze(0)
    return F.softplus(-margin[pairs]).mean()


def masked_bce(logits: Tensor, targets: Tensor, mask: Tensor, pos_weight: Tensor | None) -> Tensor:
    """Multi-label BCE over the rows where ``mask`` is True (0 with grad when none is).

    Args:
        logits, targets: ``[B, C]``; mask: ``[B]`` bool; pos_weight: ``[C]`` or None.
    """
    if logits.size(1) == 0 or not mask.any():
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[mask], targets[mask], pos_weight=pos_weight)


@dataclass
class LossWeights:
    code: float = 1.0
    confidence: float = 1.0
    imports: float = 0.5
    bugs: float = 0.5
    rank: float = 1.0


class MultiTaskLoss(torch.nn.Module):
    """Weighted sum of the head losses; ``forward`` returns ``(total, parts)``.

    Args:
        weights: per-head weights (the original spec: 1.0, 1.0, 0.5, 0.5; plus 1.0 for the
            within-problem confidence ranking term).
        import_pos_weight: ``[V]`` positive-class weights for the import BCE.
        bug_pos_weight: ``[C]`` positive-class weights for the bug BCE.
        temperature: InfoNCE temperature.
        fault_target: ``"node"``: a real bug's location target is the one located
            node; ``"line"``: every node on its fault line (:func:`fault_line_loss`).
    """

    import_pos_weight: Tensor | None
    bug_pos_weight: Tensor | None

    def __init__(
        self,
        weights: LossWeights | None = None,
        import_pos_weight: Tensor | None = None,
        bug_pos_weight: Tensor | None = None,
        temperature: float = 0.1,
        fault_target: str = "node",
    ) -> None:
        super().__init__()
        if fault_target not in FAULT_TARGETS:
            raise ValueError(f"fault_target must be one of {FAULT_TARGETS}, got {fault_target!r}")
        self.weights = weights or LossWeights()
        self.temperature = temperature
        self.fault_target = fault_target
        self.register_buffer("import_pos_weight", import_pos_weight, persistent=False)
        self.register_buffer("bug_pos_weight", bug_pos_weight, persistent=False)

    def forward(self, output, batch) -> tuple[Tensor, dict[str, float]]:
        confidence = batch.confidence.float()
        correct = confidence > 0.5
        parts = {
            "code": info_nce(output.embedding, batch.group, correct, self.temperature),
            "confidence": F.binary_cross_entropy_with_logits(output.confidence_logit, confidence),
            "rank": within_group_ranking_loss(
                output.confidence_logit, confidence, batch.group, _ranked(batch)
            ),
            "imports": masked_bce(
                output.import_logits,
                batch.imports.float(),
                torch.ones_like(correct),
                self.import_pos_weight,
            ),
            "bugs": masked_bce(
                output.bug_logits, batch.bugs.float(), batch.bug_mask.bool(), self.bug_pos_weight
            ),
            "bug_location": fault_line_loss(
                output.bug_node_logits,
                output.batch,
                batch.ptr,
                batch.bug_node,
                batch.node_span[:, 0],
                _line_targets(batch, self.fault_target),
            ),
        }
        w = self.weights
        total = (
            w.code * parts["code"]
            + w.confidence * parts["confidence"]
            + w.rank * parts["rank"]
            + w.imports * parts["imports"]
            + w.bugs * (parts["bugs"] + parts["bug_location"])
        )
        return total, {name: float(value.detach()) for name, value in parts.items()}


def _line_targets(batch, fault_target: str) -> Tensor:
    """``[B]`` bool: the graphs whose bug-location target, where they have one, is a whole
    line: the real bugs (``incorrect_solution``) when ``fault_target`` is ``"line"``."""
    origin = getattr(batch, "origin", None)
    if fault_target == "node" or origin is None:
        return torch.zeros_like(batch.bug_node, dtype=torch.bool)
    return origin.view(-1) == ORIGINS.index("incorrect_solution")


def _ranked(batch) -> Tensor | None:
    """The programs the ranking term compares: all but rewrites (``None`` without origins)."""
    origin = getattr(batch, "origin", None)
    return None if origin is None else origin.view(-1) != ORIGINS.index("rewrite")


def positive_class_weights(targets: Tensor, max_weight: float = 20.0) -> Tensor:
    """``pos_weight`` = negatives / positives per column of ``[B, C]`` targets, clamped.

    Columns without positives get weight 1.
    """
    return positive_weights_from_counts(targets.float().sum(0), targets.size(0), max_weight)


def positive_weights_from_counts(
    positives: Tensor | list[int], rows: int, max_weight: float = 20.0
) -> Tensor:
    """:func:`positive_class_weights` of a ``[rows, C]`` target matrix from its column
    sums alone (``positives``, ``[C]``; a sharded split's manifest holds them): negatives /
    positives per column, 1 where a column has no positive, clamped to ``[1, max_weight]``,
    in float32."""
    positive = torch.as_tensor(positives, dtype=torch.float32)
    negatives = rows - positive
    weight = torch.where(positive > 0, negatives / positive.clamp(min=1), torch.ones_like(positive))
    return weight.clamp(min=1.0, max=max_weight)


def split_positive_weights(split: LabelledGraphs) -> tuple[Tensor, Tensor | None]:
    """``(import_pos_weight [V], bug_pos_weight [C] or None)`` of a training split in
    memory: :func:`positive_class_weights` of its import labels (every graph) and of its
    bug labels (the graphs whose bug labels are known; ``None`` when there are none)."""
    bug_rows = split.label_matrix("bugs")[split.label_matrix("bug_mask")]
    return (
        positive_class_weights(split.label_matrix("imports")),
        positive_class_weights(bug_rows) if bug_rows.numel() else None,
    )


def training_loss(
    config: TrainConfig, import_pos_weight: Tensor | None, bug_pos_weight: Tensor | None
) -> MultiTaskLoss:
    """The :class:`MultiTaskLoss` of a training config: its loss weights and InfoNCE
    temperature, with the given class weights."""
    return MultiTaskLoss(
        LossWeights(
            config.weight_code,
            config.weight_confidence,
            config.weight_imports,
            config.weight_bugs,
            config.weight_rank,
        ),
        import_pos_weight=import_pos_weight,
        bug_pos_weight=bug_pos_weight,
        temperature=config.temperature,
        fault_target=config.fault_target,
    )
