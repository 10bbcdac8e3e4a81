"""``TrainConfig``: every setting of a training run, with the original spec's defaults.

A run's settings come in three parts: the training loop's own settings (flat fields),
the model to train (``model``, a :class:`~yantra_gnn.nn.ModelConfig`) and how labels are
made (``labels``, a :class:`~yantra_gnn.labels.labelling.LabelSettings`). Saved as YAML
or JSON in that nested shape::

    batch_size: 32
    ...
    model:
      layer_channels: [512, 512, 256]
      edges: all
      ...
    labels:
      max_tests: 10
      ...

Files written with the first, flat layout (``layer_channels: [...]``,
``label_max_tests: 3``, ``edges: syntax``, ``edge_grouping: syntax_dataflow``) load to
the same config: :data:`FLAT_SETTINGS` maps each flat name to its place in a section.
The same flat names are the command-line options of :mod:`yantra_gnn.cli.train`
(``--batch-size 8``, ``--layer-channels 64,64,32``, ``--label-max-tests 3``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from yantra_gnn.defaults import FAULT_TARGETS, PRECISIONS
from yantra_gnn.errors import ConfigError
from yantra_gnn.home import CHECKPOINTS_DIR, CODECONTESTS_DIR
from yantra_gnn.labels.labelling import LabelSettings
from yantra_gnn.nn.config import DEFAULT_IMPORT_VOCAB, POOLINGS, ModelConfig
from yantra_gnn.optional import import_optional
from yantra_gnn.registry import parse_reference
from yantra_gnn.schema import BUG_CLASSES, EDGE_SETS, SYNTAX_DATAFLOW_GROUPS
from yantra_gnn.train.selection import SELECTION_CHOICES

DEFAULT_DATA_DIR = CODECONTESTS_DIR
DEFAULT_OUTPUT_DIR = CHECKPOINTS_DIR
#: Epochs when training on the bundled sample and ``epochs`` is not set: the sample is
#: small, and the README's first command must finish in a few minutes on 2 CPU cores.
SAMPLE_EPOCHS = 20
#: ``edge_grouping`` choices → ``ModelConfig.edge_groups``.
EDGE_GROUPINGS: dict[str, tuple[tuple[str, ...], ...]] = {
    "single": (),
    "syntax_dataflow": SYNTAX_DATAFLOW_GROUPS,
}
#: Epochs on a prepared dataset when ``epochs`` is not set (the original spec).
FULL_EPOCHS = 100

#: The sections of a ``TrainConfig`` and their types.
SECTIONS: dict[str, type] = {"model": ModelConfig, "labels": LabelSettings}
#: ``ModelConfig`` fields the Trainer sets from the data (not settings): the label
#: vocabularies from the training split, the confidence temperature from the validation
#: split (after training).
MODEL_FIELDS_FROM_DATA: tuple[str, ...] = (
    "import_vocab",
    "bug_classes",
    "confidence_temperature",
    "confidence_bias",
)
#: ``LabelSettings`` fields that are the run's own settings (``labels.seed`` is ``seed``).
LABEL_FIELDS_FROM_RUN: tuple[str, ...] = ("seed",)
_NOT_SETTINGS = {"model": MODEL_FIELDS_FROM_DATA, "labels": LABEL_FIELDS_FROM_RUN}


@dataclass(frozen=True)
class FlatSetting:
    """A section setting under its flat name: a command-line option, a first-layout key.

    Attributes:
        name: the flat name (``label_max_tests``; option ``--label-max-tests``).
        section: ``"model"`` or ``"labels"``.
        field: the section's field (``max_tests``).
        choices: for a setting chosen by name, name → the section's value
            (``edge_grouping``: ``"syntax_dataflow"`` → ``SYNTAX_DATAFLOW_GROUPS``).
    """

    name: str
    section: str
    field: str
    choices: Mapping[str, Any] | None = None

    @property
    def kind(self) -> Any:
        """The type of the flat value (``str`` for a setting chosen by name)."""
        if self.choices is not None:
            return str
        return typing.get_type_hints(SECTIONS[self.section])[self.field]

    def section_value(self, value: Any) -> Any:
        """The section's value for the flat value ``value``."""
        if self.choices is None:
            return value
        if value not in self.choices:
            raise ConfigError(f"{self.name} must be one of {sorted(self.choices)}, got {value!r}")
        return self.choices[value]

    def flat_value(self, section_value: Any) -> Any:
        """The flat value of a section's value (its name for a setting chosen by name)."""
        if self.choices is None:
            return section_value
        for name, value in self.choices.items():
            if value == section_value:
                return name
        return section_value

    def get(self, config: TrainConfig) -> Any:
        """This setting's flat value in ``config``."""
        return self.flat_value(getattr(getattr(config, self.section), self.field))


