"""Score a model and the baselines on one evaluation set, side by side.

The pieces, in the order :func:`evaluate_model` uses them:

1. an :class:`EvalSet` — labelled programs and their model input graphs (built with
   ``strip_imports=True``): a prepared CodeContests split
   (:func:`codecontests_eval_set`) or the verified HumanEval candidates
   (:func:`humaneval_eval_set`);
2. :class:`SystemScores` per system — the model (:func:`model_scores`) and the
   baselines fitted on a *training* split (:func:`fit_baselines`,
   :func:`baseline_scores`);
3. :func:`evaluate_systems` — the same :class:`~yantra_gnn.evaluation.metrics.Evaluator` calls on
   the same rows for every system (row selections in :data:`PROTOCOL`);
4. :func:`format_report` — one markdown table per task, systems side by side.
"""

from __future__ import annotations

import difflib
import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.transforms import BaseTransform

from yantra_gnn.data.dataset import ORIGINS, CodeContestsDataset, locate_node
from yantra_gnn.device import DeviceLike, batch_to_device, resolve_device
from yantra_gnn.errors import ConfigError, SourceError
from yantra_gnn.evaluation.baselines import (
    BagOfFeatures,
    LogisticRegression,
    NameLookupImports,
    graph_feature_counts,
    length_scores,
)
from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates
from yantra_gnn.evaluation.metrics import (
    DEFAULT_CALIBRATION_BINS,
    Evaluator,
    Metrics,
    choose_threshold,
    plot_reliability_diagram,
    reliability_bins,
)
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.home import CACHE_DIR, SANDBOX_CACHE_DIR
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings
from yantra_gnn.nn.model import YantraGNN

logger = logging.getLogger(__name__)

#: Which rows each task is scored on (written into every report).
PROTOCOL: dict[str, str] = {
    "confidence": (
        "candidates = the dataset's solutions and incorrect solutions plus verified "
        "failing mutants (rewrites left out: they duplicate a solution); label 1 = passes "
        "every test we ran; ranked pass@1 groups candidates by problem"
    ),
    "imports": (
        "the dataset's own programs (solutions, incorrect solutions; mutants and rewrites "
        "share their original's imports and are left out); labels = top-level modules of "
        "the program's import statements restricted to the model's import vocabulary; "
        "input graphs have the imports removed"
    ),
    "bugs": (
        "programs whose bug labels are known: passing solutions and rewrites (no bug) and "
        "verified failing mutants (their class); a dataset's incorrect solutions are left out"
    ),
    "bug_location": (
        "verified failing mutants whose mutated node was found in the graph; correct = "
        "the top-scored node is the mutated node or lies inside its span"
    ),
    "embedding": (
        "MAP@R with cosine similarity: 'solutions' = passing dataset solutions only "
        "(POJ-104: same problem = relevant); 'with rewrites' adds verified rewrites"
    ),
    "rewrite_retrieval": (
        "each verified rewrite queries by cosine similarity; correct = its nearest "
        "neighbour is the solution it was made from; distractors 'all' = every non-rewrite "
        "program of the split (the original's own mutants included), 'solutions' = only "
        "dataset solutions"
    ),
    "threshold": (
        "imports/bugs thresholds maximise micro-F1 with 2-fold cross-fitting over the "
        "evaluation problems: problems alternate between two folds (sorted by name); rows "
        "of one fold are scored with the threshold chosen on the other fold"
    ),
}

MODEL = "model"
NAME_LOOKUP = "name lookup"
BAG = "bag-of-features LR"
SHORTEST = "shortest"
RANDOM = "random"
#: Table column order.
SYSTEMS: tuple[str, ...] = (MODEL, NAME_LOOKUP, BAG, SHORTEST, RANDOM)


