"""Download and prepare DeepMind's CodeContests for yantra-gnn.

``yantra-gnn download`` reads CodeContests problems (streamed from the Hugging Face hub,
or from a local copy given with ``--from``), keeps what training needs and writes a
problem-level train / validation split:

- ``train.jsonl`` and ``val.jsonl``: one problem per line, in the Hugging Face schema,
  with ``solutions`` and ``incorrect_solutions`` filtered to Python 3 and capped at
  ``max_solutions`` each (a seeded choice);
- ``stats.json``: counts per split, solution lengths, tags, difficulties, what was
  dropped and why, and the arguments that produced the files.

Problems never cross splits, because solutions of one problem are near-duplicates of
each other: a split by solution would leak. Local ``.jsonl`` / ``.json`` files are read
through ``datasets.load_dataset("json", ...)`` after a line-by-line check (so a
malformed line is reported with its number instead of failing the whole load), and
``.parquet`` files through ``datasets.load_dataset("parquet", ...)``; the prepared
``train.jsonl`` / ``val.jsonl`` are themselves valid input.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import socket
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from yantra_gnn.datasets.jsonl import json_lines
from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.files import open_temporary, replace_with
from yantra_gnn.home import CODECONTESTS_DIR, DATASETS_DIR, expand
from yantra_gnn.optional import import_optional

logger = logging.getLogger(__name__)

#: The dataset on the Hugging Face hub.
HUB_DATASET = "deepmind/code_contests"

#: Default output directory of ``yantra-gnn download``.
DEFAULT_OUTPUT_DIR = CODECONTESTS_DIR

#: CodeContests language code of Python 3 (1 is Python 2, 2 C++, 4 Java).
PYTHON3 = 3

#: Default cap on correct (and, separately, incorrect) solutions kept per problem.
DEFAULT_MAX_SOLUTIONS = 10

#: Default fraction of problems that go to ``val.jsonl``.
DEFAULT_VAL_FRACTION = 0.2

#: Accepted values of ``on_bad_row``.
BAD_ROW_POLICIES = ("skip", "fail")

#: Output file names inside the output directory.
TRAIN_FILE = "train.jsonl"
VAL_FILE = "val.jsonl"
STATS_FILE = "stats.json"

#: Version of the prepared-file layout, recorded in ``stats.json``.
FORMAT_VERSION = 1

#: CodeContests ``difficulty`` codes (``ContestProblem.Difficulty`` in the dataset's proto).
DIFFICULTY_NAMES: tuple[str, ...] = (
    "UNKNOWN_DIFFICULTY",
    "EASY",
    "MEDIUM",
    "HARD",
    "HARDER",
    "HARDEST",
    "EXTERNAL",
    *"ABCDEFGHIJKLMNOPQRSTUV",
)

_TEST_FIELDS = ("public_tests", "private_tests", "generated_tests")
_SOLUTION_FIELDS = ("solutions", "incorrect_solutions")
_INT_FIELDS = ("difficulty", "source", "cf_rating", "cf_contest_id", "memory_limit_bytes")
_MAX_BAD_ROW_EXAMPLES = 20


@dataclass(frozen=True)
class BadRow:
    """A source row that was skipped: where it is (``"line 7"`` / ``"row 7"``) and why."""

    location: str
    reason: str


@dataclass(frozen=True)
class PrepareStats:
    """What :func:`prepare_dataset` wrote.

    ``summary`` is the full content of ``stats.json``; the other fields are the figures
    callers most often want.
    """

    output_dir: Path
    rows_read: int
    bad_rows: int
    train_problems: int
    val_problems: int
    dropped: dict[str, int]
    summary: dict[str, Any]


# --------------------------------------------------------------------------- validation


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_parallel_lists(row: dict, field: str, keys: tuple[str, str], item_check) -> str | None:
    value = row.get(field)
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"'{field}' is {type(value).__name__}, expected an object with {keys[0]!r} and {keys[1]!r}"
    first, second = value.get(keys[0]), value.get(keys[1])
    if not isinstance(first, list) or not isinstance(second, list):
        return f"'{field}' needs lists {keys[0]!r} and {keys[1]!r}"
    if len(first) != len(second):
        return f"'{field}' has {len(first)} {keys[0]!r} but {len(second)} {keys[1]!r}"
    return item_check(field, first, second)


def _check_solution_items(field: str, languages: list, sources: list) -> str | None:
    if not all(_is_int(code) for code in languages):
        return f"'{field}.language' holds a non-integer language code"
    if not all(isinstance(text, str) for text in sources):
        return f"'{field}.solution' holds a non-string solution"
    return None


def _check_test_items(field: str, inputs: list, outputs: list) -> str | None:
    if not all(isinstance(text, str) for text in inputs + outputs):
        return f"'{field}' holds a non-string input or output"
    return None


def validate_problem_row(row: object) -> str | None:
    """Why ``row`` is not a usable CodeContests problem, or ``None`` when it is.

    Checks the fields preparation reads: ``name`` (non-empty string), ``solutions``
    (required) and ``incorrect_solutions`` (``{"language": [int], "solution": [str]}``
    of equal lengths), the three test fields (``{"input": [str], "output": [str]}``),
    ``cf_tags`` (list of strings), ``description`` (string) and the integer fields.
    Optional fields may be absent or ``null``.
    """
    if not isinstance(row, dict):
        return f"not a JSON object (got {type(row).__name__})"
    name = row.get("name")
    if name is None:
        return "missing 'name'"
    if not isinstance(name, str) or not name.strip():
        return "'name' is not a non-empty string"
    if row.get("solutions") is None:
        return "missing 'solutions'"
    for field in _SOLUTION_FIELDS:
        problem = _check_parallel_lists(row, field, ("language", "solution"), _check_solution_items)
        if problem:
            return problem
    for field in _TEST_FIELDS:
        problem = _check_parallel_lists(row, field, ("input", "output"), _check_test_items)
        if problem:
            return problem
    tags = row.get("cf_tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags)
    ):
        return "'cf_tags' is not a list of strings"
    description = row.get("description")
    if description is not None and not isinstance(description, str):
        return "'description' is not a string"
    for field in _INT_FIELDS:
        value = row.get(field)
        if value is not None and not _is_int(value):
            return f"'{field}' is {type(value).__name__}, expected an integer"
    time_limit = row.get("time_limit")
    if time_limit is not None and not isinstance(time_limit, dict):
        return "'time_limit' is not an object ({seconds, nanos})"
    return None


# --------------------------------------------------------------------------- reading


def _datasets_module(name: str) -> ModuleType:
    """``datasets`` (or one of its modules): reading CodeContests needs the ``data`` extra."""
    return import_optional(name, "reading CodeContests")


def _hub_offline() -> bool:
    """Whether ``HF_HUB_OFFLINE`` asks the hub client not to use the network."""
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _hub_error(error: BaseException) -> DatasetError:
    DatasetNotFoundError = _datasets_module("datasets.exceptions").DatasetNotFoundError

    if isinstance(error, DatasetNotFoundError):
        what = f"the Hugging Face hub has no readable dataset {HUB_DATASET!r} ({error})"
    else:
        what = f"cannot reach the Hugging Face hub to stream {HUB_DATASET!r} ({error})"
    return DatasetError(
        f"{what}. Offline, pass a local copy of CodeContests with --from PATH "
        "(a .jsonl / .json / .parquet file in the Hugging Face schema, or a directory of "
        "the dataset's parquet files, e.g. a clone of the hub repository)."
        + ("" if _hub_offline() else " Set HF_HUB_OFFLINE=1 to skip the hub's connection retries.")
    )


def _iter_dataset(dataset: Iterable[dict], describe: str, hint: str = "") -> Iterator[dict]:
    """Iterate a ``datasets`` dataset, turning read / connection failures into DatasetError."""
    DatasetsError = _datasets_module("datasets.exceptions").DatasetsError

    count = 0
    try:
        for row in dataset:
            count += 1
            yield row
    except (OSError, DatasetsError, ValueError, TypeError) as error:
        raise DatasetError(
            f"{describe}: reading failed after {count} rows: {error}{hint}"
        ) from error


def _hub_unreachable_reason(timeout_s: float = 3.0) -> str | None:
    """Why the hub's host cannot be reached (``None`` when a TCP connection opens).

    One quick connection attempt, so an offline machine gets one clear error at once
    instead of the ``datasets`` client's retries (about 30 s of repeated warnings).
    ``HF_HUB_OFFLINE`` is left to ``datasets``, which then fails without network calls.
    """
    if _hub_offline():
        return None
    from urllib.parse import urlsplit

    from huggingface_hub import constants

    url = urlsplit(constants.ENDPOINT)
    host, port = (
        url.hostname or "huggingface.co",
        url.port or (443 if url.scheme == "https" else 80),
    )
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as error:
        return f"{host}:{port}: {error.strerror or error}"
    return None


def _iter_hub(split: str, streaming: bool) -> Iterator[dict]:
    """Open the hub dataset now (so an unreachable hub fails before any output is made)."""
    datasets = _datasets_module("datasets")
    DatasetsError = _datasets_module("datasets.exceptions").DatasetsError

    reason = _hub_unreachable_reason()
    if reason is not None:
        raise _hub_error(ConnectionError(f"the hub is unreachable from this machine ({reason})"))
    try:
        dataset = datasets.load_dataset(HUB_DATASET, split=split, streaming=streaming)
    except (OSError, DatasetsError) as error:
        raise _hub_error(error) from error
    except ValueError as error:
        raise DatasetError(
            f"{HUB_DATASET}: cannot load split {split!r} ({error}); the dataset's splits "
            "are 'train', 'valid' and 'test'"
        ) from error
    return _iter_dataset(
        dataset,
        f"hub dataset {HUB_DATASET} [{split}]",
        hint="; if the hub connection is unreliable, pass a local copy with --from PATH",
    )


def _load_local(builder: str, data_files: list[str], streaming: bool, describe: str):
    datasets = _datasets_module("datasets")
    DatasetsError = _datasets_module("datasets.exceptions").DatasetsError

    try:
        return datasets.load_dataset(
            builder, data_files=data_files, split="train", streaming=streaming
        )
    except (OSError, DatasetsError, ValueError) as error:
        raise DatasetError(
            f"{describe}: the 'datasets' {builder} reader cannot load it ({error}); "
            "check that it is a CodeContests file in the Hugging Face schema"
        ) from error


def _report_bad_row(
    describe: str,
    bad: BadRow,
    on_bad_row: str,
    bad_rows: list[BadRow] | None,
) -> None:
    if on_bad_row == "fail":
        raise DatasetError(
            f"{describe}: {bad.location}: {bad.reason} "
            "(use --on-bad-row skip to skip malformed rows and count them in stats.json)"
        )
    logger.warning("%s: skipping %s: %s", describe, bad.location, bad.reason)
    if bad_rows is not None:
        bad_rows.append(bad)


def _scan_jsonl(
    path: Path, on_bad_row: str, bad_rows: list[BadRow] | None
) -> tuple[int, list[int]]:
    """Check every line of a JSON-lines file; return (good row count, bad line numbers)."""
    good = 0
    bad_lines: list[int] = []
    for number, row, reason in json_lines(path, "problem"):
        if reason is None:
            reason = validate_problem_row(row)
        if reason is None:
            good += 1
        else:
            bad_lines.append(number)
            _report_bad_row(str(path), BadRow(f"line {number}", reason), on_bad_row, bad_rows)
    return good, bad_lines


def _iter_jsonl(
    path: Path, streaming: bool, on_bad_row: str, bad_rows: list[BadRow] | None
) -> Iterator[dict]:
    good, bad_lines = _scan_jsonl(path, on_bad_row, bad_rows)
    if good == 0:
        logger.warning("%s: no usable problem rows", path)
        return
    describe = str(path)
    if not bad_lines:
        dataset = _load_local("json", [str(path)], streaming, describe)
        yield from _iter_dataset(dataset, describe)
        return
    # ``datasets`` fails a whole JSON file on one malformed line: feed it the good lines only.
    skip = set(bad_lines)
    with tempfile.TemporaryDirectory(prefix="yantra-codecontests-") as tmp:
        clean = Path(tmp) / path.name
        with path.open("rb") as source, clean.open("wb") as target:
            for number, raw in enumerate(source, start=1):
                if number not in skip and raw.strip():
                    target.write(raw.rstrip(b"\r\n") + b"\n")
        dataset = _load_local("json", [str(clean)], streaming, describe)
        yield from _iter_dataset(dataset, describe)


def iter_problems(
    source: str | Path | None,
    *,
    streaming: bool = True,
    split: str = "train",
    on_bad_row: str = "skip",
    bad_rows: list[BadRow] | None = None,
) -> Iterator[dict]:
    """Yield CodeContests problems as dicts in the Hugging Face schema.

    Args:
        source: ``None`` streams ``deepmind/code_contests`` from the hub; a path reads a
            local copy: a ``.jsonl`` / ``.json`` (JSON lines) or ``.parquet`` file, or a
            directory holding the dataset's ``{split}-*.parquet`` files (any depth).
        streaming: stream rows instead of materialising the dataset in the
            ``datasets`` cache first.
        split: hub / directory split (``train``, ``valid``, ``test``); a single file is
            read whole.
        on_bad_row: for JSON-lines files, what a malformed line does: ``"skip"`` (log it
            with its line number, append a :class:`BadRow` to ``bad_rows``) or
            ``"fail"`` (raise :class:`DatasetError`).
        bad_rows: list that collects skipped lines.

    Raises:
        DatasetError: the hub cannot be reached (the message names ``--from``), the file
            is missing or of an unsupported kind, a malformed line under ``"fail"``.
    """
    _check_policy(on_bad_row)
    if source is None:
        return _iter_hub(split, streaming)
    path = Path(source).expanduser()
    if not path.exists():
        raise DatasetError(
            f"{path}: no such file or directory. Pass a CodeContests .jsonl / .json / "
            "parquet file (or a directory of parquet files) with --from, or leave --from "
            f"out to stream {HUB_DATASET} from the Hugging Face hub"
        )
    if path.is_dir():
        files = sorted(str(item) for item in path.rglob(f"{split}-*.parquet"))
        if not files:
            raise DatasetError(
                f"{path}: directory holds no '{split}-*.parquet' files; pass a CodeContests "
                ".jsonl / .json / .parquet file or the dataset's parquet directory"
            )
        dataset = _load_local("parquet", files, streaming, str(path))
        return _iter_dataset(dataset, str(path))
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        return _iter_jsonl(path, streaming, on_bad_row, bad_rows)
    if suffix == ".parquet":
        dataset = _load_local("parquet", [str(path)], streaming, str(path))
        return _iter_dataset(dataset, str(path))
    raise DatasetError(
        f"{path}: unsupported file type {suffix or '(no suffix)'!r}; CodeContests copies "
        "must be .jsonl, .json (JSON lines) or .parquet"
    )


# --------------------------------------------------------------------------- preparing


def _check_policy(on_bad_row: str) -> None:
    if on_bad_row not in BAD_ROW_POLICIES:
        raise ConfigError(f"on_bad_row must be one of {BAD_ROW_POLICIES}, got {on_bad_row!r}")


def _stable_key(*parts: object) -> str:
    """A process-independent hash (``hash()`` of a str is salted per process)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8")).hexdigest()