#: Section settings with a flat name, in the order of the command-line options.
FLAT_SETTINGS: tuple[FlatSetting, ...] = (
    FlatSetting("layer_channels", "model", "layer_channels"),
    FlatSetting("dropout", "model", "dropout"),
    FlatSetting("pooling", "model", "pooling"),
    FlatSetting("edges", "model", "edges"),
    FlatSetting("edge_grouping", "model", "edge_groups", EDGE_GROUPINGS),
    FlatSetting("import_evidence", "model", "import_evidence"),
    FlatSetting("label_max_tests", "labels", "max_tests"),
    FlatSetting("label_mutants_per_class", "labels", "mutants_per_class"),
    FlatSetting("label_max_mutants", "labels", "max_mutants_per_solution"),
    FlatSetting("label_timeout_s", "labels", "timeout_s"),
)
FLAT_BY_NAME: dict[str, FlatSetting] = {s.name: s for s in FLAT_SETTINGS}

#: One line per flat setting (the ``--option`` help of ``yantra-gnn train``); the
#: ``TrainConfig`` and section docstrings say more.
HELP: dict[str, str] = {
    "data": "prepared dataset folder (train.jsonl/val.jsonl); unset: "
    f"{DEFAULT_DATA_DIR} when prepared, else the bundled sample",
    "output": "folder of the run: checkpoints, metrics.csv, plots and the inference model",
    "epochs": f"training epochs; unset: {FULL_EPOCHS} on a prepared dataset, "
    f"{SAMPLE_EPOCHS} on the bundled sample",
    "batch_size": "programs per batch",
    "lr": "AdamW learning rate",
    "weight_decay": "AdamW weight decay",
    "weight_code": "weight of the contrastive code-embedding loss",
    "weight_confidence": "weight of the confidence (passes the tests) loss",
    "weight_imports": "weight of the import prediction loss",
    "weight_bugs": "weight of the bug class and location loss",
    "weight_rank": "weight of the within-problem ranking loss on confidence (0: off)",
    "freeze_import_lookup": "keep the import evidence at the training data's name lookup "
    "(needs --import-lookup-init true; true/false)",
    "fault_target": "what a real bug's location is learnt as: node (the one node holding "
    "its fault line) or line (every node starting on it)",
    "scheduler_patience": "epochs without validation-loss improvement before the "
    "learning rate is lowered (ReduceLROnPlateau)",
    "scheduler_factor": "factor the learning rate is multiplied by when lowered",
    "early_stopping_patience": "stop after this many epochs without improvement",
    "select_by": "what picks best_model and drives early stopping, one of: "
    + ", ".join(SELECTION_CHOICES),
    "grad_clip": "maximum gradient norm",
    "checkpoint_every": "also keep epoch_NNN.pt every N epochs",
    "device": "auto, cpu, cuda, cuda:N or mps",
    "seed": "seed of weights, batching, dropout and mutant sampling",
    "limit": "use only the first N problems of each split (unset: all)",
    "per_group": "programs of one problem in a batch (contrastive positives)",
    "temperature": "InfoNCE temperature of the contrastive loss",
    "log_every": "log a line every N batches",
    "layer_channels": "hidden sizes of the GraphSAGE layers, comma-separated",
    "dropout": "dropout probability between layers",
    "pooling": "graph pooling, one of: " + ", ".join(POOLINGS),
    "edges": "the edges the model reads, one of: " + ", ".join(EDGE_SETS),
    "edge_grouping": "edge groups with their own weights, one of: " + ", ".join(EDGE_GROUPINGS),
    "import_evidence": "add the import head's per-node evidence (true/false)",
    "label_max_tests": "run at most N tests per problem when labelling",
    "label_mutants_per_class": "mutants tried per bug class and passing solution",
    "label_max_mutants": "cap on mutants tried per solution",
    "label_timeout_s": "wall-clock limit of one test run, in seconds",
    "import_min_count": "training programs that must import a module for it to "
    "enter the import vocabulary",
    "num_threads": "torch CPU threads (0: torch's default)",
    "precision": "numeric precision of the forward pass and losses, one of: "
    + ", ".join(PRECISIONS)
    + " (bf16: autocast, faster on CPUs with AVX-512 BF16 and recent GPUs)",
    "progress": "show tqdm progress bars (true/false)",
    "calibrate": "fit the confidence head's Platt scaling on the validation split "
    "after training (true/false)",
    "condefects": "a ConDefects file whose training tasks join the training data "
    "(unset: CodeContests only)",
    "init_from": "a saved model whose weights start this run (fine-tuning; unset: fresh weights)",
    "import_lookup_init": "start the import head's node evidence as the training data's "
    "name lookup (true/false)",
    "overwrite": "delete the previous run's files in --output before training (true/false)",
    "continue_from": "continue this model on --data (incremental learning): a model file, a "
    "run's best_model.safetensors or a registry reference NAME@VERSION (unset: off)",
    "replay_data": "prepared dataset the continued model was trained on (replay buffer and "
    "old validation split; unset: the data recorded with that model)",
    "replay_size": "graphs of the earlier training split replayed with the new data (0: none)",
    "continue_lr_scale": "learning rate factor when continuing a model (in (0, 1])",
    "min_pass_rate": "when continuing, only programs with at least this pass rate are "
    "positives (confidence and embedding heads)",
    "promote_margin": "largest drop of the score on the old validation split that still "
    "lets a continued model be promoted",
    "promote_to": "registry name to register a continued model in; promoted to production "
    "only within --promote-margin (unset: no registration)",
    "dist_timeout_s": "under torchrun: seconds a rank waits for the others in a collective "
    "(rank 0's validation and checkpoints included) before it fails instead of hanging",
    "shards": "train from the sharded graphs of `yantra-gnn shard` (DIR/train, DIR/val), "
    "streamed from disk, instead of --data (unset: --data in memory)",
}


