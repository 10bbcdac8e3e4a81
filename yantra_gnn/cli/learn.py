"""``yantra-gnn learn --model M``: learn from a stream of tested programs on stdin.

The logic is :mod:`yantra_gnn.train.learn_stream`; this module reads the options,
writes one JSON line per saved version to stdout and one JSON error per bad line to
stderr (the logs go to stderr too).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from yantra_gnn.home import MODELS_DIR, MODELS_DIR_ENV

NAME = "learn"
DESCRIPTION = (
    "Update a model from programs with their test results, read as JSON lines on stdin "
    '({"source": "...", "problem": "...", "tests_passed": 9, "tests_total": 10}, or '
    '"pass_rate": 0.9 instead of the counts; "problem" is optional). Updates in small '
    "batches mixed with replayed earlier training data at a lowered learning rate; "
    "positives only from programs whose pass rate is at least --min-pass-rate. Every "
    "--save-every updates (and at the end of input) a new registry version is saved and "
    "one JSON line describing it (version, old vs new metrics, promoted or why not) is "
    "written to stdout; bad lines are reported on stderr as JSON and skipped. SIGINT or "
    "SIGTERM stop it after the current update, saving what was learnt. docs/lifecycle.md "
    "describes the rules."
)

#: Command-line option -> the TrainConfig setting it sets (only when given).
CONFIG_OPTIONS: dict[str, str] = {
    "lr": "lr",
    "lr_scale": "continue_lr_scale",
    "min_pass_rate": "min_pass_rate",
    "replay_size": "replay_size",
    "replay_data": "replay_data",
    "promote_margin": "promote_margin",
    "device": "device",
    "seed": "seed",
    "threads": "num_threads",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``yantra-gnn learn``."""
    parser.add_argument(
        "--model",
        required=True,
        metavar="M",
        help="the model to start from: NAME@VERSION, NAME@latest, NAME@production, a "
        "shipped model's name or a model file",
    )
    parser.add_argument(
        "--name",
        help="registry name of the versions saved (default: --model's name, when it is a "
        "registry reference)",
    )
    parser.add_argument(
        "--registry",
        metavar="DIR",
        help=f"the registry folder (default: ${MODELS_DIR_ENV}, else {MODELS_DIR})",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TrainConfig file (YAML/JSON) the model was trained with, e.g. its run's "
        "config.yaml: its label settings (so the earlier data's dataset cache is reused), "
        "loss weights and learning rate are used (default: TrainConfig's defaults)",
    )
    parser.add_argument(
        "--replay-data",
        metavar="DIR",
        help="prepared dataset the model was trained on: its training split feeds the "
        "replay buffer, its validation split is the old validation set (default: the data "
        "recorded with the model)",
    )
    parser.add_argument(
        "--replay",
        type=int,
        default=8,
        metavar="N",
        help="earlier programs replayed in each update (0: none; default 8)",
    )
    parser.add_argument(
        "--replay-size",
        type=int,
        metavar="N",
        help="programs of the earlier training split kept in the replay buffer (default 1000)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=8, metavar="N", help="new programs per update (default 8)"
    )
    parser.add_argument("--lr", type=float, help="base learning rate (default 1e-3, or --config's)")
    parser.add_argument(
        "--lr-scale",
        type=float,
        metavar="F",
        help="the updates use lr x F (in (0, 1]; default 0.1)",
    )
    parser.add_argument(
        "--min-pass-rate",
        type=float,
        metavar="R",
        help="positives only from programs whose pass rate is at least R; the others are "
        "negatives (default 0.9)",
    )
    parser.add_argument(
        "--save-every",
        type=int,
        default=50,
        metavar="N",
        help="save a new version every N updates (default 50)",
    )
    parser.add_argument(
        "--holdout-every",
        type=int,
        default=10,
        metavar="K",
        help="hold every K-th program out of training to score old vs new on (0: none; default 10)",
    )
    parser.add_argument(
        "--promote-to",
        metavar="ALIAS",
        help="point NAME@ALIAS (e.g. production) at each saved version that is not worse on "
        "the old validation set than the starting model by more than --promote-margin",
    )
    parser.add_argument(
        "--promote-margin",
        type=float,
        metavar="D",
        help="largest drop of the old-validation score that still allows promotion (default 0.02)",
    )
    parser.add_argument(
        "--max-line-bytes",
        type=int,
        default=1 << 20,
        metavar="N",
        help="longer lines are refused (default 1 MiB)",
    )
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default auto)")
    parser.add_argument("--seed", type=int, help="seeds the replay sampling (default 0)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default 1)")


def run(args: argparse.Namespace) -> int:
    from yantra_gnn.train.config import TrainConfig
    from yantra_gnn.train.learn_stream import LearnSettings, StopRequest, StreamLearner

    base = TrainConfig.load(args.config).to_dict() if args.config else {}
    overrides: dict[str, Any] = {"progress": False}
    overrides.update({setting: getattr(args, option) for option, setting in CONFIG_OPTIONS.items()})
    overrides = {key: value for key, value in overrides.items() if value is not None}
    # The model is continued (this also lets --replay-data through the config's checks);
    # the config file's own init_from / promote_to are not this command's.
    overrides.update(continue_from=args.model, init_from=None, promote_to=None)
    config = TrainConfig.from_dict(base, overrides=overrides, source="command line")
    settings = LearnSettings(
        model=args.model,
        name=args.name,
        registry=args.registry,
        batch_size=args.batch_size,
        replay=args.replay,
        save_every=args.save_every,
        holdout_every=args.holdout_every,
        promote_to=args.promote_to,
        max_line_bytes=args.max_line_bytes,
    )
    stop = StopRequest()
    with stop.installed():
        learner = StreamLearner(settings, config)
        summary = learner.run(
            sys.stdin.buffer,
            on_save=_write_line(sys.stdout),
            on_error=_write_line(sys.stderr),
            stop=stop,
        )
    return 130 if summary.stopped_by == signal.SIGINT else 0


def _write_line(stream: Any) -> Any:
    """A callback writing one JSON object per line to ``stream``, flushed."""

    def write(record: dict[str, Any]) -> None:
        stream.write(json.dumps(record) + "\n")
        stream.flush()

    return write
