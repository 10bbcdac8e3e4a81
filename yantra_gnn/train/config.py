"""``TrainConfig``: every setting of a training run, with the original spec's defaults.

Loadable from and savable to YAML or JSON; :mod:`yantra_gnn.cli.train` turns every
field into a command-line option (``--batch-size 8``, ``--layer-channels 64,64,32``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from yantra_gnn.errors import ConfigError
from yantra_gnn.home import CHECKPOINTS_DIR, CODECONTESTS_DIR
from yantra_gnn.nn.config import ModelConfig
from yantra_gnn.sandbox import DEFAULT_TIMEOUT_S
from yantra_gnn.schema import SYNTAX_DATAFLOW_GROUPS

DEFAULT_DATA_DIR = CODECONTESTS_DIR
DEFAULT_OUTPUT_DIR = CHECKPOINTS_DIR
#: Epochs when training on the bundled sample and ``epochs`` is not set: the sample is
#: small, and the README's first command must finish in a few minutes on 2 CPU cores.
SAMPLE_EPOCHS = 20
#: ``edge_grouping`` choices → ``ModelConfig.edge_groups``.
EDGE_GROUPINGS = {"single": (), "syntax_dataflow": SYNTAX_DATAFLOW_GROUPS}
#: Epochs on a prepared dataset when ``epochs`` is not set (the original spec).
FULL_EPOCHS = 100


@dataclass
class TrainConfig:
    """Settings of one training run (defaults: the original spec's values).

    Attributes:
        data: a prepared dataset directory (``train.jsonl``/``val.jsonl``); ``None`` uses
            ``~/.yantra/datasets/codecontests`` when prepared, else the bundled sample.
        output: where checkpoints, ``metrics.csv``, plots and the inference model go.
        epochs: ``None`` means 100 on a prepared dataset and 20 on the bundled sample.
        batch_size, lr, weight_decay: AdamW settings.
        weight_code, weight_confidence, weight_imports, weight_bugs: loss weights.
        scheduler_patience, scheduler_factor: ``ReduceLROnPlateau`` on validation loss.
        early_stopping_patience: stop after this many epochs without improvement.
        grad_clip: max gradient norm.
        checkpoint_every: also keep ``epoch_NNN.pt`` every this many epochs.
        device: ``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.
        seed: seeds weights, batching, dropout, mutant sampling.
        limit: use only the first N problems of each split.
        per_group: programs of one problem put together in a batch (contrastive positives).
        temperature: InfoNCE temperature.
        log_every: log a line every N batches.
        layer_channels, dropout, pooling: the model (978 → 512 → 512 → 256, 0.1, and
            ``ModelConfig``'s default pooling).
        edges: ``all`` (AST + dataflow) or ``syntax`` (AST, sibling and token edges only:
            the ablation that shows what dataflow adds).
        edge_grouping: ``single`` (one SAGEConv aggregation over all edges, the model's
            default) or ``syntax_dataflow`` (one per group, summed).
        label_max_tests, label_mutants_per_class, label_max_mutants, label_timeout_s:
            how labels are made (see ``LabelSettings``).
        import_min_count: minimum training programs importing a module for it to enter
            the import vocabulary.
        num_threads: torch CPU threads (0: torch's default). Default 1: on the 2-core
            machines this project is measured on, a training step took 1.0 s with one
            thread and 3.5 s with two (the scatter/sparse kernels contend); raise it on
            a larger CPU after measuring.
        progress: tqdm progress bars.
    """

    data: str | None = None
    output: str = DEFAULT_OUTPUT_DIR
    epochs: int | None = None
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    weight_code: float = 1.0
    weight_confidence: float = 1.0
    weight_imports: float = 0.5
    weight_bugs: float = 0.5
    scheduler_patience: int = 5
    scheduler_factor: float = 0.5
    early_stopping_patience: int = 10
    grad_clip: float = 1.0
    checkpoint_every: int = 5
    device: str = "auto"
    seed: int = 0
    limit: int | None = None
    per_group: int = 4
    temperature: float = 0.1
    log_every: int = 10
    layer_channels: tuple[int, ...] = (512, 512, 256)
    dropout: float = 0.1
    pooling: str = ModelConfig.pooling
    edges: str = "all"
    edge_grouping: str = "single"
    label_max_tests: int = 10
    label_mutants_per_class: int = 1
    label_max_mutants: int = 4
    label_timeout_s: float = DEFAULT_TIMEOUT_S
    import_min_count: int = 2
    num_threads: int = 1
    progress: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.layer_channels = tuple(int(c) for c in self.layer_channels)
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad value."""
        positive_ints = ("batch_size", "checkpoint_every", "per_group", "log_every")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if self.epochs is not None and (not isinstance(self.epochs, int) or self.epochs < 1):
            raise ConfigError(f"epochs must be a positive integer, got {self.epochs!r}")
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"limit must be a positive number of problems, got {self.limit!r}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr!r}")
        for name in ("weight_code", "weight_confidence", "weight_imports", "weight_bugs"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not 0 < self.scheduler_factor < 1:
            raise ConfigError(f"scheduler_factor must be in (0, 1), got {self.scheduler_factor!r}")
        if self.scheduler_patience < 0 or self.early_stopping_patience < 1:
            raise ConfigError("scheduler_patience must be >= 0 and early_stopping_patience >= 1")
        if not self.grad_clip > 0 or not self.temperature > 0:
            raise ConfigError("grad_clip and temperature must be > 0")
        if self.edges not in ("all", "syntax"):
            raise ConfigError(f"edges must be 'all' or 'syntax', got {self.edges!r}")
        if self.edge_grouping not in EDGE_GROUPINGS:
            raise ConfigError(
                f"edge_grouping must be one of {sorted(EDGE_GROUPINGS)}, got {self.edge_grouping!r}"
            )
        if not self.layer_channels or min(self.layer_channels) < 1:
            raise ConfigError(f"layer_channels must be positive sizes, got {self.layer_channels!r}")

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["layer_channels"] = list(self.layer_channels)
        return values

    def save(self, path: str | Path) -> Path:
        """Write the config as YAML (``.yaml``/``.yml``) or JSON (anything else)."""
        path = Path(path)
        values = self.to_dict()
        if path.suffix in (".yaml", ".yml"):
            path.write_text(yaml.safe_dump(values, sort_keys=False))
        else:
            path.write_text(json.dumps(values, indent=2))
        return path

    @classmethod
    def from_dict(cls, values: dict[str, Any], *, source: str = "config") -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{source}: unknown setting(s) {unknown}; known: {sorted(known)}")
        try:
            return cls(**values)
        except TypeError as error:
            raise ConfigError(f"{source}: {error}") from None

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a YAML or JSON config file."""
        path = Path(path).expanduser()
        try:
            text = path.read_text()
        except OSError as error:
            raise ConfigError(f"cannot read config {path}: {error.strerror}") from None
        try:
            values = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
        except (yaml.YAMLError, json.JSONDecodeError) as error:
            raise ConfigError(f"config {path} is not valid YAML/JSON: {error}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"config {path} must hold a mapping of settings")
        return cls.from_dict(values, source=str(path))
