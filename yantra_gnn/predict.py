"""``Predictor``: Python source in, embedding / confidence / imports / bugs out.

Every source is turned into a graph with ``strip_imports=True`` — the same input the
model is trained on, where the import head's labels (the import statements) are not
visible — then batched through the model under ``torch.inference_mode()``. The model
keeps only the edges of its own saved setting (``ModelConfig.edges``), so a model trained
on syntax edges only is fed syntax edges only here too.
"""

from __future__ import annotations

import copy
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch_geometric.data import Batch, Data

from yantra_gnn.checkpoint import load_model_for_inference
from yantra_gnn.defaults import (
    DEFAULT_NUM_THREADS,
    DEFAULT_PRIOR,
    DEFAULT_THRESHOLD,
    INFERENCE_PRECISIONS,
)
from yantra_gnn.device import (
    DeviceLike,
    batch_to_device,
    check_precision,
    precision_context,
    resolve_device,
)
from yantra_gnn.errors import ConfigError, SourceTypeError, YantraError
from yantra_gnn.files import read_source_file
from yantra_gnn.graph import FEATURE_DIM, CodeGraphBuilder
from yantra_gnn.nn.model import YantraGNN
from yantra_gnn.nn.quantize import inference_model
from yantra_gnn.registry import ModelRegistry

logger = logging.getLogger(__name__)

#: A program: its text, its UTF-8 bytes, or the path of its file (``pathlib.Path``).
Source = str | bytes | os.PathLike[str]

#: Imports and bugs shown by ``repr(Prediction)``.
_REPR_ITEMS = 3


