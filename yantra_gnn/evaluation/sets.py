"""What is evaluated: labelled programs with their model input graphs.

An :class:`EvalSet` holds one :class:`~yantra_gnn.labels.labelling.LabelledProgram` per
graph (built with ``strip_imports=True``) and the mutated node of each graph. Three
sources build one: a prepared CodeContests split (:func:`codecontests_eval_set`), the
verified HumanEval candidates (:func:`humaneval_eval_set`) and the real bugs of a
ConDefects file, judged by AtCoder (:func:`condefects_eval_set`: it also carries the
fix ↔ faulty pairs and the fault lines). :func:`label_matrix` turns the
programs' import or bug labels into the 0/1 columns the metrics score.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from torch_geometric.data import Data

from yantra_gnn.data.dataset import CodeContestsDataset, locate_node
from yantra_gnn.datasets.codecontests import DEFAULT_VAL_FRACTION
from yantra_gnn.datasets.condefects import load_pairs, split_pairs
from yantra_gnn.errors import ConfigError, SourceError
from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.home import CACHE_DIR, SANDBOX_CACHE_DIR
from yantra_gnn.labels.condefects import label_pairs
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings

logger = logging.getLogger(__name__)


@dataclass
class EvalSet:
    """Labelled programs with their model input graphs.

    Attributes:
        name: e.g. ``codecontests/val`` or ``humaneval``.
        programs: one :class:`LabelledProgram` per graph.
        graphs: ``Data`` from ``CodeGraphBuilder.build(source, strip_imports=True)``.
        bug_node: ``[n]`` the mutated node within each graph, -1 for none.
        info: provenance and counts, copied into the report.
        pairs: ``[P, 2]`` rows ``(fix, its faulty version)`` of real bug pairs
            (ConDefects), or ``None``.
        fault_lines: per program, the 1-based fault lines of a real bug (empty when
            none or not located), or ``None``.
    """

    name: str
    programs: list[LabelledProgram]
    graphs: list[Data]
    bug_node: np.ndarray
    info: dict = field(default_factory=dict)
    pairs: np.ndarray | None = None
    fault_lines: list[tuple[int, ...]] | None = None

    def __post_init__(self) -> None:
        if not (len(self.programs) == len(self.graphs) == len(self.bug_node)):
            raise ConfigError(
                f"EvalSet {self.name}: {len(self.programs)} programs, {len(self.graphs)} "
                f"graphs and {len(self.bug_node)} bug nodes must be aligned"
            )
        if not self.programs:
            raise ConfigError(f"EvalSet {self.name} holds no programs")
        if self.pairs is not None:
            pairs = np.asarray(self.pairs, dtype=np.int64).reshape(-1, 2)
            if pairs.size and (pairs.min() < 0 or pairs.max() >= len(self.programs)):
                raise ConfigError(f"EvalSet {self.name}: pairs must index its programs")
            self.pairs = pairs
        if self.fault_lines is not None and len(self.fault_lines) != len(self.programs):
            raise ConfigError(
                f"EvalSet {self.name}: {len(self.fault_lines)} fault-line entries for "
                f"{len(self.programs)} programs"
            )

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


def condefects_eval_set(
    path: str | os.PathLike[str],
    split: str = "val",
    *,
    seed: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    limit: int | None = None,
    progress: bool = True,
) -> EvalSet:
    """The pairs of one split of a ConDefects file, labelled by the judge's verdicts.

    The file is read where it is (:func:`~yantra_gnn.datasets.condefects.load_pairs`)
    and split by task (:func:`~yantra_gnn.datasets.condefects.split_pairs`, ``seed`` and
    ``val_fraction``); ``limit`` keeps the first N tasks of the split (sorted by name).
    Each pair gives two rows, the accepted fix then the rejected submission
    (:mod:`yantra_gnn.labels.condefects`), grouped by task; ``pairs`` holds their rows
    and ``fault_lines`` the faulty rows' fault lines. A pair whose fix or faulty version
    has no graph (empty, too large) is left out, both rows, and counted in ``info``.
    """
    from tqdm.auto import tqdm

    if limit is not None and limit < 1:
        raise ConfigError(f"limit must be >= 1, got {limit}")
    source = Path(path).expanduser()
    chosen = split_pairs(load_pairs(source), split, seed=seed, val_fraction=val_fraction)
    if limit is not None:
        tasks = set(sorted({p.task for p in chosen})[:limit])
        chosen = [p for p in chosen if p.task in tasks]
    builder = CodeGraphBuilder()
    programs: list[LabelledProgram] = []
    graphs: list[Data] = []
    fault_lines: list[tuple[int, ...]] = []
    pairs: list[tuple[int, int]] = []
    dropped: list[str] = []
    for pair in tqdm(
        label_pairs(chosen), desc=f"graphs (condefects/{split})", disable=not progress
    ):
        try:
            built = [builder.build(p.source, strip_imports=True) for p in (pair.fixed, pair.faulty)]
        except SourceError as error:
            logger.warning(
                "ConDefects submission %s: no graph (%s); pair left out", pair.submission_id, error
            )
            dropped.append(pair.submission_id)
            continue
        pairs.append((len(programs), len(programs) + 1))
        programs += [pair.fixed, pair.faulty]
        graphs += built
        fault_lines += [(), pair.fault_lines]
    if not programs:
        raise ConfigError(f"{source}: the {split} split holds no usable ConDefects pair")
    info = {
        "path": str(source),
        "split": split,
        "seed": seed,
        "val_fraction": val_fraction,
        "limit": limit,
        "pairs": len(pairs),
        "tasks": len({p.problem for p in programs}),
        "pairs_without_graph": dropped,
        "faulty_without_located_line": sum(
            1 for i in range(1, len(programs), 2) if not fault_lines[i]
        ),
        "labels": "AtCoder judge verdicts (no sandbox run)",
    }
    return EvalSet(
        f"condefects/{split}",
        programs,
        graphs,
        np.full(len(programs), -1, dtype=np.int64),
        info,
        pairs=np.asarray(pairs, dtype=np.int64),
        fault_lines=fault_lines,
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
