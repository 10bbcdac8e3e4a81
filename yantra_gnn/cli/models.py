"""``yantra-gnn models list | show | add | promote | remove``: the local model registry."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yantra_gnn.errors import ConfigError
from yantra_gnn.home import MODELS_DIR, MODELS_DIR_ENV

if TYPE_CHECKING:
    from yantra_gnn.registry import ModelRegistry, RegisteredModel

NAME = "models"
DESCRIPTION = (
    f"The local model registry (default {MODELS_DIR}, or ${MODELS_DIR_ENV}): named, "
    "versioned models with their cards. Refer to a registered model as NAME@VERSION, "
    "NAME@latest or NAME@production wherever a model is taken (predict, serve, evaluate). "
    "docs/lifecycle.md describes the registry."
)


def _registry_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        default=None,
        metavar="DIR",
        help=f"the registry folder (default: ${MODELS_DIR_ENV}, else {MODELS_DIR})",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``models`` sub-commands and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the registered models and versions")
    listing.add_argument("name", nargs="?", help="only this model's versions")
    listing.add_argument("--json", action="store_true", help="print JSON")
    _registry_option(listing)

    show = actions.add_parser("show", help="print one version's card")
    show.add_argument("reference", metavar="NAME[@REF]", help="NAME@3, NAME@production, NAME")
    _registry_option(show)

    add = actions.add_parser("add", help="register a model file as the next version of NAME")
    add.add_argument(
        "file",
        help="a model file (save_model_for_inference, e.g. a run's best_model.safetensors) "
        "or a training checkpoint (.pt)",
    )
    add.add_argument("--name", required=True, help="the model's name (letters, digits, . _ -)")
    add.add_argument("--metrics", metavar="FILE.json", help="a JSON object of evaluation metrics")
    add.add_argument(
        "--data",
        nargs="+",
        metavar="PATH",
        help="the training data (files or folders): their SHA-256 is the data fingerprint",
    )
    add.add_argument(
        "--data-fingerprint",
        metavar="TEXT",
        help="the data fingerprint as given (default: --data's, else the training "
        "checkpoint's data digest if it holds one)",
    )
    add.add_argument(
        "--promote",
        metavar="ALIAS",
        help="also point NAME@ALIAS (e.g. production) at the new version",
    )
    _registry_option(add)

    promote = actions.add_parser("promote", help="point NAME@ALIAS at a version")
    promote.add_argument("name")
    promote.add_argument("version", help="a version number, or latest")
    promote.add_argument("--alias", default="production", help="the alias (default production)")
    _registry_option(promote)

    remove = actions.add_parser("remove", help="delete a version")
    remove.add_argument("name")
    remove.add_argument("version", help="a version number")
    remove.add_argument(
        "--force", action="store_true", help="remove it even when an alias points at it"
    )
    _registry_option(remove)


def run(args: argparse.Namespace) -> int:
    from yantra_gnn.registry import ModelRegistry  # no torch: listing stays quick

    registry = ModelRegistry(args.registry)
    if args.action == "list":
        return _list(registry, args.name, args.json)
    if args.action == "show":
        entry = registry.show(args.reference)
        sys.stdout.write(json.dumps(entry.summary(), indent=2) + "\n")
        return 0
    if args.action == "add":
        return _add(registry, args)
    if args.action == "promote":
        entry = registry.promote(args.name, args.version, args.alias)
        print(f"{args.name}@{args.alias} -> {entry.reference}")
        return 0
    if args.action == "remove":
        entry = registry.remove(args.name, args.version, force=args.force)
        print(f"removed {entry.reference}")
        return 0
    raise ConfigError(f"unknown action {args.action!r}")


def _list(registry: ModelRegistry, name: str | None, as_json: bool) -> int:
    entries = registry.list(name)
    if as_json:
        sys.stdout.write(json.dumps([e.summary() for e in entries], indent=2) + "\n")
        return 0
    if not entries:
        print(f"no models in {registry.root}")
        return 0
    rows = [("MODEL", "ALIASES", "CREATED", "METRICS")]
    rows += [
        (e.reference, ",".join(e.aliases) or "-", str(e.card.get("created", "-")), _metrics(e))
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )
    return 0


def _metrics(entry: RegisteredModel, most: int = 4) -> str:
    items = list(entry.metrics.items())
    text = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in items[:most])
    return (text + (" ..." if len(items) > most else "")) or "-"


def _add(registry: ModelRegistry, args: argparse.Namespace) -> int:
    metrics: Any = None
    if args.metrics:
        try:
            metrics = json.loads(Path(args.metrics).expanduser().read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(
                f"--metrics {args.metrics}: not a readable JSON file ({error})"
            ) from None
        if not isinstance(metrics, dict):
            raise ConfigError(f"--metrics {args.metrics} must hold a JSON object")
    fingerprint = args.data_fingerprint
    if fingerprint is None and args.data:
        from yantra_gnn.registry import fingerprint_files

        fingerprint = fingerprint_files(args.data)
    from yantra_gnn.checkpoint import register_model  # torch from here on

    entry = register_model(
        Path(args.file).expanduser(),
        args.name,
        registry=registry,
        metrics=metrics,
        data_fingerprint=fingerprint,
        training_data=", ".join(args.data) if args.data else None,
    )
    print(f"registered {entry.reference} ({entry.path})")
    if args.promote:
        registry.promote(entry.name, entry.version, args.promote)
        print(f"{entry.name}@{args.promote} -> {entry.reference}")
    return 0
