"""Self-supervised pretraining on Python code every machine has, before fine-tuning.

BugLab-style (Allamanis et al., 2021): functions of the standard library and the
installed packages (:mod:`yantra_gnn.datasets.python_corpus`) with their mutants and
renamed rewrites (:mod:`yantra_gnn.labels.corpus`) teach the heads that need no tests:

- bug class and bug location, from the mutants;
- imports, from the module-level imports each function uses (stripped from the graph,
  as everywhere);
- the code embedding, from the renamed rewrites (positives of their original).

None of this code is run, so nothing here says whether a program is *correct*: the
confidence and ranking terms are switched off (their weights are 0), and the corpus is
kept apart from the verified CodeContests labels — it is only ever the starting point
of a separate fine-tuning run (``yantra-gnn train --init-from RUN/best_model.safetensors``),
and every report of that run is on verified data. The pretraining run's own
``metrics.csv`` is on held-out corpus functions (10 % of them, split by function).

A run is a :class:`~yantra_gnn.train.trainer.Trainer` run: same checkpoints, same
``--resume last``, progress bars and logs. The corpus is rebuilt from the same files on
resume (the same seed draws the same functions).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import Counter
from collections.abc import Sequence

from torch_geometric.loader import DataLoader

from yantra_gnn.data.dataset import ProgramGraphs
from yantra_gnn.data.loader import DataLoaders, GroupBatchSampler
from yantra_gnn.datasets.python_corpus import iter_corpus
from yantra_gnn.defaults import DEFAULT_PRETRAIN_UNITS as DEFAULT_UNITS
from yantra_gnn.errors import DatasetError
from yantra_gnn.labels.corpus import label_corpus
from yantra_gnn.labels.labelling import LabelledProgram
from yantra_gnn.schema import BUG_CLASSES
from yantra_gnn.train.config import TrainConfig
from yantra_gnn.train.trainer import Trainer, TrainResult, check_run_start

logger = logging.getLogger(__name__)

#: Share of functions held out to validate the pretraining run.
VAL_FRACTION = 0.1
#: The import vocabulary of pretraining: the most imported modules of the corpus.
MAX_IMPORT_VOCAB = 128
IMPORT_MIN_COUNT = 3


def pretrain_config(config: TrainConfig) -> TrainConfig:
    """``config`` with what pretraining needs: no confidence or ranking term (corpus code
    is not verified), selection by validation loss, no calibration."""
    return dataclasses.replace(
        config,
        weight_confidence=0.0,
        weight_rank=0.0,
        select_by="loss",
        calibrate=False,
        condefects=None,
        init_from=None,
    )


def corpus_import_vocab(programs: Sequence[LabelledProgram]) -> tuple[str, ...]:
    """The (at most :data:`MAX_IMPORT_VOCAB`) modules most imported by ``programs``, each by
    at least :data:`IMPORT_MIN_COUNT` functions, sorted by name."""
    counts: Counter = Counter()
    for program in programs:
        if program.origin == "solution":
            counts.update(program.imports)
    common = [name for name, n in counts.most_common(MAX_IMPORT_VOCAB) if n >= IMPORT_MIN_COUNT]
    if not common:
        raise DatasetError(
            "the pretraining corpus imports no module often enough for an import vocabulary; "
            "draw more functions (--units)"
        )
    return tuple(sorted(common))


def is_validation_function(problem: str, seed: int) -> bool:
    """Whether a corpus function (its group name) is held out, by a seeded stable hash."""
    digest = hashlib.sha256(f"{seed}:{problem}".encode()).digest()
    return int.from_bytes(digest[:4], "big") < VAL_FRACTION * 2**32


def corpus_loaders(
    config: TrainConfig, units: int = DEFAULT_UNITS, roots: Sequence[str] | None = None
) -> DataLoaders:
    """Train / validation loaders over ``units`` corpus functions and their labels."""
    if units < 10:
        raise DatasetError(f"pretraining needs at least 10 functions, got --units {units}")
    logger.info("drawing %d functions from the Python corpus (seed %d)", units, config.seed)
    corpus = list(iter_corpus(roots, max_units=units, seed=config.seed))
    if not corpus:
        raise DatasetError(
            "no Python functions found for the pretraining corpus; give --corpus-root DIR "
            "with .py files"
        )
    programs = label_corpus(corpus, seed=config.seed, progress=config.progress)
    held_out = [is_validation_function(p.problem, config.seed) for p in programs]
    train_programs = [p for p, v in zip(programs, held_out, strict=True) if not v]
    val_programs = [p for p, v in zip(programs, held_out, strict=True) if v]
    import_vocab = corpus_import_vocab(train_programs)
    train_set, val_set = (
        ProgramGraphs(
            part, import_vocab, BUG_CLASSES, name=f"corpus/{name}", progress=config.progress
        )
        for name, part in (("train", train_programs), ("val", val_programs))
    )
    logger.info(
        "pretraining corpus: %d functions, %d train / %d val graphs, %d modules in the "
        "import vocabulary",
        len(corpus),
        len(train_set),
        len(val_set),
        len(import_vocab),
    )
    sampler = GroupBatchSampler(
        train_set.groups, config.batch_size, per_group=config.per_group, seed=config.seed
    )
    return DataLoaders(
        train=DataLoader(train_set, batch_sampler=sampler),
        val=DataLoader(val_set, batch_size=config.batch_size, shuffle=False),
        train_set=train_set,
        val_set=val_set,
        sampler=sampler,
    )


def pretrain(
    config: TrainConfig,
    *,
    units: int = DEFAULT_UNITS,
    roots: Sequence[str] | None = None,
    resume: str | None = None,
) -> TrainResult:
    """Pretrain a model on the Python corpus; its ``best_model.safetensors`` is the
    ``--init-from`` of a fine-tuning run.

    Args:
        config: the run's settings (``pretrain_config`` switches the confidence terms,
            calibration and selection as pretraining needs).
        units: corpus functions to draw.
        roots: directories to read ``.py`` files from (default: the standard library
            and site-packages).
        resume: as for :class:`Trainer`.
    """
    config = pretrain_config(config)
    start = check_run_start(config, resume)  # before the corpus is labelled (minutes)
    loaders = corpus_loaders(config, units, roots)
    trainer = Trainer(
        config, resume, loaders=loaders, data_name=f"python-corpus ({units})", start=start
    )
    return trainer.fit()
