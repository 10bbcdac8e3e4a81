"""Label a split problem by problem, on any executor, resumably: ``labelled/{split}/``.

Labelling is embarrassingly parallel by problem. The unit of work,
:func:`label_problem`, is a pure function of one problem row and the
:class:`~yantra_gnn.labels.labelling.LabelSettings`: it calls
:func:`~yantra_gnn.labels.labelling.label_problems` on that problem alone (its seeds are
``settings.seed`` plus the solution's number *within the problem*, so neither other
problems nor their order change its result) and runs its programs one after the other
in the sandbox, which still contains each of them. :func:`label_split` maps it over the
rows with an :class:`~yantra_gnn.labels.executors.Executor` (a local process pool, or
Dask) and writes::

    DIRECTORY/                   (OUTPUT/labelled/train, OUTPUT/labelled/val)
        0123abcd….json           one file per problem, named by a hash of its name:
                                 its LabelledPrograms and LabelStats, with a checksum
        manifest.json            written last: problems in input order, each file's
                                 SHA-256, the settings and their digest, the counts

Every file is canonical JSON written atomically, and nothing in it depends on time,
worker or order: the directory is byte for byte the same whichever executor, worker
count or number of restarts produced it (outcomes that depend on the machine's speed,
``timeout`` verdicts, aside).

Resuming: the manifest is removed when a run starts. A result file that exists, parses,
passes its checksum and was made from the same row with the same settings is kept; every
other problem is labelled (again). A killed run, run again, redoes only the problems it
had not finished.

Streaming: rows are read lazily and at most ``max_in_flight`` problems are in flight;
the driver keeps one short entry per problem for the manifest.

:class:`~yantra_gnn.data.dataset.CodeContestsDataset` uses ``ROOT/labelled/{split}``
instead of labelling in-process when :func:`usable_manifest` accepts it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from yantra_gnn.datasets.codecontests import BAD_ROW_POLICIES, validate_problem_row
from yantra_gnn.datasets.jsonl import json_lines
from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.files import atomic_write
from yantra_gnn.labels.executors import Executor, LocalExecutor
from yantra_gnn.labels.labelling import LabelledProgram, LabelSettings, LabelStats, label_problems
from yantra_gnn.sandbox import ResultCache

__all__ = [
    "LABELLED_DIR",
    "MANIFEST_FILE",
    "RESULT_FORMAT",
    "LabelRunStats",
    "ProblemJob",
    "ProblemOutcome",
    "decode_result",
    "encode_result",
    "label_prepared_split",
    "label_problem",
    "label_split",
    "labelled_dir",
    "read_labelled",
    "result_name",
    "usable_manifest",
]

logger = logging.getLogger(__name__)

#: Folder of a prepared dataset that holds the labelled splits.
LABELLED_DIR = "labelled"
#: The file written last in a labelled split.
MANIFEST_FILE = "manifest.json"
#: Version of the result and manifest files.
RESULT_FORMAT = 1
_RESULT_FILE = re.compile(r"^[0-9a-f]{24}\.json$")
_MAX_BAD_ROW_EXAMPLES = 20
_LOG_EVERY_S = 30.0
_HASH_CHUNK = 1 << 20


def labelled_dir(root: str | os.PathLike[str], split: str) -> Path:
    """``ROOT/labelled/SPLIT``: where the labelled problems of a prepared split go."""
    return Path(root).expanduser() / LABELLED_DIR / split


def result_name(problem: str) -> str:
    """File name of a problem's result: 24 hex digits of the SHA-256 of its name."""
    return hashlib.sha256(problem.encode("utf-8")).hexdigest()[:24] + ".json"