# ---------------------------------------------------------------------- evaluation sets
@dataclass
class EvalSet:
    """Labelled programs with their model input graphs.

    Attributes:
        name: e.g. ``codecontests/val`` or ``humaneval``.
        programs: one :class:`LabelledProgram` per graph.
        graphs: ``Data`` from ``CodeGraphBuilder.build(source, strip_imports=True)``.
        bug_node: ``[n]`` the mutated node within each graph, -1 for none.
        info: provenance and counts, copied into the report.
    """

    name: str
    programs: list[LabelledProgram]
    graphs: list[Data]
    bug_node: np.ndarray
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (len(self.programs) == len(self.graphs) == len(self.bug_node)):
            raise ConfigError(
                f"EvalSet {self.name}: {len(self.programs)} programs, {len(self.graphs)} "
                f"graphs and {len(self.bug_node)} bug nodes must be aligned"
            )
        if not self.programs:
            raise ConfigError(f"EvalSet {self.name} holds no programs")

    def __len__(self) -> int:
        return len(self.programs)

    @property
    def origin(self) -> np.ndarray:
        """``[n]`` origin names (``solution``, ``incorrect_solution``, ``mutant``, ``rewrite``)."""
        return np.asarray([p.origin for p in self.programs])

    @property
    def group(self) -> np.ndarray:
        """``[n]`` problem index (problems sorted by name)."""
        names = sorted({p.problem for p in self.programs})
        index = {name: i for i, name in enumerate(names)}
        return np.asarray([index[p.problem] for p in self.programs], dtype=np.int64)

    def counts(self) -> dict:
        """Programs per origin and number of problems."""
        return {
            "programs": len(self),
            "problems": len({p.problem for p in self.programs}),
            "by_origin": dict(sorted(Counter(p.origin for p in self.programs).items())),
        }


