"""``yantra-gnn train`` (and ``examples/train_codecontests.py``): train a model."""

from __future__ import annotations

import argparse
import logging
import os
import types
import typing
from collections.abc import Callable
from typing import Any

from yantra_gnn.train.config import HELP as SETTING_HELP
from yantra_gnn.train.config import TrainConfig, flat_names, flat_type

logger = logging.getLogger(__name__)

NAME = "train"
DESCRIPTION = "Train YantraGNN on a prepared CodeContests dataset."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config``, ``--resume`` and one ``--option`` per ``TrainConfig`` setting."""
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON TrainConfig file")
    parser.add_argument(
        "--resume",
        metavar="PATH|last",
        help="continue from a checkpoint ('last' = OUTPUT/last_model.pt, the newest run "
        "there); the checkpoint's data, model, label and batch settings must not change",
    )
    add_config_arguments(parser)


#: Longer descriptions than ``yantra_gnn.train.config.HELP``'s for a few options.
OPTION_HELP: dict[str, str] = {
    "output": "folder of the run; a folder that already holds a run is refused unless "
    "--overwrite is given (the default folder instead moves its previous run to "
    "previous/version_N)",
    "overwrite": "delete the previous run's files in --output before training",
}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _parse_bool(text: str) -> bool:
    """``true``/``false`` (also ``yes``/``no``, ``on``/``off``, ``1``/``0``); nothing else."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(
        f"expected true or false (or yes/no, on/off, 1/0), got {text!r}"
    )


def _parse_sizes(text: str) -> tuple[int, ...]:
    """Comma-separated positive integers, e.g. ``512,512,256``."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive integers such as 512,512,256, got {text!r}"
        )
    return sizes


def _parser_for(kind: Any) -> Callable[[str], Any] | None:
    """A string → value converter for a field's annotated type."""
    origin = typing.get_origin(kind)
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _parser_for(args[0])
    if origin is tuple:
        return _parse_sizes
    if kind is bool:
        return _parse_bool
    if kind in (int, float, str):
        return kind
    return None


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--option`` per setting of ``TrainConfig`` (default: not given).

    The training loop's own settings and the ``model`` / ``labels`` settings that have
    a flat name (``--layer-channels``, ``--label-max-tests``; see
    ``yantra_gnn.train.config.FLAT_SETTINGS``), in ``TrainConfig``'s order. A boolean
    option given alone means true (``--overwrite`` is ``--overwrite true``).
    """
    defaults = TrainConfig()
    group = parser.add_argument_group("training settings (override --config and defaults)")
    for name in flat_names():
        convert = _parser_for(flat_type(name))
        if convert is None:
            continue
        default = defaults.flat(name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        flag: dict[str, Any] = {"nargs": "?", "const": True} if convert is _parse_bool else {}
        group.add_argument(
            _option(name),
            dest=name,
            type=convert,
            default=argparse.SUPPRESS,
            metavar=name.split("_")[-1].upper(),
            help=f"{OPTION_HELP.get(name) or SETTING_HELP[name]} (default: {shown})",
            **flag,
        )


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """``--config FILE`` (if any) with command-line overrides on top."""
    base = TrainConfig.load(args.config).to_dict() if getattr(args, "config", None) else {}
    overrides = {name: getattr(args, name) for name in flat_names() if hasattr(args, name)}
    return TrainConfig.from_dict(base, overrides=overrides, source="command line")


def run(args: argparse.Namespace) -> int:
    from yantra_gnn.train.trainer import Trainer

    config = config_from_args(args)
    result = Trainer(config, resume=args.resume).fit()
    if os.environ.get("RANK", "0") != "0":  # under torchrun the summary is rank 0's alone
        return 130 if result.interrupted else 0
    print(
        f"{'interrupted' if result.interrupted else 'finished'} after epoch {result.epochs_run}"
        f"{' (early stop)' if result.stopped_early else ''}; best epoch {result.best_epoch} "
        f"by {config.select_by} (val loss there {result.best_val_loss:.4f})"
    )
    print(f"checkpoints, metrics.csv and training.png in {result.output}")
    if result.previous_run:
        print(f"the previous run in that folder was moved to {result.previous_run}")
    if result.inference_model:
        print(f"inference model: {result.inference_model}")
    return 130 if result.interrupted else 0
