"""The training loop: multi-task loss, validation every epoch, checkpoints, exact resume."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import logging
import math
import random
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from yantra_gnn.checkpoint import (
    checkpoint_metadata,
    initialise_from,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    save_model_for_inference,
    set_checkpoint_temperature,
    set_rng_state,
)
from yantra_gnn.data.dataset import ORIGINS, LabelledGraphs
from yantra_gnn.data.loader import DataLoaders, GroupBatchSampler, create_dataloaders
from yantra_gnn.data.shards import MANIFEST_NAME, ShardedGraphs, ShardManifest
from yantra_gnn.datasets import condefects as condefects_data
from yantra_gnn.datasets.codecontests import bundled_sample_path, prepare_from_file
from yantra_gnn.device import batch_to_device, precision_context
from yantra_gnn.errors import ConfigError, DatasetError, MissingDependencyError
from yantra_gnn.evaluation.calibration import (
    CONFIDENCE_ORIGINS,
    TEMPERATURE_BOUNDS,
    calibration_summary,
    fit_platt,
)
from yantra_gnn.labels.condefects import label_pairs, programs_of
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.nn import YantraGNN
from yantra_gnn.train.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_OUTPUT_DIR,
    FULL_EPOCHS,
    SAMPLE_EPOCHS,
    TrainConfig,
    resume_changes,
)
from yantra_gnn.train.continue_training import (
    CONTINUE_REPORT,
    ContinueSource,
    apply_success_only,
    finish_continuation,
    replay_programs,
    resolve_continue_source,
    success_only,
)
from yantra_gnn.train.distributed import data_parallel, epoch_seed, setup_distributed
from yantra_gnn.train.import_lookup import freeze_import_lookup, initialise_import_lookup
from yantra_gnn.train.losses import (
    positive_weights_from_counts,
    split_positive_weights,
    training_loss,
)
from yantra_gnn.train.metrics import collect_predictions, headline_metrics, validation_score
from yantra_gnn.train.selection import LOWER_IS_BETTER

logger = logging.getLogger(__name__)

LOSS_PARTS = ("code", "confidence", "rank", "imports", "bugs", "bug_location")
BEST, LAST = "best_model.pt", "last_model.pt"
INFERENCE_MODEL = "best_model.safetensors"
#: What a run writes in its output folder (``epoch_NNN.pt`` as a pattern): a folder that
#: holds any of them holds a run. ``--overwrite`` deletes exactly these.
RUN_FILES: tuple[str, ...] = (
    BEST,
    LAST,
    INFERENCE_MODEL,
    "metrics.csv",
    "training.png",
    "config.yaml",
    "tensorboard",
    CONTINUE_REPORT,
)
_EPOCH_CHECKPOINT = re.compile(r"epoch_\d+\.pt")
#: The folder inside the default output where earlier runs are moved (``version_N``).
PREVIOUS_RUNS = "previous"


@dataclass
class TrainResult:
    """What :meth:`Trainer.fit` leaves behind."""

    output: Path
    epochs_run: int
    best_epoch: int
    #: The validation loss of the best epoch (the one ``select_by`` chose).
    best_val_loss: float
    stopped_early: bool
    interrupted: bool
    history: list[dict[str, Any]] = field(default_factory=list)
    inference_model: Path | None = None
    #: Where the run that was in the default output folder before was moved
    #: (``previous/version_N``), or ``None``.
    previous_run: Path | None = None
    #: The confidence calibration of the best model (see :meth:`Trainer.calibrate`);
    #: ``None`` when it was turned off or could not be fitted.
    calibration: dict[str, Any] | None = None
    #: A continued run's report (``continue_report.json``: old vs new metrics on the
    #: old validation split and the new data, the promotion decision); else ``None``.
    continuation: dict[str, Any] | None = None


def resolve_data(config: TrainConfig) -> tuple[Path, bool]:
    """The prepared dataset directory to train on, and whether it is the bundled sample."""
    if config.data:
        path = Path(config.data).expanduser()
        if path.is_dir():
            return path, False
        if path.is_file():
            return prepare_from_file(path, config.seed), False
        raise DatasetError(
            f"--data {path} does not exist; give a prepared directory (yantra-gnn download "
            f"--output DIR) or a CodeContests .jsonl/.parquet file"
        )
    default = Path(DEFAULT_DATA_DIR).expanduser()
    if (default / "train.jsonl").exists():
        return default, False
    sample = bundled_sample_path()
    logger.info(
        "no prepared dataset in %s: training on the bundled sample (%s); get the full "
        "CodeContests set with `yantra-gnn download --output %s`",
        DEFAULT_DATA_DIR,
        sample.name,
        DEFAULT_DATA_DIR,
    )
    return prepare_from_file(sample, config.seed), True


def condefects_training_programs(path: str | None) -> list[LabelledProgram]:
    """The labelled programs of the training tasks of a ConDefects file (``[]`` for None).

    Split with seed 0 and the default fraction, as ``yantra-gnn evaluate --data
    condefects`` does, so that its validation tasks stay unseen.
    """
    if path is None:
        return []
    pairs = condefects_data.load_split(Path(path).expanduser(), "train", seed=0)
    programs = programs_of(label_pairs(pairs))
    logger.info(
        "ConDefects: %d training pairs of %d tasks join the training data",
        len(pairs),
        len({p.task for p in pairs}),
    )
    return programs


#: The splits of a ``--shards`` directory, as ``yantra-gnn shard --output DIR`` writes them.
SHARD_SPLITS: tuple[str, str] = ("train", "val")


def open_shards(
    directory: str | Path,
    config: TrainConfig,
    *,
    rank: int = 0,
    world_size: int = 1,
) -> tuple[ShardedGraphs, ShardedGraphs]:
    """The streamed training and validation splits of a ``--shards`` directory.

    The training split is shuffled from ``(seed, epoch)`` in chunks of ``per_group``
    programs of a problem and dealt to the DDP ranks (``rank`` of ``world_size``); the
    validation split is read whole, in its stored order, by whoever validates.

    Raises:
        DatasetError: ``DIR/train`` or ``DIR/val`` holds no manifest (the message names
            ``yantra-gnn shard``, which writes them), a split holds no graphs, the two
            splits' label vocabularies differ, or a shard manifest is bad (another
            feature spec version, another format: :meth:`ShardManifest.read`).
    """
    root = Path(directory).expanduser()
    for split in SHARD_SPLITS:
        if not (root / split / MANIFEST_NAME).is_file():
            raise DatasetError(
                f"--shards {root}: {root / split / MANIFEST_NAME} does not exist (no "
                f"{split} shards, or writing them did not finish); write them with "
                f"`yantra-gnn shard --data DATA --output {root}` (add --overwrite to "
                "replace an unfinished write)"
            )
    for split in SHARD_SPLITS:
        if ShardManifest.read(root / split).graphs == 0:
            raise DatasetError(
                f"--shards {root}: the {split} shards hold no graphs; write them from a "
                f"dataset with labelled programs (`yantra-gnn shard --data DATA --output {root}`)"
            )
    train_set = ShardedGraphs(
        root / "train",
        batch_size=config.batch_size,
        per_group=config.per_group,
        seed=config.seed,
        shuffle=True,
        rank=rank,
        world_size=world_size,
    )
    val_set = ShardedGraphs(
        root / "val",
        batch_size=config.batch_size,
        per_group=config.per_group,
        seed=config.seed,
        shuffle=False,
    )
    if (train_set.import_vocab, train_set.bug_classes) != (
        val_set.import_vocab,
        val_set.bug_classes,
    ):
        raise DatasetError(
            f"--shards {root}: the train and val shards have different label vocabularies "
            f"(imports {list(train_set.import_vocab)} vs {list(val_set.import_vocab)}, bug "
            f"classes {list(train_set.bug_classes)} vs {list(val_set.bug_classes)}); write "
            f"both splits with one command, `yantra-gnn shard --data DATA --output {root} "
            "--overwrite`"
        )
    return train_set, val_set


def shard_positive_weights(
    manifest: ShardManifest,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(import_pos_weight [V], bug_pos_weight [C] or None)`` of a sharded training split,
    from its manifest's ``label_counts``: what the Trainer computes from the label
    matrices of a split in memory (imports over every graph; bugs over the graphs whose
    bug labels are known, ``None`` when there are none)."""
    counts = manifest.label_counts
    imports = positive_weights_from_counts(list(counts["imports_positive"]), manifest.graphs)
    known = int(counts["bug_known"])
    bugs = None
    if known * len(manifest.bug_classes) > 0:
        bugs = positive_weights_from_counts(list(counts["bugs_positive"]), known)
    return imports, bugs