def codecontests_eval_set(
    root: str | os.PathLike[str],
    split: str,
    *,
    settings: LabelSettings | None = None,
    import_min_count: int = 2,
    sandbox_cache: str | os.PathLike[str] | None = SANDBOX_CACHE_DIR,
    workers: int | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> EvalSet:
    """A split of a prepared CodeContests root (processed, and cached, on first use).

    ``settings``, ``import_min_count`` and ``limit`` are part of the dataset's cache key:
    pass the training run's values to score exactly the programs it validated on.
    """
    dataset = CodeContestsDataset(
        root,
        split,
        settings=settings,
        import_min_count=import_min_count,
        sandbox_cache=sandbox_cache,
        workers=workers,
        limit=limit,
        progress=progress,
    )
    graphs = [dataset.get(i) for i in range(len(dataset))]
    bug_node = np.asarray([int(g.bug_node.reshape(-1)[0]) for g in graphs], dtype=np.int64)
    info = {
        "root": str(Path(root).expanduser()),
        "split": split,
        "cache": str(dataset.cache_path),
        "label_settings": asdict(dataset.settings),
    }
    return EvalSet(f"codecontests/{split}", list(dataset.programs), graphs, bug_node, info)


def humaneval_eval_set(
    settings: HumanEvalSettings | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = CACHE_DIR,
    workers: int | None = None,
    progress: bool = True,
) -> EvalSet:
    """HumanEval's canonical solutions and verified failing mutants, with their graphs."""
    candidates = build_candidates(settings, cache_dir=cache_dir, workers=workers, progress=progress)
    builder = CodeGraphBuilder()
    programs, graphs, bug_nodes = [], [], []
    unlocated = 0
    for program in candidates.programs:
        try:
            graph = builder.build(program.source, strip_imports=True)
        except SourceError as error:
            logger.warning("HumanEval %s: no graph (%s); left out", program.problem, error)
            continue
        node = -1
        if program.bug_span is not None:
            node = locate_node(graph.node_span, program.bug_span)
            unlocated += node < 0
        programs.append(program)
        graphs.append(graph)
        bug_nodes.append(node)
    info = {
        "verification": candidates.stats,
        "cache": str(candidates.cache_path) if candidates.cache_path else None,
        "mutants_without_located_node": unlocated,
    }
    return EvalSet("humaneval", programs, graphs, np.asarray(bug_nodes, dtype=np.int64), info)


# ---------------------------------------------------------------------- scores
@dataclass
class SystemScores:
    """What one system predicts for every program of an :class:`EvalSet` (``None``: not this task).

    Attributes:
        name: column name in the report.
        confidence_prob: ``[n]`` P(correct) in [0, 1] (enables Brier and ECE).
        confidence_score: ``[n]`` ranking score (higher = more likely correct); defaults
            to ``confidence_prob``.
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


def model_scores(
    model: YantraGNN,
    graphs: Sequence[Data],
    *,
    batch_size: int = 64,
    device: DeviceLike = "auto",
    transform: BaseTransform | None = None,
) -> SystemScores:
    """Run ``model`` (eval mode, no gradients) over ``graphs`` in batches of ``batch_size``."""
    if batch_size < 1:
        raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
    target = resolve_device(device)
    model = model.to(target).eval()
    conf, imports, bugs, embeddings, nodes = [], [], [], [], []
    keys = ("x", "edge_index", "edge_type", "node_span")
    with torch.inference_mode():
        for start in range(0, len(graphs), batch_size):
            chunk = []
            for graph in graphs[start : start + batch_size]:
                graph = transform(graph) if transform is not None else graph
                chunk.append(Data(**{k: graph[k] for k in keys}, num_nodes=graph.num_nodes))
            batch = batch_to_device(Batch.from_data_list(chunk), target)
            out = model(batch)
            conf.append(torch.sigmoid(out.confidence_logit).double().cpu())
            imports.append(torch.sigmoid(out.import_logits).double().cpu())
            bugs.append(torch.sigmoid(out.bug_logits).double().cpu())
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
    )


def label_matrix(
    programs: Sequence[LabelledProgram], attribute: str, columns: Sequence[str]
) -> tuple[np.ndarray, int]:
    """``[n, len(columns)]`` 0/1 from each program's ``imports`` / ``bug_classes``, and how
    many labels fell outside ``columns``."""
    index = {name: i for i, name in enumerate(columns)}
    out = np.zeros((len(programs), len(columns)))
    outside = 0
    for row, program in enumerate(programs):
        for name in getattr(program, attribute):
            if name in index:
                out[row, index[name]] = 1.0
            else:
                outside += 1
    return out, outside


@dataclass
class Baselines:
    """Baselines fitted on a training split (see :func:`fit_baselines`)."""

    name_lookup: NameLookupImports
    bag: BagOfFeatures
    confidence: LogisticRegression
    imports: LogisticRegression
    bugs: LogisticRegression
    train_positive_rate: float
    info: dict


def fit_baselines(
    train: EvalSet, import_vocab: Sequence[str], bug_classes: Sequence[str]
) -> Baselines:
    """Fit the name lookup and the bag-of-features logistic regressions on ``train``.

    Every training program teaches confidence; the dataset's own programs (not mutants
    or rewrites, which repeat them) teach imports; programs with known bug labels teach
    bugs — the same rows the model's losses see.
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
    if not known.any():
        raise ConfigError(f"{train.name}: no program has known bug labels; cannot fit bugs")
    bugs = LogisticRegression().fit(features[known], bug_y[known])
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
        systems.append(
            SystemScores(
                BAG,
                confidence_prob=baselines.confidence.predict_proba(features)[:, 0],
                import_score=baselines.imports.predict_proba(features),
                bug_score=baselines.bugs.predict_proba(features),
                embedding=features,
            )
        )
    systems.append(SystemScores(SHORTEST, confidence_score=length_scores(sources)))
    prior = None if baselines is None else np.full(n, baselines.train_positive_rate)
    systems.append(SystemScores(RANDOM, confidence_prob=prior, confidence_score=np.zeros(n)))
    return systems


# ---------------------------------------------------------------------- protocol helpers
def crossfit_thresholds(
    y_true: np.ndarray, y_score: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, list[float], str]:
    """Per-row thresholds chosen on the *other* fold of problems (2-fold cross-fitting).

    Problems (``group`` values, sorted) alternate between fold 0 and fold 1; each row gets
    the :func:`~yantra_gnn.evaluation.metrics.choose_threshold` of the other fold. With a single
    problem there is no other fold: the threshold is chosen on the rows themselves
    (in-sample, said in the returned protocol string).

    Returns:
        ``[m]`` thresholds, the two fold thresholds, and the protocol used.
    """
    problems = np.unique(group)
    fold_of = {g: i % 2 for i, g in enumerate(problems)}
    fold = np.asarray([fold_of[g] for g in group])
    if len(problems) < 2:
        t = choose_threshold(y_true, y_score)
        return np.full(len(group), t), [t], "in-sample (one problem only)"
    chosen = []
    per_row = np.zeros(len(group))
    for f in (0, 1):
        other = fold != f
        t = choose_threshold(y_true[other], y_score[other])
        chosen.append(t)
        per_row[fold == f] = t
    return per_row, chosen, "2-fold cross-fit over problems"


