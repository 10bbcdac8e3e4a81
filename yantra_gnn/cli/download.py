"""``yantra-gnn download``: read CodeContests (hub or local copy), prepare train/val files."""

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

logger = logging.getLogger(__name__)

NAME = "download"
DESCRIPTION = (
    f"Download CodeContests ({HUB_DATASET}) or read a local copy, keep Python 3 "
    "solutions, split by problem into train/val and write train.jsonl, val.jsonl and "
    "stats.json."
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


def run(args: argparse.Namespace) -> int:
    """Handler of ``yantra-gnn download``: read, prepare, log a summary; returns 0."""
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
    return 0


if __name__ == "__main__":
    sys.exit(standalone_main("yantra_gnn.cli.download"))
