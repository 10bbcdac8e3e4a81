"""``yantra-gnn graph --html``: the self-contained picture of a program graph, its heat map
of the model's bug-location scores, and a real headless-browser screenshot of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from yantra_gnn.checkpoint import save_model_for_inference
from yantra_gnn.cli import main
from yantra_gnn.errors import ConfigError
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.graph.html import (
    DEFAULT_MAX_DRAWN_NODES,
    line_scores_from_nodes,
    render_html,
    split_lines,
)
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Predictor
from yantra_gnn.schema import FORWARD_EDGE_TYPES

SOURCE = '''import sys


def double(v):
    """Twice v. <script>alert('x')</script> & more"""
    return v * 2


def solve(values):
    total = 0
    for v in values:
        total += double(v)
    return total


n = int(sys.stdin.readline())
print(solve(list(range(n))))  # <b>not bold</b>
'''

NODE = re.compile(r'<g class="n[ "]')


def _build(source: str, strip_imports: bool = False):
    return CodeGraphBuilder().build(source, strip_imports=strip_imports)


def _forward_types_present(data) -> set[str]:
    return {FORWARD_EDGE_TYPES[t] for t in data.edge_type.tolist() if t < len(FORWARD_EDGE_TYPES)}


def _big_program(lines: int = 150) -> str:
    return "x0 = 1\n" + "".join(f"x{i} = x{i - 1} + {i}\n" for i in range(1, lines))


def test_page_escapes_the_source_and_draws_every_node():
    data = _build(SOURCE)
    page = render_html(SOURCE, data, title="prog.py")
    # The source is text, never markup: the only <script> tag is the page's own.
    assert page.count("<script") == 1
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in page
    assert "# &lt;b&gt;not bold&lt;/b&gt;" in page and "<b>" not in page
    # One row per source line, numbered, and one SVG node per graph node.
    assert page.count('class="ln"') == len(split_lines(SOURCE)) == SOURCE.count("\n")
    assert page.count("<svg") == 1 and "</svg>" in page
    assert len(NODE.findall(page)) == data.num_nodes
    # One legend entry per forward edge type in the graph, each with its colour.
    legend = re.findall(r'<li class="key[^"]*" data-type="([a-z_]+)"', page)
    assert sorted(legend) == sorted(_forward_types_present(data))
    assert {"last_write", "calls", "returns_to", "formal_arg"} <= set(legend)
    # Self-contained and deterministic.
    for outside in ("http://", "https://", "<link", " src=", "@import"):
        assert outside not in page
    assert page == render_html(SOURCE, data, title="prog.py")
    assert "<title>prog.py · yantra-gnn graph</title>" in page
    assert "Large graph" not in page and 'id="heat-legend"' not in page


def test_line_scores_shade_the_source_lines():
    data = _build(SOURCE, strip_imports=True)
    n = int(data.num_nodes)
    probabilities = torch.softmax(torch.linspace(0, 3, n), dim=0)
    lines = split_lines(SOURCE)
    scores = line_scores_from_nodes(data, probabilities, num_lines=len(lines))
    assert len(scores) == len(lines)
    assert sum(scores) == pytest.approx(1.0)
    assert scores[1] == 0.0  # a blank line has no node
    maxima = line_scores_from_nodes(data, probabilities, num_lines=len(lines), reduce="max")
    assert all(m <= s + 1e-12 for m, s in zip(maxima, scores, strict=True))
    assert max(maxima) == pytest.approx(float(probabilities.max()))
    page = render_html(
        SOURCE, data, scores, node_scores=probabilities, score_label="bug-location probability"
    )
    heat_rows = re.findall(r'<div class="ln heat" id="L(\d+)" data-r="\d+" title="([^"]*)"', page)
    assert [int(number) for number, _ in heat_rows] == list(range(1, len(lines) + 1))
    best = max(range(len(scores)), key=scores.__getitem__)
    assert f"line {best + 1}: {scores[best]:.3g}" in page
    assert "rgba(214,39,40,0.850)" in page  # the highest line, fully shaded
    assert "bug-location probability" in page and 'id="heat-legend"' in page
    assert page.count("score ") >= n  # every node's tooltip carries its score
    # A shorter list leaves the later lines unscored.
    partial = render_html(SOURCE, data, scores[:3])
    assert partial.count('class="ln heat"') == 3


def test_bad_scores_are_clear_errors():
    data = _build(SOURCE)
    lines = len(split_lines(SOURCE))
    with pytest.raises(ConfigError, match="at most"):
        render_html(SOURCE, data, [0.0] * (lines + 1))
    with pytest.raises(ConfigError, match="finite"):
        render_html(SOURCE, data, [float("nan")])
    with pytest.raises(ConfigError, match=">= 0"):
        render_html(SOURCE, data, [-1.0])
    with pytest.raises(ConfigError, match="node_scores"):
        render_html(SOURCE, data, node_scores=[0.1, 0.2])
    with pytest.raises(ConfigError, match="max_nodes"):
        render_html(SOURCE, data, max_nodes=0)
    with pytest.raises(ConfigError, match="node scores"):
        line_scores_from_nodes(data, [1.0])
    with pytest.raises(ConfigError, match="reduce"):
        line_scores_from_nodes(data, torch.ones(int(data.num_nodes)), reduce="mean")


def test_big_graphs_are_drawn_in_part_with_a_note():
    source = _big_program()
    data = _build(source)
    assert data.num_nodes > DEFAULT_MAX_DRAWN_NODES
    page = render_html(source, data)
    assert f"drawing the first {DEFAULT_MAX_DRAWN_NODES} of {int(data.num_nodes):,} nodes" in page
    assert 'class="note cap"' in page
    assert len(NODE.findall(page)) == DEFAULT_MAX_DRAWN_NODES
    assert page.count('class="ln"') == 150  # the whole source is still shown
    small = render_html(source, data, max_nodes=25)
    assert len(NODE.findall(small)) == 25


def test_source_with_syntax_errors_still_renders():
    source = "def f(:\n  pass\n<script>x</script>\n"
    data = _build(source)
    assert bool(data.has_error.any())
    page = render_html(source.encode(), data)
    assert "syntax errors: yes" in page
    assert 'class="n err"' in page or 'class="n leaf err"' in page
    assert page.count("<script") == 1 and "&lt;script&gt;x&lt;/script&gt;" in page
    assert len(NODE.findall(page)) == data.num_nodes


# ---------------------------------------------------------------------------- the CLI


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = YantraGNN(ModelConfig(layer_channels=(16, 16, 8), head_hidden_channels=8))
    return save_model_for_inference(model, tmp_path / "tiny.safetensors")


def test_cli_writes_the_page(tmp_path, capsys):
    path = tmp_path / "prog.py"
    path.write_text(SOURCE)
    out = tmp_path / "pages" / "graph.html"
    assert main(["graph", str(path), "--html", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert len(NODE.findall(page)) == _build(SOURCE).num_nodes
    assert str(path) in page and 'id="heat-legend"' not in page
    assert sorted(p.name for p in out.parent.iterdir()) == ["graph.html"]  # no temporaries


def test_cli_heat_map_uses_the_graph_the_model_sees(tmp_path, capsys, tiny_model):
    path = tmp_path / "prog.py"
    path.write_text(SOURCE)
    out = tmp_path / "graph.html"
    code = main(
        ["graph", str(path), "--html", str(out), "--model", str(tiny_model), "--max-drawn", "1000"]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "imports stripped" in printed
    page = out.read_text(encoding="utf-8")
    seen = Predictor.from_pretrained(tiny_model, device="cpu").build_graph(SOURCE)
    assert len(NODE.findall(page)) == seen.num_nodes  # the stripped graph, not the full one
    assert seen.num_nodes < _build(SOURCE).num_nodes
    lines = split_lines(SOURCE)
    scores = [float(s) for s in re.findall(r'class="ln heat"[^>]*title="line \d+: ([^"]+)"', page)]
    assert len(scores) == len(lines)
    assert scores[1] == 0.0 and sum(scores) == pytest.approx(1.0, abs=0.01)  # line 2 is blank
    assert "bug-location probability" in page and "the sum over the nodes" in page


def test_cli_html_options_are_checked_before_any_work(tmp_path, capsys, tiny_model):
    path = tmp_path / "prog.py"
    path.write_text(SOURCE)
    assert main(["graph", str(path), "--model", str(tiny_model)]) == 1
    captured = capsys.readouterr()
    assert "--html" in captured.err and captured.out == ""
    out = tmp_path / "graph.html"
    assert main(["graph", str(path), "--html", str(out), "--max-drawn", "0"]) == 1
    assert "--max-drawn" in capsys.readouterr().err and not out.exists()
    missing = tmp_path / "missing.safetensors"
    assert main(["graph", str(path), "--html", str(out), "--model", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err and not out.exists()


# ---------------------------------------------------------------------------- a real browser


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run_chromium(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *args,
    ]
    try:
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "HOME": str(tmp_path)},  # Chromium writes under $HOME
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish in 120 s: {' '.join(command)}")


def _pixels(png: Path) -> list[tuple[int, int, int]]:
    """Every other pixel of the PNG, as RGB (Pillow comes with matplotlib)."""
    from PIL import Image

    with Image.open(png) as image:
        assert image.size == (1200, 800)
        rgb = image.convert("RGB")
        return [rgb.getpixel((x, y)) for y in range(0, 800, 2) for x in range(0, 1200, 2)]


def test_headless_chromium_renders_the_page(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium installed (/usr/bin/chromium, chromium or chromium-browser)")
    data = _build(SOURCE, strip_imports=True)
    lines = split_lines(SOURCE)
    probabilities = torch.softmax(torch.linspace(0, 3, int(data.num_nodes)), dim=0)
    scores = line_scores_from_nodes(data, probabilities, num_lines=len(lines))
    page = tmp_path / "graph.html"
    page.write_text(render_html(SOURCE, data, scores, title="prog.py"), encoding="utf-8")

    # The inline script runs to its end without an error (it marks <body> last).
    dom = _run_chromium(
        browser, tmp_path, "--virtual-time-budget=2000", "--dump-dom", page.as_uri()
    )
    assert 'data-ready="1"' in dom.stdout, dom.stderr[-2000:]

    png = tmp_path / "shot.png"
    shot = _run_chromium(
        browser, tmp_path, f"--screenshot={png}", "--window-size=1200,800", page.as_uri()
    )
    assert png.is_file(), f"no screenshot (exit {shot.returncode}): {shot.stderr[-2000:]}"
    assert png.stat().st_size > 20_000
    pixels = _pixels(png)
    assert len(set(pixels)) > 50, "the screenshot is (nearly) one flat colour"
    # The heat map's red behind the hottest line and the blue leaf nodes are on screen.
    assert any(r > 200 and g < 110 and b < 110 for r, g, b in pixels), "no heat-map red"
    assert any(b > 200 and r < 90 and g < 150 for r, g, b in pixels), "no blue leaf nodes"