@dataclass
class TrainConfig:
    """Settings of one training run (defaults: the original spec's values).

    Attributes:
        data: a prepared dataset directory (``train.jsonl``/``val.jsonl``); ``None`` uses
            ``~/.yantra/datasets/codecontests`` when prepared, else the bundled sample.
        output: where checkpoints, ``metrics.csv``, plots and the inference model go.
        epochs: ``None`` means 100 on a prepared dataset and 20 on the bundled sample.
        batch_size, lr, weight_decay: AdamW settings.
        weight_code, weight_confidence, weight_imports, weight_bugs: loss weights.
        weight_rank: weight of the within-problem pairwise ranking term on the confidence
            logits (``yantra_gnn.train.losses.within_group_ranking_loss``); 0 turns it off.
        scheduler_patience, scheduler_factor: ``ReduceLROnPlateau`` on validation loss.
        select_by: what picks ``best_model`` and drives early stopping: ``score`` (the
            balanced validation score, ``yantra_gnn.train.metrics.validation_score``:
            higher is better), ``loss`` (the summed validation loss, lower is better), or
            one validation metric of ``metrics.csv`` without its ``val_`` prefix (e.g.
            ``confidence_pass1_ranked``; ``confidence_ece`` is minimised, the others
            maximised).
        early_stopping_patience: stop after this many epochs without improvement.
        grad_clip: max gradient norm.
        checkpoint_every: also keep ``epoch_NNN.pt`` every this many epochs.
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        seed: seeds weights, batching, dropout and the labels' mutant sampling
            (``labels.seed`` is always this seed).
        limit: use only the first N problems of each split.
        per_group: programs of one problem put together in a batch (contrastive positives).
        temperature: InfoNCE temperature.
        log_every: log a line every N batches.
        model: the model to train (default ``ModelConfig()``: 978 → 512 → 512 → 256,
            dropout 0.1, mean+max pooling, all edges, one edge group). Its
            ``import_vocab`` and ``bug_classes`` are set from the training data, and
            ``confidence_temperature`` / ``confidence_bias`` from the validation split
            (``calibrate``), by the
            Trainer, so they stay at their defaults here. ``model.edges`` is ``all``
            (AST + dataflow) or ``syntax`` (AST, sibling and token edges only: the
            ablation that shows what dataflow adds); the saved model keeps it.
        labels: how labels are made (``LabelSettings``; its ``seed`` is ``seed``).
        import_min_count: minimum training programs importing a module for it to enter
            the import vocabulary.
        calibrate: after training, fit the confidence head's Platt scaling (temperature
            ``T`` and bias ``b``) on the validation split
            (``yantra_gnn.evaluation.calibration.fit_platt``) and save it with the best
            model (``best_model.pt``, ``best_model.safetensors``); ``False`` leaves
            ``T = 1, b = 0``.
        num_threads: torch CPU threads (0: torch's default). Default 1: on the 2-core
            machines this project is measured on, a training step took 1.0 s with one
            thread and 3.5 s with two (the scatter/sparse kernels contend); raise it on
            a larger CPU after measuring.
        precision: ``"fp32"`` or ``"bf16"``: the forward pass and the losses run under
            bf16 autocast (``yantra_gnn.device.precision_context``); weights, gradients
            and the optimizer stay float32.
        progress: tqdm progress bars.
        condefects: a ConDefects file (``condefects_dev.jsonl``) whose *training* tasks
            join the training data: each accepted fix a positive and each rejected
            submission a negative of the confidence and ranking terms, its fault line
            the bug-location target, imports from both (bug classes unknown, masked).
            The split is :func:`yantra_gnn.datasets.condefects.split_tasks` with seed 0,
            the one ``yantra-gnn evaluate --data condefects`` reports on, so its
            validation tasks are never trained on. ``None``: CodeContests only.
        init_from: a saved model (``best_model.safetensors`` of ``yantra-gnn pretrain``)
            whose weights start this run: fine-tuning after pretraining
            (:func:`yantra_gnn.checkpoint.initialise_from`; import rows are matched by
            module name). ``None``: a fresh initialisation.
        import_lookup_init: start the import head's node evidence as the name lookup
            of the training data (``yantra_gnn.train.import_lookup``; after
            ``init_from``); ``False`` keeps its random (or pretrained) start.
        overwrite: a new run in an ``output`` folder that already holds a run first
            deletes that run's files (``yantra_gnn.train.trainer.RUN_FILES``; nothing else
            in the folder).
            ``False``: such a folder is refused with a :class:`ConfigError`, except the
            default folder (:data:`DEFAULT_OUTPUT_DIR`), whose previous run is moved to
            ``previous/version_N`` inside it (``docs/training.md``). It acts once, when
            the run starts: the run's ``config.yaml`` and checkpoints keep ``False``. A
            run that resumes a checkpoint of its own folder refuses it.
        continue_from: incremental learning (``docs/lifecycle.md``, "Continuing a
            model"): a saved model (file, run folder's ``best_model.safetensors`` or a
            registry reference ``NAME@VERSION``) whose weights start this run on ``data``
            (the new data), as ``init_from`` does; with a replay buffer, a lower learning
            rate, the success-only rule, and a report of old vs new metrics
            (``continue_report.json``). ``None``: off.
        replay_data: the prepared dataset the continued model was trained on: its
            training split feeds the replay buffer, its validation split is the "old
            validation set". ``None``: the ``data`` recorded in the continued model's
            training checkpoint (``best_model.pt`` next to the model file) or registry
            card (``training_data``).
        replay_size: graphs sampled (seeded by ``seed``) from the old training split and
            joined to the new data's training split; 0: no replay.
        continue_lr_scale: ``lr`` is multiplied by this when continuing (in (0, 1]).
        min_pass_rate: the success-only rule: a program is a positive of the confidence
            and embedding heads only if its pass rate is at least this (in (0, 1]). The
            stored labels record pass/fail (``LabelledProgram.confidence``), so a
            positive's pass rate is 1.0 (it passed every test it was run on) and a
            failing program's is below 1; positives under the threshold are dropped
            from the training data of a continued run.
        promote_margin: a continued model may be promoted only if its validation score
            on the old validation split is at most this much below the old model's.
        promote_to: register the continued model as the next version of this registry
            name, and point its ``production`` alias at it when ``promote_margin``
            allows. ``None``: no registration.
        dist_timeout_s: distributed training (``torchrun``, ``docs/training.md``): how
            long a rank waits for the others in a collective before it fails with an
            error instead of hanging (a dead or stuck peer). The other ranks wait while
            rank 0 validates and writes checkpoints each epoch, so it must exceed that.
            Ignored in one process.
        shards: a directory written by ``yantra-gnn shard --output DIR`` (``DIR/train``
            and ``DIR/val``, :mod:`yantra_gnn.data.shards`): train on its graphs, streamed
            from disk one shard at a time, instead of holding ``data`` in memory
            (``docs/training.md``, "Training from shards"). It replaces ``data``: the
            labels, the import vocabulary and the problems are those the shards were
            written with, so ``data``, ``limit``, ``condefects`` and ``continue_from``
            are refused with it (``limit`` is ``yantra-gnn shard --limit``), and the
            ``labels`` and ``import_min_count`` settings do not apply. ``None``: train
            on ``data``.
        fault_target: what the bug-location loss learns a real bug's (ConDefects)
            location as: ``node``, the one node holding its fault line, or ``line``,
            every node that starts on that line (the unit ``evaluate`` scores; measured
            no better, docs/results.md). Mutants always have their one mutated node.
        freeze_import_lookup: keep the import evidence's feature weights at the name
            lookup they start as (``import_lookup_init``) and train only the rest of the
            model; the import head can then only add to the lookup, not unlearn it.
    """

    data: str | None = None
    output: str = DEFAULT_OUTPUT_DIR
    epochs: int | None = None
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    weight_code: float = 1.0
    weight_confidence: float = 1.0
    weight_imports: float = 0.5
    weight_bugs: float = 0.5
    weight_rank: float = 1.0
    scheduler_patience: int = 5
    scheduler_factor: float = 0.5
    early_stopping_patience: int = 10
    select_by: str = "score"
    grad_clip: float = 1.0
    checkpoint_every: int = 5
    device: str = "auto"
    seed: int = 0
    limit: int | None = None
    per_group: int = 4
    temperature: float = 0.1
    log_every: int = 10
    model: ModelConfig = field(default_factory=ModelConfig)
    labels: LabelSettings = field(default_factory=LabelSettings)
    import_min_count: int = 2
    num_threads: int = 1
    precision: str = "fp32"
    progress: bool = True
    calibrate: bool = True
    condefects: str | None = None
    init_from: str | None = None
    import_lookup_init: bool = True
    overwrite: bool = False
    continue_from: str | None = None
    replay_data: str | None = None
    replay_size: int = 1000
    continue_lr_scale: float = 0.1
    min_pass_rate: float = 0.9
    promote_margin: float = 0.02
    promote_to: str | None = None
    dist_timeout_s: float = 1800.0
    shards: str | None = None
    fault_target: str = "node"
    freeze_import_lookup: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.model, Mapping):
            self.model = _model_section(self.model)
        if isinstance(self.labels, Mapping):
            self.labels = _labels_section(self.labels, self.seed)
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad value.

        The sections validate themselves when they are built; here they are checked to
        be sections, the model's label vocabularies to be left to the training data, and
        ``labels.seed`` is set to ``seed``.
        """
        positive_ints = ("batch_size", "checkpoint_every", "per_group", "log_every")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.epochs is not None and (not isinstance(self.epochs, int) or self.epochs < 1):
            raise ConfigError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be a positive number of problems, got {self.limit!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr!r}")
        for name in (
            "weight_code",
            "weight_confidence",
            "weight_imports",
            "weight_bugs",
            "weight_rank",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}"
            )
        if self.freeze_import_lookup and not self.import_lookup_init:
            raise ConfigError(
                "freeze_import_lookup keeps the import evidence at the name lookup it "
                "starts as; it needs import_lookup_init true"
            )
        if self.fault_target not in FAULT_TARGETS:
            raise ConfigError(
                f"fault_target must be one of {', '.join(FAULT_TARGETS)}, got {self.fault_target!r}"
            )
        if self.select_by not in SELECTION_CHOICES:
            raise ConfigError(
                f"select_by must be one of {', '.join(SELECTION_CHOICES)}, got {self.select_by!r}"
            )
        if not 0 < self.scheduler_factor < 1:
            raise ConfigError(f"scheduler_factor must be in (0, 1), got {self.scheduler_factor!r}")
        if self.scheduler_patience < 0 or self.early_stopping_patience < 1:
            raise ConfigError("scheduler_patience must be >= 0 and early_stopping_patience >= 1")
        if not isinstance(self.dist_timeout_s, int | float) or not self.dist_timeout_s > 0:
            raise ConfigError(f"dist_timeout_s must be > 0 seconds, got {self.dist_timeout_s!r}")
        if not self.grad_clip > 0 or not self.temperature > 0:
            raise ConfigError("grad_clip and temperature must be > 0")
        for name, kind in SECTIONS.items():
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(
                    f"{name} must be a {kind.__name__} (or a mapping of its settings), "
                    f"got {type(getattr(self, name)).__name__}"
                )
        defaults = {
            "import_vocab": DEFAULT_IMPORT_VOCAB,
            "bug_classes": BUG_CLASSES,
            "confidence_temperature": 1.0,
        }
        for name, default in defaults.items():
            if getattr(self.model, name) != default:
                source = (
                    "the validation split after training"
                    if name == "confidence_temperature"
                    else "the training data"
                )
                raise ConfigError(
                    f"model.{name} is set from {source} by the Trainer; leave it "
                    "at its default in a TrainConfig"
                )
        self._validate_continuation()
        self._validate_shards()
        if self.labels.seed != self.seed:
            self.labels = dataclasses.replace(self.labels, seed=self.seed)

    def _validate_continuation(self) -> None:
        """Check the incremental-learning settings (``continue_from`` and its companions)."""
        if not isinstance(self.replay_size, int) or isinstance(self.replay_size, bool):
            raise ConfigError(f"replay_size must be an integer, got {self.replay_size!r}")
        if self.replay_size < 0:
            raise ConfigError(f"replay_size must be >= 0, got {self.replay_size!r}")
        if not 0 < self.continue_lr_scale <= 1:
            raise ConfigError(
                f"continue_lr_scale must be in (0, 1], got {self.continue_lr_scale!r}"
            )
        if not 0 < self.min_pass_rate <= 1:
            raise ConfigError(f"min_pass_rate must be in (0, 1], got {self.min_pass_rate!r}")
        if not math.isfinite(self.promote_margin):
            raise ConfigError(
                f"promote_margin must be a finite number, got {self.promote_margin!r}"
            )
        if self.continue_from is None:
            needs = [name for name in ("replay_data", "promote_to") if getattr(self, name)]
            if needs:
                raise ConfigError(
                    f"{' and '.join(needs)} need continue_from (the model to continue)"
                )
            return
        if self.init_from:
            raise ConfigError(
                "give only one of continue_from and init_from (continue_from starts from "
                "the model's weights already)"
            )
        if self.promote_to is not None and parse_reference(f"{self.promote_to}@1") is None:
            raise ConfigError(
                "promote_to must be a registry name (letters, digits, '.', '_' and '-'), "
                f"got {self.promote_to!r}"
            )

    def _validate_shards(self) -> None:
        """Refuse the settings that ``shards`` replaces or cannot stream."""
        if self.shards is None:
            return
        if not isinstance(self.shards, str) or not self.shards:
            raise ConfigError(f"shards must be a directory, got {self.shards!r}")
        conflicts = {
            "data": "the shards replace the prepared dataset; give only one of them",
            "limit": "the shards hold the problems they were written with; write fewer "
            "with `yantra-gnn shard --limit N`",
            "condefects": "ConDefects programs are joined in memory and cannot be streamed "
            "with shards; train on --data to add them",
            "continue_from": "continuing a model trains on --data in memory (replay buffer, "
            "success-only rule); train on --data to continue one",
        }
        for name, reason in conflicts.items():
            if getattr(self, name) is not None:
                raise ConfigError(f"shards cannot be combined with {name}: {reason}")

    # ------------------------------------------------------------------ flat view
    def flat(self, name: str) -> Any:
        """A setting by its flat name (``batch_size``, ``layer_channels``, ``label_max_tests``)."""
        if name in FLAT_BY_NAME:
            return FLAT_BY_NAME[name].get(self)
        if name in _top_level_names():
            return getattr(self, name)
        raise ConfigError(f"unknown setting {name!r}; known: {sorted(flat_names())}")

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, nested: ``model`` and ``labels`` are mappings."""
        values: dict[str, Any] = {}
        for item in fields(self):
            if item.name == "model":
                values["model"] = _settings_of("model", self.model.to_dict())
            elif item.name == "labels":
                labels = dataclasses.asdict(self.labels)
                labels["rewrite_kinds"] = list(self.labels.rewrite_kinds)
                values["labels"] = _settings_of("labels", labels)
            else:
                values[item.name] = _plain(getattr(self, item.name))
        return values

    def save(self, path: str | Path) -> Path:
        """Write the config as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
        path = Path(path)
        values = self.to_dict()
        if path.suffix in (".yaml", ".yml"):
            yaml = import_optional("yaml", f"writing the YAML config {path}")
            path.write_text(yaml.safe_dump(values, sort_keys=False))
        else:
            path.write_text(json.dumps(values, indent=2))
        return path

    @classmethod
    def from_dict(
        cls,
        values: Mapping[str, Any],
        *,
        source: str = "config",
        overrides: Mapping[str, Any] | None = None,
    ) -> TrainConfig:
        """Build a config from nested settings (``to_dict`` output) or flat ones.

        Args:
            values: settings, nested (``{"model": {"layer_channels": [...]}}``) or under
                their flat names (``{"layer_channels": [...], "label_max_tests": 3}``), or
                both as long as they agree.
            source: names the input in errors (a file path, ``"command line"``).
            overrides: settings (nested or flat) that replace those of ``values``, e.g.
                command-line options over a config file.

        Raises:
            ConfigError: an unknown setting (named, with the known ones), a setting given
                twice with different values, or a bad value.
        """
        try:
            nested = _nest(values)
            for key, value in _nest(overrides or {}).items():
                if key in SECTIONS:
                    nested.setdefault(key, {}).update(value)
                else:
                    nested[key] = value
            seed = nested.get("seed", cls.seed)
            model = _model_section(nested.pop("model", {}))
            labels = _labels_section(nested.pop("labels", {}), seed)
            return cls(**nested, model=model, labels=labels)
        except (ConfigError, TypeError) as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a YAML or JSON config file (nested, or with the first layout's flat names)."""
        path = Path(path).expanduser()
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
        parse: Any = json.loads
        errors: tuple[type[Exception], ...] = (json.JSONDecodeError,)
        if path.suffix in (".yaml", ".yml"):
            yaml = import_optional("yaml", f"reading the YAML config {path}")
            parse, errors = yaml.safe_load, (yaml.YAMLError,)
        try:
            values = parse(text)
        except errors as error:
            raise ConfigError(f"config {path} is not valid YAML/JSON: {error}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config {path} must hold a mapping of settings")
        return cls.from_dict(values, source=str(path))