@dataclass(repr=False)
class Prediction:
    """The model's reading of one program.

    Attributes:
        embedding: float32 ``[embedding_dim]`` (256) code embedding, L2 norm 1.
        confidence: probability in [0, 1] that the program is correct, calibrated with
            the model's saved Platt scaling (``sigmoid(logit / T + b)``,
            ``YantraGNN.confidence_probability``; the raw logit is the model's
            ``ModelOutput.confidence_logit``) and moved to the predictor's ``prior``
            share of correct programs (default 0.5).
        imports: ``(module, probability)`` for every module of the import vocabulary,
            most probable first.
        bugs: ``(bug class, probability, (start_line, end_line))`` for every bug class,
            most probable first; the line span (1-based, inclusive) is that of the node
            the bug-location head scores highest (one location per program, shared by
            the classes).
        has_error: True when the source has syntax errors (it is still predicted).

    ``repr`` is one short line (the top imports and bugs, the embedding's size, not its
    numbers); :meth:`verdict` reads the confidence against a threshold.
    """

    embedding: np.ndarray
    confidence: float
    imports: list[tuple[str, float]]
    bugs: list[tuple[str, float, tuple[int, int]]]
    has_error: bool

    @property
    def bug_lines(self) -> tuple[int, int] | None:
        """The 1-based, inclusive line span the bug-location head points at (one per
        program, shared by every bug class); ``None`` for a model without bug classes."""
        return self.bugs[0][2] if self.bugs else None

    def likely_correct(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """Whether the confidence is at least ``threshold``."""
        return self.confidence >= _check_threshold(threshold)

    def verdict(self, threshold: float = DEFAULT_THRESHOLD, *, ascii_only: bool = False) -> str:
        """The confidence read against ``threshold``, with both numbers.

        ``"likely correct (0.91 ≥ 0.50)"`` or ``"likely wrong (0.12 < 0.50)"``; the
        numbers get more digits when two places would print them equal. ``ascii_only``
        writes ``>=`` for ``≥``.

        Raises:
            ConfigError: ``threshold`` is not in [0, 1].
        """
        correct = self.likely_correct(threshold)
        digits = 2
        while (
            self.confidence != threshold
            and digits < 6
            and f"{self.confidence:.{digits}f}" == f"{threshold:.{digits}f}"
        ):
            digits += 1
        sign = (">=" if ascii_only else "\u2265") if correct else "<"
        return (
            f"likely {'correct' if correct else 'wrong'} "
            f"({self.confidence:.{digits}f} {sign} {threshold:.{digits}f})"
        )

    def __repr__(self) -> str:
        def shown(items: list[str]) -> str:
            more = len(items) - _REPR_ITEMS
            return (
                "[" + ", ".join(items[:_REPR_ITEMS] + ([f"+{more} more"] if more > 0 else [])) + "]"
            )

        imports = shown([f"{name} {p:.2f}" for name, p in self.imports])
        bugs = shown([f"{name} {p:.2f}" for name, p, _ in self.bugs])
        return (
            f"{type(self).__name__}(confidence={self.confidence:.3f}, imports={imports}, "
            f"bugs={bugs}, bug_lines={self.bug_lines}, has_error={self.has_error}, "
            f"embedding=<{len(self.embedding)} floats>)"
        )

    def to_dict(self, top_k: int | None = None, include_embedding: bool = False) -> dict[str, Any]:
        """A JSON-able dict; ``top_k`` keeps the most probable imports and bugs."""
        result: dict[str, Any] = {
            "confidence": self.confidence,
            "has_error": self.has_error,
            "imports": [{"module": m, "probability": p} for m, p in self.imports[:top_k]],
            "bugs": [
                {"class": c, "probability": p, "lines": list(span)}
                for c, p, span in self.bugs[:top_k]
            ],
        }
        if include_embedding:
            result["embedding"] = [float(v) for v in self.embedding]
        return result


class Predictor:
    """Runs a ``YantraGNN`` on Python source.

    Args:
        model: the model; it is moved to ``device`` and put in eval mode.
        device: ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda:0"``, ``"mps"``, …
        builder: the graph builder; default ``CodeGraphBuilder()``.
        num_threads: torch CPU threads of a forward pass (``None``: the caller's setting).
        precision: ``"fp32"`` (default); ``"bf16"``: the forward pass under bfloat16
            autocast (:func:`yantra_gnn.device.precision_context`), faster on CPUs with
            AVX-512 BF16 or AMX and on recent GPUs, probabilities within about 0.003 of
            fp32's; ``"int8"`` (CPU only): the node-wise dense products on int8 weights
            (:func:`yantra_gnn.nn.quantize.quantize_int8`), the fastest on CPUs,
            probabilities within about 0.015, which depend slightly on the other
            programs of the batch (the inputs' 8-bit scale is the batch's). docs/model.md
            gives the measured differences. ``model`` stays float32; the int8 copy is
            ``forward_model``.
        prior: the share of correct programs expected before reading one (default
            :data:`~yantra_gnn.defaults.DEFAULT_PRIOR`, 0.5). The saved calibration
            holds at the base rate of the candidates it was fitted on
            (``model.config.confidence_base_rate``); the confidence is moved to
            ``prior`` by Bayes' rule on the odds. ``None``: the confidence as calibrated.
            A model that records no base rate (uncalibrated, or saved by an older
            version) gives its calibrated confidence with the default prior, and
            refuses any other prior.

    Raises:
        ConfigError: the model's input width is not this library's ``FEATURE_DIM``,
            ``prior`` is not in (0, 1) or cannot be applied to this model, or ``"int8"``
            on a device other than the CPU (or a torch without quantized CPU kernels).
        DeviceError: the device is not available.
    """

    def __init__(
        self,
        model: YantraGNN,
        device: DeviceLike = "auto",
        builder: CodeGraphBuilder | None = None,
        num_threads: int | None = DEFAULT_NUM_THREADS,
        precision: str = "fp32",
        prior: float | None = DEFAULT_PRIOR,
    ) -> None:
        self.precision = check_precision(precision, INFERENCE_PRECISIONS)
        if num_threads is not None and (
            isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
        ):
            raise ConfigError(f"num_threads must be a positive int or None, got {num_threads!r}")
        self.num_threads = num_threads
        if not isinstance(model, YantraGNN):
            raise ConfigError(f"Predictor needs a YantraGNN, got {type(model).__name__}")
        if model.config.in_channels != FEATURE_DIM:
            raise ConfigError(
                f"the model reads {model.config.in_channels}-dim node features but this "
                f"library builds {FEATURE_DIM}-dim ones; use a model trained on this feature spec"
            )
        if (
            prior is not None
            and prior == DEFAULT_PRIOR
            and model.config.confidence_base_rate is None
        ):
            logger.info(
                "the model records no calibration base rate: confidences are as calibrated "
                "(the default prior %.2f is not applied)",
                DEFAULT_PRIOR,
            )
            prior = None
        if prior is not None:
            model.prior_shift(prior)  # refuses a prior outside (0, 1) or one it cannot apply
        self.prior = prior
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        #: The model the forward passes run: ``model``, or its int8 copy.
        self.forward_model = inference_model(self.model, self.precision)
        self.builder = builder if builder is not None else CodeGraphBuilder()

    @classmethod
    def from_pretrained(
        cls,
        path: str | os.PathLike[str],
        device: DeviceLike = "auto",
        builder: CodeGraphBuilder | None = None,
        num_threads: int | None = DEFAULT_NUM_THREADS,
        *,
        registry: ModelRegistry | str | os.PathLike[str] | None = None,
        precision: str = "fp32",
        prior: float | None = DEFAULT_PRIOR,
    ) -> Predictor:
        """A predictor for a model file from ``save_model_for_inference`` (or a checkpoint),
        for a model shipped with the package by its name: ``"yantra-gnn/default"``
        (``yantra_gnn.checkpoint.DEFAULT_MODEL``, described in docs/model_card.md), or for
        a registered model: ``"NAME@VERSION"``, ``"NAME@latest"``, ``"NAME@production"``
        (``registry``: the registry or its folder, default ``$YANTRA_MODELS_DIR``, else
        ``~/.yantra/models``; docs/lifecycle.md).

        Raises:
            CheckpointError: missing or damaged file, or a model of another feature spec
                version (the message names both versions).
        """
        resolved = resolve_device(device)
        model = load_model_for_inference(path, device=resolved, registry=registry)
        return cls(
            model, resolved, builder, num_threads=num_threads, precision=precision, prior=prior
        )

    def __repr__(self) -> str:
        precision = "" if self.precision == "fp32" else f", precision={self.precision}"
        return (
            f"{self.__class__.__name__}({self.model!r}, device={self.device}{precision}, "
            f"prior={self.prior})"
        )

    def build_graph(self, source: Source) -> Data:
        """The model's input graph for ``source``: always built with ``strip_imports=True``.

        A ``Path`` is read; a ``str`` is the program's text (a warning says so when it is
        also the name of an existing ``.py`` file: pass ``Path(name)`` to read the file).
        """
        if isinstance(source, os.PathLike):
            source = read_source_file(source)
        elif isinstance(source, str) and _looks_like_a_path(source):
            warnings.warn(
                f"predict got the string {source!r}, which names an existing file: it is "
                f"read as Python source, not as a path; pass Path({source!r}) to read the file",
                UserWarning,
                stacklevel=3,
            )
        return self.builder.build(source, strip_imports=True)

    def predict(self, source: Source) -> Prediction:
        """Predict for one program (``str`` or UTF-8 ``bytes``)."""
        return self.predict_graphs([self.build_graph(source)])[0]

    def predict_batch(self, sources: Sequence[Source], batch_size: int = 32) -> list[Prediction]:
        """Predict for many programs, ``batch_size`` graphs per forward pass.

        Raises:
            SourceTypeError: ``sources`` is a single string instead of a list.
            SourceError (and subclasses): a source cannot be read; the message names
                its index.
        """
        return self.predict_graphs(self._build_all(sources), batch_size=batch_size)

    def embed(self, sources: Sequence[Source] | Source, batch_size: int = 32) -> np.ndarray:
        """Code embeddings, float32 ``[n, embedding_dim]`` (a single source gives ``n = 1``)."""
        if isinstance(sources, str | bytes | os.PathLike):
            sources = [sources]
        predictions = self.predict_batch(sources, batch_size=batch_size)
        if not predictions:
            return np.zeros((0, self.model.config.embedding_dim), dtype=np.float32)
        return np.stack([p.embedding for p in predictions])

    def predict_graphs(self, graphs: Sequence[Data], batch_size: int = 32) -> list[Prediction]:
        """Predict for graphs already built by ``build_graph`` (CPU ``Data`` objects)."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
        predictions: list[Prediction] = []
        for start in range(0, len(graphs), batch_size):
            predictions.extend(self._predict_chunk(list(graphs[start : start + batch_size])))
        return predictions

    def _build_all(self, sources: Sequence[Source]) -> list[Data]:
        if isinstance(sources, str | bytes | os.PathLike) or not isinstance(sources, Sequence):
            raise SourceTypeError(
                f"predict_batch takes a list of sources, got {type(sources).__name__}; "
                "use predict() for one source"
            )
        graphs = []
        for index, source in enumerate(sources):
            try:
                graphs.append(self.build_graph(source))
            except YantraError as error:
                raise type(error)(f"sources[{index}]: {error}") from error
        return graphs

    def _predict_chunk(self, graphs: list[Data]) -> list[Prediction]:
        config = self.model.config
        # One graph needs no collating (0.7 ms of a ≈ 10 ms prediction): the model reads
        # a Data without a batch vector as one graph. A shallow copy, so that moving it
        # to the device leaves the caller's graph where it is.
        collated = copy.copy(graphs[0]) if len(graphs) == 1 else Batch.from_data_list(graphs)
        batch = batch_to_device(collated, self.device)
        with (
            _cpu_threads(self.num_threads if self.device.type == "cpu" else None),
            torch.inference_mode(),
        ):
            with precision_context(self.precision, self.device):
                out = self.forward_model(batch)
            embeddings = out.embedding.float().cpu().numpy()
            # Calibrated: sigmoid(logit / T + b) with the model's saved T and b, moved to
            # the prior (in float32: under bf16 the logits are bf16)
            calibrated = self.model.confidence_probability(
                out.confidence_logit.float(), prior=self.prior
            )
            confidences = calibrated.cpu().tolist()
            import_probs = torch.sigmoid(out.import_logits.float()).cpu().tolist()
            bug_probs = torch.sigmoid(out.bug_logits.float()).cpu().tolist()
            node_logits = out.bug_node_logits.float().cpu()
        predictions = []
        offset = 0
        for g, graph in enumerate(graphs):
            num_nodes = int(graph.num_nodes)
            node = int(torch.argmax(node_logits[offset : offset + num_nodes]))
            offset += num_nodes
            span = graph.node_span[node]
            lines = (int(span[0]) + 1, int(span[2]) + 1)
            imports = sorted(
                zip(config.import_vocab, import_probs[g], strict=True), key=lambda t: -t[1]
            )
            bugs = sorted(
                (
                    (name, p, lines)
                    for name, p in zip(config.bug_classes, bug_probs[g], strict=True)
                ),
                key=lambda t: -t[1],
            )
            predictions.append(
                Prediction(
                    embedding=embeddings[g].astype(np.float32, copy=True),
                    confidence=float(confidences[g]),
                    imports=[(name, float(p)) for name, p in imports],
                    bugs=[(name, float(p), span_) for name, p, span_ in bugs],
                    has_error=bool(graph.has_error.reshape(-1)[0]),
                )
            )
        return predictions


def _check_threshold(threshold: float) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise ConfigError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if not 0.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must be in [0, 1], got {threshold!r}")
    return float(threshold)


def _looks_like_a_path(text: str) -> bool:
    """One short line ending in ``.py`` that names an existing file."""
    if "\n" in text or len(text) > 4096 or not text.strip().endswith(".py"):
        return False
    try:
        return Path(text.strip()).expanduser().is_file()
    except OSError:
        return False


@contextmanager
def _cpu_threads(count: int | None) -> Iterator[None]:
    """Run with ``count`` torch CPU threads, then restore the caller's setting."""
    previous = torch.get_num_threads()
    if count is None or count == previous:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