def run_files(folder: Path) -> list[Path]:
    """The files (and the ``tensorboard`` folder) of a training run in ``folder``."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name in RUN_FILES or _EPOCH_CHECKPOINT.fullmatch(path.name)
    )


def is_default_output(folder: Path) -> bool:
    """Whether ``folder`` is the default output folder (``~/.yantra/checkpoints/graphsage``)."""
    return folder.expanduser().resolve() == Path(DEFAULT_OUTPUT_DIR).expanduser().resolve()


def move_to_previous_runs(folder: Path, files: list[Path]) -> Path:
    """Move a run's ``files`` into ``folder/previous/version_N`` (the next free N)."""
    previous = folder / PREVIOUS_RUNS
    taken = [
        int(match.group(1))
        for path in (previous.iterdir() if previous.is_dir() else ())
        if (match := re.fullmatch(r"version_(\d+)", path.name))
    ]
    target = previous / f"version_{max(taken, default=-1) + 1}"
    target.mkdir(parents=True)
    for path in files:
        path.rename(target / path.name)
    return target


def remove_run(files: list[Path]) -> None:
    """Delete a run's files (the ``tensorboard`` folder with its contents)."""
    for path in files:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


@dataclass(frozen=True)
class RunStart:
    """What :func:`check_run_start` found: the checkpoint a run resumes and its metadata."""

    #: The checkpoint to resume (``None``: a new run).
    resume_path: Path | None = None
    #: Its metadata (``train_config``, ``data``, …); empty for a new run.
    metadata: dict[str, Any] = field(default_factory=dict)


def resume_checkpoint(config: TrainConfig, resume: str) -> Path:
    """The checkpoint ``resume`` names: ``"last"`` is ``OUTPUT/last_model.pt``."""
    output = Path(config.output).expanduser()
    path = output / LAST if resume == "last" else Path(resume).expanduser()
    if not path.exists():
        raise ConfigError(f"cannot resume: {path} does not exist (train once first)")
    return path