def _select_solutions(
    field: dict | None,
    max_solutions: int,
    rng_key: str,
    counts: Counter,
) -> list[str]:
    """Python 3 solutions of one field, exact duplicates removed, at most ``max_solutions``.

    Over the cap, a seeded sample (keyed on the seed and problem name) is kept in the
    original order, so the choice is the same in every process.
    """
    if not field:
        return []
    kept: list[str] = []
    seen: set[str] = set()
    for language, text in zip(
        field.get("language") or [], field.get("solution") or [], strict=True
    ):
        if language != PYTHON3:
            counts["other_language"] += 1
        elif text in seen:
            counts["duplicate"] += 1
        else:
            seen.add(text)
            kept.append(text)
    if len(kept) > max_solutions:
        counts["over_cap"] += len(kept) - max_solutions
        chosen = sorted(random.Random(rng_key).sample(range(len(kept)), max_solutions))
        kept = [kept[index] for index in chosen]
    return kept


def _tests(row: dict, field: str) -> dict[str, list[str]]:
    value = row.get(field) or {}
    return {"input": list(value.get("input") or []), "output": list(value.get("output") or [])}


def _trim_problem(row: dict, solutions: list[str], incorrect: list[str]) -> dict[str, Any]:
    """The fields of ``row`` that training and labelling use, in the hub's schema."""
    time_limit = row.get("time_limit")
    return {
        "name": row["name"],
        "description": row.get("description") or "",
        "source": row.get("source") or 0,
        "difficulty": row.get("difficulty") or 0,
        "cf_contest_id": row.get("cf_contest_id") or 0,
        "cf_index": row.get("cf_index") or "",
        "cf_rating": row.get("cf_rating") or 0,
        "cf_tags": list(row.get("cf_tags") or []),
        "time_limit": dict(time_limit) if time_limit else None,
        "memory_limit_bytes": row.get("memory_limit_bytes") or 0,
        **{field: _tests(row, field) for field in _TEST_FIELDS},
        "solutions": {"language": [PYTHON3] * len(solutions), "solution": solutions},
        "incorrect_solutions": {"language": [PYTHON3] * len(incorrect), "solution": incorrect},
    }


