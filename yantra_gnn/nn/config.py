"""``ModelConfig``: every size and choice that defines a ``YantraGNN``.

The config is the model's identity: checkpoints store it as a plain dict
(``to_dict``) and rebuild the model from it alone (``from_dict``), so it holds only
JSON-able values (ints, floats, strings and tuples of them). The label vocabularies
(import names, bug classes) live here too, so a saved model knows what its output
columns mean.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yantra_gnn.errors import ConfigError
from yantra_gnn.schema import BUG_CLASSES, EDGE_SETS, FEATURE_DIM

#: The node feature width the graph builder writes. ``YantraGNN`` checks its input width.
DEFAULT_IN_CHANNELS = FEATURE_DIM

#: Default import vocabulary: the top-level modules that the Python 3 solutions of
#: CodeContests import (most frequent first in ``codecontests_mini.jsonl``), then a few
#: more standard-library modules common in such code. A training run normally sets
#: its own vocabulary from its training split.
DEFAULT_IMPORT_VOCAB: tuple[str, ...] = (
    "sys",
    "collections",
    "math",
    "os",
    "io",
    "heapq",
    "bisect",
    "itertools",
    "random",
    "fractions",
    "threading",
    "functools",
    "time",
    "array",
    "types",
    "string",
    "typing",
    "re",
    "operator",
    "decimal",
    "copy",
    "queue",
    "statistics",
    "datetime",
)

ACTIVATIONS: tuple[str, ...] = ("relu", "gelu", "silu", "elu", "leaky_relu", "tanh")
POOLINGS: tuple[str, ...] = ("mean", "mean_max", "attention")


@dataclass(frozen=True)
class ModelConfig:
    """The architecture of a ``YantraGNN`` and the names of its output columns.

    Args:
        in_channels: node feature width (``yantra_gnn.graph.FEATURE_DIM``, 978).
        layer_channels: output width of each SAGEConv layer; the last one is the
            node embedding width. Default ``(512, 512, 256)`` gives 978 → 512 → 512 → 256.
        dropout: dropout probability after each hidden layer and in the heads.
        activation: one of ``ACTIVATIONS``.
        pooling: graph pooling, one of ``"mean"``, ``"mean_max"`` (concatenated
            mean and max, twice the width; the default, see docs/model.md) or
            ``"attention"`` (gated attention).
        edges: the edges the model reads, one of ``EDGE_SETS``: ``"all"`` (the default)
            or ``"syntax"`` (syntax edges only). The model drops the other edge types
            itself in ``forward``, so every caller (training, ``Predictor``,
            ``yantra-gnn evaluate``) feeds it what it was trained on. Files written
            before this field existed load as ``"all"``.
        edge_groups: edge-type names grouped for message passing: each layer runs
            one SAGEConv aggregation per group and sums them. Every edge type of
            ``yantra_gnn.graph.EDGE_TYPES`` must be in exactly one group. ``()`` (the
            default, see docs/model.md) means one group of all edges: plain GraphSAGE
            over every edge, ``edge_type`` unused. ``SYNTAX_DATAFLOW_GROUPS`` splits
            syntax and dataflow edges.
        head_hidden_channels: hidden width of each head's two-layer MLP.
        embedding_dim: width of the L2-normalised code embedding.
        import_vocab: module names of the import head's columns.
        bug_classes: bug class names of the bug head's columns.
        import_evidence: add the import head's node evidence (``NodeEvidenceHead``: the
            strongest per-node score, a learned name lookup) to its pooled-embedding
            logits. Files written before this field existed load as ``False``.
        confidence_temperature: ``T > 0`` of the confidence head's Platt scaling:
            P(correct) = ``sigmoid(confidence_logit / T + b)``
            (``YantraGNN.confidence_probability``). Not a setting of the architecture: the
            Trainer fits it on the validation split after training
            (``yantra_gnn.evaluation.calibration.fit_platt``) and saves it with the
            model. ``1.0`` = uncalibrated; files written before this field existed load
            as ``1.0``.
        confidence_bias: ``b`` of the same scaling (``0.0`` = uncalibrated and for files
            written before this field existed).
        confidence_base_rate: the share of correct programs among the candidates the
            scaling was fitted on (in (0, 1); ``None``: unknown, e.g. uncalibrated or
            written before this field existed). The calibrated confidence is
            P(correct) *at that base rate*; ``YantraGNN.confidence_probability(logit,
            prior=p)`` moves it to another one (Bayes' rule on the odds).
    """

    in_channels: int = DEFAULT_IN_CHANNELS
    layer_channels: tuple[int, ...] = (512, 512, 256)
    dropout: float = 0.1
    activation: str = "relu"
    pooling: str = "mean_max"
    edges: str = "all"
    edge_groups: tuple[tuple[str, ...], ...] = ()
    head_hidden_channels: int = 256
    embedding_dim: int = 256
    import_vocab: tuple[str, ...] = DEFAULT_IMPORT_VOCAB
    bug_classes: tuple[str, ...] = BUG_CLASSES
    import_evidence: bool = True
    confidence_temperature: float = 1.0
    confidence_bias: float = 0.0
    confidence_base_rate: float | None = None

    def __post_init__(self) -> None:
        # Accept lists (e.g. from JSON or YAML) and store tuples, so the config stays
        # hashable and equal to its own round trip. A string is not a list of names (it
        # would become a tuple of its characters).
        for name in ("layer_channels", "edge_groups", "import_vocab", "bug_classes"):
            if isinstance(getattr(self, name), str | bytes):
                raise ConfigError(f"ModelConfig.{name} must be a list, got a string")
        object.__setattr__(self, "layer_channels", tuple(self.layer_channels))
        object.__setattr__(self, "edge_groups", tuple(tuple(g) for g in self.edge_groups))
        object.__setattr__(self, "import_vocab", tuple(self.import_vocab))
        object.__setattr__(self, "bug_classes", tuple(self.bug_classes))
        self._validate()

    def _validate(self) -> None:
        def positive_int(name: str, value: Any) -> None:
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"ModelConfig.{name} must be a positive int, got {value!r}")

        positive_int("in_channels", self.in_channels)
        positive_int("head_hidden_channels", self.head_hidden_channels)
        positive_int("embedding_dim", self.embedding_dim)
        if not self.layer_channels:
            raise ConfigError("ModelConfig.layer_channels must name at least one layer width")
        for width in self.layer_channels:
            positive_int("layer_channels[...]", width)
        if (
            not isinstance(self.dropout, int | float)
            or not math.isfinite(self.dropout)
            or not 0.0 <= self.dropout < 1.0
        ):
            raise ConfigError(f"ModelConfig.dropout must be in [0, 1), got {self.dropout!r}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(
                f"ModelConfig.activation {self.activation!r} is unknown; use one of {ACTIVATIONS}"
            )
        if self.pooling not in POOLINGS:
            raise ConfigError(
                f"ModelConfig.pooling {self.pooling!r} is unknown; use one of {POOLINGS}"
            )
        if not isinstance(self.edges, str) or self.edges not in EDGE_SETS:
            raise ConfigError(
                f"ModelConfig.edges {self.edges!r} is unknown; use one of {tuple(EDGE_SETS)}"
            )
        seen: set[str] = set()
        for group in self.edge_groups:
            if not group:
                raise ConfigError("ModelConfig.edge_groups has an empty group; remove it")
            for name in group:
                if not isinstance(name, str):
                    raise ConfigError(f"ModelConfig.edge_groups holds a non-string {name!r}")
                if name in seen:
                    raise ConfigError(
                        f"edge type {name!r} is in two ModelConfig.edge_groups; keep it in one"
                    )
                seen.add(name)
        for field_name in ("import_vocab", "bug_classes"):
            names = getattr(self, field_name)
            if not names:
                raise ConfigError(f"ModelConfig.{field_name} must name at least one label")
            if not all(isinstance(n, str) and n for n in names):
                raise ConfigError(f"ModelConfig.{field_name} must hold non-empty strings")
            if len(set(names)) != len(names):
                raise ConfigError(f"ModelConfig.{field_name} has duplicate names")
        temperature = self.confidence_temperature
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not math.isfinite(temperature)
            or temperature <= 0
        ):
            raise ConfigError(
                f"ModelConfig.confidence_temperature must be a finite number > 0, got "
                f"{temperature!r}"
            )
        object.__setattr__(self, "confidence_temperature", float(temperature))
        bias = self.confidence_bias
        if isinstance(bias, bool) or not isinstance(bias, int | float) or not math.isfinite(bias):
            raise ConfigError(f"ModelConfig.confidence_bias must be a finite number, got {bias!r}")
        object.__setattr__(self, "confidence_bias", float(bias))
        rate = self.confidence_base_rate
        if rate is not None:
            if (
                isinstance(rate, bool)
                or not isinstance(rate, int | float)
                or not math.isfinite(rate)
                or not 0 < rate < 1
            ):
                raise ConfigError(
                    f"ModelConfig.confidence_base_rate must be a number in (0, 1) or null, "
                    f"got {rate!r}"
                )
            object.__setattr__(self, "confidence_base_rate", float(rate))
        if not isinstance(self.import_evidence, bool):
            raise ConfigError(
                f"ModelConfig.import_evidence must be true or false, got {self.import_evidence!r}"
            )

    @property
    def num_edge_groups(self) -> int:
        """Number of SAGEConv aggregations per layer (1 for homogeneous)."""
        return max(1, len(self.edge_groups))

    @property
    def node_channels(self) -> int:
        """Width of the final node embeddings (the last layer width)."""
        return self.layer_channels[-1]

    @property
    def pooled_channels(self) -> int:
        """Width of the pooled graph embedding that the heads read."""
        return 2 * self.node_channels if self.pooling == "mean_max" else self.node_channels

    def to_dict(self) -> dict[str, Any]:
        """The config as a JSON-able dict (tuples become lists).

        ``confidence_base_rate`` is written only when known, so a model without it saves
        the same dict as before the field existed.
        """
        values: dict[str, Any] = {
            "in_channels": self.in_channels,
            "layer_channels": list(self.layer_channels),
            "dropout": float(self.dropout),
            "activation": self.activation,
            "pooling": self.pooling,
            "edges": self.edges,
            "edge_groups": [list(g) for g in self.edge_groups],
            "head_hidden_channels": self.head_hidden_channels,
            "embedding_dim": self.embedding_dim,
            "import_vocab": list(self.import_vocab),
            "bug_classes": list(self.bug_classes),
            "import_evidence": self.import_evidence,
            "confidence_temperature": self.confidence_temperature,
            "confidence_bias": self.confidence_bias,
        }
        if self.confidence_base_rate is not None:
            values["confidence_base_rate"] = self.confidence_base_rate
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ModelConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are a ``ConfigError``.

        A missing key takes its default (``edges`` is ``"all"``,
        ``confidence_temperature`` is ``1.0`` and ``confidence_bias`` ``0.0`` for files
        written before they existed). Checkpoints written before ``import_evidence``
        existed load with it ``False`` (:mod:`yantra_gnn.checkpoint` sees to that).
        """
        if not isinstance(values, Mapping):
            raise ConfigError(f"a model config must be a mapping, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"unknown ModelConfig fields {unknown}; this file was written by another "
                "version of yantra-gnn"
            )
        try:
            return cls(**dict(values))
        except TypeError as error:
            raise ConfigError(f"invalid model config {dict(values)!r}: {error}") from error
