"""The Node.js example client (examples/serve_client.js) talks to ``yantra-gnn serve``
over stdio; skipped where ``node`` is not installed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serve_test_helpers import tiny_model_file

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "serve_client.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_client_gets_two_answers(tmp_path: Path) -> None:
    model = tiny_model_file(tmp_path)
    result = subprocess.run(
        ["node", str(CLIENT), "--model", str(model), "--python", sys.executable],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["double", "gcd"]
    assert all("confidence" in line and f"model {model}" in line for line in lines)