# ---------------------------------------------------------------------- resuming
#: Settings a resumed run must share with the run that wrote the checkpoint: they
#: change the data, the batches, the labels or the model, so resuming with other values
#: would continue one run's state on another run's problem. ``model`` and ``labels``
#: stand for every setting of their section.
RESUME_MUST_MATCH: tuple[str, ...] = (
    "data",
    "model",
    "labels",
    "batch_size",
    "seed",
    "per_group",
    "limit",
    "import_min_count",
    "condefects",
    "init_from",
    "continue_from",
    "replay_data",
    "replay_size",
    "min_pass_rate",
    "shards",
)
#: Settings that say where a run writes and how it reports, not what it learns: a
#: resumed run may change them without a word.
RESUME_IGNORED: tuple[str, ...] = (
    "output",
    "overwrite",
    "progress",
    "log_every",
    "dist_timeout_s",
    "extra",
)
#: Settings holding a path: compared after ``~`` is expanded and the path resolved.
_PATH_SETTINGS = ("data", "condefects", "init_from", "continue_from", "replay_data", "shards")


@dataclass(frozen=True)
class SettingChange:
    """A setting whose value differs between a checkpoint's run and the current config.

    Attributes:
        name: the setting, ``section.field`` inside a section (``model.layer_channels``).
        saved: its value in the checkpoint's run.
        current: its value now.
    """

    name: str
    saved: Any
    current: Any

    def __str__(self) -> str:
        return f"{self.name}: {self.saved!r} in the checkpoint, {self.current!r} now"


