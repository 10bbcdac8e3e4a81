"""Incremental learning: continue a trained model on new data without forgetting.

``yantra-gnn train --continue-from MODEL --data NEW`` (``TrainConfig.continue_from``)
starts from ``MODEL``'s weights (:func:`yantra_gnn.checkpoint.initialise_from`, import
rows matched by module name) and trains on ``NEW`` with

- a **replay buffer**: ``replay_size`` graphs of the earlier training split (whole
  problems in a seeded random order, so the contrastive loss keeps its positives),
  joined to the new training split (:func:`replay_programs`);
- a **lower learning rate**: ``lr * continue_lr_scale``;
- the **success-only rule**: a program is a positive of the confidence and embedding
  heads only when its pass rate is at least ``min_pass_rate`` (:func:`success_only`);

and then compares the old and the new model on the old validation split and on the new
data's validation split (:func:`compare_models`), writes ``continue_report.json`` and
refuses to promote a model whose old-validation score dropped by more than
``promote_margin`` (:func:`promotion_decision`, :func:`register_continued`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch_geometric.loader import DataLoader

from yantra_gnn.checkpoint import (
    checkpoint_metadata,
    load_model_for_inference,
    register_model,
    resolve_model_path,
)
from yantra_gnn.data.dataset import CodeContestsDataset, LabelledGraphs, ProgramGraphs
from yantra_gnn.data.loader import DataLoaders, GroupBatchSampler
from yantra_gnn.device import batch_to_device, precision_context
from yantra_gnn.errors import CheckpointError, ConfigError
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.nn import YantraGNN
from yantra_gnn.registry import DEFAULT_ALIAS, ModelRegistry, parse_reference
from yantra_gnn.train.config import TrainConfig
from yantra_gnn.train.metrics import collect_predictions, headline_metrics, validation_score

logger = logging.getLogger(__name__)

#: The report a continued run writes in its output folder.
CONTINUE_REPORT = "continue_report.json"
#: The metric the promotion rule compares (``yantra_gnn.train.metrics.validation_score``).
PROMOTION_METRIC = "score"
#: Metrics shown in the side-by-side table (all are in the report).
TABLE_METRICS: tuple[str, ...] = (
    "score",
    "confidence_auroc",
    "confidence_pass1_ranked",
    "import_auroc",
    "bug_location_top1",
)
_PASSED = re.compile(r"passed (\d+)/(\d+)")
#: The verdict of a program whose pass rate was reported without test counts
#: (``yantra-gnn learn``'s ``"pass_rate"``).
_PASS_RATE = re.compile(r"pass rate ([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)")


@dataclass(frozen=True)
class ContinueSource:
    """The model a continued run starts from and the data it was trained on.

    Attributes:
        model: ``TrainConfig.continue_from`` as given (a path or a registry reference).
        model_path: its file.
        replay_root: the prepared dataset it was trained on (replay buffer and old
            validation split).
    """

    model: str
    model_path: Path
    replay_root: Path


def recorded_training_data(
    model: str, path: Path, *, registry: ModelRegistry | None = None
) -> str | None:
    """The ``data`` a saved model was trained on, when it was recorded: the registry
    card's ``training_data`` for a reference (in ``registry``, default the default
    registry), else the training checkpoint's metadata (the file itself when it is a
    checkpoint, else ``NAME.pt`` next to it)."""
    if parse_reference(model) is not None and not Path(model).expanduser().exists():
        value = (registry or ModelRegistry()).resolve(model).card.get("training_data")
        return str(value) if value else None
    checkpoint = path if path.suffix == ".pt" else path.with_suffix(".pt")
    if not checkpoint.is_file():
        return None
    try:
        value = checkpoint_metadata(checkpoint).get("data")
    except CheckpointError as error:
        logger.warning("no training metadata in %s: %s", checkpoint, error)
        return None
    return str(value) if value else None


def resolve_continue_source(
    config: TrainConfig, *, registry: ModelRegistry | None = None
) -> ContinueSource | None:
    """The model and earlier data of a continued run (``None`` when not continuing).

    Args:
        registry: where registry references are looked up (default: the default
            registry, ``$YANTRA_MODELS_DIR`` or ``~/.yantra/models``).

    Raises:
        ConfigError: the model does not exist, or its earlier data is unknown or not a
            prepared dataset folder (the message says to give ``--replay-data``).
    """
    if not config.continue_from:
        return None
    try:
        path = resolve_model_path(config.continue_from, registry=registry)
    except CheckpointError as error:
        raise ConfigError(f"continue_from: {error}") from None
    if not path.is_file():
        raise ConfigError(f"continue_from: model file {path} does not exist")
    try:
        replay = config.replay_data or recorded_training_data(
            config.continue_from, path, registry=registry
        )
    except CheckpointError as error:
        raise ConfigError(f"continue_from: {error}") from None
    if not replay:
        raise ConfigError(
            f"continue_from: {path} does not record the data it was trained on; give it "
            "with --replay-data (a prepared dataset folder)"
        )
    root = Path(replay).expanduser()
    if not all((root / f"{split}.jsonl").is_file() for split in ("train", "val")):
        raise ConfigError(
            f"replay data {root} is not a prepared dataset folder (train.jsonl and "
            "val.jsonl); give the earlier data with --replay-data"
        )
    return ContinueSource(config.continue_from, path, root)


# ---------------------------------------------------------------------- training data
def pass_rate(program: LabelledProgram) -> float:
    """The share of its tests a program passed, from its stored labels.

    A passing run's verdict is ``passed K/N``; the labels keep pass/fail only
    (``confidence``), and a program is a positive only when it passed every test it
    was run on, so a positive's pass rate is 1.0. A failing program's verdict names its
    first failure, not how many tests passed: it counts as 0.0 (below any threshold;
    it is a negative anyway). A streamed program (``yantra-gnn learn``) records
    ``passed K/N``, or ``pass rate R`` when it came with a rate only.
    """
    match = _PASSED.fullmatch(program.verdict)
    if match and int(match.group(2)) > 0:
        return int(match.group(1)) / int(match.group(2))
    rate = _PASS_RATE.fullmatch(program.verdict)
    if rate:
        return float(rate.group(1))
    return 1.0 if program.confidence >= 0.5 else 0.0


def meets_success_rule(rate: float, min_pass_rate: float) -> bool:
    """The success-only rule: may a program with this pass rate be a positive of the
    confidence and embedding heads? (Its pass rate is at least ``min_pass_rate``.)"""
    return rate >= min_pass_rate


def success_only(
    programs: Sequence[LabelledProgram], min_pass_rate: float
) -> tuple[list[LabelledProgram], int]:
    """The programs the success-only rule keeps, and how many it dropped.

    Positives (``confidence`` 1) feed the confidence head and are the embedding head's
    contrastive positives; one whose :func:`pass_rate` is below ``min_pass_rate`` is
    dropped. Negatives are kept.
    """
    kept = [
        p for p in programs if p.confidence < 0.5 or meets_success_rule(pass_rate(p), min_pass_rate)
    ]
    return kept, len(programs) - len(kept)


def replay_programs(
    root: Path, config: TrainConfig, *, sandbox_cache: str | None = None
) -> list[LabelledProgram]:
    """``config.replay_size`` programs of the earlier training split, for the replay
    buffer: whole problems in a random order seeded by ``config.seed`` (the last one
    cut), each renamed ``replay/PROBLEM`` so that it is a group of its own.

    The split is labelled with ``config.labels`` (its dataset cache is reused when the
    earlier run used the same label settings).
    """
    if config.replay_size == 0:
        return []
    extra: dict[str, Any] = {} if sandbox_cache is None else {"sandbox_cache": sandbox_cache}
    old = CodeContestsDataset(
        root,
        "train",
        settings=config.labels,
        import_min_count=config.import_min_count,
        limit=config.limit,
        progress=config.progress,
        **extra,
    )
    by_problem: dict[str, list[LabelledProgram]] = {}
    for program in old.programs:
        by_problem.setdefault(program.problem, []).append(program)
    order = sorted(by_problem)
    random.Random(f"replay:{config.seed}").shuffle(order)
    chosen: list[LabelledProgram] = []
    for problem in order:
        chosen += by_problem[problem][: config.replay_size - len(chosen)]
        if len(chosen) >= config.replay_size:
            break
    logger.info(
        "replay buffer: %d of %d graphs of %s (train split)", len(chosen), len(old.programs), root
    )
    return [dataclasses.replace(p, problem=f"replay/{p.problem}") for p in chosen]


def apply_success_only(loaders: DataLoaders, config: TrainConfig) -> tuple[DataLoaders, int]:
    """The loaders with the success-only rule applied to the training split, and the
    number of positives dropped (the loaders unchanged when none is)."""
    kept, dropped = success_only(loaders.train_set.programs, config.min_pass_rate)
    if dropped == 0:
        return loaders, 0
    logger.info(
        "success-only rule: %d positives below pass rate %g dropped", dropped, config.min_pass_rate
    )
    train_set = ProgramGraphs(
        kept,
        loaders.train_set.import_vocab,
        loaders.train_set.bug_classes,
        name=loaders.train_set.split,
        progress=config.progress,
    )
    sampler = GroupBatchSampler(
        train_set.groups, config.batch_size, per_group=config.per_group, seed=config.seed
    )
    loaders = dataclasses.replace(
        loaders,
        train=DataLoader(train_set, batch_sampler=sampler),
        train_set=train_set,
        sampler=sampler,
    )
    return loaders, dropped


# ---------------------------------------------------------------------- comparison
def old_validation_set(root: Path, config: TrainConfig) -> CodeContestsDataset:
    """The earlier data's validation split (the "old validation set" of the comparison),
    labelled with ``config.labels`` (its dataset cache is reused when the earlier run
    used the same label settings)."""
    return CodeContestsDataset(
        root,
        "val",
        settings=config.labels,
        import_min_count=config.import_min_count,
        limit=config.limit,
        progress=config.progress,
    )


def split_for(model: YantraGNN, dataset: LabelledGraphs) -> LabelledGraphs:
    """``dataset``'s programs with label columns in ``model``'s vocabularies (the dataset
    itself when they already are)."""
    vocab = (model.config.import_vocab, model.config.bug_classes)
    if (dataset.import_vocab, dataset.bug_classes) == vocab:
        return dataset
    return ProgramGraphs(dataset.programs, vocab[0], vocab[1], name=dataset.split, progress=False)


@torch.no_grad()
def evaluate(
    model: YantraGNN,
    dataset: LabelledGraphs,
    *,
    device: torch.device,
    precision: str = "fp32",
    batch_size: int = 32,
) -> dict[str, float]:
    """The Trainer's validation metrics (``headline_metrics`` and ``score``) of ``model``
    on ``dataset`` (relabelled to the model's vocabularies, :func:`split_for`)."""
    model.to(device).eval()
    outputs = []
    for batch in DataLoader(split_for(model, dataset), batch_size=batch_size, shuffle=False):
        batch = batch_to_device(batch, device)
        with precision_context(precision, device):
            outputs.append((model(batch), batch))
    metrics = headline_metrics(collect_predictions(outputs))
    metrics["score"] = validation_score(metrics)
    return {name: float(value) for name, value in metrics.items()}


def promotion_decision(
    sets: Mapping[str, Mapping[str, Mapping[str, float]]], margin: float
) -> tuple[bool, str]:
    """Whether the new model may be promoted: its ``score`` on the old validation split
    is at most ``margin`` below the old model's (a NaN score refuses)."""
    old = sets["old_val"]["old"].get(PROMOTION_METRIC, math.nan)
    new = sets["old_val"]["new"].get(PROMOTION_METRIC, math.nan)
    if math.isnan(old) or math.isnan(new):
        return False, f"the old-validation {PROMOTION_METRIC} is undefined (old {old}, new {new})"
    drop = old - new
    if drop > margin:
        return False, (
            f"old-validation {PROMOTION_METRIC} fell from {old:.4f} to {new:.4f} "
            f"(drop {drop:.4f} > margin {margin:g})"
        )
    return True, (
        f"old-validation {PROMOTION_METRIC} {old:.4f} -> {new:.4f} "
        f"(drop {drop:.4f} <= margin {margin:g})"
    )


def compare_models(
    old: YantraGNN,
    new: YantraGNN,
    sets: Mapping[str, LabelledGraphs],
    *,
    device: torch.device,
    precision: str = "fp32",
    batch_size: int = 32,
) -> dict[str, dict[str, dict[str, float]]]:
    """``{set: {"old": metrics, "new": metrics}}`` for every named dataset."""
    return {
        name: {
            label: evaluate(
                model, dataset, device=device, precision=precision, batch_size=batch_size
            )
            for label, model in (("old", old), ("new", new))
        }
        for name, dataset in sets.items()
    }


def format_table(sets: Mapping[str, Mapping[str, Mapping[str, float]]]) -> str:
    """The side-by-side table of :data:`TABLE_METRICS` (old, new, change) per set."""
    lines = [f"{'set':<8} {'metric':<24} {'old':>8} {'new':>8} {'change':>8}"]
    for name, pair in sets.items():
        for metric in TABLE_METRICS:
            before = pair["old"].get(metric, math.nan)
            after = pair["new"].get(metric, math.nan)
            lines.append(
                f"{name:<8} {metric:<24} {before:>8.4f} {after:>8.4f} {after - before:>+8.4f}"
            )
    return "\n".join(lines)


def register_continued(
    model_file: Path, name: str, allowed: bool, metrics: Mapping[str, float]
) -> dict[str, Any]:
    """Register ``model_file`` as the next version of ``name`` and point its
    ``production`` alias at it when ``allowed``."""
    entry = register_model(model_file, name, metrics=dict(metrics))
    record: dict[str, Any] = {"registered": entry.reference, "promoted": False}
    if allowed:
        ModelRegistry().promote(name, entry.version, DEFAULT_ALIAS)
        record["promoted"] = True
        logger.info("promoted %s to %s@%s", entry.reference, name, DEFAULT_ALIAS)
    else:
        logger.warning(
            "registered %s but did not promote it to %s@%s", entry.reference, name, DEFAULT_ALIAS
        )
    return record


def finish_continuation(
    source: ContinueSource,
    new_model: YantraGNN,
    new_val: LabelledGraphs,
    config: TrainConfig,
    *,
    output: Path,
    model_file: Path,
    device: torch.device,
    facts: Mapping[str, Any],
) -> dict[str, Any]:
    """Compare the old and new model, write :data:`CONTINUE_REPORT`, register/promote.

    Args:
        source: the continued model and its earlier data.
        new_model: the trained (best, calibrated) model.
        new_val: the new data's validation split.
        model_file: the new model's inference file (what is registered).
        facts: more to record (replayed graphs, learning rate, dropped positives, …).

    Returns:
        The report (also written to ``output/continue_report.json``).
    """
    old_val = old_validation_set(source.replay_root, config)
    old_model = load_model_for_inference(source.model_path, device="cpu")
    sets = compare_models(
        old_model,
        new_model,
        {"old_val": old_val, "new_val": new_val},
        device=device,
        precision=config.precision,
        batch_size=config.batch_size,
    )
    allowed, reason = promotion_decision(sets, config.promote_margin)
    logger.info(
        "continued %s: old vs new model (validation metrics; import metrics use each "
        "model's own import vocabulary)\n%s",
        source.model,
        format_table(sets),
    )
    logger.info("promotion %s: %s", "allowed" if allowed else "refused", reason)
    promotion: dict[str, Any] = {
        "allowed": allowed,
        "reason": reason,
        "margin": config.promote_margin,
        "metric": PROMOTION_METRIC,
        "registered": None,
        "promoted": False,
    }
    if config.promote_to:
        promotion.update(
            register_continued(model_file, config.promote_to, allowed, sets["new_val"]["new"])
        )
    report = {
        "continued_from": source.model,
        "continued_from_file": str(source.model_path),
        "replay_data": str(source.replay_root),
        "min_pass_rate": config.min_pass_rate,
        **facts,
        "sets": {
            "old_val": {"data": f"{source.replay_root} (val)", **sets["old_val"]},
            "new_val": {"data": f"{new_val.split} of the new data", **sets["new_val"]},
        },
        "promotion": promotion,
    }
    (output / CONTINUE_REPORT).write_text(json.dumps(report, indent=2, default=_plain_float))
    return report


def _plain_float(value: Any) -> Any:
    """JSON for values ``json`` does not know (numpy scalars)."""
    return float(value)