def rewrite_originals(
    programs: Sequence[LabelledProgram], graphs: Sequence[Data]
) -> list[tuple[int, int]]:
    """``(rewrite index, original index)`` pairs: which solution each rewrite was made from.

    The dataset does not store it, so it is recovered: among the passing solutions of the
    same problem, the one whose graph has the same node-kind multiset (renaming and
    mirrored comparisons keep it) and, among those (or all, when none match), the most
    similar source text (``difflib`` ratio).
    """
    solutions: dict[str, list[int]] = {}
    for i, p in enumerate(programs):
        if p.origin == "solution" and p.confidence == 1.0:
            solutions.setdefault(p.problem, []).append(i)

    shapes: dict[int, tuple[int, ...]] = {}

    def shape(i: int) -> tuple[int, ...]:
        if i not in shapes:
            shapes[i] = tuple(sorted(graphs[i].node_kind.tolist()))
        return shapes[i]

    pairs = []
    for i, p in enumerate(programs):
        candidates = solutions.get(p.problem, []) if p.origin == "rewrite" else []
        if not candidates:
            continue
        same_shape = [c for c in candidates if shape(c) == shape(i)] or candidates
        best = same_shape[0]
        if len(same_shape) > 1:
            best = max(
                same_shape,
                key=lambda c: difflib.SequenceMatcher(None, programs[c].source, p.source).ratio(),
            )
        pairs.append((i, best))
    return pairs


