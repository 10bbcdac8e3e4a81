"""The package layout's rules (docs/architecture.md) hold: imports only go down the
layers, the model layer never sees the parser, command-line code lives in ``cli/``,
default paths are defined once, and the package is typed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "yantra_gnn"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def _library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter.cli", reason="pip install -e '.[dev]'")
    # In a child process: import-linter reconfigures logging, which would leak into
    # the tests that run after this one.
    script = (
        "import sys; from importlinter.cli import lint_imports; "
        f"sys.exit(lint_imports(config_filename={str(PYPROJECT)!r}, no_logo=True, no_cache=True))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def test_library_modules_hold_no_command_line_code():
    offenders = []
    for path in _library_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if "argparse" in names:
                offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders, f"argparse outside yantra_gnn/cli/: {offenders}"


def test_no_private_argparse_classes():
    uses = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "argparse._" in path.read_text(encoding="utf-8")
    ]
    assert not uses


def test_default_paths_are_defined_once():
    """String literals naming ``~/.yantra`` appear only in ``home.py`` (docstrings aside)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "home.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and "~/.yantra" in node.value
                and id(node) not in docstrings
            ):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, f"use yantra_gnn.home instead of literals: {offenders}"


def test_package_is_typed():
    assert (PACKAGE / "py.typed").is_file()