def _canonical(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def row_sha256(row: dict) -> str:
    """SHA-256 of a problem row's canonical JSON (a result records the row it came from)."""
    return hashlib.sha256(_canonical(row)).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stats_dict(stats: LabelStats) -> dict[str, Any]:
    """A problem's LabelStats without its wall-clock ``seconds`` (results are timeless)."""
    out = stats.to_dict()
    out.pop("seconds")
    return out


def _settings_dict(settings: LabelSettings) -> dict[str, Any]:
    out = asdict(settings)
    out["rewrite_kinds"] = list(settings.rewrite_kinds)
    return out


def _add_stats(total: LabelStats, stats: dict[str, Any]) -> None:
    """Add one result's stats (as :func:`_stats_dict` wrote them) to ``total``."""
    for item in fields(total):
        if item.name == "seconds":
            continue
        value = getattr(total, item.name)
        if isinstance(value, Counter):
            value.update(stats[item.name])
        else:
            setattr(total, item.name, value + int(stats[item.name]))


# --------------------------------------------------------------------------- results


def encode_result(
    problem: str,
    row_digest: str,
    settings: LabelSettings,
    programs: list[LabelledProgram],
    stats: LabelStats,
) -> bytes:
    """The bytes of a problem's result file: canonical JSON with a ``checksum`` (SHA-256
    of the canonical JSON of every other field)."""
    body = {
        "format": RESULT_FORMAT,
        "problem": problem,
        "row_sha256": row_digest,
        "settings_digest": settings.digest(),
        "programs": [program.to_json() for program in programs],
        "stats": _stats_dict(stats),
    }
    checksum = hashlib.sha256(_canonical(body)).hexdigest()
    return _canonical({**body, "checksum": checksum}) + b"\n"


def decode_result(data: bytes) -> dict[str, Any]:
    """A result file's fields, checked (format, checksum, field types).

    Raises:
        ValueError: not a result file, or its bytes changed (the message says how).
    """
    try:
        result = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not valid JSON ({error})") from None
    if not isinstance(result, dict) or result.get("format") != RESULT_FORMAT:
        raise ValueError(f"not a result file of format {RESULT_FORMAT}")
    checksum = result.pop("checksum", None)
    if checksum != hashlib.sha256(_canonical(result)).hexdigest():
        raise ValueError("fails its checksum (its bytes changed after it was written)")
    if not isinstance(result.get("programs"), list) or not isinstance(result.get("stats"), dict):
        raise ValueError("has no programs or stats")
    return result


@dataclass(frozen=True)
class ProblemJob:
    """One problem to label: what a worker needs (and nothing from the driver's state).

    Attributes:
        index: position of the problem in the input (bad rows not counted).
        name: the problem's name.
        row: the problem row (Hugging Face schema, as ``yantra-gnn download`` writes it).
        row_sha256: :func:`row_sha256` of ``row``.
        settings: how labels are made.
        sandbox_cache: directory of the sandbox's :class:`~yantra_gnn.sandbox.ResultCache`
            on the worker, or ``None`` for none.
    """

    index: int
    name: str
    row: dict
    row_sha256: str
    settings: LabelSettings
    sandbox_cache: str | None = None


@dataclass(frozen=True)
class ProblemOutcome:
    """What labelling one problem gave: its result file's bytes and a few counts.

    Attributes:
        name: the problem.
        data: the result file (:func:`encode_result`).
        programs: labelled programs kept.
        programs_run: programs run in the sandbox.
        without_tests: the problem has no tests (nothing could be labelled).
        seconds: wall-clock time on the worker (not stored in the result).
    """

    name: str
    data: bytes
    programs: int
    programs_run: int
    without_tests: bool
    seconds: float


_CACHES: dict[str, ResultCache] = {}


def _worker_cache(directory: str | None) -> ResultCache | None:
    """The sandbox cache of this worker process (opened once per directory)."""
    if directory is None:
        return None
    if directory not in _CACHES:
        _CACHES[directory] = ResultCache(directory)
    return _CACHES[directory]


def label_problem(job: ProblemJob) -> ProblemOutcome:
    """Label one problem: run its solutions, mutants and rewrites in the sandbox, one at
    a time. The unit of work of :func:`label_split`, run on a worker; a pure function of
    ``job.row`` and ``job.settings`` (timeouts aside)."""
    started = time.perf_counter()
    programs, stats = label_problems(
        [job.row], job.settings, cache=_worker_cache(job.sandbox_cache), workers=1, progress=False
    )
    return ProblemOutcome(
        name=job.name,
        data=encode_result(job.name, job.row_sha256, job.settings, programs, stats),
        programs=len(programs),
        programs_run=stats.programs_run,
        without_tests=stats.problems_without_tests > 0,
        seconds=time.perf_counter() - started,
    )


def _valid_result(path: Path, job: ProblemJob) -> tuple[bytes, dict[str, Any]] | None:
    """The bytes and fields of ``path`` when it is a finished result of ``job``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.warning("%s: cannot read it (%s); labelling %r again", path, error, job.name)
        return None
    try:
        result = decode_result(data)
    except ValueError as error:
        logger.warning("%s: %s; labelling %r again", path, error, job.name)
        return None
    expected = (job.name, job.row_sha256, job.settings.digest())
    found = (result.get("problem"), result.get("row_sha256"), result.get("settings_digest"))
    if found != expected:
        logger.info(
            "%s: made from another row or other settings; labelling %r again", path, job.name
        )
        return None
    return data, result


# --------------------------------------------------------------------------- progress


class _Progress:
    """Problems/s, programs/s and ETA of the problems labelled in this run: a tqdm bar, or
    a log line every 30 seconds."""

    def __init__(self, total: int | None, bar: bool, describe: str) -> None:
        from tqdm.auto import tqdm

        self.total = total
        self.describe = describe
        self.started = time.perf_counter()
        self.last_log = self.started
        self.done = 0  # labelled in this run
        self.reused = 0
        self.programs = 0
        self.runs = 0
        self.bar = tqdm(total=total, desc=describe, unit=" problems", disable=not bar)
        self.logging = not bar

    def _rates(self) -> tuple[float, float, float, float | None]:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        problems_s, programs_s, runs_s = (
            self.done / elapsed,
            self.programs / elapsed,
            self.runs / elapsed,
        )
        eta = None
        if self.total is not None and problems_s > 0:
            eta = max(self.total - self.done - self.reused, 0) / problems_s
        return problems_s, programs_s, runs_s, eta

    def add(self, outcome: ProblemOutcome | None) -> None:
        """One problem finished (``None``: a result reused from an earlier run)."""
        if outcome is None:
            self.reused += 1
        else:
            self.done += 1
            self.programs += outcome.programs
            self.runs += outcome.programs_run
        problems_s, programs_s, _, _ = self._rates()
        self.bar.set_postfix(programs_s=f"{programs_s:.1f}", reused=self.reused, refresh=False)
        self.bar.update(1)
        now = time.perf_counter()
        if self.logging and now - self.last_log >= _LOG_EVERY_S:
            self.last_log = now
            self.log()

    def log(self) -> None:
        problems_s, programs_s, runs_s, eta = self._rates()
        finished = self.done + self.reused
        of = f"/{self.total}" if self.total is not None else ""
        logger.info(
            "%s: %d%s problems (%d reused), %.2f problems/s, %.1f programs/s "
            "(%.1f sandbox runs/s), ETA %s",
            self.describe,
            finished,
            of,
            self.reused,
            problems_s,
            programs_s,
            runs_s,
            f"{eta:.0f}s" if eta is not None else "unknown",
        )

    def close(self) -> None:
        self.bar.close()


# --------------------------------------------------------------------------- the driver


@dataclass(frozen=True)
class LabelRunStats:
    """What one :func:`label_split` run did.

    Attributes:
        directory: the labelled split.
        manifest: its ``manifest.json``.
        problems: problems in the manifest.
        labelled: problems labelled by this run.
        reused: problems whose result an earlier run had written.
        bad_rows: rows skipped as malformed.
        programs: labelled programs in the manifest.
        programs_run: sandbox programs run by this run.
        seconds: wall-clock time of this run.
        worker_seconds: wall-clock time the workers spent on this run's problems.
    """

    directory: Path
    manifest: Path
    problems: int
    labelled: int
    reused: int
    bad_rows: int
    programs: int
    programs_run: int
    seconds: float
    worker_seconds: float


@dataclass(frozen=True)
class _Located:
    """A row with where it came from (``line 7``), or why it could not be read."""

    location: str
    row: object
    reason: str | None = None


def label_split(
    rows: Iterable[object],
    directory: str | os.PathLike[str],
    settings: LabelSettings | None = None,
    *,
    executor: Executor | None = None,
    sandbox_cache: str | os.PathLike[str] | None = None,
    max_in_flight: int | None = None,
    on_bad_row: str = "skip",
    source: dict[str, str] | None = None,
    total: int | None = None,
    progress: bool = False,
    describe: str = "labelling",
) -> LabelRunStats:
    """Label every problem of ``rows`` into ``directory``; resumes an earlier run there.

    Args:
        rows: problem rows (Hugging Face schema), read lazily.
        directory: where the result files and ``manifest.json`` go (created).
        settings: how labels are made (default ``LabelSettings()``).
        executor: where problems run (default: a :class:`LocalExecutor`, one worker per
            core, closed at the end; an executor passed in is left open).
        sandbox_cache: the sandbox's outcome cache directory *on the workers* (``None``:
            no cache).
        max_in_flight: problems handed to the executor and not yet written (default
            twice its workers).
        on_bad_row: a malformed row is skipped (logged, listed in the manifest) or,
            with ``"fail"``, raises :class:`DatasetError`.
        source: what the rows are, recorded in the manifest (``{"file": "train.jsonl",
            "sha256": ...}`` lets the dataset check the labels are of its split file).
        total: number of rows, when known (for the ETA).
        progress: a tqdm bar; otherwise a log line every 30 seconds.
        describe: how progress and messages name this run.

    Raises:
        DatasetError: a malformed row under ``"fail"``, two problems of one name.
        WorkFailedError: a problem failed on every attempt (finished problems are kept:
            run again to resume).
    """
    if on_bad_row not in BAD_ROW_POLICIES:
        raise ConfigError(f"on_bad_row must be one of {BAD_ROW_POLICIES}, got {on_bad_row!r}")
    settings = settings or LabelSettings()
    directory = Path(directory).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / MANIFEST_FILE
    manifest_path.unlink(missing_ok=True)  # incomplete from here until the end
    # Not expanded here: ``~`` is the home of each worker machine (ResultCache expands it).
    cache_dir = str(sandbox_cache) if sandbox_cache is not None else None
    started = time.perf_counter()

    entries: list[dict[str, Any] | None] = []  # per problem, in input order
    names: set[str] = set()
    bad_rows: list[dict[str, str]] = []  # the first few
    totals = LabelStats()
    counts: Counter[str] = Counter()  # labelled, reused, bad_rows, programs_run (this run)
    worker_seconds = 0.0
    bar = _Progress(total, progress, describe)

    def record(index: int, name: str, data: bytes, result: dict[str, Any]) -> None:
        entries[index] = {
            "name": name,
            "file": result_name(name),
            "sha256": hashlib.sha256(data).hexdigest(),
            "programs": len(result["programs"]),
        }
        _add_stats(totals, result["stats"])

    def jobs() -> Iterator[ProblemJob]:
        for number, item in enumerate(rows, start=1):
            located = item if isinstance(item, _Located) else _Located(f"row {number}", item)
            reason = located.reason or validate_problem_row(located.row)
            if reason is not None:
                if on_bad_row == "fail":
                    raise DatasetError(
                        f"{describe}: {located.location}: {reason} (use --on-bad-row skip "
                        "to skip malformed rows; they are listed in the manifest)"
                    )
                logger.warning("%s: skipping %s: %s", describe, located.location, reason)
                counts["bad_rows"] += 1
                if len(bad_rows) < _MAX_BAD_ROW_EXAMPLES:
                    bad_rows.append({"location": located.location, "reason": reason})
                continue
            row = located.row
            assert isinstance(row, dict)
            name = row["name"]
            if name in names:
                raise DatasetError(
                    f"{describe}: {located.location}: problem {name!r} appears twice; "
                    "problem names must be unique within a split (yantra-gnn download "
                    "drops repeated names)"
                )
            names.add(name)
            job = ProblemJob(len(entries), name, row, row_sha256(row), settings, cache_dir)
            entries.append(None)
            found = _valid_result(directory / result_name(name), job)
            if found is not None:
                record(job.index, name, *found)
                counts["reused"] += 1
                bar.add(None)
                continue
            yield job

    own_executor = executor is None
    runner = executor if executor is not None else LocalExecutor()
    try:
        for job, outcome in runner.map_unordered(
            label_problem,
            jobs(),
            max_in_flight=max_in_flight,
            describe=lambda job: f"{describe}: problem {job.name!r}",
        ):
            atomic_write(directory / result_name(job.name), outcome.data)
            record(job.index, job.name, outcome.data, decode_result(outcome.data))
            if outcome.without_tests:
                logger.warning(
                    "%s: problem %r has no tests: recorded with no labelled programs",
                    describe,
                    job.name,
                )
            counts["labelled"] += 1
            counts["programs_run"] += outcome.programs_run
            worker_seconds += outcome.seconds
            bar.add(outcome)
    finally:
        bar.close()
        if own_executor:
            runner.close()
    bar.log()

    missing = [index for index, entry in enumerate(entries) if entry is None]
    if missing:  # cannot happen: every job is either reused or yielded back
        raise AssertionError(f"{len(missing)} problems were neither labelled nor reused")
    problems = [entry for entry in entries if entry is not None]
    program_count = sum(entry["programs"] for entry in problems)
    manifest = {
        "format": RESULT_FORMAT,
        "complete": True,
        "settings": _settings_dict(settings),
        "settings_digest": settings.digest(),
        "source": source,
        "counts": {
            "problems": len(problems),
            "programs": program_count,
            "programs_run": totals.programs_run,
            "problems_without_tests": totals.problems_without_tests,
            "bad_rows": counts["bad_rows"],
        },
        "label_stats": _stats_dict(totals),
        "bad_rows": bad_rows,
        "problems": problems,
    }
    atomic_write(manifest_path, json.dumps(manifest, indent=1, ensure_ascii=False).encode() + b"\n")
    kept = {entry["file"] for entry in problems}
    stale = [
        path
        for path in directory.iterdir()
        if _RESULT_FILE.match(path.name) and path.name not in kept
    ]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        logger.info(
            "%s: removed %d result files of problems no longer in the input", describe, len(stale)
        )
    stats = LabelRunStats(
        directory=directory,
        manifest=manifest_path,
        problems=len(problems),
        labelled=counts["labelled"],
        reused=counts["reused"],
        bad_rows=counts["bad_rows"],
        programs=program_count,
        programs_run=counts["programs_run"],
        seconds=time.perf_counter() - started,
        worker_seconds=worker_seconds,
    )
    logger.info(
        "%s: %d problems (%d labelled now, %d reused), %d programs, %d bad rows; wrote %s",
        describe,
        stats.problems,
        stats.labelled,
        stats.reused,
        stats.programs,
        stats.bad_rows,
        manifest_path,
    )
    return stats


def _split_rows(path: Path) -> Iterator[_Located]:
    for number, row, reason in json_lines(path, "problem"):
        yield _Located(f"line {number}", row, reason)


def label_prepared_split(
    root: str | os.PathLike[str],
    split: str,
    settings: LabelSettings | None = None,
    **options: Any,
) -> LabelRunStats:
    """Label ``ROOT/SPLIT.jsonl`` (as ``yantra-gnn download`` wrote it) into
    ``ROOT/labelled/SPLIT``; ``options`` are those of :func:`label_split`.

    The manifest records the split file's SHA-256, so the dataset uses these labels only
    while the split file is unchanged.

    Raises:
        DatasetError: the split file is missing (prepare the dataset first).
    """
    root = Path(root).expanduser()
    path = root / f"{split}.jsonl"
    if not path.is_file():
        raise DatasetError(
            f"{path} does not exist; prepare the dataset first with "
            f"`yantra-gnn download --output {root}` (add --from FILE offline)"
        )
    with path.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    return label_split(
        _split_rows(path),
        labelled_dir(root, split),
        settings,
        source={"file": path.name, "sha256": _sha256_file(path)},
        total=total,
        describe=f"labelling {split}",
        **options,
    )


# --------------------------------------------------------------------------- reading


def usable_manifest(
    root: str | os.PathLike[str], split: str, settings: LabelSettings
) -> tuple[Path, str] | None:
    """``(ROOT/labelled/SPLIT, SHA-256 of its manifest)`` when the directory holds a
    complete labelling of ``ROOT/SPLIT.jsonl`` as it is now, made with ``settings``;
    otherwise ``None`` (the reason is logged)."""
    directory = labelled_dir(root, split)
    path = directory / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = path.read_bytes()
        manifest = json.loads(data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        logger.warning("%s is unreadable (%s); not using the prelabelled problems", path, error)
        return None
    split_file = Path(root).expanduser() / f"{split}.jsonl"
    source = manifest.get("source") if isinstance(manifest, dict) else None
    why = None
    if not isinstance(manifest, dict) or manifest.get("format") != RESULT_FORMAT:
        why = f"not a manifest of format {RESULT_FORMAT}"
    elif manifest.get("complete") is not True:
        why = "the labelling is not complete"
    elif manifest.get("settings_digest") != settings.digest():
        why = (
            f"made with other label settings ({manifest.get('settings')}, this dataset "
            f"uses {_settings_dict(settings)})"
        )
    elif not isinstance(source, dict) or source.get("file") != split_file.name:
        why = f"not a labelling of {split_file.name}"
    elif not split_file.is_file() or source.get("sha256") != _sha256_file(split_file):
        why = f"{split_file.name} changed after it was labelled"
    if why is not None:
        logger.info("not using %s: %s", directory, why)
        return None
    return directory, hashlib.sha256(data).hexdigest()


def read_labelled(
    directory: str | os.PathLike[str], *, limit: int | None = None
) -> tuple[list[LabelledProgram], LabelStats]:
    """The labelled programs of a labelled split, in manifest order, and their stats.

    Args:
        directory: a labelled split with a complete ``manifest.json``.
        limit: only the first ``limit`` problems.

    Raises:
        DatasetError: the manifest or a result file is missing, fails its SHA-256 or is
            malformed; the message says how to redo it.
    """
    directory = Path(directory).expanduser()
    path = directory / MANIFEST_FILE
    redo = (
        "run `yantra-gnn download --output ROOT --label-only` (same label settings) to "
        f"redo the damaged problems, or delete {directory} to label in-process"
    )
    try:
        manifest = json.loads(path.read_bytes())
        problems = manifest["problems"][:limit] if limit is not None else manifest["problems"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{path}: not a readable manifest ({error}); {redo}") from None
    programs: list[LabelledProgram] = []
    stats = LabelStats()
    for entry in problems:
        file = directory / entry["file"]
        try:
            data = file.read_bytes()
        except OSError as error:
            raise DatasetError(f"{file} (problem {entry['name']!r}): {error}; {redo}") from None
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise DatasetError(
                f"{file} (problem {entry['name']!r}) fails the SHA-256 of {MANIFEST_FILE}; {redo}"
            )
        try:
            result = decode_result(data)
            programs.extend(LabelledProgram.from_json(row) for row in result["programs"])
            _add_stats(stats, result["stats"])
        except (ValueError, KeyError, TypeError) as error:
            raise DatasetError(f"{file} (problem {entry['name']!r}): {error}; {redo}") from None
    return programs, stats