def difficulty_name(code: int) -> str:
    """Name of a CodeContests difficulty code (``8`` → ``"B"``); unknown codes as digits."""
    if 0 <= code < len(DIFFICULTY_NAMES):
        return DIFFICULTY_NAMES[code]
    return str(code)


@dataclass
class _ProblemSummary:
    name: str
    solutions: int
    incorrect: int
    tests: dict[str, int]
    solution_lines: list[int]
    tags: list[str]
    difficulty: str


def _summarise(problem: dict[str, Any]) -> _ProblemSummary:
    return _ProblemSummary(
        name=problem["name"],
        solutions=len(problem["solutions"]["solution"]),
        incorrect=len(problem["incorrect_solutions"]["solution"]),
        tests={field: len(problem[field]["input"]) for field in _TEST_FIELDS},
        solution_lines=[len(text.splitlines()) for text in problem["solutions"]["solution"]],
        tags=problem["cf_tags"],
        difficulty=difficulty_name(problem["difficulty"]),
    )


def _distribution(values: list[int]) -> dict[str, float]:
    if not values:
        return {"count": 0, "min": 0, "median": 0, "mean": 0, "max": 0}
    return {
        "count": len(values),
        "min": min(values),
        "median": statistics.median(values),
        "mean": round(statistics.fmean(values), 2),
        "max": max(values),
    }


