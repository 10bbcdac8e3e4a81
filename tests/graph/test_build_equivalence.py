"""``CodeGraphBuilder.build`` gives bit-identical graphs to the recorded ones.

``tests/fixtures/build_equivalence.json`` holds a digest of every attribute of the graph
(sparse ``x`` as raw indices, values, shape and coalesced flag; ``edge_index``,
``edge_type``, ``node_kind``, ``node_span``, ``has_error``, ``num_nodes``, each with its
dtype and shape) of

- every Python 3 solution of the shared CodeContests sample (skipped when
  ``../shared/data`` is absent), with and without stripped imports;
- hostile and broken snippets made here: the error-recovery and pathological-nesting
  inputs of ``test_builder.py``, nesting of every kind, seeded token soups and seeded
  mutants of the bundled sample's programs;
- the outcome (graph digest or the error and its message) of tight ``max_nodes`` /
  ``max_edges`` caps around each snippet's own size.

The file was written from the library *before* the build was optimised (issue: build
throughput), so a faster build must give the same bytes. Regenerate it only for a change
meant to alter graphs: ``python tests/graph/test_build_equivalence.py``.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
import torch

from yantra_gnn.datasets.codecontests import bundled_sample_path
from yantra_gnn.errors import YantraError
from yantra_gnn.graph import CodeGraphBuilder

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_SAMPLE = REPO_ROOT.parent / "shared" / "data" / "codecontests_mini.jsonl"
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "build_equivalence.json"

#: Pieces that token soups and mutants are made of (broken syntax, odd characters).
#: A frozen copy of ``benchmarks.fuzz.TOKENS`` as it was when the fixture was recorded
#: (the fixture's soups depend on it; the fuzzer's list may grow).
_TOKENS = (
    *"()[]{}:;,.=+-*/%@&|^~<>!'\"#\\\n\t ",
    "def ", "class ", "lambda ", "if ", "elif ", "else:", "for ", " in ", "while ",
    "try:", "except ", "finally:", "with ", " as ", "return ", "yield ", "await ",
    "async ", "import ", "from ", "global ", "nonlocal ", "del ", "pass", "break",
    "continue", "raise ", "assert ", "not ", " and ", " or ", " is ", "match ", "case ",
    "print(", "input()", "x", "y", "_", "self", "None", "True", "0", "1.5e3", "0x1F",
    "'''", '"""', "f'{", "}'", "b'", "r'", "**", "//", ":=", "->", "...", "    ",
    "\r\n", "\r", "\x00", "\x0c", "\ufeff", "\u2028", "é", "λ", "\U0001f600",
)  # fmt: skip

