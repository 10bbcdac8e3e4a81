"""Train the model shipped as ``yantra-gnn/default``, on everything available offline.

One command, from the repository root (about an hour on 2 CPU cores)::

    python tools/train_default_model.py

It runs three steps, each an ordinary library call that can be run alone:

1. ``yantra-gnn pretrain``: self-supervised pretraining on functions of this machine's
   standard library and site-packages (:mod:`yantra_gnn.train.pretrain`);
2. ``yantra-gnn train --init-from PRETRAINED --condefects FILE``: fine-tuning on the
   verified CodeContests problems (``--data``, default the shared 200-problem file, else
   the bundled sample) plus the training tasks of ConDefects (when the file exists);
   the validation problems and the ConDefects validation tasks stay unseen, so
   ``docs/model_card.md`` can report on them;
3. export: the best fine-tuned model, Platt-calibrated on validation, saved with float16
   weights to ``yantra_gnn/pretrained/default.safetensors`` (what
   ``Predictor.from_pretrained("yantra-gnn/default")`` and ``yantra-gnn predict``
   without ``--model`` load).

``--export-only RUN`` skips training and exports ``RUN/best_model.pt``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DEFAULT_EXPORT = REPO / "yantra_gnn" / "pretrained" / "default.safetensors"
#: The shipped file must stay small enough to live in the wheel.
MAX_EXPORT_BYTES = 12 * 1024 * 1024

logger = logging.getLogger("train_default_model")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_data = SHARED / "codecontests_mini.jsonl"
    parser.add_argument(
        "--data",
        default=str(default_data) if default_data.exists() else None,
        help="prepared CodeContests directory or raw file (default: the shared 200-problem "
        "file when present, else the bundled sample)",
    )
    default_condefects = SHARED / "condefects_dev.jsonl"
    parser.add_argument(
        "--condefects",
        default=str(default_condefects) if default_condefects.exists() else None,
        help="ConDefects file whose training tasks join the data (default: the shared file "
        "when present)",
    )
    parser.add_argument("--output", default="~/.yantra/default-model", help="run folders")
    parser.add_argument("--units", type=int, default=3000, help="corpus functions to pretrain on")
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=12, help="fine-tuning epochs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", default=str(DEFAULT_EXPORT), help="where the model goes")
    parser.add_argument("--export-only", metavar="RUN", help="export RUN/best_model.pt only")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="delete the runs of an earlier call in --output first (without it, a second "
        "call is refused)",
    )
    return parser.parse_args(argv)


def export(run: Path, target: Path) -> Path:
    """Save ``run/best_model.pt`` with float16 weights to ``target``; check it predicts
    as the float32 model does (up to rounding) and fits :data:`MAX_EXPORT_BYTES`."""
    from yantra_gnn.checkpoint import load_model_for_inference, save_model_for_inference
    from yantra_gnn.graph import CodeGraphBuilder

    model = load_model_for_inference(run / "best_model.pt", device="cpu")
    target.parent.mkdir(parents=True, exist_ok=True)
    save_model_for_inference(model, target, dtype="float16")
    size = target.stat().st_size
    if size > MAX_EXPORT_BYTES:
        raise SystemExit(f"{target} is {size / 2**20:.1f} MiB, over the 12 MiB budget")
    half = load_model_for_inference(target, device="cpu")
    graph = CodeGraphBuilder().build("n = int(input())\nprint(sum(range(n)))\n")
    with torch.no_grad():
        a, b = model(graph), half(graph)
    drift = float(
        (
            model.confidence_probability(a.confidence_logit)
            - half.confidence_probability(b.confidence_logit)
        )
        .abs()
        .max()
    )
    logger.info(
        "exported %s (%.2f MiB, float16; confidence drift %.2e)", target, size / 2**20, drift
    )
    return target


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    output = Path(args.output).expanduser()
    if args.export_only:
        export(Path(args.export_only).expanduser(), Path(args.export))
        return 0

    from yantra_gnn.train import TrainConfig, Trainer
    from yantra_gnn.train.pretrain import pretrain

    common = {"seed": args.seed, "progress": args.progress, "overwrite": args.overwrite}
    pre = pretrain(
        TrainConfig(output=str(output / "pretrain"), epochs=args.pretrain_epochs, **common),
        units=args.units,
    )
    if pre.inference_model is None:
        raise SystemExit("pretraining produced no model")
    tuned = Trainer(
        TrainConfig(
            data=args.data,
            condefects=args.condefects,
            init_from=str(pre.inference_model),
            output=str(output / "finetune"),
            epochs=args.epochs,
            **common,
        )
    ).fit()
    export(tuned.output, Path(args.export))
    return 0


if __name__ == "__main__":
    sys.exit(main())