def resume_changes(
    saved: Mapping[str, Any], current: TrainConfig
) -> tuple[list[SettingChange], list[SettingChange]]:
    """Compare a checkpoint's saved ``train_config`` with the config of a resumed run.

    Args:
        saved: ``TrainConfig.to_dict()`` of the run that wrote the checkpoint (its
            ``metadata["train_config"]``). Settings it lacks (a checkpoint written before
            they existed) take their defaults.
        current: the resumed run's config.

    Returns:
        ``(incompatible, other)``: the changed settings of :data:`RESUME_MUST_MATCH`
        (the Trainer refuses them), and the other changed settings except
        :data:`RESUME_IGNORED` (epochs, learning rate, patience, …: the Trainer warns).
        Both are empty when nothing changed.
    """
    try:
        before = TrainConfig.from_dict(saved, source="the checkpoint's train_config").to_dict()
    except ConfigError:
        before = dict(saved)  # written by another version: compare what both name
    now = current.to_dict()
    incompatible: list[SettingChange] = []
    other: list[SettingChange] = []
    for name, value in now.items():
        if name in RESUME_IGNORED or name not in before:
            continue
        if name in SECTIONS:
            old_section = before[name] if isinstance(before[name], Mapping) else {}
            changes = [
                SettingChange(f"{name}.{key}", old_section[key], new)
                for key, new in value.items()
                if key in old_section and _plain(old_section[key]) != _plain(new)
            ]
        elif _comparable(name, before[name]) != _comparable(name, value):
            changes = [SettingChange(name, before[name], value)]
        else:
            changes = []
        (incompatible if name in RESUME_MUST_MATCH else other).extend(changes)
    return incompatible, other


