"""A self-supervised pretraining corpus cut from the Python code every machine has.

BugLab-style (Allamanis et al., 2021): the model can learn what bugs, imports and
similar code look like from plain, presumably correct code, without tests. The code is
the Python standard library and the installed packages (:func:`default_roots`), cut
with :mod:`ast` into function-level units (:func:`units_of_module`): every top-level
``def`` / ``async def`` and every method of a top-level class, dedented so that it
compiles on its own, with the module-level imports it uses prepended. Labels for these
units (mutants, rewrites) are made by :mod:`yantra_gnn.labels.corpus`; they are not
execution-verified.

Licences: nothing is copied into this project or its wheel. The code is read at run time
from the local Python installation only. The standard library is under the PSF licence;
installed packages keep their own licences, and a corpus (or a model trained on it) that
is redistributed must respect them.

Caps (all arguments of :func:`units_of_module` / :func:`iter_corpus`):

- a unit has ``min_lines`` (4) to ``max_lines`` (120) lines and at most ``max_bytes``
  (6000) bytes of UTF-8, counted on the function's own text (decorators included,
  prepended imports not);
- files larger than ``max_file_bytes`` (400 000) are skipped, and so are files that are
  not UTF-8, that do not parse, and directories :data:`DEFAULT_EXCLUDE` names (tests,
  IDLE, demos, 2to3, pip and vendored copies of other packages);
- units are deduplicated by the SHA-256 of their whitespace-normalised text (across
  files and roots);
- ``max_units`` draws a seeded, spread-out sample (the units whose seeded hash is
  smallest), not the first files in alphabetical order.
"""

from __future__ import annotations

import ast
import hashlib
import heapq
import logging
import os
import re
import sysconfig
import textwrap
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

#: Directories left out by default (see :func:`is_excluded` for how entries match).
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "test",
    "tests",
    "idlelib",
    "turtledemo",
    "lib2to3",
    "site-packages/pip",
    "_vendor",
)

#: Directories of installed packages: walked only when they are a root themselves.
_INSTALLATION_DIRS = frozenset({"site-packages", "dist-packages"})

_WORD = re.compile(r"[^\W\d]\w*")


@dataclass(frozen=True)
class CorpusUnit:
    """One function or method of the corpus.

    Attributes:
        source: the unit's text (dedented), preceded by the module-level import lines it
            uses and a blank line when there are any.
        path: the file it came from, relative to its root (``json/decoder.py``), always
            with ``/`` separators.
        name: its qualified name (``JSONDecoder.decode``, ``loads``).
        imports: sorted top-level modules of the prepended import lines.
    """

    source: str
    path: str
    name: str
    imports: tuple[str, ...]


def default_roots() -> tuple[Path, ...]:
    """The standard library and the pure-Python site-packages directory of the running
    interpreter (``sysconfig`` ``stdlib`` and ``purelib``), existing ones, without repeats.
    """
    paths = sysconfig.get_paths()
    roots: list[Path] = []
    for key in ("stdlib", "purelib"):
        value = paths.get(key)
        if not value:
            continue
        path = Path(value)
        if path.is_dir() and all(path.resolve() != root.resolve() for root in roots):
            roots.append(path)
    return tuple(roots)


@dataclass(frozen=True)
class _Import:
    """One module-level import, as one normalised line and the name it binds."""

    line: str
    bound: str
    module: str


def _module_imports(tree: ast.Module) -> list[_Import]:
    """The imports directly in the module body (relative, ``__future__`` and ``*`` left out)."""
    found: list[_Import] = []
    seen: set[str] = set()
    for statement in tree.body:
        items: list[_Import] = []
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    line, bound = f"import {alias.name} as {alias.asname}", alias.asname
                else:
                    line, bound = f"import {alias.name}", alias.name.split(".")[0]
                items.append(_Import(line, bound, alias.name.split(".")[0]))
        elif isinstance(statement, ast.ImportFrom):
            module = statement.module
            if statement.level or not module or module == "__future__":
                continue
            for alias in statement.names:
                if alias.name == "*":
                    continue
                line = f"from {module} import {alias.name}"
                if alias.asname:
                    line += f" as {alias.asname}"
                items.append(_Import(line, alias.asname or alias.name, module.split(".")[0]))
        for item in items:
            if item.line not in seen:
                seen.add(item.line)
                found.append(item)
    return found


def _names_used(node: ast.AST) -> set[str]:
    """Every ``ast.Name`` id in ``node`` (which covers the base of every attribute chain)."""
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name)}