def check_resumed_config(config: TrainConfig, path: Path, metadata: dict[str, Any]) -> None:
    """Refuse a resume whose settings change what is trained; warn on other changes
    (:func:`yantra_gnn.train.config.resume_changes`)."""
    saved = metadata.get("train_config")
    if not isinstance(saved, dict):
        logger.info(
            "%s holds no saved train_config: the settings of the resumed run are not checked",
            path,
        )
        return
    incompatible, other = resume_changes(saved, config)
    if incompatible:
        saved_config = path.parent / "config.yaml"
        hint = f" (--config {saved_config})" if saved_config.exists() else ""
        raise ConfigError(
            f"cannot resume from {path}: these settings differ from the run that wrote it, "
            "and they change what is trained: "
            + "; ".join(map(str, incompatible))
            + f". Resume with that run's settings{hint}, or start a new run in another --output"
        )
    if other:
        logger.warning(
            "resuming from %s with changed settings: %s", path, "; ".join(map(str, other))
        )


def previous_run_files(config: TrainConfig, resume_path: Path | None) -> list[Path]:
    """The files of an earlier run in ``config.output`` that a run must clear first.

    Empty for a fresh folder and when the run resumes a checkpoint of that folder (it
    continues the run there).

    Raises:
        ConfigError: the folder holds a run and neither ``overwrite`` is set nor is it the
            default folder; or ``overwrite`` would delete the run being resumed.
    """
    output = Path(config.output).expanduser()
    if resume_path is not None and resume_path.parent.resolve() == output.resolve():
        if config.overwrite:
            raise ConfigError(
                f"--overwrite would delete the run that --resume continues ({resume_path}); "
                "give only one of them"
            )
        return []
    found = run_files(output)
    if found and not config.overwrite and not is_default_output(output):
        names = ", ".join(path.name for path in found[:4]) + (", …" if len(found) > 4 else "")
        raise ConfigError(
            f"{output} already holds a training run ({names}); pass --overwrite to replace "
            "it (its files are deleted), choose another --output, or continue it with "
            "--resume last"
        )
    return found


