"""Streaming incremental learning: ``yantra-gnn learn --model M`` (docs/lifecycle.md).

A host program writes programs with their test results as JSON lines::

    {"source": "...", "problem": "abc001_a", "tests_passed": 9, "tests_total": 10}
    {"source": "...", "pass_rate": 0.9}

and :class:`StreamLearner` updates the model in small batches, the way ``yantra-gnn
train --continue-from`` (:mod:`yantra_gnn.train.continue_training`) updates it in epochs,
with the same pieces:

- **labels** (:func:`label_streamed`): confidence by the success-only rule
  (:func:`~yantra_gnn.train.continue_training.meets_success_rule`): a positive only
  when the pass rate is at least ``min_pass_rate``, a negative otherwise (it failed
  tests: the labelling's own rule for a program that fails a test); imports from the
  program's import statements (the graph is built with them stripped, as for the
  training data); bugs unknown (masked); the embedding group is the problem (a line
  without one is a group of its own: a negative for the other programs of its batch,
  never an embedding positive);
- **replay** (:func:`~yantra_gnn.train.continue_training.replay_programs`): every update
  mixes ``batch_size`` new programs with ``replay`` programs drawn (whole problems'
  programs together) from a buffer of the model's earlier training split;
- **lower learning rate**: ``lr * continue_lr_scale``;
- **comparison and promotion**: every ``save_every`` updates the model is saved as a
  new registry version, scored side by side with the starting model on the old
  validation split and on a held-out slice of the stream
  (:func:`~yantra_gnn.train.continue_training.evaluate`), and promoted only when
  :func:`~yantra_gnn.train.continue_training.promotion_decision` allows.

A bad line (not JSON, no source, a syntax error, not UTF-8, oversize) is reported
through ``on_error`` and skipped; it never stops the stream. SIGINT and SIGTERM
(:class:`StopRequest`) stop it between updates: a batch being trained is finished, one
being collected is discarded, and the updates since the last save are saved.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import logging
import math
import random
import signal
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

import torch
from torch_geometric.data import Batch, Data

from yantra_gnn.checkpoint import load_model_for_inference, save_model_for_inference
from yantra_gnn.data.dataset import LabelledGraphs, ProgramGraphs
from yantra_gnn.device import batch_to_device, precision_context, resolve_device
from yantra_gnn.errors import ConfigError
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules
from yantra_gnn.nn import YantraGNN
from yantra_gnn.registry import ModelRegistry, parse_reference
from yantra_gnn.train.config import TrainConfig
from yantra_gnn.train.continue_training import (
    PROMOTION_METRIC,
    ContinueSource,
    evaluate,
    format_table,
    meets_success_rule,
    old_validation_set,
    promotion_decision,
    replay_programs,
    resolve_continue_source,
    split_for,
    success_only,
)
from yantra_gnn.train.losses import MultiTaskLoss, split_positive_weights, training_loss

logger = logging.getLogger(__name__)

#: Lines longer than this many bytes (newline excluded) are refused by default.
DEFAULT_MAX_LINE_BYTES = 1 << 20
#: The held-out slice of the stream keeps at most this many programs; once it is full,
#: every program is trained on.
HOLDOUT_LIMIT = 1000
#: Prefix of the embedding group of streamed programs (and of lines without a problem).
STREAM_GROUP = "stream/"


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True)
class LearnSettings:
    """What ``yantra-gnn learn`` does besides the training settings of a
    :class:`TrainConfig` (``lr``, ``continue_lr_scale``, ``min_pass_rate``,
    ``replay_size``, ``replay_data``, ``promote_margin``, loss weights, label settings,
    ``seed``, ``device``, ``precision``, ``num_threads``).

    Attributes:
        model: the starting model: a registry reference (``NAME@VERSION``,
            ``NAME@latest``, ``NAME@production``), a shipped model's name or a file.
        name: the registry name new versions are saved under (default: the model's
            name when ``model`` is a reference).
        registry: the registry folder (default ``$YANTRA_MODELS_DIR``, else
            ``~/.yantra/models``).
        batch_size: streamed programs per update.
        replay: programs of the replay buffer mixed into each update (0: none).
        save_every: save a new version every this many updates.
        holdout_every: every this-th accepted program is held out (scored, never
            trained on); 0: no held-out slice.
        promote_to: point ``NAME@promote_to`` (e.g. ``production``) at a saved version
            when the promotion rule allows; ``None``: never promote.
        max_line_bytes: longer lines are refused.
    """

    model: str
    name: str | None = None
    registry: str | None = None
    batch_size: int = 8
    replay: int = 8
    save_every: int = 50
    holdout_every: int = 10
    promote_to: str | None = None
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES

    def __post_init__(self) -> None:
        for key in ("batch_size", "save_every", "max_line_bytes"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{key} must be a positive integer, got {value!r}")
        for key in ("replay", "holdout_every"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{key} must be an integer >= 0, got {value!r}")
        if self.name is not None and parse_reference(f"{self.name}@1") is None:
            raise ConfigError(
                f"name must be a registry name (letters, digits, '.', '_' and '-', starting "
                f"with a letter or digit), got {self.name!r}"
            )
        if self.promote_to is not None and parse_reference(f"m@{self.promote_to}") is None:
            raise ConfigError(
                f"promote_to must be an alias (a word starting with a letter, e.g. "
                f"production), got {self.promote_to!r}"
            )
        if self.promote_to == "latest":
            raise ConfigError("promote_to cannot be 'latest' (it always means the newest)")

    def save_name(self) -> str:
        """The registry name new versions get: ``name``, else the model reference's.

        Raises:
            ConfigError: no ``name`` and ``model`` is not a registry reference.
        """
        if self.name is not None:
            return self.name
        reference = parse_reference(self.model)
        if reference is None:
            raise ConfigError(
                f"--model {self.model} is not a registry reference (NAME@VERSION), so the "
                "name of the versions to save is unknown; give it with --name"
            )
        return reference.name


# ---------------------------------------------------------------------- lines
class BadLine(Exception):
    """A streamed line that cannot be learnt from.

    Attributes:
        kind: ``not_utf8``, ``oversize``, ``not_json``, ``bad_field``,
            ``missing_source``, ``syntax_error`` or ``no_graph``.
        message: what was wrong and what to send instead.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class StreamedProgram:
    """One line of the stream, checked.

    Attributes:
        source: the program.
        problem: the problem it solves (``None``: not given).
        pass_rate: the share of its tests it passed, in [0, 1].
        tests_passed, tests_total: the counts, when given.
        line: the line number (1-based).
        id: the line's ``id``, when given (echoed in errors and ignored otherwise).
    """

    source: str
    problem: str | None
    pass_rate: float
    tests_passed: int | None
    tests_total: int | None
    line: int
    id: Any = None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_line(raw: bytes, line: int) -> StreamedProgram:
    """Check one line of the stream.

    Raises:
        BadLine: not UTF-8, not a JSON object, no non-empty ``source`` string, test
            results missing or inconsistent, or a source Python cannot parse.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadLine(
            "not_utf8", f"the line is not UTF-8 ({error.reason} at byte {error.start})"
        ) from None
    try:
        row = json.loads(text)
    except ValueError as error:
        raise BadLine("not_json", f"the line is not JSON ({error})") from None
    if not isinstance(row, dict):
        raise BadLine("not_json", f"the line must be a JSON object, got {type(row).__name__}")
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise BadLine("missing_source", 'the line needs "source": the program as a string')
    problem = row.get("problem")
    if problem is not None and (not isinstance(problem, str) or not problem.strip()):
        raise BadLine("bad_field", '"problem" must be a non-empty string (or left out)')
    passed, total, rate = row.get("tests_passed"), row.get("tests_total"), row.get("pass_rate")
    if passed is not None or total is not None:
        if not (
            isinstance(passed, int)
            and isinstance(total, int)
            and _is_int(passed)
            and _is_int(total)
            and 0 <= passed <= total
            and total > 0
        ):
            raise BadLine(
                "bad_field",
                '"tests_passed" and "tests_total" must be integers with 0 <= tests_passed '
                f"<= tests_total and tests_total > 0, got {passed!r} and {total!r}",
            )
        counted = passed / total
        if rate is not None and (
            not isinstance(rate, (int, float)) or not math.isclose(rate, counted, abs_tol=1e-9)
        ):
            raise BadLine(
                "bad_field",
                f'"pass_rate" {rate!r} disagrees with tests_passed/tests_total {counted:g}; '
                "send one or the other",
            )
        rate = counted
    elif rate is None:
        raise BadLine(
            "bad_field",
            'the line needs its test results: "tests_passed" and "tests_total", or "pass_rate"',
        )
    elif (
        not isinstance(rate, (int, float))
        or isinstance(rate, bool)
        or not 0.0 <= float(rate) <= 1.0
    ):
        raise BadLine("bad_field", f'"pass_rate" must be a number in [0, 1], got {rate!r}')
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise BadLine(
            "syntax_error",
            f"the source does not parse as Python: {error.msg} (line {error.lineno})",
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise BadLine("syntax_error", f"the source does not parse as Python: {error}") from None
    return StreamedProgram(
        source=source,
        problem=problem.strip() if problem is not None else None,
        pass_rate=float(rate),
        tests_passed=passed,
        tests_total=total,
        line=line,
        id=row.get("id"),
    )


def label_streamed(program: StreamedProgram, min_pass_rate: float) -> LabelledProgram:
    """The labels of a streamed program (the rules of the module docstring).

    The verdict records the test results (``passed K/N`` or ``pass rate R``), so that
    :func:`~yantra_gnn.train.continue_training.pass_rate` reads the same rate back and
    :func:`~yantra_gnn.train.continue_training.success_only` keeps every labelled program.
    """
    positive = meets_success_rule(program.pass_rate, min_pass_rate)
    if program.tests_total is not None:
        verdict = f"passed {program.tests_passed}/{program.tests_total}"
    else:
        verdict = f"pass rate {program.pass_rate!r}"
    group = program.problem if program.problem is not None else f"line-{program.line}"
    return LabelledProgram(
        problem=f"{STREAM_GROUP}{group}",
        source=program.source,
        origin="solution" if positive else "incorrect_solution",
        detail=f"stream line {program.line}",
        confidence=1.0 if positive else 0.0,
        bugs_known=False,
        bug_classes=(),
        bug_span=None,
        imports=imported_modules(program.source),
        verdict=verdict,
    )


def read_line(stream: IO[bytes], max_bytes: int) -> tuple[bytes, bool] | None:
    """The next line of ``stream`` (newline kept) and whether it was longer than
    ``max_bytes`` (then only its start is returned and the rest is skipped); ``None``
    at the end of input. Never holds more than ``max_bytes + 1`` bytes of a line."""
    raw = stream.readline(max_bytes + 1)
    if not raw:
        return None
    if len(raw) > max_bytes and not raw.endswith(b"\n"):
        while True:
            rest = stream.readline(1 << 16)
            if not rest or rest.endswith(b"\n"):
                break
        return raw, True
    return raw, False


# ---------------------------------------------------------------------- signals
class StreamStopped(Exception):
    """Raised by :class:`StopRequest` when a stop signal arrives while waiting for input."""


class StopRequest:
    """SIGINT / SIGTERM as a request to stop between updates.

    While :meth:`reading` (waiting for the next line) a signal raises
    :class:`StreamStopped` at once, so a host that stops sending can still stop the
    learner; at any other time (an update, a save) it is only recorded in
    :attr:`signal` and the learner stops at the next check, so a registry version is
    never left half written.
    """

    def __init__(self) -> None:
        #: The signal received (``None``: none yet).
        self.signal: int | None = None
        self._reading = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler."""
        self.signal = signum
        logger.warning(
            "%s received: stopping after the current update", signal.Signals(signum).name
        )
        if self._reading:
            raise StreamStopped

    def request(self, signum: int = signal.SIGTERM) -> None:
        """Ask to stop, as the signal would (for callers that are not signal handlers)."""
        self.signal = signum

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Mark the time spent waiting for input (a signal then raises)."""
        if self.signal is not None:
            raise StreamStopped
        self._reading = True
        try:
            yield
        finally:
            self._reading = False

    @contextmanager
    def installed(self) -> Iterator[StopRequest]:
        """Handle SIGINT and SIGTERM with :meth:`handle` (the old handlers put back after)."""
        previous = {s: signal.signal(s, self.handle) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)


# ---------------------------------------------------------------------- the learner
@dataclass
class LearnSummary:
    """What a stream did."""

    lines: int = 0
    bad_lines: int = 0
    accepted: int = 0
    positives: int = 0
    trained: int = 0
    held_out: int = 0
    updates: int = 0
    skipped_updates: int = 0
    discarded: int = 0
    saves: list[dict[str, Any]] = field(default_factory=list)
    #: The signal that stopped the stream (``None``: it ended).
    stopped_by: int | None = None


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinite floats as ``None`` (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class StreamLearner:
    """Updates a model from a stream of programs with their test results.

    Loading it loads the starting model, the replay buffer and the old validation split
    (labelled with ``config.labels``: the run's dataset cache is reused when the label
    settings are the earlier run's, e.g. from its ``config.yaml``), and scores the
    starting model on that split once.

    Args:
        settings: the stream's settings.
        config: the training settings (see :class:`LearnSettings`).

    Raises:
        ConfigError: no name for the versions, the model or its earlier data missing
            (give ``replay_data``), bad settings.
    """

    def __init__(self, settings: LearnSettings, config: TrainConfig) -> None:
        self.settings = settings
        self.config = config
        self.name = settings.save_name()
        self.registry = ModelRegistry(settings.registry)
        source = resolve_continue_source(
            _continuing(config, settings.model), registry=self.registry
        )
        if source is None:  # continue_from is set just above
            raise ConfigError(f"cannot resolve the model {settings.model!r}")
        self.source: ContinueSource = source
        #: The starting model as a fixed reference (``NAME@VERSION`` for a registry
        #: reference, whose alias may move while the stream runs; else the file).
        self.start_reference = (
            self.registry.resolve(settings.model).reference
            if parse_reference(settings.model) is not None
            and not Path(settings.model).expanduser().exists()
            else str(source.model_path)
        )
        self.device = resolve_device(config.device)
        if config.num_threads:
            torch.set_num_threads(config.num_threads)
        #: The model being updated, and the starting model (kept for the comparisons).
        self.model: YantraGNN = load_model_for_inference(source.model_path, device=self.device)
        self.start_model: YantraGNN = load_model_for_inference(source.model_path, device="cpu")
        vocab = (self.model.config.import_vocab, self.model.config.bug_classes)
        self.vocab = vocab
        replayed, dropped = success_only(
            replay_programs(source.replay_root, config), config.min_pass_rate
        )
        if dropped:
            logger.info("success-only rule: %d replayed positives dropped", dropped)
        self.replay_set: ProgramGraphs | None = (
            ProgramGraphs(replayed, *vocab, name="replay", progress=config.progress)
            if replayed
            else None
        )
        if settings.replay and self.replay_set is None:
            logger.warning("the replay buffer is empty (replay_size 0?): updates use new data only")
        self.old_val: LabelledGraphs = split_for(
            self.model, old_validation_set(source.replay_root, config)
        )
        self.start_old_val = self._evaluate(self.start_model, self.old_val)
        logger.info(
            "starting model %s: old-validation %s %.4f (%d graphs of %s)",
            self.start_reference,
            PROMOTION_METRIC,
            self.start_old_val.get(PROMOTION_METRIC, math.nan),
            len(self.old_val),
            source.replay_root,
        )
        #: The learning rate of every update (``lr * continue_lr_scale``).
        self.lr = config.lr * config.continue_lr_scale
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=self.lr, weight_decay=config.weight_decay
        )
        self.loss = self._loss().to(self.device)
        self.rng = random.Random(f"learn:{config.seed}")
        self.pending: list[tuple[LabelledProgram, Data]] = []
        self.held_out: list[LabelledProgram] = []
        self.summary = LearnSummary()
        self.updates_since_save = 0
        self._fingerprint = hashlib.sha256()
        self._fingerprint.update(_file_digest(source.model_path).encode())
        logger.info(
            "learning from the stream: %d programs an update + %d replayed, learning rate "
            "%g (lr %g x %g), a new %s version every %d updates",
            settings.batch_size,
            settings.replay if self.replay_set is not None else 0,
            self.lr,
            config.lr,
            config.continue_lr_scale,
            self.name,
            settings.save_every,
        )

    def _loss(self) -> MultiTaskLoss:
        """The Trainer's loss, class weights from the replay buffer (the earlier data)."""
        if self.replay_set is None:
            return training_loss(self.config, None, None)
        return training_loss(self.config, *split_positive_weights(self.replay_set))

    def _evaluate(self, model: YantraGNN, dataset: LabelledGraphs) -> dict[str, float]:
        metrics = evaluate(
            model,
            dataset,
            device=self.device,
            precision=self.config.precision,
            batch_size=self.config.batch_size,
        )
        model.to("cpu" if model is self.start_model else self.device)
        return metrics

    # ------------------------------------------------------------------ lines
    def add(self, program: StreamedProgram) -> LabelledProgram:
        """Label a checked line and queue it for training (or hold it out).

        Raises:
            BadLine: the program has no graph (too large for the graph builder).
        """
        labelled = label_streamed(program, self.config.min_pass_rate)
        graphs = ProgramGraphs([labelled], *self.vocab, name="stream", progress=False)
        if len(graphs) == 0:
            raise BadLine("no_graph", "the program has no graph (too large for the graph builder)")
        self.summary.accepted += 1
        self.summary.positives += int(labelled.confidence >= 0.5)
        every = self.settings.holdout_every
        if every and self.summary.accepted % every == 0 and len(self.held_out) < HOLDOUT_LIMIT:
            self.held_out.append(labelled)
            self.summary.held_out += 1
        else:
            self.pending.append((labelled, graphs.get(0)))
        return labelled

    # ------------------------------------------------------------------ training
    def _replay_sample(self) -> list[tuple[str, Data]]:
        """``settings.replay`` graphs of the replay buffer: problems in random order,
        up to ``per_group`` programs of each (contrastive positives)."""
        if self.replay_set is None or self.settings.replay == 0:
            return []
        members: dict[int, list[int]] = {}
        for index, group in enumerate(self.replay_set.groups):
            members.setdefault(group, []).append(index)
        order = list(members)
        self.rng.shuffle(order)
        chosen: list[tuple[str, Data]] = []
        for group in order:
            items = members[group]
            picks = self.rng.sample(items, min(len(items), self.config.per_group))
            for index in picks[: self.settings.replay - len(chosen)]:
                name = self.replay_set.group_names[group]
                chosen.append((name, self.replay_set.get(index)))
            if len(chosen) >= self.settings.replay:
                break
        return chosen

    def update(self) -> bool:
        """One optimizer step on the queued programs and a replay sample.

        Returns:
            Whether the step was taken (a non-finite loss skips it, with a warning).
        """
        if not self.pending:
            return False
        new, self.pending = self.pending, []
        parts = [(program.problem, data) for program, data in new] + self._replay_sample()
        group_ids: dict[str, int] = {}
        graphs = []
        for name, data in parts:
            data.group = torch.tensor([group_ids.setdefault(name, len(group_ids))])
            graphs.append(data)
        batch = batch_to_device(Batch.from_data_list(graphs), self.device)
        self.model.train()
        with precision_context(self.config.precision, self.device):
            output = self.model(batch)
            loss, losses = self.loss(output, batch)
        if not torch.isfinite(loss):
            logger.warning("update skipped: the loss is %s (%s)", float(loss.detach()), losses)
            self.summary.skipped_updates += 1
            return False
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        for program, _ in new:
            self._fingerprint.update(json.dumps(program.to_json(), sort_keys=True).encode())
        self.summary.trained += len(new)
        self.summary.updates += 1
        self.updates_since_save += 1
        logger.info(
            "update %d: %d new + %d replayed programs, loss %.4f (%s)",
            self.summary.updates,
            len(new),
            len(parts) - len(new),
            float(loss.detach()),
            ", ".join(f"{k} {v:.3f}" for k, v in losses.items()),
        )
        return True

    # ------------------------------------------------------------------ saving
    def data_fingerprint(self) -> str:
        """``sha256:`` of the starting model file and of the streamed programs trained
        on so far (in order, with their labels)."""
        return f"sha256:{self._fingerprint.copy().hexdigest()}"

    def compare(self) -> dict[str, dict[str, dict[str, float]]]:
        """The starting and the current model side by side: ``{"old_val": {"old": ...,
        "new": ...}, "holdout": {...}}`` (``holdout`` once two programs are held out)."""
        sets = {
            "old_val": {"old": self.start_old_val, "new": self._evaluate(self.model, self.old_val)}
        }
        if len(self.held_out) >= 2:
            held = ProgramGraphs(self.held_out, *self.vocab, name="holdout", progress=False)
            sets["holdout"] = {
                "old": self._evaluate(self.start_model, held),
                "new": self._evaluate(self.model, held),
            }
        return sets

    def save(self) -> dict[str, Any]:
        """Save the current model as the next version of :attr:`name`, compare it with
        the starting model, promote it when allowed and ``promote_to`` is set.

        Returns:
            The record written to stdout by ``yantra-gnn learn`` (JSON-able, NaN as
            ``None``): ``version``, ``updates``, ``programs``, ``metrics`` and
            ``promotion``.
        """
        sets = self.compare()
        allowed, reason = promotion_decision(sets, self.config.promote_margin)
        metrics: dict[str, Any] = dict(sets["old_val"]["new"])
        if "holdout" in sets:
            metrics.update({f"stream_{k}": v for k, v in sets["holdout"]["new"].items()})
        metrics.update(
            streamed_programs=self.summary.trained,
            updates=self.summary.updates,
            continued_from=self.start_reference,
        )
        with tempfile.TemporaryDirectory(prefix="yantra-learn-") as folder:
            file = save_model_for_inference(self.model, Path(folder) / "model.safetensors")
            entry = self.registry.register(
                file,
                self.name,
                metrics=metrics,
                data_fingerprint=self.data_fingerprint(),
                training_data=str(self.source.replay_root),
                source=(
                    f"yantra-gnn learn from {self.start_reference}: {self.summary.trained} "
                    f"streamed programs, {self.summary.updates} updates"
                ),
            )
        logger.info(
            "saved %s; the starting model %s against it\n%s",
            entry.reference,
            self.start_reference,
            format_table(sets),
        )
        alias = self.settings.promote_to
        promotion: dict[str, Any] = {
            "alias": alias,
            "allowed": allowed,
            "promoted": False,
            "reason": reason,
            "margin": self.config.promote_margin,
            "metric": PROMOTION_METRIC,
        }
        if alias is None:
            promotion["reason"] = f"not asked to promote (no --promote-to); {reason}"
        elif allowed:
            self.registry.promote(self.name, entry.version, alias)
            promotion["promoted"] = True
            logger.info("promoted %s to %s@%s: %s", entry.reference, self.name, alias, reason)
        else:
            logger.warning(
                "refused to promote %s to %s@%s: %s", entry.reference, self.name, alias, reason
            )
        self.updates_since_save = 0
        record = json_safe(
            {
                "event": "saved",
                "version": entry.reference,
                "continued_from": self.start_reference,
                "updates": self.summary.updates,
                "programs": self.summary.trained,
                "held_out": len(self.held_out),
                "data_fingerprint": entry.card.get("data_fingerprint"),
                "metrics": sets,
                "promotion": promotion,
            }
        )
        self.summary.saves.append(record)
        return record

    # ------------------------------------------------------------------ the stream
    def run(
        self,
        stream: IO[bytes],
        *,
        on_save: Callable[[dict[str, Any]], None] | None = None,
        on_error: Callable[[dict[str, Any]], None] | None = None,
        stop: StopRequest | None = None,
    ) -> LearnSummary:
        """Learn from ``stream`` (JSON lines, bytes) until its end or a stop request.

        Args:
            on_save: called with each save's record (:meth:`save`).
            on_error: called with ``{"error": KIND, "line": N, "message": ...}`` (and
                ``"id"`` when the line had one) for each bad line; default: a warning.
            stop: the stop request (:meth:`StopRequest.installed` for the signals).

        Returns:
            What the stream did; the pending programs of an interrupted stream are
            discarded (``discarded``), those left at its end trained on.
        """
        stop = stop or StopRequest()
        report = on_error or (lambda error: logger.warning("bad line: %s", error))
        summary = self.summary
        number = 0
        try:
            while stop.signal is None:
                with stop.reading():
                    read = read_line(stream, self.settings.max_line_bytes)
                if read is None:
                    break
                number += 1
                summary.lines = number
                raw, oversize = read
                if not raw.strip():
                    continue  # blank lines are allowed (keep-alives)
                try:
                    if oversize:
                        raise BadLine(
                            "oversize",
                            f"the line is longer than {self.settings.max_line_bytes} bytes",
                        )
                    self.add(parse_line(raw, number))
                except BadLine as error:
                    summary.bad_lines += 1
                    report(_error_record(error, number, raw))
                    continue
                if len(self.pending) >= self.settings.batch_size:
                    self.update()
                if self.updates_since_save >= self.settings.save_every:
                    self._saved(on_save)
        except StreamStopped:
            pass
        summary.stopped_by = stop.signal
        if stop.signal is None:
            self.update()  # the last, smaller batch
        elif self.pending:
            logger.warning("stopped: %d programs not yet trained on discarded", len(self.pending))
            summary.discarded = len(self.pending)
            self.pending = []
        if self.updates_since_save:
            self._saved(on_save)
        logger.info(
            "stream %s: %d lines, %d bad, %d programs (%d positives), %d trained on, %d held "
            "out, %d updates, %d versions saved",
            "stopped" if stop.signal is not None else "ended",
            summary.lines,
            summary.bad_lines,
            summary.accepted,
            summary.positives,
            summary.trained,
            summary.held_out,
            summary.updates,
            len(summary.saves),
        )
        return summary

    def _saved(self, on_save: Callable[[dict[str, Any]], None] | None) -> None:
        record = self.save()
        if on_save is not None:
            on_save(record)


def _continuing(config: TrainConfig, model: str) -> TrainConfig:
    """``config`` continuing ``model`` (for :func:`resolve_continue_source`)."""
    return dataclasses.replace(config, continue_from=model, init_from=None, promote_to=None)


def _error_record(error: BadLine, line: int, raw: bytes) -> dict[str, Any]:
    record: dict[str, Any] = {"error": error.kind, "line": line, "message": error.message}
    if error.kind not in ("not_utf8", "oversize", "not_json"):
        try:
            row = json.loads(raw)
        except ValueError:
            row = None
        if isinstance(row, dict) and "id" in row:
            record["id"] = row["id"]
    return record


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"
