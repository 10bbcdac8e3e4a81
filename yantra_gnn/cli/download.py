"""``yantra-gnn download``: read CodeContests (hub or local copy), prepare train/val files,
and with ``--label`` label them problem by problem (local process pool or Dask)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from yantra_gnn.cli.common import standalone_main
from yantra_gnn.datasets.codecontests import (
    BAD_ROW_POLICIES,
    DEFAULT_MAX_SOLUTIONS,
    DEFAULT_OUTPUT_DIR,
    DEFAULT_VAL_FRACTION,
    HUB_DATASET,
    STATS_FILE,
    TRAIN_FILE,
    VAL_FILE,
    BadRow,
    iter_problems,
    prepare_dataset,
)
from yantra_gnn.errors import ConfigError
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.labels.executors import DEFAULT_ATTEMPTS, EXECUTORS
from yantra_gnn.labels.labelling import LabelSettings
from yantra_gnn.optional import import_optional

logger = logging.getLogger(__name__)

NAME = "download"
DESCRIPTION = (
    f"Download CodeContests ({HUB_DATASET}) or read a local copy, keep Python 3 "
    "solutions, split by problem into train/val and write train.jsonl, val.jsonl and "
    "stats.json. With --label, also run every program in the sandbox, make mutants and "
    "rewrites, and write the labelled problems to OUTPUT/labelled/{train,val}/ (resumable, "
    "on a local process pool or a Dask cluster); training uses them when its label "
    "settings match."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``download`` options."""
    parser.add_argument(
        "--output",
        default=DEFAULT_OUTPUT_DIR,
        help=f"directory for train.jsonl, val.jsonl and stats.json (default: {DEFAULT_OUTPUT_DIR})",
    )
    parser.add_argument(
        "--from",
        dest="from_path",
        metavar="PATH",
        default=None,
        help="local CodeContests copy (.jsonl / .json / .parquet, or a directory of the "
        f"dataset's parquet files) instead of streaming {HUB_DATASET} from the hub",
    )
    parser.add_argument(
        "--split",
        default="train",
        help="hub / parquet-directory split to read: train, valid or test (default: train)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="stop after N kept problems (default: all)"
    )
    parser.add_argument(
        "--max-solutions",
        type=int,
        default=DEFAULT_MAX_SOLUTIONS,
        metavar="K",
        help="keep at most K Python 3 correct and K incorrect solutions per problem "
        f"(default: {DEFAULT_MAX_SOLUTIONS})",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the solution choice and split (default: 0)"
    )
    parser.add_argument(
        "--val-fraction",
        type=float,
        default=DEFAULT_VAL_FRACTION,
        help=f"fraction of problems in val.jsonl (default: {DEFAULT_VAL_FRACTION})",
    )
    parser.add_argument(
        "--on-bad-row",
        choices=BAD_ROW_POLICIES,
        default="skip",
        help="malformed rows: skip them (reported with line numbers, counted in "
        "stats.json) or fail (default: skip)",
    )
    labelling = parser.add_argument_group(
        "labelling",
        "label the prepared splits into OUTPUT/labelled/{train,val}/, one result file per "
        "problem and a manifest; a killed run, run again, redoes only the unfinished "
        "problems. The label settings must equal those of the training run "
        "(yantra-gnn train --label-max-tests ... --seed ...) for training to use the files.",
    )
    mode = labelling.add_mutually_exclusive_group()
    mode.add_argument(
        "--label",
        action="store_true",
        help="after preparing train.jsonl and val.jsonl, label them",
    )
    mode.add_argument(
        "--label-only",
        action="store_true",
        help="label the train.jsonl and val.jsonl already in --output without reading the "
        "source again (e.g. to resume a killed --label run)",
    )
    labelling.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="where problems are labelled: a process pool on this machine, or Dask "
        "distributed (needs `pip install 'yantra-gnn[distributed]'`) (default: local)",
    )
    labelling.add_argument(
        "--address",
        default=None,
        metavar="ADDR",
        help="Dask scheduler address (tcp://HOST:8786); without it --executor dask starts "
        "a local cluster of --workers processes",
    )
    labelling.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes of the local pool or local Dask cluster, each labelling one "
        "problem at a time (default: one per core)",
    )
    labelling.add_argument(
        "--max-in-flight",
        type=int,
        default=None,
        metavar="N",
        help="problems handed to the workers and not yet written (default: twice the workers)",
    )
    labelling.add_argument(
        "--attempts",
        type=int,
        default=DEFAULT_ATTEMPTS,
        metavar="N",
        help="tries of a problem whose worker dies or fails before the run stops "
        f"(default: {DEFAULT_ATTEMPTS})",
    )
    defaults = LabelSettings()
    labelling.add_argument(
        "--label-max-tests",
        type=int,
        default=defaults.max_tests,
        metavar="N",
        help=f"run at most N tests per problem (default: {defaults.max_tests})",
    )
    labelling.add_argument(
        "--label-timeout-s",
        type=float,
        default=defaults.timeout_s,
        metavar="S",
        help=f"wall-clock limit of one test run (default: {defaults.timeout_s})",
    )
    labelling.add_argument(
        "--label-mutants-per-class",
        type=int,
        default=defaults.mutants_per_class,
        metavar="N",
        help="mutants tried per bug class and passing solution "
        f"(default: {defaults.mutants_per_class})",
    )
    labelling.add_argument(
        "--label-max-mutants",
        type=int,
        default=defaults.max_mutants_per_solution,
        metavar="N",
        help=f"mutants tried per solution at most (default: {defaults.max_mutants_per_solution})",
    )
    labelling.add_argument(
        "--label-seed",
        type=int,
        default=defaults.seed,
        metavar="N",
        help="seed of mutant sampling and renaming: the training run's --seed "
        f"(default: {defaults.seed})",
    )
    labelling.add_argument(
        "--sandbox-cache",
        default=SANDBOX_CACHE_DIR,
        metavar="DIR",
        help="sandbox outcome cache on each worker machine "
        f"(default: {SANDBOX_CACHE_DIR}; 'none' for no cache)",
    )