def _comparable(name: str, value: Any) -> Any:
    """A setting's value as compared on resume: paths expanded and resolved."""
    if name in _PATH_SETTINGS and isinstance(value, str):
        return str(Path(value).expanduser().resolve())
    return _plain(value)


# ---------------------------------------------------------------------- helpers
def _top_level_names() -> list[str]:
    """``TrainConfig``'s own settings, in field order (sections and ``extra`` left out)."""
    return [f.name for f in fields(TrainConfig) if f.name not in SECTIONS and f.name != "extra"]


def flat_names() -> list[str]:
    """Every setting's flat name, in command-line order (``data`` … ``progress``)."""
    names = []
    for item in fields(TrainConfig):
        if item.name in SECTIONS:
            names += [s.name for s in FLAT_SETTINGS if s.section == item.name]
        elif item.name != "extra":
            names.append(item.name)
    return names


def section_settings(section: str) -> list[str]:
    """The fields of a section that a config may set."""
    return [f.name for f in fields(SECTIONS[section]) if f.name not in _NOT_SETTINGS[section]]


def flat_type(name: str) -> Any:
    """The annotated type of a setting's flat value (``str | None`` for ``data``)."""
    if name in FLAT_BY_NAME:
        return FLAT_BY_NAME[name].kind
    if name in _top_level_names():
        return typing.get_type_hints(TrainConfig)[name]
    raise ConfigError(f"unknown setting {name!r}; known: {sorted(flat_names())}")


