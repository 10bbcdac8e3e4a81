"""``yantra-gnn graph``: summary, JSON and DOT export, clean errors."""

from __future__ import annotations

import json

from yantra_gnn.cli import main

SOURCE = "def f(a):\n    return a + 1\nprint(f(2))\n"


def test_graph_command_prints_summary_and_exports(tmp_path, capsys):
    path = tmp_path / "prog.py"
    path.write_text(SOURCE)
    out_json, out_dot = tmp_path / "g.json", tmp_path / "g.dot"
    assert main(["graph", str(path), "--json", str(out_json), "--dot", str(out_dot)]) == 0
    printed = capsys.readouterr().out
    assert "nodes" in printed and "last_write" in printed and "syntax errors: none" in printed
    graph = json.loads(out_json.read_text())
    assert graph["summary"]["nodes"] == len(graph["nodes"])
    assert {"calls", "returns_to", "formal_arg"} <= {e["type"] for e in graph["edges"]}
    assert graph["nodes"][0]["kind"] == "module"
    dot = out_dot.read_text()
    assert dot.startswith("digraph code {") and "->" in dot and dot.rstrip().endswith("}")


def test_graph_command_reports_bad_files_cleanly(tmp_path, capsys):
    binary = tmp_path / "blob.py"
    binary.write_bytes(b"x = 1\n\xff\x00\x81")
    assert main(["graph", str(binary)]) == 1
    err = capsys.readouterr().err
    assert "blob.py" in err and "UTF-8" in err and "Traceback" not in err
    assert main(["graph", str(tmp_path / "missing.py")]) == 1
    assert "no such file" in capsys.readouterr().err
    empty = tmp_path / "empty.py"
    empty.write_text("\n\n")
    assert main(["graph", str(empty)]) == 1
    assert "empty" in capsys.readouterr().err


def test_graph_command_marks_syntax_errors(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("def f(:\n  pass\n")
    assert main(["graph", str(path)]) == 0
    assert "syntax errors: yes" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "graph" in capsys.readouterr().out


def test_unknown_dot_edge_types_are_an_error_before_any_work(tmp_path, capsys):
    path = tmp_path / "prog.py"
    path.write_text(SOURCE)
    out_dot = tmp_path / "g.dot"
    assert main(["graph", str(path), "--dot", str(out_dot), "--dot-edges", "bogus_edge"]) == 1
    captured = capsys.readouterr()
    assert "bogus_edge" in captured.err and "ast_child" in captured.err  # lists valid ones
    assert captured.out == "" and not out_dot.exists()
    assert main(["graph", str(path), "--dot", str(out_dot), "--dot-edges", "calls"]) == 0
    assert "->" in out_dot.read_text()
