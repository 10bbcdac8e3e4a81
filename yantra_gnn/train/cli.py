"""``yantra-gnn train`` (and ``examples/train_codecontests.py``): train a model."""

from __future__ import annotations

import argparse
import logging

from yantra_gnn.train.config import add_config_arguments, config_from_args

logger = logging.getLogger(__name__)


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON TrainConfig file")
    parser.add_argument(
        "--resume",
        metavar="PATH|last",
        help="continue from a checkpoint ('last' = OUTPUT/last_model.pt)",
    )
    add_config_arguments(parser)


def register_cli(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model on CodeContests (default: the bundled sample when offline)",
        description="Train YantraGNN on a prepared CodeContests dataset.",
    )
    add_train_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from yantra_gnn.train.trainer import Trainer

    config = config_from_args(args)
    result = Trainer(config, resume=args.resume).fit()
    print(
        f"{'interrupted' if result.interrupted else 'finished'} after epoch {result.epochs_run}"
        f"{' (early stop)' if result.stopped_early else ''}; best val loss "
        f"{result.best_val_loss:.4f} at epoch {result.best_epoch}"
    )
    print(f"checkpoints, metrics.csv and training.png in {result.output}")
    if result.inference_model:
        print(f"inference model: {result.inference_model}")
    return 130 if result.interrupted else 0