def _sorted_counts(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


def _split_stats(summaries: list[_ProblemSummary]) -> dict[str, Any]:
    tests = {field: sum(s.tests[field] for s in summaries) for field in _TEST_FIELDS}
    tests["total"] = sum(tests.values())
    return {
        "problems": len(summaries),
        "solutions": sum(s.solutions for s in summaries),
        "incorrect_solutions": sum(s.incorrect for s in summaries),
        "tests": tests,
        "solution_lines": _distribution([n for s in summaries for n in s.solution_lines]),
        "tags": _sorted_counts(Counter(tag for s in summaries for tag in s.tags)),
        "difficulty": _sorted_counts(Counter(s.difficulty for s in summaries)),
    }


def _val_names(names: Sequence[str], seed: int, val_fraction: float) -> set[str]:
    """The problems of the validation split: the ``round(n * val_fraction)`` names first
    in the order of a seeded stable hash, so the split has exact proportions, depends
    only on the seed and the set of names, and never puts one problem in both splits."""
    count = round(len(names) * val_fraction)
    ordered = sorted(names, key=lambda name: (_stable_key(seed, "split", name), name))
    return set(ordered[:count])


class _AtomicFiles:
    """Temporary files in the output directory, moved into place together on success."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pending: dict[Path, Path] = {}

    def open(self, name: str):
        handle = open_temporary(self.directory / name, "w")
        self.pending[self.directory / name] = Path(handle.name)
        return handle

    def commit(self, order: Sequence[str]) -> None:
        for name in order:
            target = self.directory / name
            replace_with(self.pending.pop(target), target)

    def discard(self) -> None:
        for temporary in self.pending.values():
            temporary.unlink(missing_ok=True)
        self.pending.clear()


def _make_output_dir(output_dir: Path) -> None:
    if output_dir.exists() and not output_dir.is_dir():
        raise DatasetError(f"{output_dir}: exists and is not a directory; choose another --output")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatasetError(f"{output_dir}: cannot create the output directory ({error})") from error


def _check_arguments(limit: int | None, max_solutions: int, val_fraction: float) -> None:
    if limit is not None and (not _is_int(limit) or limit < 1):
        raise ConfigError(f"limit must be a positive integer or None, got {limit!r}")
    if not _is_int(max_solutions) or max_solutions < 1:
        raise ConfigError(f"max_solutions must be a positive integer, got {max_solutions!r}")
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction!r}")


def prepare_dataset(
    rows: Iterable[object],
    output_dir: str | Path,
    *,
    limit: int | None = None,
    max_solutions: int = DEFAULT_MAX_SOLUTIONS,
    seed: int = 0,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    on_bad_row: str = "skip",
    bad_rows: list[BadRow] | None = None,
    source_label: str = "rows",
) -> PrepareStats:
    """Filter, cap and split CodeContests problems; write train/val JSON lines and stats.

    Keeps Python 3 ``solutions`` and ``incorrect_solutions`` (language code 3), exact
    duplicates removed, at most ``max_solutions`` of each per problem (a seeded choice).
    Drops problems without any test (public, private and generated all empty), without a
    Python 3 correct solution, and repeats of an already kept name. The remaining
    problems are split by problem: ``round(n * val_fraction)`` go to ``val.jsonl``.
    Files are written to temporaries and moved into place with ``os.replace`` only when
    everything succeeded; ``stats.json`` is moved last.

    Args:
        rows: problems in the Hugging Face schema (e.g. from :func:`iter_problems`).
        output_dir: directory for ``train.jsonl``, ``val.jsonl`` and ``stats.json``.
        limit: stop after this many kept problems (``None``: read everything).
        max_solutions: cap on correct and, separately, incorrect solutions per problem.
        seed: seeds the solution choice and the split.
        val_fraction: fraction of problems in the validation split, in ``[0, 1)``.
        on_bad_row: ``"skip"`` (log, count in stats) or ``"fail"`` (raise) for a row that
            :func:`validate_problem_row` rejects; rows are numbered from 1 (``"row 5"``).
        bad_rows: rows already skipped while reading (e.g. the list given to
            :func:`iter_problems`); reported with this function's own in ``stats.json``.
        source_label: how ``stats.json`` and messages name the input.

    Raises:
        ConfigError: an argument is out of range.
        DatasetError: a malformed row under ``"fail"``; the output cannot be written.
    """
    from tqdm.auto import tqdm

    _check_policy(on_bad_row)
    _check_arguments(limit, max_solutions, val_fraction)
    output_dir = Path(output_dir).expanduser()
    _make_output_dir(output_dir)
    bad_rows = bad_rows if bad_rows is not None else []
    started = time.perf_counter()
    dropped: Counter = Counter()
    correct_not_kept: Counter = Counter()
    incorrect_not_kept: Counter = Counter()
    summaries: list[_ProblemSummary] = []
    names: set[str] = set()
    rows_read = 0
    files = _AtomicFiles(output_dir)
    try:
        with files.open("kept.jsonl") as kept:
            progress = tqdm(rows, desc="problems", unit=" rows", disable=None)
            for index, row in enumerate(progress, start=1):
                rows_read += 1
                reason = validate_problem_row(row)
                if reason is not None:
                    _report_bad_row(
                        source_label, BadRow(f"row {index}", reason), on_bad_row, bad_rows
                    )
                    continue
                assert isinstance(row, dict)
                name = row["name"]
                if name in names:
                    dropped["duplicate_name"] += 1
                    continue
                if not any(_tests(row, field)["input"] for field in _TEST_FIELDS):
                    dropped["no_tests"] += 1
                    continue
                solutions = _select_solutions(
                    row.get("solutions"),
                    max_solutions,
                    _stable_key(seed, "solutions", name),
                    correct_not_kept,
                )
                if not solutions:
                    dropped["no_python3_solution"] += 1
                    continue
                incorrect = _select_solutions(
                    row.get("incorrect_solutions"),
                    max_solutions,
                    _stable_key(seed, "incorrect_solutions", name),
                    incorrect_not_kept,
                )
                problem = _trim_problem(row, solutions, incorrect)
                kept.write(json.dumps(problem, ensure_ascii=False) + "\n")
                names.add(name)
                summaries.append(_summarise(problem))
                progress.set_postfix(kept=len(summaries), refresh=False)
                if limit is not None and len(summaries) >= limit:
                    break
            progress.close()
        val_names = _val_names([s.name for s in summaries], seed, val_fraction)
        kept_path = files.pending.pop(output_dir / "kept.jsonl")
        try:
            with (
                kept_path.open("r", encoding="utf-8") as source,
                files.open(TRAIN_FILE) as train,
                files.open(VAL_FILE) as val,
            ):
                for line, problem_summary in zip(source, summaries, strict=True):
                    (val if problem_summary.name in val_names else train).write(line)
        finally:
            kept_path.unlink(missing_ok=True)
        train_summaries = [s for s in summaries if s.name not in val_names]
        val_summaries = [s for s in summaries if s.name in val_names]
        summary: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "source": source_label,
            "arguments": {
                "limit": limit,
                "max_solutions": max_solutions,
                "seed": seed,
                "val_fraction": val_fraction,
                "on_bad_row": on_bad_row,
                "python_language_code": PYTHON3,
            },
            "rows_read": rows_read,
            "bad_rows": {
                "count": len(bad_rows),
                "examples": [
                    {"location": bad.location, "reason": bad.reason}
                    for bad in bad_rows[:_MAX_BAD_ROW_EXAMPLES]
                ],
            },
            "dropped_problems": {
                key: dropped[key] for key in ("no_tests", "no_python3_solution", "duplicate_name")
            },
            "solutions_not_kept": {
                "correct": {
                    key: correct_not_kept[key]
                    for key in ("other_language", "duplicate", "over_cap")
                },
                "incorrect": {
                    key: incorrect_not_kept[key]
                    for key in ("other_language", "duplicate", "over_cap")
                },
            },
            "splits": {
                "train": _split_stats(train_summaries),
                "val": _split_stats(val_summaries),
            },
            "total": _split_stats(summaries),
            "elapsed_seconds": round(time.perf_counter() - started, 3),
        }
        with files.open(STATS_FILE) as stats_file:
            json.dump(summary, stats_file, indent=2, ensure_ascii=False)
            stats_file.write("\n")
        files.commit([TRAIN_FILE, VAL_FILE, STATS_FILE])
    except OSError as error:
        raise DatasetError(f"{output_dir}: cannot write the prepared dataset ({error})") from error
    finally:
        files.discard()
    return PrepareStats(
        output_dir=output_dir,
        rows_read=rows_read,
        bad_rows=len(bad_rows),
        train_problems=len(train_summaries),
        val_problems=len(val_summaries),
        dropped=dict(summary["dropped_problems"]),
        summary=summary,
    )


# --------------------------------------------------------------------------- bundled sample


def bundled_sample_path() -> Path:
    """The CodeContests-schema sample shipped in the package."""
    return Path(
        str(resources.files("yantra_gnn.datasets") / "sample" / "codecontests_sample.jsonl")
    )


def prepare_from_file(source: Path, seed: int) -> Path:
    """Prepare a raw CodeContests-schema file once into ``~/.yantra/datasets``."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
    root = expand(DATASETS_DIR) / f"{source.stem}-{digest}-seed{seed}"
    if not (root / "train.jsonl").exists():
        prepare_dataset(iter_problems(source), root, seed=seed, source_label=str(source))
    return root
