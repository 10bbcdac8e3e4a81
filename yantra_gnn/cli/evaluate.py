"""``yantra-gnn evaluate``: a model and its baselines on a prepared split, on HumanEval or
on the real bugs of a ConDefects file."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yantra_gnn.cli.common import add_precision_argument
from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.humaneval import HumanEvalSettings
from yantra_gnn.files import atomic_write_text
from yantra_gnn.home import CACHE_DIR, SANDBOX_CACHE_DIR
from yantra_gnn.schema import EDGE_SETS

if TYPE_CHECKING:
    from yantra_gnn.evaluation.sets import EvalSet

logger = logging.getLogger(__name__)

HUMANEVAL = "humaneval"
CONDEFECTS = "condefects"


NAME = "evaluate"
DESCRIPTION = (
    "Score a trained model and baselines on the same programs with the same "
    "metrics; print one markdown table per task and write a JSON report. With "
    "--data DIR the learned baselines are fitted on DIR's train split and every "
    "system is scored on --split. With --data humaneval the candidates are "
    "HumanEval's canonical solutions and mutants verified to fail its checks. With "
    "--data condefects FILE they are real AtCoder submissions the judge rejected and "
    "their accepted fixes (split by task; the learned baselines are fitted on the train "
    "tasks of FILE)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``evaluate`` options."""
    parser.add_argument("--model", required=True, help="model file (safetensors) or checkpoint")
    parser.add_argument(
        "--data",
        required=True,
        nargs="+",
        metavar="DATA",
        help="a prepared dataset directory, 'humaneval', or 'condefects FILE' (a ConDefects "
        "JSON-lines file, read in place)",
    )
    parser.add_argument(
        "--split", default="val", choices=("train", "val"), help="split of DIR or FILE"
    )
    parser.add_argument(
        "--baseline-data",
        help="prepared dataset whose train split fits the learned baselines "
        "(default: --data DIR itself; required for learned baselines on humaneval)",
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip the learned baselines (faster)"
    )
    parser.add_argument("--out", help="write the JSON report here")
    parser.add_argument("--plots", help="directory for the reliability diagram PNG")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--batch-size", type=int, default=64, help="graphs per forward pass")
    add_precision_argument(parser)
    parser.add_argument(
        "--edges",
        choices=tuple(EDGE_SETS),
        help="check that the model reads these edges (it applies its own saved edge "
        "setting; an --edges that contradicts it is an error)",
    )
    parser.add_argument(
        "--train-config",
        help="the training run's config.yaml: its label settings, import_min_count and "
        "limit select the same processed data the model was validated on (default: "
        "config.yaml next to --model when present, else the library defaults)",
    )
    parser.add_argument("--limit", type=int, help="use only the first N problems")
    parser.add_argument(
        "--sandbox-cache",
        default=SANDBOX_CACHE_DIR,
        help="sandbox outcome cache used when a split is processed for the first time",
    )
    parser.add_argument(
        "--cache-dir",
        default=CACHE_DIR,
        help="where the verified HumanEval candidate set is cached",
    )
    parser.add_argument(
        "--humaneval-mutants",
        type=int,
        default=HumanEvalSettings.max_mutants_per_problem,
        help="mutants run per HumanEval problem (verified failing ones are kept)",
    )
    parser.add_argument("--workers", type=int, help="parallel sandbox runs (default: cores)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def dataset_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`codecontests_eval_set` from the command line.

    Label settings, ``import_min_count`` and ``limit`` come from the training run's
    config (``--train-config``, or ``config.yaml`` beside the model), so that the
    processed dataset, and its cache, are the ones the model was validated on.
    ``--limit`` overrides the config's limit.
    """
    path = args.train_config
    beside_model = Path(args.model).expanduser().parent / "config.yaml"
    if path is None and beside_model.is_file():
        path = str(beside_model)
        logger.info("using the training config %s for label settings", path)
    options: dict[str, Any] = {
        "sandbox_cache": args.sandbox_cache,
        "workers": args.workers,
        "limit": args.limit,
        "progress": not args.no_progress,
    }
    if path is None:
        return options
    from yantra_gnn.train.config import TrainConfig

    config = TrainConfig.load(path)
    options["settings"] = config.labels
    options["import_min_count"] = config.import_min_count
    if args.limit is None:
        options["limit"] = config.limit
    return options


def data_source(data: list[str] | str) -> tuple[str, str | None]:
    """``--data`` as ``(kind, path)``: ``("humaneval", None)``, ``("condefects", FILE)``
    or ``("dir", DIR)``."""
    values = [data] if isinstance(data, str) else list(data)
    if values[0] == CONDEFECTS:
        if len(values) != 2:
            raise ConfigError(
                "--data condefects takes the ConDefects file: --data condefects FILE "
                "(e.g. ../shared/data/condefects_dev.jsonl)"
            )
        return CONDEFECTS, values[1]
    if len(values) != 1:
        raise ConfigError(
            f"--data takes one value (a directory or 'humaneval') or 'condefects FILE', "
            f"got {' '.join(values)!r}"
        )
    if values[0] == HUMANEVAL:
        return HUMANEVAL, None
    return "dir", values[0]


def run(args: argparse.Namespace) -> int:
    """Handler of ``yantra-gnn evaluate``: prints the tables, writes JSON and plots."""
    # torch, the model and the evaluation code load here, not for --help
    from yantra_gnn.checkpoint import load_model_for_inference
    from yantra_gnn.evaluation.protocol import evaluate_model
    from yantra_gnn.evaluation.report import format_report
    from yantra_gnn.evaluation.sets import (
        codecontests_eval_set,
        condefects_eval_set,
        humaneval_eval_set,
    )

    if args.batch_size < 1:
        raise ConfigError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.limit is not None and args.limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {args.limit}")
    progress = not args.no_progress
    kind, data_path = data_source(args.data)
    model = load_model_for_inference(args.model, device=args.device)
    if args.edges is not None and args.edges != model.config.edges:
        raise ConfigError(
            f"--edges {args.edges} contradicts {args.model}, a model trained on "
            f"{model.config.edges!r} edges; it reads those edges itself, so leave --edges "
            "out (a file saved before models kept their edge setting reads as 'all': "
            "re-save it from YantraGNN(dataclasses.replace(model.config, edges=...)))"
        )
    # The training config picks CodeContests processing: not read for ConDefects alone.
    needs_options = kind != CONDEFECTS or args.baseline_data is not None
    data_options = dataset_options(args) if needs_options else {}
    train_set: EvalSet | None = None
    if kind == CONDEFECTS:
        assert data_path is not None
        eval_set = condefects_eval_set(data_path, args.split, limit=args.limit, progress=progress)
        baseline_root = args.baseline_data
        if args.baseline_data is None and not args.no_baselines:
            train_set = condefects_eval_set(data_path, "train", limit=args.limit, progress=progress)
            if args.split == "train":
                logger.warning("evaluating on the split the baselines are fitted on (train)")
    elif kind == HUMANEVAL:
        settings = HumanEvalSettings(
            max_mutants_per_problem=args.humaneval_mutants, limit=args.limit
        )
        eval_set = humaneval_eval_set(
            settings, cache_dir=args.cache_dir, workers=args.workers, progress=progress
        )
        baseline_root = args.baseline_data
    else:
        assert data_path is not None
        if not Path(data_path).expanduser().is_dir():
            raise ConfigError(
                f"--data {data_path!r} is neither 'humaneval' nor a directory (nor "
                "'condefects FILE'); pass a root prepared with `yantra-gnn download --output DIR`"
            )
        eval_set = codecontests_eval_set(data_path, args.split, **data_options)
        baseline_root = args.baseline_data or data_path
    if baseline_root is not None and not args.no_baselines:
        train_set = codecontests_eval_set(baseline_root, "train", **data_options)
        if kind == "dir" and args.split == "train":
            logger.warning("evaluating on the split the baselines are fitted on (train)")
    report = evaluate_model(
        model,
        eval_set,
        train_set=train_set,
        model_name=str(args.model),
        edges=model.config.edges,
        batch_size=args.batch_size,
        device=args.device,
        plots=args.plots,
        precision=args.precision,
    )
    print(format_report(report))
    if args.out:
        out = Path(args.out).expanduser()
        atomic_write_text(out, json.dumps(report, indent=2))
        print(f"\nreport written to {out}")
    return 0