def label_settings(args: argparse.Namespace) -> LabelSettings:
    """The :class:`LabelSettings` the ``--label-*`` options give."""
    return LabelSettings(
        timeout_s=args.label_timeout_s,
        max_tests=args.label_max_tests,
        mutants_per_class=args.label_mutants_per_class,
        max_mutants_per_solution=args.label_max_mutants,
        seed=args.label_seed,
    )


def _check_label_options(args: argparse.Namespace) -> None:
    labelling = args.label or args.label_only
    if args.label_only and (args.from_path is not None or args.limit is not None):
        raise ConfigError(
            "--label-only labels the train.jsonl and val.jsonl already in --output; leave "
            "out --from and --limit (or use --label to prepare and label)"
        )
    chosen = args.executor != "local" or args.address is not None or args.workers is not None
    if not labelling and chosen:
        raise ConfigError(
            "--executor, --address and --workers choose where labelling runs; add --label "
            "(or --label-only) to label the prepared splits"
        )
    if args.address is not None and args.executor != "dask":
        raise ConfigError("--address is the Dask scheduler's address; add --executor dask")


def _label(args: argparse.Namespace) -> None:
    """Label ``OUTPUT/train.jsonl`` and ``OUTPUT/val.jsonl`` into ``OUTPUT/labelled``."""
    from yantra_gnn.labels.executors import make_executor
    from yantra_gnn.labels.prepare import label_prepared_split

    settings = label_settings(args)
    cache = None if str(args.sandbox_cache).lower() == "none" else args.sandbox_cache
    if args.executor == "dask":
        # Imported first: importing it sets up its loggers, at INFO.
        import_optional("distributed", "running labelling on Dask (--executor dask)")
    dask_logger = logging.getLogger("distributed")
    dask_level = dask_logger.level
    dask_logger.setLevel(logging.WARNING)  # a line per worker event would bury ours
    try:
        with make_executor(
            args.executor, workers=args.workers, address=args.address, attempts=args.attempts
        ) as executor:
            logger.info(
                "labelling with the %s executor (%d workers), settings %s (digest %s)",
                executor.name,
                executor.workers,
                settings,
                settings.digest(),
            )
            for split in ("train", "val"):
                run_stats = label_prepared_split(
                    args.output,
                    split,
                    settings,
                    executor=executor,
                    sandbox_cache=cache,
                    max_in_flight=args.max_in_flight,
                    on_bad_row=args.on_bad_row,
                    progress=sys.stderr.isatty(),
                )
                logger.info(
                    "%s: %d problems (%d labelled, %d reused from an earlier run), %d "
                    "programs, %d sandbox programs run, in %.1fs; wrote %s",
                    split,
                    run_stats.problems,
                    run_stats.labelled,
                    run_stats.reused,
                    run_stats.programs,
                    run_stats.programs_run,
                    run_stats.seconds,
                    run_stats.manifest,
                )
    finally:
        dask_logger.setLevel(dask_level)


def run(args: argparse.Namespace) -> int:
    """Handler of ``yantra-gnn download``: read, prepare, log a summary, and label with
    ``--label`` / ``--label-only``; returns 0."""
    _check_label_options(args)
    if not args.label_only:
        _prepare(args)
    if args.label or args.label_only:
        _label(args)
    return 0


def _prepare(args: argparse.Namespace) -> None:
    """Read the source, write ``train.jsonl``, ``val.jsonl`` and ``stats.json``."""
    bad_rows: list[BadRow] = []
    source = args.from_path
    rows = iter_problems(
        source,
        split=args.split,
        on_bad_row=args.on_bad_row,
        bad_rows=bad_rows,
    )
    label = str(Path(source).expanduser()) if source else f"hub:{HUB_DATASET}[{args.split}]"
    stats = prepare_dataset(
        rows,
        args.output,
        limit=args.limit,
        max_solutions=args.max_solutions,
        seed=args.seed,
        val_fraction=args.val_fraction,
        on_bad_row=args.on_bad_row,
        bad_rows=bad_rows,
        source_label=label,
    )
    total = stats.summary["total"]
    logger.info(
        "read %d rows from %s: kept %d problems (%d train / %d val), %d Python 3 solutions, "
        "%d incorrect solutions, %d tests; dropped %s; %d malformed rows skipped",
        stats.rows_read,
        label,
        total["problems"],
        stats.train_problems,
        stats.val_problems,
        total["solutions"],
        total["incorrect_solutions"],
        total["tests"]["total"],
        ", ".join(f"{count} {reason}" for reason, count in stats.dropped.items()),
        stats.bad_rows,
    )
    logger.info(
        "wrote %s, %s and %s in %s",
        TRAIN_FILE,
        VAL_FILE,
        STATS_FILE,
        stats.output_dir,
    )


if __name__ == "__main__":
    sys.exit(standalone_main("yantra_gnn.cli.download"))
