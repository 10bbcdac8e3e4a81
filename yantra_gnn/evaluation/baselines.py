"""Honest baselines, scored by the same :class:`yantra_gnn.evaluation.metrics.Evaluator` as the model.

- :class:`NameLookupImports`: which modules a program needs, from the names it uses,
  learned as ``P(module imported | name used)`` on training programs (import statements
  removed from the text the names are read from, as for the model).
- :class:`BagOfFeatures` + :class:`LogisticRegression`: a non-graph model. Each
  program is the sum of its graph's node feature rows (node-kind counts, hashed
  identifier sub-tokens, builtin names, structural scalars), ``log1p``-scaled and
  standardised; one logistic regression per head (confidence, imports, bugs), and the
  same vector, L2-normalised, as a code embedding.
- :func:`length_scores`: the "shortest solution" heuristic for ranking candidates.

A random ranking needs no code: a constant score makes every candidate tie, which the
evaluator counts as a uniform random choice (AUROC 0.5, pass@1 = fraction correct).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from yantra_gnn.errors import ConfigError
from yantra_gnn.graph import FEATURE_DIM
from yantra_gnn.graph import dataflow as df
from yantra_gnn.graph.parse import parse_flat

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------- name lookup
def used_names(source: str) -> set[str]:
    """Identifiers (variables, functions, attributes) ``source`` uses outside import statements.

    Import statements are skipped, so the names are those the model's input graph
    (``strip_imports=True``) still shows, e.g. ``defaultdict`` in ``d = defaultdict(int)``.
    """
    tree = parse_flat(source.encode("utf-8", "replace"))
    names: set[str] = set()
    node = 0
    while node < len(tree):
        kind = tree.kind[node]
        if kind in df.IMPORT_KINDS:
            node = tree.subtree_end(node)
            continue
        if kind == df.IDENTIFIER and tree.named[node]:
            names.add(tree.text(node))
        node += 1
    return names


class NameLookupImports:
    r"""Import scores from a name → module table learned on training programs.

    For every module :math:`m` of the vocabulary and name :math:`w` seen in training:

    .. math::
        \hat P(m \mid w) = \frac{n(w, m) + \alpha\, p_m}{n(w) + \alpha}

    where :math:`n(w)` counts training programs using :math:`w`, :math:`n(w, m)` those
    of them importing :math:`m`, and :math:`p_m` is the fraction of training programs
    importing :math:`m` (the shrinkage target for rarely seen names). A program's score
    for :math:`m` is the largest :math:`\hat P(m \mid w)` over the names it uses that
    were seen in training; with none of them, :math:`p_m`.

    Args:
        vocab: module names, the score columns.
        alpha: strength of the shrinkage towards :math:`p_m`.
    """

    def __init__(self, vocab: Sequence[str], alpha: float = 1.0) -> None:
        if not vocab:
            raise ConfigError("NameLookupImports: the module vocabulary is empty")
        if alpha <= 0:
            raise ConfigError(f"NameLookupImports: alpha must be > 0, got {alpha}")
        self.vocab = tuple(vocab)
        self.alpha = float(alpha)
        self.prior = np.zeros(len(self.vocab))
        self.table: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(modules={len(self.vocab)}, names={len(self.table)}, "
            f"alpha={self.alpha})"
        )

    def fit(self, sources: Sequence[str], imports: Sequence[Iterable[str]]) -> NameLookupImports:
        """Count names and imports of training programs (``imports``: each program's modules)."""
        if len(sources) != len(imports):
            raise ConfigError(
                f"NameLookupImports.fit: {len(sources)} sources but {len(imports)} import lists"
            )
        if not sources:
            raise ConfigError("NameLookupImports.fit: no training programs given")
        column = {name: i for i, name in enumerate(self.vocab)}
        name_count: Counter = Counter()
        joint: dict[str, np.ndarray] = {}
        module_count = np.zeros(len(self.vocab))
        for source, modules in zip(sources, imports, strict=True):
            row = np.zeros(len(self.vocab))
            for module in modules:
                if module in column:
                    row[column[module]] = 1.0
            module_count += row
            for name in used_names(source):
                name_count[name] += 1
                joint.setdefault(name, np.zeros(len(self.vocab)))
                joint[name] += row
        self.prior = module_count / len(sources)
        self.table = {
            name: (joint[name] + self.alpha * self.prior) / (count + self.alpha)
            for name, count in name_count.items()
        }
        logger.info(
            "name lookup: %d names from %d training programs", len(self.table), len(sources)
        )
        return self

    def probability(self, name: str, module: str) -> float:
        """:math:`\\hat P(module \\mid name)` (the prior for an unseen name)."""
        row = self.table.get(name, self.prior)
        return float(row[self.vocab.index(module)])

    def score(self, sources: Sequence[str]) -> np.ndarray:
        """``[n, len(vocab)]`` scores in [0, 1] for each program."""
        out = np.zeros((len(sources), len(self.vocab)))
        for i, source in enumerate(sources):
            rows = [self.table[name] for name in used_names(source) if name in self.table]
            out[i] = np.max(rows, axis=0) if rows else self.prior
        return out


# ---------------------------------------------------------------------- bag of features
def graph_feature_counts(graphs: Iterable[Data]) -> np.ndarray:
    """``[n, FEATURE_DIM]``: each graph's node feature rows summed (counts of each feature)."""
    rows = []
    for graph in graphs:
        x = graph.x
        total = torch.sparse.sum(x, dim=0).to_dense() if x.is_sparse else x.sum(dim=0)
        if total.numel() != FEATURE_DIM:
            raise ConfigError(
                f"graph features have {total.numel()} columns, expected {FEATURE_DIM}; build "
                "graphs with yantra_gnn.graph.CodeGraphBuilder"
            )
        rows.append(total.double().numpy())
    if not rows:
        return np.zeros((0, FEATURE_DIM))
    return np.stack(rows)


class BagOfFeatures:
    """``log1p`` of summed node features, standardised with training means and deviations.

    Columns constant in training (deviation 0) keep deviation 1, so they stay at their
    (centred) value instead of dividing by zero.
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def __repr__(self) -> str:
        fitted = self.mean is not None
        return f"{self.__class__.__name__}(dim={FEATURE_DIM}, fitted={fitted})"

    def fit(self, counts: np.ndarray) -> BagOfFeatures:
        """Learn the standardisation from ``counts`` ``[n, FEATURE_DIM]`` of training graphs."""
        if counts.shape[0] == 0:
            raise ConfigError("BagOfFeatures.fit: no training graphs given")
        scaled = np.log1p(np.maximum(counts, 0.0))
        self.mean = scaled.mean(axis=0)
        std = scaled.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, counts: np.ndarray) -> np.ndarray:
        """``[n, FEATURE_DIM]`` standardised features."""
        if self.mean is None or self.std is None:
            raise ConfigError("BagOfFeatures.transform: call fit() on training graphs first")
        return (np.log1p(np.maximum(counts, 0.0)) - self.mean) / self.std


#: Fits with fewer ``rows * features * outputs`` than this run single-threaded.
_SINGLE_THREAD_WORK = 200_000_000


class LogisticRegression:
    r"""Multi-output logistic regression with an L2 penalty, fitted by L-BFGS in float64.

    Minimises the mean binary cross-entropy over the observed cells of ``Y`` (``mask``)
    plus :math:`\frac{\lambda}{2}\lVert W\rVert^2` (the bias is not penalised). Weights
    start at zero, so a fit is deterministic.

    Args:
        l2: the penalty :math:`\lambda`.
        max_iter: L-BFGS iterations.
    """

    def __init__(self, l2: float = 1e-2, max_iter: int = 200) -> None:
        if l2 < 0:
            raise ConfigError(f"LogisticRegression: l2 must be >= 0, got {l2}")
        if max_iter < 1:
            raise ConfigError(f"LogisticRegression: max_iter must be >= 1, got {max_iter}")
        self.l2 = float(l2)
        self.max_iter = int(max_iter)
        self.weight: torch.Tensor | None = None
        self.bias: torch.Tensor | None = None

    def __repr__(self) -> str:
        outputs = None if self.weight is None else self.weight.shape[1]
        return f"{self.__class__.__name__}(l2={self.l2}, outputs={outputs})"

    def fit(
        self, features: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None
    ) -> LogisticRegression:
        """Fit on ``features`` ``[n, d]`` and 0/1 ``targets`` ``[n, k]`` (or ``[n]``).

        ``mask`` (same shape as ``targets``, bool) marks the cells that count; rows of
        unknown labels (e.g. bugs of a dataset's incorrect solutions) are left out.
        """
        x = torch.as_tensor(features, dtype=torch.float64)
        y = torch.as_tensor(targets, dtype=torch.float64)
        if y.dim() == 1:
            y = y.unsqueeze(1)
        if x.dim() != 2 or x.size(0) != y.size(0):
            raise ConfigError(
                f"LogisticRegression.fit: features {tuple(x.shape)} and targets "
                f"{tuple(y.shape)} must have the same number of rows"
            )
        m = torch.ones_like(y) if mask is None else torch.as_tensor(mask, dtype=torch.float64)
        if m.dim() == 1:
            m = m.unsqueeze(1).expand_as(y)
        observed = m.sum()
        if observed == 0:
            raise ConfigError("LogisticRegression.fit: no labelled cells to fit on")
        weight = torch.zeros(x.size(1), y.size(1), dtype=torch.float64, requires_grad=True)
        bias = torch.zeros(y.size(1), dtype=torch.float64, requires_grad=True)
        # Small fits run on one thread: thread start-up and contention cost more than
        # the arithmetic (measured 1.2 s vs 28 s for 154 x 978 on a busy 2-core machine).
        threads = torch.get_num_threads()
        if x.numel() * y.size(1) < _SINGLE_THREAD_WORK:
            torch.set_num_threads(1)
        optimizer = torch.optim.LBFGS(
            [weight, bias],
            max_iter=self.max_iter,
            history_size=10,
            line_search_fn="strong_wolfe",
        )

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            logits = x @ weight + bias
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y, weight=m, reduction="sum"
            )
            loss = loss / observed + 0.5 * self.l2 * (weight**2).sum()
            loss.backward()
            return loss

        try:
            optimizer.step(closure)
        finally:
            torch.set_num_threads(threads)
        self.weight, self.bias = weight.detach(), bias.detach()
        return self

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """``[n, k]`` logits."""
        if self.weight is None or self.bias is None:
            raise ConfigError("LogisticRegression: call fit() before predicting")
        x = torch.as_tensor(features, dtype=torch.float64)
        return (x @ self.weight + self.bias).numpy()

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """``[n, k]`` probabilities of the positive label."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(features)))


# ---------------------------------------------------------------------- heuristics
def length_scores(sources: Sequence[str]) -> np.ndarray:
    """``[n]`` minus each source's length in UTF-8 bytes: the shortest candidate ranks first."""
    return -np.asarray([len(s.encode("utf-8", "replace")) for s in sources], dtype=np.float64)
