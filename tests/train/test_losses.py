"""Loss functions: hand-computed values and masking of missing labels."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch_geometric.data import Batch, Data

from yantra_gnn.data.dataset import ORIGINS
from yantra_gnn.train.losses import (
    MultiTaskLoss,
    _line_targets,
    fault_line_loss,
    info_nce,
    masked_bce,
    node_log_softmax,
    positive_class_weights,
    within_group_ranking_loss,
)


def test_info_nce_matches_hand_computation():
    z = F.normalize(torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]]), dim=1)
    group = torch.tensor([0, 0, 1])
    mask = torch.ones(3, dtype=torch.bool)
    t = 0.5
    sim = z @ z.t() / t
    # anchors 0 and 1 have one positive each; anchor 2 has none and is skipped
    l0 = -(sim[0, 1] - torch.logsumexp(sim[0, [1, 2]], 0))
    l1 = -(sim[1, 0] - torch.logsumexp(sim[1, [0, 2]], 0))
    expected = (l0 + l1) / 2
    assert torch.allclose(info_nce(z, group, mask, t), expected)


def test_info_nce_masks_samples_and_handles_no_positives():
    z = F.normalize(torch.randn(4, 8, generator=torch.Generator().manual_seed(0)), dim=1)
    z.requires_grad_(True)
    group = torch.tensor([0, 0, 1, 2])
    masked = info_nce(z, group, torch.tensor([True, False, True, True]), 0.1)
    assert masked.item() == 0.0 and masked.requires_grad  # no anchor keeps a positive
    full = info_nce(z, group, torch.ones(4, dtype=torch.bool), 0.1)
    assert full.item() > 0


def test_node_log_softmax_is_per_graph():
    logits = torch.tensor([1.0, 2.0, 3.0, 0.5, 0.5])
    batch = torch.tensor([0, 0, 0, 1, 1])
    out = node_log_softmax(logits, batch, 2)
    assert torch.allclose(out[:3], torch.log_softmax(logits[:3], 0))
    assert torch.allclose(out[3:], torch.full((2,), math.log(0.5)))


def test_fault_line_loss_uses_only_located_graphs():
    logits = torch.tensor([1.0, 2.0, 3.0, 0.5, 0.5], requires_grad=True)
    batch = torch.tensor([0, 0, 0, 1, 1])
    ptr = torch.tensor([0, 3, 5])
    lines = torch.tensor([0, 1, 1, 0, 0])
    node_level = torch.tensor([False, False])
    loss = fault_line_loss(logits, batch, ptr, torch.tensor([2, -1]), lines, node_level)
    assert torch.allclose(loss, -torch.log_softmax(logits[:3], 0)[2])
    none = fault_line_loss(logits, batch, ptr, torch.tensor([-1, -1]), lines, node_level)
    assert none.item() == 0.0 and none.requires_grad


def test_fault_line_loss_targets_every_node_of_a_real_bugs_line():
    # graph 0 (a real bug): nodes 1 and 2 start on the fault line, node 0 does not;
    # graph 1 (a mutant): its one node stays the target even though node 4 shares its line.
    logits = torch.tensor([1.0, 2.0, 3.0, 0.5, -0.5], requires_grad=True)
    batch = torch.tensor([0, 0, 0, 1, 1])
    ptr = torch.tensor([0, 3, 5])
    lines = torch.tensor([0, 4, 4, 7, 7])
    line_level = torch.tensor([True, False])
    loss = fault_line_loss(logits, batch, ptr, torch.tensor([1, 0]), lines, line_level)
    first = -torch.logsumexp(torch.log_softmax(logits[:3], 0)[1:], 0)
    second = -torch.log_softmax(logits[3:], 0)[0]
    assert torch.allclose(loss, (first + second) / 2)
    loss.backward()
    # Mass moved between the fault line's nodes changes nothing in graph 0.
    assert torch.allclose(logits.grad[1] / logits.grad[2], torch.exp(logits[1] - logits[2]))
    # Far-off scores stay finite (the per-graph maximum is taken out first).
    far = fault_line_loss(
        torch.tensor([0.0, -300.0, -300.0]),
        torch.zeros(3, dtype=torch.long),
        torch.tensor([0, 3]),
        torch.tensor([1]),
        torch.tensor([0, 1, 1]),
        torch.tensor([True]),
    )
    assert torch.isfinite(far) and abs(far.item() - (300 - math.log(2))) < 1e-3


def test_multitask_loss_learns_real_bugs_by_line_unless_told_node():
    data = [
        Data(
            x=torch.zeros(3, 2),
            node_span=torch.tensor([[0, 0, 0, 5], [1, 0, 1, 9], [1, 4, 1, 9]]),
            bug_node=torch.tensor([1]),
            origin=torch.tensor([ORIGINS.index("incorrect_solution")]),
        )
    ]
    batch = Batch.from_data_list(data)
    logits = torch.tensor([0.0, 1.0, 2.0])
    line = _line_targets(batch, "line")
    assert line.tolist() == [True]
    assert _line_targets(batch, "node").tolist() == [False]
    by_line = fault_line_loss(
        logits, batch.batch, batch.ptr, batch.bug_node, batch.node_span[:, 0], line
    )
    assert torch.allclose(by_line, -torch.logsumexp(torch.log_softmax(logits, 0)[1:], 0))
    with pytest.raises(ValueError, match="fault_target"):
        MultiTaskLoss(fault_target="token")


def test_masked_bce_ignores_rows_without_labels():
    logits = torch.tensor([[2.0, -1.0], [100.0, 100.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 0.0]])  # row 1 would be a huge loss
    mask = torch.tensor([True, False])
    expected = F.binary_cross_entropy_with_logits(logits[:1], targets[:1])
    assert torch.allclose(masked_bce(logits, targets, mask, None), expected)
    assert masked_bce(logits, targets, torch.tensor([False, False]), None).item() == 0.0


def test_positive_class_weights():
    targets = torch.tensor([[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1]])
    assert positive_class_weights(targets).tolist() == [3.0, 1.0, 1.0]


def test_within_group_ranking_loss_compares_correct_and_incorrect_of_one_problem():
    logits = torch.tensor([2.0, 0.5, 1.0, -1.0, 3.0])
    target = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0])
    group = torch.tensor([0, 0, 0, 1, 2])
    # pairs (correct, incorrect) within a problem: (0, 1) and (0, 2); problem 1 has no
    # incorrect program, problem 2 no correct one
    expected = (F.softplus(torch.tensor(-1.5)) + F.softplus(torch.tensor(-1.0))) / 2
    assert torch.allclose(within_group_ranking_loss(logits, target, group), expected)
    # a mask leaves programs out (the Trainer: rewrites)
    mask = torch.tensor([True, True, False, True, True])
    only = F.softplus(torch.tensor(-1.5))
    assert torch.allclose(within_group_ranking_loss(logits, target, group, mask), only)
    # no pair: 0 with a gradient
    lone = logits.clone().requires_grad_()
    zero = within_group_ranking_loss(lone, target, torch.arange(5))
    assert zero.item() == 0.0 and zero.requires_grad


def test_within_group_ranking_loss_is_what_bce_misses():
    """Scores that depend only on the problem give BCE a good fit but no ranking: the
    ranking term stays at log 2 however well the problem's base rate is fitted."""
    group = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    target = torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    logits = torch.tensor([math.log(1 / 3)] * 4 + [0.0] * 4)  # each problem's base rate
    assert torch.allclose(
        within_group_ranking_loss(logits, target, group), torch.tensor(math.log(2.0))
    )
