"""CodeGraphBuilder: the Data schema, bad input, determinism, import stripping."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch
from yantra_test_helpers import labelled_edges

from yantra_gnn.errors import (
    EmptySourceError,
    SourceEncodingError,
    SourceTooLargeError,
    SourceTypeError,
    YantraError,
)
from yantra_gnn.graph import EDGE_TYPES, FEATURE_DIM, NUM_EDGE_TYPES, CodeGraphBuilder
from yantra_gnn.graph.export import kind_name

SOURCE = """import sys
from math import gcd

def solve(a, b):
    g = gcd(a, b)
    return a // g * b

n = int(sys.stdin.readline())
for _ in range(n):
    a, b = map(int, input().split())
    print(solve(a, b))
"""


@pytest.fixture(scope="module")
def builder() -> CodeGraphBuilder:
    return CodeGraphBuilder()


def test_data_schema(builder):
    data = builder.build(SOURCE)
    n = data.num_nodes
    assert data.x.is_sparse and data.x.shape == (n, FEATURE_DIM)
    assert data.x.dtype == torch.float32
    assert data.edge_index.dtype == torch.long and data.edge_index.shape[0] == 2
    assert data.edge_type.shape == (data.edge_index.shape[1],)
    assert int(data.edge_type.max()) < NUM_EDGE_TYPES
    assert int(data.edge_index.max()) < n
    assert data.node_kind.shape == (n,) and data.node_span.shape == (n, 4)
    assert data.has_error.dtype == torch.bool and not bool(data.has_error)
    assert kind_name(int(data.node_kind[0])) == "module"
    assert data.node_span[0].tolist()[:2] == [0, 0]
    assert NUM_EDGE_TYPES == len(EDGE_TYPES) == 18
    # every forward edge type occurs, and each reverse type mirrors its forward type
    present = set(data.edge_type.tolist())
    assert present == set(range(NUM_EDGE_TYPES))
    half = NUM_EDGE_TYPES // 2
    for t in range(half):
        forward = data.edge_index[:, data.edge_type == t]
        reverse = data.edge_index[:, data.edge_type == t + half]
        assert sorted(map(tuple, forward.t().tolist())) == sorted(
            map(tuple, reverse.flip(0).t().tolist())
        )


def test_nodes_are_named_and_comments_are_dropped(builder):
    data = builder.build("x = 1  # a comment\n# another\ny = 'hi'\n")
    kinds = [kind_name(k) for k in data.node_kind.tolist()]
    assert "comment" not in kinds and "string_start" not in kinds
    assert kinds.count("identifier") == 2
    assert "=" not in kinds  # anonymous tokens are folded into their parent


def test_bytes_and_str_give_the_same_graph(builder):
    a, b = builder.build(SOURCE), builder.build(SOURCE.encode())
    assert torch.equal(a.x.to_dense(), b.x.to_dense())
    assert torch.equal(a.edge_index, b.edge_index)


def test_syntax_errors_still_build(builder):
    data = builder.build("def f(:\n    return )\nx = 1\n")
    assert bool(data.has_error)
    assert "ERROR" in {kind_name(k) for k in data.node_kind.tolist()}
    assert data.num_nodes > 3


@pytest.mark.parametrize("source", ["for in x: pass", "def (a): pass", "import\n", "x = .y"])
def test_error_recovery_leaves_no_crash(builder, source):
    """tree-sitter's error recovery can create empty identifiers; they still build."""
    data = builder.build(source)
    assert bool(data.has_error)
    assert data.num_nodes >= 1 and data.x.shape == (data.num_nodes, FEATURE_DIM)


def test_node_spans_point_at_code(builder):
    source = "a = 1\nif a <= 2:\n    print(a)\n"
    data = builder.build(source)
    lines = source.split("\n")
    for kind, (r0, c0, r1, c1) in zip(
        data.node_kind.tolist(), data.node_span.tolist(), strict=True
    ):
        if kind_name(kind) == "comparison_operator":
            assert (r0, c0, r1, c1) == (1, 3, 1, 9)
            assert lines[r0][c0:c1] == "a <= 2"