# ---------------------------------------------------------------------- evaluation
def evaluate_systems(
    eval_set: EvalSet,
    systems: Sequence[SystemScores],
    import_vocab: Sequence[str],
    bug_classes: Sequence[str],
    *,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, Any]:
    """Every system on the same rows with the same evaluators.

    Returns a dict with ``metrics`` (``{system: {task: {metric: value}}}``),
    ``thresholds`` (``{system: {task: [fold thresholds]}}``), ``rows`` (how many rows
    each task used), ``labels`` (labels outside the vocabularies) and ``reliability``
    (calibration bins of each probabilistic system).
    """
    origin = eval_set.origin
    group = eval_set.group
    programs = eval_set.programs
    confidence_rows = np.flatnonzero(np.isin(origin, ("solution", "incorrect_solution", "mutant")))
    import_rows = np.flatnonzero(np.isin(origin, ("solution", "incorrect_solution")))
    bug_rows = np.flatnonzero([p.bugs_known for p in programs])
    location_rows = np.flatnonzero((origin == "mutant") & (eval_set.bug_node >= 0))
    solution_rows = np.flatnonzero(
        (origin == "solution") & np.asarray([p.confidence == 1.0 for p in programs])
    )
    rewrite_rows = np.flatnonzero(origin == "rewrite")
    pairs = rewrite_originals(programs, eval_set.graphs)

    y_conf = np.asarray([p.confidence for p in programs])
    y_imports, imports_outside = label_matrix(
        [programs[i] for i in import_rows], "imports", import_vocab
    )
    y_bugs_all, bugs_outside = label_matrix(programs, "bug_classes", bug_classes)
    rows = {
        "confidence": len(confidence_rows),
        "confidence_problems": len(np.unique(group[confidence_rows])),
        "imports": len(import_rows),
        "imports_with_labels": int((y_imports.sum(axis=1) > 0).sum()),
        "bugs": len(bug_rows),
        "bug_location": len(location_rows),
        "embedding_solutions": len(solution_rows),
        "embedding_with_rewrites": len(solution_rows) + len(rewrite_rows),
        "rewrite_queries": len(pairs),
    }
    metrics: dict[str, dict[str, Metrics]] = {}
    thresholds: dict[str, dict[str, list[float]]] = {}
    threshold_protocol: set[str] = set()
    reliability: dict[str, dict] = {}
    confidence_eval = Evaluator("confidence", num_bins=num_bins)
    for system in systems:
        result: dict[str, Metrics] = {}
        chosen: dict[str, list[float]] = {}
        # Confidence.
        score = system.confidence_score
        if score is None:
            score = system.confidence_prob
        if score is not None and len(confidence_rows):
            inputs = {
                "y_true": y_conf[confidence_rows],
                "y_score": score[confidence_rows],
                "group": group[confidence_rows],
            }
            if system.confidence_prob is not None:
                inputs["y_prob"] = system.confidence_prob[confidence_rows]
                reliability[system.name] = reliability_bins(
                    y_conf[confidence_rows], system.confidence_prob[confidence_rows], num_bins
                )
            result["confidence"] = confidence_eval.eval(inputs)
        # Imports and bugs.
        for task, scores, truth, task_rows, names in (
            ("imports", system.import_score, y_imports, import_rows, import_vocab),
            ("bugs", system.bug_score, y_bugs_all[bug_rows], bug_rows, bug_classes),
        ):
            if scores is None or len(task_rows) == 0:
                continue
            task_scores = scores[task_rows]
            per_row, folds, protocol = crossfit_thresholds(truth, task_scores, group[task_rows])
            threshold_protocol.add(protocol)
            chosen[task] = folds
            result[task] = Evaluator(task, class_names=names).eval(
                {"y_true": truth, "y_score": task_scores, "threshold": per_row}
            )
        # Bug location.
        if system.node_score is not None and len(location_rows):
            result["bug_location"] = Evaluator("bug_location").eval(
                {
                    "node_score": np.concatenate([system.node_score[i] for i in location_rows]),
                    "batch": np.concatenate(
                        [
                            np.full(len(system.node_score[i]), b, dtype=np.int64)
                            for b, i in enumerate(location_rows)
                        ]
                    ),
                    "node_span": np.concatenate(
                        [eval_set.graphs[i].node_span.numpy() for i in location_rows]
                    ),
                    "bug_node": eval_set.bug_node[location_rows],
                }
            )
        # Embeddings.
        if system.embedding is not None:
            with_rewrites = np.r_[solution_rows, rewrite_rows]
            for key, selected in (("solutions", solution_rows), ("with_rewrites", with_rewrites)):
                if len(selected):
                    result[f"embedding_{key}"] = Evaluator("embedding").eval(
                        {"embedding": system.embedding[selected], "group": group[selected]}
                    )
            if pairs:
                query = np.asarray([q for q, _ in pairs], dtype=np.int64)
                target = np.asarray([t for _, t in pairs], dtype=np.int64)
                for key, mask in (
                    ("all", origin != "rewrite"),
                    ("solutions", origin == "solution"),
                ):
                    result[f"rewrite_retrieval_{key}"] = Evaluator("rewrite_retrieval").eval(
                        {
                            "embedding": system.embedding,
                            "query": query,
                            "target": target,
                            "candidate_mask": mask,
                        }
                    )
        metrics[system.name] = result
        if chosen:
            thresholds[system.name] = chosen
    return {
        "metrics": metrics,
        "thresholds": thresholds,
        "threshold_protocol": sorted(threshold_protocol),
        "rows": rows,
        "labels": {
            "imports_outside_vocab": imports_outside,
            "bugs_outside_classes": bugs_outside,
            "import_vocab": list(import_vocab),
            "bug_classes": list(bug_classes),
        },
        "reliability": reliability,
    }


def write_reliability_plot(
    eval_set: EvalSet,
    systems: Sequence[SystemScores],
    path: str | os.PathLike[str],
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> Path | None:
    """Reliability diagram of every system with probabilities, on the confidence rows."""
    rows = np.flatnonzero(np.isin(eval_set.origin, ("solution", "incorrect_solution", "mutant")))
    y_true = np.asarray([eval_set.programs[i].confidence for i in rows])
    curves = {
        s.name: (y_true, s.confidence_prob[rows]) for s in systems if s.confidence_prob is not None
    }
    if not curves or len(rows) == 0:
        return None
    return plot_reliability_diagram(
        curves, path, title=f"Confidence calibration — {eval_set.name}", num_bins=num_bins
    )


# ---------------------------------------------------------------------- table
def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.3f}"
    return str(value)