def _compiles(text: str, path: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """``(qualified name, node)`` of top-level functions and methods of top-level classes."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    for statement in tree.body:
        if isinstance(statement, functions):
            yield statement.name, statement
        elif isinstance(statement, ast.ClassDef):
            for member in statement.body:
                if isinstance(member, functions):
                    yield f"{statement.name}.{member.name}", member


def _candidates(
    source: str, path: str, *, min_lines: int, max_lines: int, max_bytes: int
) -> Iterator[tuple[CorpusUnit, str]]:
    """The units of a module within the caps, each with the text to compile-check
    (the unit without its imports); not compile-checked yet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning: invalid escape sequences, …
        try:
            tree = ast.parse(source, filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            logger.debug("%s does not parse: %s", path, error)
            return
    # ast counts lines at \n, \r\n and \r only (str.splitlines also splits at \f, …).
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    imports = _module_imports(tree)
    bound = {item.bound for item in imports}
    for name, node in _functions(tree):
        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        last = node.end_lineno or node.lineno
        count = last - first + 1
        if not min_lines <= count <= max_lines:
            continue
        body = textwrap.dedent("\n".join(lines[first - 1 : last]) + "\n")
        if len(body.encode("utf-8", "surrogatepass")) > max_bytes:
            continue
        used: list[_Import] = []
        if bound and not bound.isdisjoint(_WORD.findall(body)):
            names = _names_used(node)
            used = [item for item in imports if item.bound in names]
        text = "".join(f"{item.line}\n" for item in used) + "\n" + body if used else body
        modules = tuple(sorted({item.module for item in used}))
        yield CorpusUnit(source=text, path=path, name=name, imports=modules), body


def units_of_module(
    source: str,
    path: str,
    *,
    min_lines: int = 4,
    max_lines: int = 120,
    max_bytes: int = 6000,
) -> list[CorpusUnit]:
    """Cut one module into function-level units.

    Every top-level ``def`` / ``async def`` and every method of a top-level class: its
    exact source lines (from its first decorator's line to its last line), dedented with
    :func:`textwrap.dedent`. Kept when it has ``min_lines`` to ``max_lines`` lines, at
    most ``max_bytes`` UTF-8 bytes, and compiles on its own (a method whose multi-line
    string reaches column 0 does not dedent and is dropped).

    The module-level ``import`` / ``from … import`` statements (not relative ones, not
    ``__future__``, not ``*``; only those directly in the module body) whose bound name
    occurs in the unit as an :class:`ast.Name` are prepended, one normalised line per
    imported name, then a blank line. A local name that shadows an import still counts
    as a use.

    Args:
        source: the module's text.
        path: where it came from (kept in each unit's ``path``).

    Returns:
        The units in source order; ``[]`` when the module does not parse.
    """
    return [
        unit
        for unit, body in _candidates(
            source, path, min_lines=min_lines, max_lines=max_lines, max_bytes=max_bytes
        )
        if _compiles(body, path)
    ]


def dedup_key(unit: CorpusUnit) -> str:
    """SHA-256 of the unit's whitespace-normalised source (imports included)."""
    return hashlib.sha256(
        " ".join(unit.source.split()).encode("utf-8", "surrogatepass")
    ).hexdigest()


def is_excluded(parts: Sequence[str], exclude: Iterable[str]) -> bool:
    """Whether a directory is excluded.

    ``parts`` are the components of the directory as seen from the corpus: the root's own
    name followed by the directory's path relative to the root (``("site-packages",
    "pip", "_internal")``). Each entry of ``exclude`` is split at ``/`` and excludes every
    directory whose components contain it as a consecutive run: ``tests`` excludes any
    directory named ``tests`` at any depth (and everything below), ``site-packages/pip``
    excludes the ``pip`` directory directly inside a root named ``site-packages``.
    File names are never matched.
    """
    for entry in exclude:
        pattern = [p for p in entry.split("/") if p]
        size = len(pattern)
        if size and any(list(parts[i : i + size]) == pattern for i in range(len(parts) - size + 1)):
            return True
    return False


def _python_files(
    root: Path, other_roots: set[Path], exclude: Sequence[str]
) -> Iterator[tuple[Path, str]]:
    """``(file, path relative to root)`` of the ``*.py`` files under ``root``, sorted
    (directories in name order, depth first); symlinked directories are not followed (so no
    symlink loops); excluded directories, other roots nested in this one and
    ``site-packages`` / ``dist-packages`` directories below the root are skipped."""
    root_name = root.resolve().name
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(directory)
        relative = here.relative_to(root).parts
        kept = []
        for name in sorted(dirnames):
            child = here / name
            if is_excluded((root_name, *relative, name), exclude):
                continue
            if name in _INSTALLATION_DIRS or child.resolve() in other_roots:
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield here / name, "/".join((*relative, name))


def _read(file: Path, max_file_bytes: int) -> str | None:
    """The file's text, or ``None`` when it is too large, unreadable or not UTF-8."""
    try:
        if file.stat().st_size > max_file_bytes:
            logger.debug("skipping %s: larger than %d bytes", file, max_file_bytes)
            return None
        data = file.read_bytes()
    except OSError as error:  # dangling or looping symlinks, permissions, …
        logger.debug("skipping %s: %s", file, error)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        logger.debug("skipping %s: not UTF-8", file)
        return None


def _score(key: str, seed: int) -> int:
    """The seeded hash that orders units for sampling (the same in every process)."""
    digest = hashlib.sha256(f"yantra-corpus/{seed}/{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def iter_corpus(
    roots: Sequence[str | os.PathLike[str]] | None = None,
    *,
    max_units: int | None = None,
    seed: int = 0,
    max_file_bytes: int = 400_000,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    min_lines: int = 4,
    max_lines: int = 120,
    max_bytes: int = 6000,
) -> Iterator[CorpusUnit]:
    """The corpus's units, deduplicated, in a deterministic order.

    Walks the ``*.py`` files under ``roots`` (default :func:`default_roots`), root by root,
    each in sorted depth-first order, and yields the units of :func:`units_of_module` whose
    whitespace-normalised text was not seen before (in this or an earlier root). A root
    nested in another is walked as its own root only, and ``site-packages`` /
    ``dist-packages`` directories below a root are never walked from it (pyenv's and
    python.org's standard library directory holds ``site-packages``: pass that as a root
    to include it). Files over ``max_file_bytes``, unreadable ones (dangling or looping
    symlinks), non-UTF-8 ones and ones that do not parse are skipped; symlinked
    directories are not followed. See :func:`is_excluded` for ``exclude``; ``min_lines``,
    ``max_lines`` and ``max_bytes`` are :func:`units_of_module`'s caps.

    Without ``max_units`` units are yielded lazily as files are read. With it, the whole
    corpus is walked first (the generator yields nothing until then) and the
    ``max_units`` units whose seeded hash of the dedup key is smallest are yielded, in
    walk order: a spread-out sample over every file, the same for the same ``seed`` and
    files, and a different one for another ``seed``. Only the units that enter the sample
    are compile-checked, which keeps sampling cheap.

    Raises:
        ValueError: ``max_units`` is negative.
    """
    if max_units is not None and max_units < 0:
        raise ValueError(f"max_units must be >= 0, got {max_units}")
    chosen_roots = [Path(r) for r in roots] if roots is not None else list(default_roots())
    resolved = [r.resolve() for r in chosen_roots]
    started = time.perf_counter()
    seen: set[str] = set()  # dedup keys
    files = skipped = yielded = 0
    # The sample so far, a heap on the negated seeded hash (its root is the largest hash).
    heap: list[tuple[int, int, CorpusUnit]] = []
    order = 0
    walked: set[Path] = set()
    for root, real in zip(chosen_roots, resolved, strict=True):
        if not root.is_dir():
            logger.warning("corpus root %s is not a directory; skipped", root)
            continue
        if real in walked:
            continue
        walked.add(real)
        for file, relative in _python_files(root, set(resolved) - {real}, exclude):
            text = _read(file, max_file_bytes)
            if text is None:
                skipped += 1
                continue
            files += 1
            candidates = _candidates(
                text, relative, min_lines=min_lines, max_lines=max_lines, max_bytes=max_bytes
            )
            for unit, body in candidates:
                key = dedup_key(unit)
                if key in seen:
                    continue
                if max_units is None:
                    if _compiles(body, relative):
                        seen.add(key)
                        yielded += 1
                        yield unit
                    continue
                rank = -_score(key, seed)
                if len(heap) >= max_units and (max_units == 0 or rank <= heap[0][0]):
                    seen.add(key)  # cannot enter the sample (nor can a copy: same key)
                    continue
                if not _compiles(body, relative):
                    continue
                seen.add(key)
                order += 1
                if len(heap) < max_units:
                    heapq.heappush(heap, (rank, order, unit))
                else:
                    heapq.heapreplace(heap, (rank, order, unit))
    sample = sorted(heap, key=lambda item: item[1])
    logger.info(
        "python corpus: %d files read (%d skipped), %d distinct units, %d yielded, %.1fs",
        files,
        skipped,
        len(seen),
        yielded + len(sample),
        time.perf_counter() - started,
    )
    for _, _, unit in sample:
        yield unit