@pytest.mark.parametrize(
    ("source", "error", "message"),
    [
        (b"x = 1\n\xff\xfe", SourceEncodingError, "offset 6"),
        (123, SourceTypeError, "got int"),
        (None, SourceTypeError, "got NoneType"),
        ("", EmptySourceError, "empty"),
        ("   \n\t\n", EmptySourceError, "whitespace"),
        ("x = '\ud800'", SourceEncodingError, "UTF-8"),
    ],
)
def test_bad_input_raises_library_errors(builder, source, error, message):
    with pytest.raises(error, match=message) as info:
        builder.build(source)
    assert isinstance(info.value, YantraError)


def test_size_cap_is_configurable():
    with pytest.raises(SourceTooLargeError, match="100 bytes"):
        CodeGraphBuilder(max_source_bytes=100).build("x = 1\n" * 50)
    assert CodeGraphBuilder(max_source_bytes=1000).build("x = 1\n" * 50).num_nodes > 50
    with pytest.raises(ValueError):
        CodeGraphBuilder(max_source_bytes=0)


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "x = " + "[" * 5000 + "]" * 5000 + "\n",
        "x = " + "f(" * 3000 + ")" * 3000 + "\n",
        "f = " + "lambda: " * 2000 + "1\n",
        "".join("    " * i + "if x:\n" for i in range(200)) + "    " * 200 + "y = x\n",
        "".join("    " * i + f"for i{i} in r:\n" for i in range(40)) + "    " * 40 + "y = i0\n",
        # a def in a loop in a def in a loop ...: each body was analysed 2**depth times
        # (found by python -m benchmarks.fuzz; 34 levels took 3 s, 40 levels 19 s)
        "".join(" " * i + ("while y:\n", "def f():\n")[i % 2] for i in range(34))
        + " " * 34
        + "y\n",
    ],
    ids=["parens", "lists", "calls", "lambdas", "ifs", "loops", "defs_in_loops"],
)
def test_pathological_nesting_is_fast_and_safe(builder, source):
    start = time.process_time()  # CPU time: not inflated by other processes on the machine
    data = builder.build(source)
    elapsed = time.process_time() - start
    assert data.num_nodes > 100
    assert elapsed < 1.0, f"took {elapsed:.2f}s of CPU"


def test_strip_imports_removes_import_nodes_and_their_dataflow(builder):
    full = builder.build(SOURCE)
    stripped = builder.build(SOURCE, strip_imports=True)
    kinds = {kind_name(k) for k in stripped.node_kind.tolist()}
    assert not kinds & {"import_statement", "import_from_statement", "aliased_import"}
    assert "import_statement" in {kind_name(k) for k in full.node_kind.tolist()}
    assert stripped.num_nodes < full.num_nodes
    # with imports, gcd's use reads the import; without, it reads nothing
    assert ("gcd@5", "gcd@2") in labelled_edges(SOURCE, "last_write")
    assert not {
        e for e in labelled_edges(SOURCE, "last_write", strip_imports=True) if e[0] == "gcd@5"
    }
    spans = stripped.node_span.tolist()
    assert all(span[0] >= 2 for span in spans[1:])  # nothing left from lines 1-2


def test_strip_imports_inside_functions_and_try(builder):
    source = "try:\n    import numpy as np\nexcept ImportError:\n    np = None\ndef f():\n    import os\n    return os.getcwd()\n"
    kinds = {kind_name(k) for k in builder.build(source, strip_imports=True).node_kind.tolist()}
    assert "import_statement" not in kinds and "aliased_import" not in kinds


def test_constructor_default_for_strip_imports():
    data = CodeGraphBuilder(strip_imports=True).build(SOURCE)
    assert data.num_nodes == CodeGraphBuilder().build(SOURCE, strip_imports=True).num_nodes


_DETERMINISM_SCRIPT = """
import hashlib, sys
from yantra_gnn.graph import CodeGraphBuilder
data = CodeGraphBuilder().build(sys.stdin.read())
x = data.x.coalesce()
digest = hashlib.sha256()
for tensor in (x.indices(), x.values(), data.edge_index, data.edge_type, data.node_span):
    digest.update(tensor.contiguous().numpy().tobytes())
print(digest.hexdigest())
"""