def _table(rows: list[tuple[str, dict[str, Any]]], columns: Sequence[str]) -> list[str]:
    """Markdown table; ``rows`` are ``(label, {column: value})``; a missing column is '—'."""
    used = [c for c in columns if any(c in values for _, values in rows)]
    lines = ["| metric | " + " | ".join(used) + " |", "|---" * (len(used) + 1) + "|"]
    for label, values in rows:
        cells = [_fmt(values[c]) if c in values else "—" for c in used]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _row(
    metrics: dict[str, dict[str, Metrics]], task: str, key: str, systems: Sequence[str]
) -> dict[str, Any]:
    return {s: metrics[s][task].get(key) for s in systems if task in metrics.get(s, {})}


def format_report(report: dict[str, Any]) -> str:
    """The report as markdown: a header, then one table per task (systems side by side)."""
    metrics = report["metrics"]
    rows = report["rows"]
    systems = [s for s in SYSTEMS if s in metrics] + [s for s in metrics if s not in SYSTEMS]
    counts = report["eval_set"]["counts"]
    lines = [
        f"## {report['eval_set']['name']} — {counts['programs']} programs, "
        f"{counts['problems']} problems",
        "",
        f"model: `{report['model']}` (edges: {report['edges']}); baselines fitted on: "
        f"{report.get('baselines', {}).get('fitted_on', 'none (untrained baselines only)')}",
        f"programs by origin: {counts['by_origin']}",
    ]
    verification = report["eval_set"].get("verification")
    if verification:
        kept = sum(verification["mutants_kept"].values())
        tried = sum(verification["mutants_tried"].values())
        lines.append(
            f"verified in the sandbox: {verification['canonical_passed']}/"
            f"{verification['problems']} canonical solutions pass their checks; {kept} of "
            f"{tried} mutants fail them and are kept ({verification['mutants_passing_dropped']} "
            "passed and were dropped)"
        )
    lines.append("")
    if "confidence" in metrics.get(MODEL, {}):
        mixed = metrics[MODEL]["confidence"].get("problems_mixed")
        problems = metrics[MODEL]["confidence"].get("problems_all")
        conf_rows = [
            ("AUROC", _row(metrics, "confidence", "auroc", systems)),
            ("Brier (lower is better)", _row(metrics, "confidence", "brier", systems)),
            ("ECE, 15 bins (lower is better)", _row(metrics, "confidence", "ece", systems)),
            (
                f"ranked pass@1, mixed problems (n={mixed})",
                _row(metrics, "confidence", "pass1_ranked_mixed", systems),
            ),
            (
                f"ranked pass@1, all problems (n={problems})",
                _row(metrics, "confidence", "pass1_ranked_all", systems),
            ),
        ]
        lines += [
            f"### Confidence ({rows['confidence']} candidates)",
            "",
            *_table(conf_rows, systems),
            "",
            "random = a constant score (every candidate tied: a uniform random pick; "
            "its Brier/ECE are those of the training positive rate).",
            "",
        ]
    for task, title in (("imports", "Imports"), ("bugs", "Bug classes")):
        if task not in metrics.get(MODEL, {}):
            continue
        keys = [
            ("micro F1", "micro_f1"),
            ("macro F1", "macro_f1"),
            ("micro precision", "micro_precision"),
            ("micro recall", "micro_recall"),
            ("AUROC, macro over classes", "auroc_macro"),
            ("AUROC, micro", "auroc_micro"),
        ]
        task_rows = [(label, _row(metrics, task, key, systems)) for label, key in keys]
        thresholds = {
            s: " / ".join(f"{t:.3f}" for t in report["thresholds"][s][task])
            for s in systems
            if task in report["thresholds"].get(s, {})
        }
        task_rows.append(("thresholds (fold 0 / fold 1)", thresholds))
        lines += [f"### {title} ({rows[task]} programs)", "", *_table(task_rows, systems), ""]
        if task == "imports":
            lines += [
                f"{rows['imports_with_labels']} of them import a vocabulary module; "
                f"{report['labels']['imports_outside_vocab']} imports fall outside the "
                "model's vocabulary (not scored).",
                "",
            ]
        if task == "bugs":
            per_class = []
            for name in report["labels"]["bug_classes"]:
                support = metrics[MODEL]["bugs"].get(f"support/{name}")
                per_class.append(
                    (f"F1 {name} (support {support})", _row(metrics, "bugs", f"f1/{name}", systems))
                )
            for name in report["labels"]["bug_classes"]:
                per_class.append((f"AUROC {name}", _row(metrics, "bugs", f"auroc/{name}", systems)))
            lines += ["Per class:", "", *_table(per_class, systems), ""]
    if "bug_location" in metrics.get(MODEL, {}):
        location = metrics[MODEL]["bug_location"]
        loc_rows = [
            (
                "top-1 accuracy (node in mutated span)",
                {MODEL: location["top1_accuracy"], RANDOM: location["random_top1_accuracy"]},
            ),
            ("top-1 exact node", {MODEL: location["top1_exact"]}),
        ]
        lines += [
            f"### Bug location ({location['num_graphs']} mutants)",
            "",
            *_table(loc_rows, [MODEL, RANDOM]),
            "",
            "random = expected accuracy of a uniformly random node of the graph.",
            "",
        ]
    embedding_rows = []
    queries = 0
    for label, task, key in (
        ("MAP@R, solutions", "embedding_solutions", "map_at_r"),
        ("MAP@R, solutions + rewrites", "embedding_with_rewrites", "map_at_r"),
        ("rewrite → original top-1, all distractors", "rewrite_retrieval_all", "top1_accuracy"),
        (
            "rewrite → original top-1, solution distractors",
            "rewrite_retrieval_solutions",
            "top1_accuracy",
        ),
    ):
        values = _row(metrics, task, key, systems)
        if values:
            count = metrics[MODEL].get(task, {}).get("num_queries", 0)
            queries += count
            embedding_rows.append((f"{label} (queries: {count})", values))
    if queries:
        lines += ["### Code embedding", "", *_table(embedding_rows, systems), ""]
    else:
        lines += [
            "### Code embedding",
            "",
            "not scored: no problem here has two correct programs (MAP@R needs R >= 1) "
            "and there are no rewrites.",
            "",
        ]
    if report.get("plots"):
        lines += ["Plots: " + ", ".join(f"`{p}`" for p in report["plots"]), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------- orchestration
def evaluate_model(
    model: YantraGNN,
    eval_set: EvalSet,
    *,
    train_set: EvalSet | None = None,
    model_name: str = "model",
    edges: str = "all",
    transform: BaseTransform | None = None,
    batch_size: int = 64,
    device: DeviceLike = "auto",
    plots: str | os.PathLike[str] | None = None,
    num_bins: int = DEFAULT_CALIBRATION_BINS,
) -> dict[str, Any]:
    """Score ``model`` and the baselines on ``eval_set``; return the JSON-able report.

    Args:
        model: the trained model (its config's vocabularies define the label columns).
        eval_set: what to evaluate on.
        train_set: the training split the learned baselines are fitted on (``None``:
            only the shortest-solution and random baselines).
        model_name: how the report names the model (e.g. its file path).
        edges: ``"all"`` or ``"syntax"`` (recorded; ``transform`` does the filtering).
        transform: applied to every graph before the model (e.g. ``SyntaxEdgesOnly``).
        plots: directory for the reliability diagram (``None``: no plot).
    """
    started = time.perf_counter()
    import_vocab = model.config.import_vocab
    bug_classes = model.config.bug_classes
    systems = [
        model_scores(
            model, eval_set.graphs, batch_size=batch_size, device=device, transform=transform
        )
    ]
    baselines = fit_baselines(train_set, import_vocab, bug_classes) if train_set else None
    systems += baseline_scores(baselines, eval_set)
    report: dict[str, Any] = {
        "model": model_name,
        "model_config": model.config.to_dict(),
        "edges": edges,
        "device": str(resolve_device(device)),
        "eval_set": {"name": eval_set.name, "counts": eval_set.counts(), **eval_set.info},
        "baselines": baselines.info if baselines else {},
        "protocol": PROTOCOL,
        "origins": list(ORIGINS),
    }
    report.update(evaluate_systems(eval_set, systems, import_vocab, bug_classes, num_bins=num_bins))
    report["plots"] = []
    if plots is not None:
        name = eval_set.name.replace("/", "-")
        path = write_reliability_plot(
            eval_set, systems, Path(plots) / f"reliability-{name}.png", num_bins
        )
        if path is not None:
            report["plots"].append(str(path))
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report
