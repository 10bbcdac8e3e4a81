"""The scoring systems: the model and the baselines, each as :class:`SystemScores`.

A system predicts, for every program of an :class:`~yantra_gnn.evaluation.sets.EvalSet`,
what the model's heads predict (``None`` for a task it does not do). The model's scores
come from :func:`model_scores`; the learned baselines are fitted on a *training* split
(:func:`fit_baselines`) and, with the untrained ones, scored by :func:`baseline_scores`.
The system names below are the report's column names.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.transforms import BaseTransform

from yantra_gnn.device import DeviceLike, batch_to_device, precision_context, resolve_device
from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.baselines import (
    BagOfFeatures,
    LogisticRegression,
    NameLookupImports,
    graph_feature_counts,
    length_scores,
)
from yantra_gnn.evaluation.sets import EvalSet, label_matrix
from yantra_gnn.nn.model import YantraGNN
from yantra_gnn.nn.quantize import inference_model

logger = logging.getLogger(__name__)

MODEL = "model"
NAME_LOOKUP = "name lookup"
BAG = "bag-of-features LR"
SHORTEST = "shortest"
RANDOM = "random"
#: Table column order.
SYSTEMS: tuple[str, ...] = (MODEL, NAME_LOOKUP, BAG, SHORTEST, RANDOM)


@dataclass
class SystemScores:
    """What one system predicts for every program of an :class:`EvalSet` (``None``: not this task).

    Attributes:
        name: column name in the report.
        confidence_prob: ``[n]`` P(correct) in [0, 1] (enables Brier and ECE); for the
            model the calibrated one,
            ``sigmoid(confidence_logit / confidence_temperature + confidence_bias)``.
        confidence_score: ``[n]`` ranking score (higher = more likely correct); defaults
            to ``confidence_prob``.
        confidence_logit: ``[n]`` raw confidence logits (the model only), for the report's
            calibration section.
        confidence_temperature: the temperature ``confidence_prob`` was made with.
        confidence_bias: the bias ``confidence_prob`` was made with (Platt scaling).
        confidence_base_rate: the share of correct candidates that scaling was fitted at
            (``None``: unknown).
        import_score: ``[n, V]`` scores over the model's import vocabulary.
        bug_score: ``[n, C]`` scores over the model's bug classes.
        node_score: per graph, ``[N_i]`` bug-location scores.
        embedding: ``[n, d]`` code embeddings.
    """

    name: str
    confidence_prob: np.ndarray | None = None
    confidence_score: np.ndarray | None = None
    import_score: np.ndarray | None = None
    bug_score: np.ndarray | None = None
    node_score: list[np.ndarray] | None = None
    embedding: np.ndarray | None = None
    confidence_logit: np.ndarray | None = None
    confidence_temperature: float | None = None
    confidence_bias: float | None = None
    confidence_base_rate: float | None = None


def model_scores(
    model: YantraGNN,
    graphs: Sequence[Data],
    *,
    batch_size: int = 64,
    device: DeviceLike = "auto",
    transform: BaseTransform | None = None,
    precision: str = "fp32",
) -> SystemScores:
    """Run ``model`` (eval mode, no gradients) over ``graphs`` in batches of ``batch_size``.

    Confidence probabilities are the calibrated ones (``model.confidence_probability``:
    the model's saved temperature and bias); the raw logits are kept in
    ``confidence_logit``. ``precision`` is the Predictor's: ``"fp32"``, ``"bf16"``
    (autocast) or ``"int8"`` (the int8 copy of ``quantize_int8``; CPU only).
    """
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    target = resolve_device(device)
    model = inference_model(model.to(target).eval(), precision)
    logits, conf, imports, bugs, embeddings = [], [], [], [], []
    nodes: list[np.ndarray] = []
    keys = ("x", "edge_index", "edge_type", "node_span")
    with torch.inference_mode():
        for start in range(0, len(graphs), batch_size):
            chunk = []
            for graph in graphs[start : start + batch_size]:
                graph = transform(graph) if transform is not None else graph
                chunk.append(Data(**{k: graph[k] for k in keys}, num_nodes=graph.num_nodes))
            batch = batch_to_device(Batch.from_data_list(chunk), target)
            with precision_context(precision, target):
                out = model(batch)
            confidence_logit = out.confidence_logit.float()  # bf16 under autocast
            logits.append(confidence_logit.double().cpu())
            conf.append(model.confidence_probability(confidence_logit).double().cpu())
            imports.append(torch.sigmoid(out.import_logits.float()).double().cpu())
            bugs.append(torch.sigmoid(out.bug_logits.float()).double().cpu())
            embeddings.append(out.embedding.double().cpu())
            sizes = torch.diff(batch.ptr).tolist()
            nodes.extend(t.numpy() for t in out.bug_node_logits.double().cpu().split(sizes))
    return SystemScores(
        MODEL,
        confidence_prob=torch.cat(conf).numpy(),
        import_score=torch.cat(imports).numpy(),
        bug_score=torch.cat(bugs).numpy(),
        node_score=nodes,
        embedding=torch.cat(embeddings).numpy(),
        confidence_logit=torch.cat(logits).numpy(),
        confidence_temperature=model.config.confidence_temperature,
        confidence_bias=model.config.confidence_bias,
        confidence_base_rate=model.config.confidence_base_rate,
    )


@dataclass
class Baselines:
    """Baselines fitted on a training split (see :func:`fit_baselines`)."""

    name_lookup: NameLookupImports
    bag: BagOfFeatures
    confidence: LogisticRegression
    imports: LogisticRegression
    bugs: LogisticRegression | None  # None: no training program has known bug labels
    train_positive_rate: float
    info: dict


def fit_baselines(
    train: EvalSet, import_vocab: Sequence[str], bug_classes: Sequence[str]
) -> Baselines:
    """Fit the name lookup and the bag-of-features logistic regressions on ``train``.

    Every training program teaches confidence; the dataset's own programs (not mutants
    or rewrites, which repeat them) teach imports; programs with known bug labels teach
    bugs — the same rows the model's losses see. Without any known bug labels (a
    ConDefects training split) there is no bug-class baseline.
    """
    started = time.perf_counter()
    origin = train.origin
    own = np.isin(origin, ("solution", "incorrect_solution"))
    own_programs = [p for p, keep in zip(train.programs, own, strict=True) if keep]
    name_lookup = NameLookupImports(import_vocab).fit(
        [p.source for p in own_programs], [p.imports for p in own_programs]
    )
    counts = graph_feature_counts(train.graphs)
    bag = BagOfFeatures().fit(counts)
    features = bag.transform(counts)
    confidence_y = np.asarray([p.confidence for p in train.programs])
    confidence = LogisticRegression().fit(features, confidence_y)
    import_y, _ = label_matrix(train.programs, "imports", import_vocab)
    imports = LogisticRegression().fit(features[own], import_y[own])
    bug_y, _ = label_matrix(train.programs, "bug_classes", bug_classes)
    known = np.asarray([p.bugs_known for p in train.programs])
    bugs = LogisticRegression().fit(features[known], bug_y[known]) if known.any() else None
    info = {
        "fitted_on": f"{train.name} ({train.info['root']})" if "root" in train.info else train.name,
        **train.counts(),
        "seconds": round(time.perf_counter() - started, 2),
    }
    logger.info("fitted baselines on %s in %.1fs", train.name, info["seconds"])
    return Baselines(name_lookup, bag, confidence, imports, bugs, float(confidence_y.mean()), info)


def baseline_scores(baselines: Baselines | None, eval_set: EvalSet) -> list[SystemScores]:
    """Scores of every baseline on ``eval_set`` (only the untrained ones without ``baselines``)."""
    sources = [p.source for p in eval_set.programs]
    n = len(eval_set)
    systems = []
    if baselines is not None:
        systems.append(SystemScores(NAME_LOOKUP, import_score=baselines.name_lookup.score(sources)))
        features = baselines.bag.transform(graph_feature_counts(eval_set.graphs))
        bugs = baselines.bugs
        systems.append(
            SystemScores(
                BAG,
                confidence_prob=baselines.confidence.predict_proba(features)[:, 0],
                import_score=baselines.imports.predict_proba(features),
                bug_score=None if bugs is None else bugs.predict_proba(features),
                embedding=features,
            )
        )
    systems.append(SystemScores(SHORTEST, confidence_score=length_scores(sources)))
    prior = None if baselines is None else np.full(n, baselines.train_positive_rate)
    systems.append(SystemScores(RANDOM, confidence_prob=prior, confidence_score=np.zeros(n)))
    return systems