def check_run_start(config: TrainConfig, resume: str | None = None) -> RunStart:
    """The checks a run makes before any work: the checkpoint to resume exists and was
    written with compatible settings (:func:`check_resumed_config`), and the output
    folder holds no other run (:func:`previous_run_files`).

    The :class:`Trainer` runs them first; :func:`yantra_gnn.train.pretrain.pretrain`
    runs them before labelling its corpus and hands the result on.

    Raises:
        ConfigError: a check failed (the message says what to do).
    """
    start = RunStart()
    if resume:
        path = resume_checkpoint(config, resume)
        start = RunStart(path, checkpoint_metadata(path))
        check_resumed_config(config, path, start.metadata)
    previous_run_files(config, start.resume_path)
    return start


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Trainer:
    """Trains a :class:`~yantra_gnn.nn.YantraGNN` as :class:`TrainConfig` says.

    A new run never mixes with an earlier one: when ``config.output`` already holds a
    run (:func:`run_files`), the Trainer refuses it with a :class:`ConfigError`, unless
    ``config.overwrite`` is set (the earlier run's files are deleted when :meth:`fit`
    starts) or the folder is the default one (the earlier run is moved to
    ``previous/version_N`` inside it, so the folder always holds the newest run).

    A resumed run must keep the settings of the run that wrote the checkpoint that
    change what is trained (``yantra_gnn.train.config.RESUME_MUST_MATCH``: data, model,
    labels, batch size, seed, …); other changes (epochs, learning rate, …) are logged as
    a warning. Both are checked before any data is loaded.

    With ``config.shards`` the splits are not loaded but streamed from the shards of
    ``yantra-gnn shard`` (:func:`open_shards`, ``ShardedGraphs``); the class weights come
    from their manifest, the import lookup is read shard by shard, and a resume must
    find the checkpoint's data fingerprint in them.

    Args:
        config: the run's settings.
        resume: ``None``, ``"last"`` (``output/last_model.pt``) or a checkpoint path.
        loaders: train on these instead of the CodeContests data ``config`` names (the
            pretraining corpus, :mod:`yantra_gnn.train.pretrain`); ``data_name`` says
            what they hold.
        start: the result of :func:`check_run_start` for ``config`` and ``resume`` when
            the caller has already run it (pretraining does, before labelling its
            corpus); ``None`` runs it here.

    Raises:
        ConfigError: the output folder holds another run, the checkpoint to resume
            does not exist, or it was written with incompatible settings.
    """

    def __init__(
        self,
        config: TrainConfig,
        resume: str | None = None,
        *,
        loaders: DataLoaders | None = None,
        data_name: str = "",
        start: RunStart | None = None,
    ) -> None:
        self.config = config
        self.output = Path(config.output).expanduser()
        self.resume = resume
        # Before any work: a folder holding another run, a bad resume are refused now.
        if start is None:
            start = check_run_start(config, resume)
        self.resume_path = start.resume_path
        saved = start.metadata
        #: The model a continued run starts from and its earlier data (``None``: not one).
        self.continue_source: ContinueSource | None = resolve_continue_source(config)
        if self.continue_source is not None and loaders is not None:
            raise ConfigError("continue_from trains on --data; it cannot take other loaders")
        #: What a continued run records in its report besides the metrics.
        self.continue_facts: dict[str, Any] = {}
        # The config as the run keeps it (config.yaml, checkpoints): ``overwrite`` acted
        # once, when the run started, so `--config OUTPUT/config.yaml --resume last` works.
        self.saved_config = dataclasses.replace(config, overwrite=False)
        #: This process's place in a ``torchrun`` job (rank 0 of 1 in a plain run) and
        #: its device (``cuda:LOCAL_RANK`` on GPUs): :mod:`yantra_gnn.train.distributed`.
        self.dist, self.device = setup_distributed(config.device, config.dist_timeout_s)
        if config.num_threads:
            torch.set_num_threads(config.num_threads)
        seed_everything(config.seed)
        # Whether the splits stream from config.shards (TrainConfig refuses the settings
        # that need them in memory: data, limit, condefects, continue_from).
        streamed = loaders is None and config.shards is not None
        # Rank 0 labels and caches a new dataset; the other ranks then load its cache.
        with self.dist.main_first():
            if streamed and config.shards is not None:
                self.data_root, self.is_sample = Path(config.shards).expanduser(), False
            elif loaders is None:
                self.data_root, self.is_sample = resolve_data(config)
            else:
                self.data_root, self.is_sample = Path(data_name or "custom"), False
            if "data" in saved and saved["data"] != str(self.data_root):
                option = "--shards" if streamed else "--data"
                raise ConfigError(
                    f"cannot resume from {self.resume_path}: it was trained on "
                    f"{saved['data']}, and this run would train on {self.data_root}; resume "
                    f"with the same data ({option}), or start a new run in another --output"
                )
            if loaders is None and not streamed:
                loaders = self._loaders()
        self.epochs = config.epochs or (SAMPLE_EPOCHS if self.is_sample else FULL_EPOCHS)
        #: The training and validation splits: in memory (``LabelledGraphs``), or
        #: streamed from ``--shards`` (``ShardedGraphs``, whose ``len`` is in batches).
        self.train_set: LabelledGraphs | ShardedGraphs
        self.val_set: LabelledGraphs | ShardedGraphs
        #: The in-memory training batches' sampler (``None`` with ``--shards``: the
        #: ``ShardedGraphs`` batches, shuffles and shares them out itself).
        self.sampler: GroupBatchSampler | None = None
        self.train_loader: DataLoader
        self.val_loader: DataLoader
        if loaders is None:
            self.train_set, self.val_set = open_shards(
                self.data_root, config, rank=self.dist.rank, world_size=self.dist.world_size
            )
            #: Graphs in each split (all ranks').
            self.train_graphs, self.val_graphs = self.train_set.graphs, self.val_set.graphs
            self.train_loader, self.val_loader = self.train_set.loader(), self.val_set.loader()
        else:
            self.train_set, self.val_set = loaders.train_set, loaders.val_set
            self.train_graphs, self.val_graphs = len(loaders.train_set), len(loaders.val_set)
            self.sampler = loaders.sampler
            # Each rank trains on its share of the batches: batch_size is per rank.
            self.sampler.shard(self.dist.world_size, self.dist.rank)
            self.train_loader, self.val_loader = loaders.train, loaders.val
        #: ``sha256:HEX`` of the training and validation programs and their labels,
        #: saved in every checkpoint (``yantra-gnn models add`` records it). Shards
        #: written from a dataset keep its fingerprint, so both give the same one.
        self.data_fingerprint = _fingerprint(self.train_set, self.val_set)
        if self.train_graphs == 0 or self.val_graphs == 0:
            raise DatasetError(
                f"{self.data_root}: no labelled programs in the train or val split; "
                "use more problems (--limit) or check the data"
            )
        saved_fingerprint = saved.get("data_fingerprint")
        if streamed and saved_fingerprint and saved_fingerprint != self.data_fingerprint:
            raise ConfigError(
                f"cannot resume from {self.resume_path}: the shards in {self.data_root} hold "
                f"other data ({self.data_fingerprint}) than the run that wrote it was trained "
                f"on ({saved_fingerprint}); resume with the shards it was trained on, or "
                "start a new run in another --output"
            )
        self._build_model_and_optimizer()
        self.initialisation: dict[str, Any] | None = None
        if config.init_from and not resume:
            self.initialisation = initialise_from(self.model, config.init_from)
        if self.continue_source is not None and not resume:
            self.initialisation = initialise_from(self.model, self.continue_source.model_path)
        self.import_lookup: dict[str, Any] | None = None
        if config.import_lookup_init and self.model.import_evidence is not None and not resume:
            if isinstance(self.train_set, ShardedGraphs):  # one shard at a time
                shards = self.train_set
                self.import_lookup = initialise_import_lookup(
                    self.model,
                    (shards.read_shard(i) for i in range(len(shards.manifest.shards))),
                    import_vocab=shards.import_vocab,
                )
            else:
                self.import_lookup = initialise_import_lookup(self.model, self.train_set)
        if config.freeze_import_lookup:  # on resume too: requires_grad is not saved
            try:
                freeze_import_lookup(self.model)
            except ValueError as error:
                raise ConfigError(f"freeze_import_lookup: {error}") from None
        if resume:
            self._resume(resume)
        saved_world = int(saved.get("world_size", 1))
        if resume and saved_world != self.dist.world_size:
            logger.warning(
                "resuming a run of %d process(es) with %d: the global batch (batch_size x "
                "processes) and the batches of each step change from here on",
                saved_world,
                self.dist.world_size,
            )
        #: The model a training step runs: ``DistributedDataParallel`` around
        #: ``self.model`` under torchrun (gradients averaged over the ranks), else the
        #: model itself. Checkpoints, validation and calibration use ``self.model``.
        self.step_model: torch.nn.Module = self.model
        if self.dist.enabled:
            self.step_model = data_parallel(self.model, self.device)

    def _loaders(self) -> DataLoaders:
        config = self.config
        extra = condefects_training_programs(config.condefects)
        extra_name = "condefects/train"
        replayed: list[LabelledProgram] = []
        if self.continue_source is not None:
            replayed, dropped = success_only(
                replay_programs(self.continue_source.replay_root, config), config.min_pass_rate
            )
            self.continue_facts["replay_dropped_positives"] = dropped
            extra = [*extra, *replayed]
            extra_name = "condefects/train+replay" if config.condefects else "replay"
        loaders = create_dataloaders(
            self.data_root,
            config.batch_size,
            extra_train=extra,
            extra_name=extra_name,
            settings=config.labels,
            import_min_count=config.import_min_count,
            per_group=config.per_group,
            seed=config.seed,
            limit=config.limit,
            progress=config.progress and self.dist.is_main,
        )
        if self.continue_source is not None:
            loaders, dropped = apply_success_only(loaders, config)
            self.continue_facts.update(replayed_graphs=len(replayed), dropped_positives=dropped)
        return loaders

    def _build_model_and_optimizer(self) -> None:
        config = self.config
        # The model as configured, with the label vocabularies of the training data. It
        # reads only the edges of config.model.edges (YantraGNN.forward drops the others),
        # so the graphs are fed whole, here as everywhere else.
        self.model_config = dataclasses.replace(
            config.model,
            import_vocab=self.train_set.import_vocab,
            bug_classes=self.train_set.bug_classes,
        )
        self.model = YantraGNN(self.model_config).to(self.device)
        #: The starting learning rate (``lr``, times ``continue_lr_scale`` when continuing).
        self.lr = config.lr * (config.continue_lr_scale if config.continue_from else 1.0)
        if config.continue_from:
            logger.info(
                "continuing %s: learning rate %g (lr %g x %g)",
                config.continue_from,
                self.lr,
                config.lr,
                config.continue_lr_scale,
            )
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=self.lr, weight_decay=config.weight_decay
        )
        self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            self.optimizer,
            mode="min",
            factor=config.scheduler_factor,
            patience=config.scheduler_patience,
        )
        self.loss = training_loss(config, *self.positive_weights()).to(self.device)
        self.start_epoch = 0
        self.best_val_loss = math.inf
        # The best value of the selection quantity, oriented so that higher is better.
        self.best_selection = -math.inf
        self.best_epoch = 0
        self.epochs_without_improvement = 0
        self.history: list[dict[str, Any]] = []

    def positive_weights(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(import_pos_weight [V], bug_pos_weight [C] or None)`` of the training split:
        from its label matrices in memory, or from the shards' manifest (the same values,
        :func:`shard_positive_weights`)."""
        if isinstance(self.train_set, ShardedGraphs):
            return shard_positive_weights(self.train_set.manifest)
        return split_positive_weights(self.train_set)

    # ------------------------------------------------------------------ state
    def _clear_output(self) -> Path | None:
        """Delete (``overwrite``) or move aside (default folder) an earlier run in ``output``.

        Returns:
            Where the earlier run was moved, or ``None``.
        """
        found = previous_run_files(self.config, self.resume_path)
        if not found:
            return None
        if self.config.overwrite:
            remove_run(found)
            logger.warning("--overwrite: deleted the previous run in %s", self.output)
            return None
        moved = move_to_previous_runs(self.output, found)
        logger.info(
            "%s held a previous run: moved it to %s (delete %s to free the space)",
            self.output,
            moved,
            moved.parent,
        )
        return moved

    def _resume(self, resume: str) -> None:
        path = self.resume_path or resume_checkpoint(self.config, resume)
        info = load_checkpoint(
            path,
            self.model,
            self.optimizer,
            self.device,
            scheduler=self.scheduler,
            restore_rng=False,
        )
        extra = info.extra_state or {}
        self.start_epoch = info.epoch
        self.best_val_loss = float(extra.get("best_val_loss", math.inf))
        self.best_selection = float(
            extra.get(
                "best_selection",
                -self.best_val_loss if self.config.select_by == "loss" else -math.inf,
            )
        )
        self.best_epoch = int(extra.get("best_epoch", 0))
        self.epochs_without_improvement = int(extra.get("epochs_without_improvement", 0))
        self.history = list(extra.get("history", []))
        # A calibrated best_model.pt carries a fitted temperature; the model being
        # trained has none (T = 1) until training ends.
        self.model.config = self.model_config
        if "rng" in extra:
            set_rng_state(extra["rng"])
        logger.info("resumed from %s after epoch %d", path, info.epoch)

    def _save(self, epoch: int, train_loss: float, val_loss: float, path: Path) -> None:
        save_checkpoint(
            self.model,
            self.optimizer,
            epoch,
            train_loss,
            val_loss,
            path,
            {
                "data": str(self.data_root),
                "data_fingerprint": self.data_fingerprint,
                # the validation metrics of the epoch saved (the model card's metrics)
                "val_metrics": {
                    k: v
                    for k, v in (self.history[-1] if self.history else {}).items()
                    if k.startswith("val_")
                },
                "edges": self.config.model.edges,
                "train_config": self.saved_config.to_dict(),
                # written under torchrun only: a resume with another count is warned of
                **({"world_size": self.dist.world_size} if self.dist.enabled else {}),
            },
            scheduler=self.scheduler,
            extra_state={
                "best_val_loss": self.best_val_loss,
                "best_selection": self.best_selection,
                "best_epoch": self.best_epoch,
                "epochs_without_improvement": self.epochs_without_improvement,
                "history": self.history,
                "rng": rng_state(),
            },
        )

    # ------------------------------------------------------------------ loop
    def train_epoch(self, epoch: int) -> dict[str, float]:
        """One epoch of training; the mean loss per graph of each part.

        Under torchrun each rank runs its share of the batches; the returned means are
        over the graphs of all ranks. A rank's loss is scaled by its share of the step's
        global batch (``n_rank * world_size / n_step``) before ``backward``, so that the
        gradient DDP averages is the per-graph mean over the global batch even when the
        ranks' batches differ in size (the epoch's last batch). Losses that are means
        over a batch's graphs (confidence BCE, imports) are then the one-process
        gradient of that global batch; the others (contrastive, ranking, bugs, bug
        location) are computed over each rank's own batch (``docs/training.md``).
        """
        self.step_model.train()
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
        if isinstance(self.train_set, ShardedGraphs):
            self.train_set.set_epoch(epoch)
        step_sizes: list[int] = []
        if self.dist.enabled:
            # with --shards, each step's global batch is summed over the ranks below
            step_sizes = self.sampler.global_batch_sizes() if self.sampler is not None else []
            # each rank its own dropout masks, the same ones again on resume
            torch.manual_seed(epoch_seed(self.config.seed, epoch, self.dist.rank))
        totals = dict.fromkeys(("loss", *LOSS_PARTS), 0.0)
        graphs = 0
        bar = tqdm(
            self.train_loader,
            desc=f"epoch {epoch + 1}/{self.epochs}",
            disable=not self.config.progress or not self.dist.is_main,
            leave=False,
        )
        for step, batch in enumerate(bar, 1):
            batch = batch_to_device(batch, self.device)
            with precision_context(self.config.precision, self.device):
                output = self.step_model(batch)
                loss, parts = self.loss(output, batch)
            self.optimizer.zero_grad(set_to_none=True)
            if self.dist.enabled:
                step_size = (
                    step_sizes[step - 1]
                    if step_sizes
                    else self.dist.all_reduce_sum([float(batch.num_graphs)])[0]
                )
                share = batch.num_graphs * self.dist.world_size / step_size
                (loss * share).backward()
            else:
                loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.optimizer.step()
            n = batch.num_graphs
            graphs += n
            totals["loss"] += float(loss.detach()) * n
            for name, value in parts.items():
                totals[name] += value * n
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % self.config.log_every == 0:
                logger.info(
                    "epoch %d batch %d/%d loss %.4f (%s)",
                    epoch + 1,
                    step,
                    len(self.train_loader),
                    loss.item(),
                    ", ".join(f"{k} {v:.3f}" for k, v in parts.items()),
                )
        if self.dist.enabled:
            names = list(totals)
            summed = self.dist.all_reduce_sum([totals[name] for name in names] + [graphs])
            totals, graphs = dict(zip(names, summed[:-1], strict=True)), int(summed[-1])
        return {name: value / max(graphs, 1) for name, value in totals.items()}

    @torch.no_grad()
    def validate(self) -> tuple[dict[str, float], dict[str, float]]:
        """Validation losses and the headline metrics of every head."""
        self.model.eval()
        totals = dict.fromkeys(("loss", *LOSS_PARTS), 0.0)
        graphs = 0
        # each batch's predictions and labels, not the batch itself: the graphs of the
        # split are never all in memory (a streamed --shards split included)
        predictions: list[dict[str, np.ndarray]] = []
        for batch in self.val_loader:
            batch = batch_to_device(batch, self.device)
            with precision_context(self.config.precision, self.device):
                output = self.model(batch)
                loss, parts = self.loss(output, batch)
            n = batch.num_graphs
            graphs += n
            totals["loss"] += float(loss) * n
            for name, value in parts.items():
                totals[name] += value * n
            predicted = collect_predictions([(output, batch)])
            predicted["node_batch"] += graphs - n  # graph index over the whole pass
            predictions.append(predicted)
        losses = {name: value / max(graphs, 1) for name, value in totals.items()}
        joined = (
            {name: np.concatenate([p[name] for p in predictions]) for name in predictions[0]}
            if predictions
            else collect_predictions([])
        )
        return losses, headline_metrics(joined)

    def fit(self) -> TrainResult:
        """Train, validate every epoch, checkpoint, calibrate the best model.

        Under torchrun every rank trains; rank 0 alone validates (the others wait for
        its numbers, so that all ranks step the scheduler and stop early together),
        writes the output folder and calibrates.
        """
        main = self.dist.is_main
        previous_run = None
        if main:
            self.output.mkdir(parents=True, exist_ok=True)
            previous_run = self._clear_output()
            self.saved_config.save(self.output / "config.yaml")
        logger.info(
            "training on %s: %d train / %d val graphs (%d / %d problems), %d epochs, device %s, "
            "%s parameters",
            self.data_root,
            self.train_graphs,
            self.val_graphs,
            len(self.train_set.group_names),
            len(self.val_set.group_names),
            self.epochs,
            self.device,
            f"{sum(p.numel() for p in self.model.parameters()):,}",
        )
        stopped_early = interrupted = False
        epoch = self.start_epoch
        train_loss = val_loss = math.nan
        try:
            while epoch < self.epochs:
                started = time.perf_counter()
                train = self.train_epoch(epoch)
                # rank 0 validates; every rank continues with its numbers
                val, metrics = self.dist.broadcast(self.validate() if main else None)
                epoch += 1
                train_loss, val_loss = train["loss"], val["loss"]
                self.scheduler.step(val_loss)
                metrics["score"] = validation_score(metrics)
                selection = self.selection_value(val_loss, metrics)
                improved = selection > self.best_selection + 1e-6 or self.best_epoch == 0
                if improved:
                    self.best_val_loss, self.best_epoch = val_loss, epoch
                    self.best_selection = selection
                    self.epochs_without_improvement = 0
                else:
                    self.epochs_without_improvement += 1
                row = {
                    "epoch": epoch,
                    "seconds": round(time.perf_counter() - started, 3),
                    "lr": self.optimizer.param_groups[0]["lr"],
                    **{f"train_{k}": v for k, v in train.items()},
                    **{f"val_{k}": v for k, v in val.items()},
                    **{f"val_{k}": v for k, v in metrics.items()},
                }
                self.history.append(row)
                if main:
                    self._append_metrics(row)
                logger.info(
                    "epoch %d/%d: train loss %.4f, val loss %.4f%s | %s | %.1fs",
                    epoch,
                    self.epochs,
                    train_loss,
                    val_loss,
                    " (best)" if improved else "",
                    ", ".join(f"{k} {v:.3f}" for k, v in metrics.items()),
                    row["seconds"],
                )
                if main:
                    self._save_epoch(epoch, train_loss, val_loss, improved)
                if self.epochs_without_improvement >= self.config.early_stopping_patience:
                    stopped_early = True
                    logger.info(
                        "early stop: no improvement for %d epochs", self.epochs_without_improvement
                    )
                    break
        except KeyboardInterrupt:
            interrupted = True
            logger.warning(
                "interrupted: %s holds the state after epoch %d; continue with --resume last",
                self.output / LAST,
                epoch,
            )
        except RuntimeError as error:
            if not self.dist.enabled:
                raise
            # Under torchrun mostly a peer that died or stopped answering (a collective
            # fails at once on a closed connection, or after dist_timeout_s): this rank
            # stops too, and torchrun ends the job.
            logger.error(
                "rank %d of %d stopped in epoch %d (%s); %s holds the state after epoch "
                "%d: continue the job with --resume last",
                self.dist.rank,
                self.dist.world_size,
                epoch + 1,
                str(error).splitlines()[0][:300] if str(error) else type(error).__name__,
                self.output / LAST,
                epoch,
            )
            raise
        # rank 0 finishes the run; the other ranks wait for it and report the same
        inference, calibration, continuation, previous_run = self.dist.broadcast(
            (*self._finish(), previous_run) if main else None
        )
        self.dist.close()
        return TrainResult(
            output=self.output,
            epochs_run=epoch,
            best_epoch=self.best_epoch,
            best_val_loss=self.best_val_loss,
            stopped_early=stopped_early,
            interrupted=interrupted,
            history=self.history,
            inference_model=inference,
            calibration=calibration,
            previous_run=previous_run,
            continuation=continuation,
        )

    def _save_epoch(self, epoch: int, train_loss: float, val_loss: float, improved: bool) -> None:
        """The checkpoints of a finished epoch: best, every ``checkpoint_every``, last."""
        if improved:
            self._save(epoch, train_loss, val_loss, self.output / BEST)
        if epoch % self.config.checkpoint_every == 0:
            self._save(epoch, train_loss, val_loss, self.output / f"epoch_{epoch:03d}.pt")
        self._save(epoch, train_loss, val_loss, self.output / LAST)

    def _finish(self) -> tuple[Path | None, dict[str, Any] | None, dict[str, Any] | None]:
        """After the last epoch: calibrate the best model, save it for inference, write a
        continued run's report and the plot.

        Returns:
            ``(inference model, calibration, continuation report)``, each ``None`` when
            not made.
        """
        inference = None
        calibration = None
        continuation = None
        if (self.output / BEST).exists():
            best = YantraGNN(self.model_config)
            load_checkpoint(self.output / BEST, best, device="cpu")
            if self.config.calibrate:
                calibration = self.calibrate(best)
            inference = save_model_for_inference(best, self.output / INFERENCE_MODEL)
            if self.continue_source is not None:
                assert isinstance(self.val_set, LabelledGraphs)  # continue_from: --data only
                continuation = finish_continuation(
                    self.continue_source,
                    best,
                    self.val_set,
                    self.config,
                    output=self.output,
                    model_file=inference,
                    device=self.device,
                    facts={**self.continue_facts, "lr": self.lr, "best_epoch": self.best_epoch},
                )
        if self.history:
            self._plot()
        return inference, calibration, continuation

    def selection_value(self, val_loss: float, metrics: dict[str, float]) -> float:
        """The quantity ``TrainConfig.select_by`` names, oriented so that higher is better
        (NaN, an undefined metric, counts as the worst value)."""
        name = self.config.select_by
        value = val_loss if name == "loss" else metrics.get(name, math.nan)
        if math.isnan(value):
            return -math.inf
        return -value if name == "loss" or name in LOWER_IS_BETTER else value

    def _append_metrics(self, row: dict[str, Any]) -> None:
        path = self.output / "metrics.csv"
        new = not path.exists() or self.start_epoch == 0 and row["epoch"] == 1
        with path.open("w" if new else "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            return
        with SummaryWriter(str(self.output / "tensorboard")) as writer:
            for key, value in row.items():
                if key != "epoch":
                    writer.add_scalar(key, value, row["epoch"])

    def _plot(self) -> None:
        """``training.png`` of the run; without matplotlib (the ``plots`` extra) a warning."""
        from yantra_gnn.train.plots import plot_history

        try:
            plot_history(self.history, self.output / "training.png")
        except MissingDependencyError as error:
            logger.warning("no training.png: %s", error)

    # ------------------------------------------------------------------ calibration
    @torch.no_grad()
    def calibrate(self, model: YantraGNN) -> dict[str, Any] | None:
        """Fit the confidence calibration of ``model`` (the best one) on the validation split.

        Platt scaling, ``P(correct) = sigmoid(logit / T + b)``: the temperature ``T`` and
        bias ``b`` minimise the NLL of the validation split's confidence candidates
        (solutions, incorrect solutions, mutants: the evaluation protocol's rows)
        (:func:`~yantra_gnn.evaluation.calibration.fit_platt`). They are set in
        ``model.config`` (``confidence_temperature``, ``confidence_bias``) and written
        into ``best_model.pt`` (config and ``metadata["confidence_calibration"]``); the
        weights are not touched. ECE, Brier and NLL before and after are logged and
        returned; on this split they are in-sample (``T`` and ``b`` were fitted on it).

        Returns:
            The calibration record (``temperature``, ``bias``, ``before``, ``after``, …),
            or ``None`` when the split cannot fit one (no candidates, or only one label
            value); then ``T`` stays 1 and ``b`` 0.
        """
        model.to(self.device).eval()
        logits, labels, origins = [], [], []
        for batch in self.val_loader:
            batch = batch_to_device(batch, self.device)
            logits.append(model(batch).confidence_logit.double().cpu())
            labels.append((batch.confidence > 0.5).cpu())
            origins.append(batch.origin.reshape(-1).cpu())
        origin = torch.cat(origins).numpy()
        rows = np.isin(origin, [ORIGINS.index(name) for name in CONFIDENCE_ORIGINS])
        z = torch.cat(logits).numpy()[rows]
        y = torch.cat(labels).numpy()[rows].astype(np.float64)
        try:
            temperature, bias = fit_platt(z, y)
        except ConfigError as error:
            logger.warning("confidence calibration skipped, T stays 1 and b 0: %s", error)
            return None
        before = calibration_summary(y, z, 1.0, 0.0)
        after = calibration_summary(y, z, temperature, bias)
        record = {
            "fitted_on": "val",
            "method": "platt",
            "candidates": int(rows.sum()),
            "best_epoch": self.best_epoch,
            "temperature": temperature,
            "bias": bias,
            "before": before,
            "after": after,
        }
        logger.info(
            "confidence calibration on the validation split (%d candidates, in-sample): "
            "T = %.3f, b = %.3f; ECE %.3f -> %.3f, Brier %.3f -> %.3f, NLL %.3f -> %.3f",
            record["candidates"],
            temperature,
            bias,
            before["ece"],
            after["ece"],
            before["brier"],
            after["brier"],
            before["nll"],
            after["nll"],
        )
        if temperature in TEMPERATURE_BOUNDS:
            logger.warning(
                "the confidence temperature ended on its bound (T = %g, b = %.3f): on these "
                "%d validation candidates the logits separate the labels too sharply for "
                "the lowest T (low T) or carry no ranking signal the scaling can use (high "
                "T: e.g. they rank the labels the wrong way round; b then gives about the "
                "base rate); a larger validation split gives a more trustworthy calibration",
                temperature,
                bias,
                record["candidates"],
            )
        base_rate = float(y.mean())  # 0 < rate < 1: fit_platt needs both label values
        record["base_rate"] = base_rate
        model.config = dataclasses.replace(
            model.config,
            confidence_temperature=temperature,
            confidence_bias=bias,
            confidence_base_rate=base_rate,
        )
        set_checkpoint_temperature(
            self.output / BEST, temperature, record, bias=bias, base_rate=base_rate
        )
        return record


def _fingerprint(
    train_set: LabelledGraphs | ShardedGraphs, val_set: LabelledGraphs | ShardedGraphs
) -> str:
    """One ``sha256:HEX`` of both splits' fingerprints (train first)."""
    joined = f"train {train_set.fingerprint()} val {val_set.fingerprint()}"
    return f"sha256:{hashlib.sha256(joined.encode()).hexdigest()}"


def train(config: TrainConfig, resume: str | None = None) -> TrainResult:
    """Build a :class:`Trainer` and run it."""
    return Trainer(config, resume=resume).fit()
