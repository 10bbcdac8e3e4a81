"""``yantra-gnn sandbox FILE.py``: run one program in the labelling sandbox, optionally judged."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from yantra_gnn import sandbox
from yantra_gnn.errors import ConfigError
from yantra_gnn.sandbox.compare import DEFAULT_FLOAT_TOL

NAME = "sandbox"
DESCRIPTION = (
    "Run a Python program in the sandbox used for labels: its stdout goes to "
    "stdout, its stderr and a JSON summary (status, verdict, times) to stderr. "
    "Exits 0 if the program ran ok (and passed, with --expected), else 1."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``sandbox`` options."""
    parser.add_argument("source", help="the Python program (.py file)")
    parser.add_argument("--input", help="file given to the program as standard input")
    parser.add_argument("--expected", help="expected output file; adds a verdict")
    parser.add_argument("--timeout", type=float, default=sandbox.DEFAULT_TIMEOUT_S, help="seconds")
    parser.add_argument("--memory-mb", type=int, default=sandbox.DEFAULT_MEMORY_MB, help="MiB")
    parser.add_argument(
        "--float-tol", type=float, default=DEFAULT_FLOAT_TOL, help="tolerance for reals"
    )


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"sandbox: cannot read the {what} file {path}: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"sandbox: the {what} file {path} is not UTF-8 text: {error}") from error


def run(args: argparse.Namespace) -> int:
    source = _read_text(args.source, "program")
    stdin = _read_text(args.input, "input") if args.input else ""
    result = sandbox.run(source, stdin, timeout_s=args.timeout, memory_mb=args.memory_mb)
    summary: dict[str, object] = {
        "status": result.status.value,
        "returncode": result.returncode,
        "time_s": round(result.time_s, 4),
        "cpu_s": round(result.cpu_s, 4),
    }
    passed = result.ok
    if args.expected:
        verdict = sandbox.judge(
            result, _read_text(args.expected, "expected output"), args.float_tol
        )
        summary["verdict"] = verdict.value
        passed = verdict is sandbox.Verdict.PASSED
    sys.stdout.write(result.stdout)
    if result.stderr:
        sys.stderr.write(result.stderr)
    sys.stderr.write(json.dumps(summary) + "\n")
    return 0 if passed else 1
