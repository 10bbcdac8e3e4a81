"""``yantra-gnn pretrain``: self-supervised pretraining on the local Python corpus."""

from __future__ import annotations

import argparse
import logging

from yantra_gnn.cli.train import add_config_arguments, config_from_args
from yantra_gnn.defaults import DEFAULT_PRETRAIN_UNITS

logger = logging.getLogger(__name__)

NAME = "pretrain"
DESCRIPTION = (
    "Pretrain YantraGNN self-supervised on Python functions read at run time from this "
    "machine's standard library and site-packages: bug classes and locations from "
    "mutants, imports from real import statements, the embedding from renamed rewrites. "
    "The confidence head is not trained (corpus code is not run). Fine-tune afterwards "
    "with `yantra-gnn train --init-from OUTPUT/best_model.safetensors`."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--units``, ``--corpus-root``, ``--config``, ``--resume`` and the training settings."""
    parser.add_argument(
        "--units",
        type=int,
        default=DEFAULT_PRETRAIN_UNITS,
        metavar="N",
        help=f"functions to draw from the corpus (default: {DEFAULT_PRETRAIN_UNITS})",
    )
    parser.add_argument(
        "--corpus-root",
        action="append",
        metavar="DIR",
        help="read .py files from DIR instead of the standard library and site-packages "
        "(repeat for several)",
    )
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON TrainConfig file")
    parser.add_argument(
        "--resume",
        metavar="PATH|last",
        help="continue from a checkpoint ('last' = OUTPUT/last_model.pt)",
    )
    add_config_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from yantra_gnn.train.pretrain import pretrain

    config = config_from_args(args)
    result = pretrain(config, units=args.units, roots=args.corpus_root, resume=args.resume)
    print(
        f"{'interrupted' if result.interrupted else 'finished'} after epoch {result.epochs_run}"
        f"{' (early stop)' if result.stopped_early else ''}; best epoch {result.best_epoch} "
        f"(val loss {result.best_val_loss:.4f})"
    )
    if result.inference_model:
        print(
            f"pretrained model: {result.inference_model}; fine-tune with `yantra-gnn train "
            f"--init-from {result.inference_model}`"
        )
    return 130 if result.interrupted else 0