def test_identical_source_gives_identical_graph_in_two_processes():
    digests = set()
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT],
            input=SOURCE,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            check=True,
        )
        digests.add(result.stdout.strip())
    assert len(digests) == 1


def test_builds_every_shared_solution(builder, mini_solutions):
    for source in mini_solutions[:50]:
        data = builder.build(source)
        assert data.num_nodes > 5
        assert data.x.shape[0] == data.num_nodes


def test_stripped_imports_leave_no_trace_in_features_or_edges(builder):
    body = "n = int(input())\nfor i in range(n):\n    print(i * 2)\n"
    with_imports = "import sys\nfrom math import gcd\n\n" + body
    stripped = builder.build(with_imports, strip_imports=True)
    plain = builder.build(body)
    assert torch.equal(stripped.x.to_dense(), plain.x.to_dense())
    assert torch.equal(stripped.edge_index, plain.edge_index)
    assert torch.equal(stripped.edge_type, plain.edge_type)


def test_dataflow_stays_linear_when_one_variable_is_rewritten_in_many_branches(builder):
    """n sequential ``if`` blocks reassigning one variable gave O(n²) last-write edges."""
    from yantra_gnn.graph.dataflow import MAX_REACHING

    def graph(n):
        return builder.build("i = 0\n" + "if i < 9:\n    i += 1\n" * n + "print(i)\n")

    small, large = graph(200), graph(400)
    last_write = EDGE_TYPES.index("last_write")
    assert large.edge_index.shape[1] < 2.2 * small.edge_index.shape[1]
    sources = large.edge_index[0, large.edge_type == last_write]
    assert int(torch.bincount(sources).max()) <= MAX_REACHING


def test_a_long_multiple_assignment_stays_linear(builder):
    """``a0, ..., aN = b0 + ... + bN`` made N² computed_from edges (a 10 kB line: a million
    edges; 40 kB: 16 million, gigabytes); one binding's sources are now widened."""
    from yantra_gnn.graph.dataflow import MAX_REACHING

    def graph(n):
        targets = ", ".join(f"a{i}" for i in range(n))
        return builder.build(f"{targets} = " + " + ".join(f"b{i}" for i in range(n)) + "\n")

    small, large = graph(500), graph(1000)
    assert large.edge_index.shape[1] < 2.2 * small.edge_index.shape[1]
    computed_from = EDGE_TYPES.index("computed_from")
    sources = large.edge_index[0, large.edge_type == computed_from]
    assert int(torch.bincount(sources).max()) <= MAX_REACHING
    # a short one stays exact: every target computed from every source
    few = builder.build("a, b = c + d + e\n")
    assert int((few.edge_type == computed_from).sum()) == 2 * 3


def test_the_dataflow_stops_at_the_edge_cap_before_any_edge_is_assembled(monkeypatch):
    """A program whose dataflow alone goes past max_edges is refused during the analysis:
    it costs the time of the cap, not of all its edges."""
    from yantra_gnn.errors import GraphTooLargeError
    from yantra_gnn.graph import builder as builder_module

    def assembled(*args, **kwargs):
        raise AssertionError("edges were assembled")

    monkeypatch.setattr(builder_module._GraphAssembler, "_edges", assembled)
    source = "x = 0\n" + "if x:\n    x = x + 1\n" * 2000
    with pytest.raises(GraphTooLargeError, match="max_edges"):
        CodeGraphBuilder(max_edges=20_000).build(source)


@pytest.mark.parametrize(("cap", "value"), [("max_nodes", 40), ("max_edges", 100)])
def test_graphs_over_the_caps_are_the_librarys_error(cap, value):
    from yantra_gnn.errors import GraphTooLargeError

    source = "x = 1\n" * 30
    assert CodeGraphBuilder().build(source).num_nodes > 40
    with pytest.raises(GraphTooLargeError, match=cap):
        CodeGraphBuilder(**{cap: value}).build(source)