def _settings_of(section: str, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _NOT_SETTINGS[section]}


def _plain(value: Any) -> Any:
    """Tuples as lists (for YAML's safe dumper), containers copied."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Settings in the nested shape: flat section names moved into their section.

    A setting given both nested and under its flat name must agree; unknown top-level
    names are errors (the sections' names are checked when they are built).
    """
    if not isinstance(values, Mapping):
        raise ConfigError(f"a config must be a mapping, got {type(values).__name__}")
    top = {f.name for f in fields(TrainConfig)} - set(SECTIONS)
    unknown = sorted(
        k for k in values if k not in top and k not in SECTIONS and k not in FLAT_BY_NAME
    )
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {unknown}; known: {sorted([*flat_names(), *SECTIONS, 'extra'])}"
        )
    nested: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECTIONS:
            if not isinstance(value, Mapping):
                raise ConfigError(f"{key} must be a mapping of {key} settings, got {value!r}")
            nested.setdefault(key, {}).update(value)
        elif key in top:
            nested[key] = value
    for key, value in values.items():
        if key not in FLAT_BY_NAME:
            continue
        setting = FLAT_BY_NAME[key]
        section = nested.setdefault(setting.section, {})
        section_value = setting.section_value(value)
        if setting.field in section and _plain(section[setting.field]) != _plain(section_value):
            raise ConfigError(
                f"{key}={value!r} contradicts {setting.section}.{setting.field}="
                f"{section[setting.field]!r}; give only one of them"
            )
        section[setting.field] = section_value
    return nested


def _check_section(section: str, values: Mapping[str, Any]) -> None:
    known = section_settings(section)
    unknown = sorted(f"{section}.{name}" for name in values if name not in known)
    if unknown:
        hint = ""
        if section == "model" and any(name in MODEL_FIELDS_FROM_DATA for name in values):
            hint = (
                " (import_vocab and bug_classes are set from the training data, "
                "confidence_temperature and confidence_bias from the validation split)"
            )
        raise ConfigError(f"unknown setting(s) {unknown}; known {section} settings: {known}{hint}")


def _model_section(values: Mapping[str, Any]) -> ModelConfig:
    _check_section("model", values)
    return ModelConfig.from_dict(values)


def _labels_section(values: Mapping[str, Any], seed: Any) -> LabelSettings:
    values = dict(values)
    if "seed" in values:
        label_seed = values.pop("seed")
        if label_seed != seed:
            raise ConfigError(
                f"labels.seed is the run's seed; set `seed` instead (got labels.seed="
                f"{label_seed!r} and seed={seed!r})"
            )
    _check_section("labels", values)
    if "rewrite_kinds" in values:
        values["rewrite_kinds"] = tuple(values["rewrite_kinds"])
    return LabelSettings(**values, seed=seed)