#: Fixed snippets: syntax errors, odd tokens, imports, every statement form.
_FIXED = (
    "def f(:\n    return )\nx = 1\n",
    "for in x: pass",
    "def (a): pass",
    "import\n",
    "x = .y",
    "def f(:\n  return",
    "class A:\n  def f(self)\n    pass",
    "print('unterminated",
    "import os, sys\nfrom math import gcd as g\nx = g(4, 6)\nprint(os.sep, x)\n",
    "from __future__ import annotations\nimport a.b.c\nfrom . import d\nprint(a, d)\n",
    "def f(a, *b, c=1, **d):\n    global z\n    z = lambda q: q + a\n"
    "    return [i * j for i in b for j in d if i]\n",
    "async def g():\n    async with a as b:\n        await b\n    try:\n        pass\n"
    "    except E as e:\n        raise\n",
    "x = 1\nwhile x < 10:\n    x += 1\n    if x % 3 == 0:\n        break\nelse:\n    print(x)\n",
    "a = 1\nif a <= 2:\n    print(a)\nelif a is not None:\n    a = not a\nelse:\n    a @= 3\n",
    "class C(B, metaclass=M):\n    X_MAX = 0x1F\n    def m(self, v: int = 2) -> int:\n"
    "        nonlocal q\n        return self.m(v - 1) if v else 1.5e3\nC().m(v=3)\n",
    "with open(f) as h, g() as (a, b):\n    s = h.read()  # comment\n    del s[0], a.b\n"
    "try:\n    y = {k: v for k, v in d.items() if (w := k)}\nexcept (A, B):\n    pass\n"
    "finally:\n    print(f'{y!r:>{w}}', *y, **d)\n",
    "@dec(1)\n@other\ndef f(*, a, b=[], **kw):\n    yield from a\n    assert b, 'x'\n"
    "    return lambda *a, k=1: (yield)\n",
    "s = ''\nt = 'a'\nu = b'\\x00' r'\\d' '''long''' \"x\" \"xy\"\nn = 0, 1, 2, 9, 10, 99, "
    "100, 9999, 10_000, 10**6, 1_000_000, 0o7, 0b1, 1j, 0.0, 1e-9, 0x\n",
    "x = 1\r\ny = x\r\n\x0cz = 'é' + \"λ\" + '\U0001f600'\n\ufeffw = z\n",
    "match p:\n    case [x, *rest] if x:\n        print(rest)\n    case {'k': v}:\n        pass\n",
    "print 'py2'\nexec 'x = 1'\nprint >>sys.stderr, x\n",
    "def f():\n    x = 1\n    def g():\n        nonlocal x\n        x += 1\n        return x\n"
    "    return g\nclass K:\n    y = 2\n    def h(self):\n        return y\n",
    "i = 0\n" + "if i < 9:\n    i += 1\n" * 40 + "print(i)\n",
    ", ".join(f"a{i}" for i in range(40)) + " = " + " + ".join(f"b{i}" for i in range(40)) + "\n",
    "x = " + "(" * 300 + "1" + ")" * 300 + "\n",
    "x = " + "[" * 300 + "]" * 300 + "\n",
    "x = " + "f(" * 200 + ")" * 200 + "\n",
    "f = " + "lambda: " * 200 + "1\n",
    "".join("    " * i + "if x:\n" for i in range(70)) + "    " * 70 + "y = x\n",
    "".join("    " * i + f"for i{i} in r:\n" for i in range(12)) + "    " * 12 + "y = i0\n",
    "".join(" " * i + ("while y:\n", "def f():\n")[i % 2] for i in range(14)) + " " * 14 + "y\n",
    "x = " + "{1: " * 50 + "2" + "}" * 50 + "\n",
    "x = " + "not " * 100 + "y\n",
    "x = a" + ".b" * 100 + "\n",
    "x = a" + "[0]" * 100 + "\n",
    "x = " + "[" * 20 + "i for i in y" + "]" * 20 + "\n",
    "@d\n" * 30 + "def f():\n    pass\n",
    "if x:\n    pass\n" + "elif x:\n    x = x + 1\n" * 30,
    "x = (" + "'a' " * 50 + ")\n",
    "# only a comment\n",
    "pass",
    "'''docstring'''",
)


def _soups(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_TOKENS, k=rng.randint(1, 300))) for _ in range(count)]


def _mutants(programs: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        text = rng.choice(programs)
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(text) + 1)
            span = rng.randint(1, 64)
            what = rng.randrange(4)
            if what == 0:
                text = text[:at] + text[at + span :]
            elif what == 1:
                text = text[:at] + text[at : at + span] * 2 + text[at + span :]
            elif what == 2:
                text = text[:at] + rng.choice(_TOKENS) + text[at:]
            else:
                lines = text.split("\n")
                i = rng.randrange(len(lines))
                lines[i] = " " * rng.randint(1, 8) + lines[i]
                text = "\n".join(lines)
        found.append(text)
    return found


def _python3_solutions(path: Path, blocks: tuple[str, ...] = ("solutions",)) -> list[str]:
    sources = []
    with path.open() as handle:
        for line in handle:
            row = json.loads(line)
            for block in blocks:
                for language, code in zip(
                    row[block]["language"], row[block]["solution"], strict=True
                ):
                    if language == 3:
                        sources.append(code)
    return sources


def snippets() -> list[str]:
    """The hostile and broken inputs (all made here, none read from the shared data)."""
    bundled = _python3_solutions(bundled_sample_path(), ("solutions", "incorrect_solutions"))
    return list(_FIXED) + _soups(60, seed=11) + _mutants(bundled, 80, seed=12)


def shared_solutions() -> list[str]:
    return _python3_solutions(SHARED_SAMPLE) if SHARED_SAMPLE.exists() else []


