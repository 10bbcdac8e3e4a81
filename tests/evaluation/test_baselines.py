"""Baselines (name lookup, bag of features, logistic regression, length) and the edge ablation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.baselines import (
    BagOfFeatures,
    LogisticRegression,
    NameLookupImports,
    graph_feature_counts,
    length_scores,
    used_names,
)
from yantra_gnn.graph import EDGE_TYPES, FEATURE_DIM, CodeGraphBuilder
from yantra_gnn.graph.transforms import SYNTAX_EDGE_IDS, SyntaxEdgesOnly, edge_transform

TRAIN = [
    ("from collections import defaultdict\nd = defaultdict(int)\nprint(d[1])\n", ("collections",)),
    ("import collections\ng = collections.defaultdict(list)\nprint(g)\n", ("collections",)),
    ("import math\nprint(math.sqrt(int(input())))\n", ("math",)),
    ("import sys\nx = sys.stdin.readline()\nprint(x)\n", ("sys",)),
    ("n = int(input())\nprint(n * 2)\n", ()),
]
VOCAB = ("collections", "math", "sys")


def test_used_names_skip_import_statements() -> None:
    names = used_names("from collections import defaultdict as dd\nimport os\nx = dd(int)\n")
    assert names == {"x", "dd", "int"}
    assert "sqrt" in used_names("import math\ny = math.sqrt(2)\n")


def test_name_lookup_learns_defaultdict_to_collections() -> None:
    lookup = NameLookupImports(VOCAB).fit([s for s, _ in TRAIN], [m for _, m in TRAIN])
    # Two of two programs using `defaultdict` import collections: (2 + 1 * 2/5) / (2 + 1).
    assert lookup.probability("defaultdict", "collections") == pytest.approx((2 + 0.4) / 3)
    assert lookup.probability("defaultdict", "math") == pytest.approx((0 + 0.2) / 3)
    scores = lookup.score(["table = defaultdict(set)\n", "q = sqrt(9)\n", "zzz = 1\n"])
    assert scores.shape == (3, 3)
    assert np.argmax(scores[0]) == VOCAB.index("collections")
    assert np.argmax(scores[1]) == VOCAB.index("math")
    # No known name: the training prior of each module.
    assert scores[2] == pytest.approx([2 / 5, 1 / 5, 1 / 5])


def test_name_lookup_rejects_mismatched_input() -> None:
    with pytest.raises(ConfigError, match="import lists"):
        NameLookupImports(VOCAB).fit(["x = 1\n"], [])
    with pytest.raises(ConfigError, match="empty"):
        NameLookupImports(())


def test_logistic_regression_fits_a_separable_problem() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = np.stack([(x[:, 0] > 0), (x[:, 1] + x[:, 2] > 0)], axis=1).astype(float)
    model = LogisticRegression(l2=1e-4).fit(x, y)
    probabilities = model.predict_proba(x)
    assert probabilities.shape == (60, 2)
    assert ((probabilities > 0.5) == y.astype(bool)).all()


def test_logistic_regression_mask_ignores_unlabelled_cells() -> None:
    x = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])  # the last two rows contradict the first two ...
    mask = np.array([True, True, False, False])  # ... but are masked out
    probabilities = LogisticRegression(l2=1e-3).fit(x, y, mask).predict_proba(x)[:, 0]
    assert probabilities[0] > 0.9 and probabilities[1] < 0.1
    with pytest.raises(ConfigError, match="fit"):
        LogisticRegression().predict_proba(x)


def test_bag_of_features_counts_and_standardises() -> None:
    builder = CodeGraphBuilder()
    graphs = [builder.build(s, strip_imports=True) for s, _ in TRAIN]
    counts = graph_feature_counts(graphs)
    assert counts.shape == (len(TRAIN), FEATURE_DIM)
    # Each graph's counts sum its feature rows: the dense sum equals the sparse one.
    assert counts[0] == pytest.approx(graphs[0].x.to_dense().sum(0).double().numpy())
    bag = BagOfFeatures().fit(counts)
    features = bag.transform(counts)
    varying = counts.std(axis=0) > 0
    assert np.allclose(features[:, varying].mean(axis=0), 0.0)
    assert np.allclose(features[:, varying].std(axis=0), 1.0)
    assert np.allclose(features[:, ~varying], 0.0)


def test_length_scores_rank_shortest_first() -> None:
    scores = length_scores(["print(1)\n", "x = 1\nprint(x)\n", "é\n"])
    assert scores.tolist() == [-9.0, -15.0, -3.0]  # UTF-8 bytes: é is 2


def test_syntax_edges_only_drops_dataflow_edges() -> None:
    graph = CodeGraphBuilder().build("x = 1\ny = x + 2\nprint(y)\n")
    filtered = SyntaxEdgesOnly()(graph)
    kept = set(filtered.edge_type.tolist())
    assert kept <= set(SYNTAX_EDGE_IDS) and kept
    assert EDGE_TYPES.index("last_write") in set(graph.edge_type.tolist())
    syntax = torch.isin(graph.edge_type, torch.tensor(SYNTAX_EDGE_IDS))
    assert torch.equal(filtered.edge_index, graph.edge_index[:, syntax])
    assert filtered.x is graph.x and filtered.num_nodes == graph.num_nodes
    assert graph.edge_index.size(1) > filtered.edge_index.size(1)  # the input is untouched
    assert edge_transform("all") is None
    with pytest.raises(ConfigError, match="edge set"):
        edge_transform("dataflow")
