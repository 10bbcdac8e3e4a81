"""The model and the baselines as scoring systems (untrained model: shapes, not numbers)."""

from __future__ import annotations

import numpy as np

from yantra_gnn.evaluation.systems import (
    BAG,
    NAME_LOOKUP,
    RANDOM,
    SHORTEST,
    baseline_scores,
    fit_baselines,
    model_scores,
)
from yantra_gnn.graph.transforms import SyntaxEdgesOnly


def test_model_scores_shapes_and_edge_ablation(sets, model) -> None:
    _, val = sets
    scores = model_scores(model, val.graphs, batch_size=5, device="cpu")
    n = len(val)
    assert scores.confidence_prob.shape == (n,) and scores.embedding.shape == (n, 256)
    assert scores.import_score.shape == (n, 3) and scores.bug_score.shape == (n, 8)
    assert [len(s) for s in scores.node_score] == [g.num_nodes for g in val.graphs]
    # Batching does not change a graph's outputs.
    single = model_scores(model, val.graphs[:1], batch_size=1, device="cpu")
    assert np.allclose(single.embedding[0], scores.embedding[0], atol=1e-5)
    syntax = model_scores(
        model, val.graphs, batch_size=5, device="cpu", transform=SyntaxEdgesOnly()
    )
    assert not np.allclose(syntax.embedding, scores.embedding)


def test_baseline_scores_with_and_without_fitted_baselines(sets, model) -> None:
    train, val = sets
    n = len(val)
    untrained = baseline_scores(None, val)
    assert [s.name for s in untrained] == [SHORTEST, RANDOM]
    assert untrained[1].confidence_prob is None  # no prior without training data
    baselines = fit_baselines(train, model.config.import_vocab, model.config.bug_classes)
    fitted = {s.name: s for s in baseline_scores(baselines, val)}
    assert list(fitted) == [NAME_LOOKUP, BAG, SHORTEST, RANDOM]
    assert fitted[NAME_LOOKUP].import_score.shape == (n, 3)
    assert fitted[BAG].bug_score.shape == (n, 8) and fitted[BAG].confidence_prob.shape == (n,)
    assert np.all(fitted[RANDOM].confidence_prob == baselines.train_positive_rate)