def key(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def graph_digest(data) -> str:
    """sha256 over every attribute of a built graph, with dtypes, shapes and layout."""
    digest = hashlib.sha256()
    for name in sorted(data.keys()):
        value = data[name]
        digest.update(f"{name}:{type(value).__name__}".encode())
        if isinstance(value, torch.Tensor) and value.is_sparse:
            digest.update(f"{value.dtype}{tuple(value.shape)}{value.is_coalesced()}".encode())
            parts = (value._indices(), value._values())
        elif isinstance(value, torch.Tensor):
            parts = (value,)
        else:
            digest.update(repr(value).encode())
            parts = ()
        for part in parts:
            digest.update(f"{part.dtype}{tuple(part.shape)}".encode())
            digest.update(part.contiguous().numpy().tobytes())
    digest.update(f"num_nodes={data.num_nodes}".encode())
    return digest.hexdigest()


def outcome(source: str, strip_imports: bool = False, **caps: int) -> str:
    """A graph's digest, or the library error it raised and its message."""
    try:
        return graph_digest(CodeGraphBuilder(**caps).build(source, strip_imports=strip_imports))
    except YantraError as error:
        return f"{type(error).__name__}: {error}"


def cap_outcomes(source: str) -> dict[str, str]:
    """Outcomes of caps just around the graph's own node and edge counts."""
    try:
        data = CodeGraphBuilder().build(source)
    except YantraError:
        return {}
    nodes, edges = data.num_nodes, data.edge_index.shape[1]
    caps = {
        f"max_nodes={value}": {"max_nodes": value}
        for value in sorted({max(nodes - 1, 1), nodes, nodes + 1})
    }
    caps.update(
        {
            f"max_edges={value}": {"max_edges": value}
            for value in sorted({max(v, 1) for v in (edges - 1, edges, edges // 2, nodes - 1)})
        }
    )
    return {name: outcome(source, **kwargs) for name, kwargs in caps.items()}


def record() -> dict[str, dict[str, str]]:
    """Everything the fixture holds, from the installed library."""
    graphs, stripped, caps = {}, {}, {}
    for source in snippets() + shared_solutions():
        graphs[key(source)] = outcome(source)
        stripped[key(source)] = outcome(source, strip_imports=True)
    for source in snippets():
        caps[key(source)] = json.dumps(cap_outcomes(source), sort_keys=True)
    return {"graphs": graphs, "graphs_stripped": stripped, "caps": caps}


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, str]]:
    return json.loads(FIXTURE.read_text())


def _differences(sources: list[str], recorded: dict[str, str], strip: bool) -> list[str]:
    return [key(s) for s in sources if outcome(s, strip_imports=strip) != recorded[key(s)]]


def test_the_fixture_covers_every_input(expected):
    wanted = {key(s) for s in snippets() + shared_solutions()}
    assert len(snippets()) > 150
    assert wanted <= set(expected["graphs"]) and wanted <= set(expected["graphs_stripped"])


@pytest.mark.parametrize("strip", [False, True], ids=["full", "stripped"])
def test_hostile_snippets_build_bit_identical_graphs(expected, strip):
    sources = snippets()
    changed = _differences(sources, expected["graphs_stripped" if strip else "graphs"], strip)
    assert not changed, f"{len(changed)} of {len(sources)} graphs differ, e.g. {changed[:3]}"


@pytest.mark.parametrize("strip", [False, True], ids=["full", "stripped"])
def test_shared_solutions_build_bit_identical_graphs(expected, strip):
    sources = shared_solutions()
    if not sources:
        pytest.skip(f"shared dataset not present at {SHARED_SAMPLE}")
    changed = _differences(sources, expected["graphs_stripped" if strip else "graphs"], strip)
    assert not changed, f"{len(changed)} of {len(sources)} graphs differ, e.g. {changed[:3]}"


def test_caps_give_the_same_graphs_and_errors(expected):
    changed = [
        key(s)
        for s in snippets()
        if json.dumps(cap_outcomes(s), sort_keys=True) != expected["caps"][key(s)]
    ]
    assert not changed, f"cap outcomes of {len(changed)} snippets differ, e.g. {changed[:3]}"


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(record(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}")
