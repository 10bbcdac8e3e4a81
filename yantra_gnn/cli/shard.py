"""``yantra-gnn shard``: write a prepared dataset's graphs as shards for streaming training
(``OUTPUT/train`` and ``OUTPUT/val``, each fixed-size shard files and a ``manifest.json``;
see ``yantra_gnn.data.shards``)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from yantra_gnn.cli.common import standalone_main

logger = logging.getLogger(__name__)

NAME = "shard"
DESCRIPTION = (
    "Write the labelled graphs of a prepared dataset (processed first when needed) as "
    "fixed-size shard files with a manifest, in OUTPUT/train and OUTPUT/val, for "
    "training on data that does not fit in memory."
)
#: The default shard size (``yantra_gnn.data.shards.DEFAULT_GRAPHS_PER_SHARD``; repeated
#: here so that ``--help`` does not import torch).
GRAPHS_PER_SHARD = 4096


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``shard`` options."""
    parser.add_argument(
        "--data",
        required=True,
        type=Path,
        metavar="DIR",
        help="a prepared dataset (train.jsonl and val.jsonl of `yantra-gnn download`)",
    )
    parser.add_argument(
        "--output", required=True, type=Path, metavar="SHARDS", help="where the shards go"
    )
    parser.add_argument(
        "--split",
        choices=("train", "val", "both"),
        default="both",
        help="which split to write (default: both, in SHARDS/train and SHARDS/val)",
    )
    parser.add_argument(
        "--graphs-per-shard",
        type=int,
        default=GRAPHS_PER_SHARD,
        metavar="N",
        help=f"graphs per shard file (default {GRAPHS_PER_SHARD}: a few MB each; a problem "
        "is never split, so a shard may hold fewer)",
    )
    parser.add_argument(
        "--import-min-count",
        type=int,
        default=2,
        metavar="K",
        help="as for training: a module enters the import vocabulary when K training "
        "programs import it (default 2)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="only the first N problems per split"
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace shards already in SHARDS/SPLIT"
    )


def run(args: argparse.Namespace) -> int:
    """Handler of ``yantra-gnn shard``: load (or process) each split, write its shards."""
    # torch loads here, not for --help
    from yantra_gnn.data.dataset import CodeContestsDataset
    from yantra_gnn.data.shards import write_shards_from_dataset

    splits = ("train", "val") if args.split == "both" else (args.split,)
    for split in splits:
        dataset = CodeContestsDataset(
            args.data, split, import_min_count=args.import_min_count, limit=args.limit
        )
        manifest = write_shards_from_dataset(
            dataset, args.output / split, args.graphs_per_shard, overwrite=args.overwrite
        )
        logger.info(
            "%s: %d graphs of %d problems in %d shards (%.1f MB) in %s",
            split,
            manifest.graphs,
            len(manifest.group_names),
            len(manifest.shards),
            sum(s.bytes for s in manifest.shards) / 1e6,
            args.output / split,
        )
    return 0


if __name__ == "__main__":
    sys.exit(standalone_main("yantra_gnn.cli.shard"))
