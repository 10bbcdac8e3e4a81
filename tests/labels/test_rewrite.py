"""Semantics-preserving rewrites."""

from __future__ import annotations

from yantra_gnn.graph.parse import parse_flat
from yantra_gnn.labels.rewrite import mirror_comparisons, rename_variables, rewrites, strip_comments

SOURCE = """import sys
from math import gcd
def f(a, b=2):  # note
    global total
    total = a + b
    return gcd(a, b) if a < b else len(str(a))
total = 0
n = int(sys.stdin.readline())
print(f(n, b=3), total, [x for x in range(n) if x >= 2])
"""


def run(source: str, stdin: str = "7\n") -> dict:
    """Execute ``source`` with a fake stdin and capture what it prints."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<rewrite>", "exec"), {"__name__": "__main__", "sys": _FakeSys(stdin)})
    return out.getvalue()


class _FakeSys:
    def __init__(self, text: str) -> None:
        import io

        self.stdin = io.StringIO(text)


def test_rename_keeps_behaviour_and_leaves_imports_keywords_and_functions():
    result = rename_variables(parse_flat(SOURCE.encode()))
    assert result is not None and result.kind == "rename_variables"
    renamed = result.source
    assert "from math import gcd" in renamed and "def f(" in renamed
    assert "b=3" in renamed  # keyword argument names are left alone, so b is not renamed
    assert " n = " not in renamed and "total" not in renamed
    assert run(renamed.replace("import sys\n", "")) == run(SOURCE.replace("import sys\n", ""))


def test_mirror_only_side_effect_free_comparisons():
    result = mirror_comparisons(parse_flat(b"a = 1\nprint(a < 2, 2 <= a, f(a) < a)\n"))
    assert result is not None
    assert result.source == "a = 1\nprint(2 > a, a >= 2, f(a) < a)\n"


def test_strip_comments():
    result = strip_comments(parse_flat(b"x = 1  # one\n# two\nprint(x)\n"))
    assert result is not None and "#" not in result.source


def test_rewrites_skip_sources_with_syntax_errors_and_return_only_changes():
    assert rewrites("def f(:\n  pass\n") == []
    assert rewrites("print(1)\n") == []  # nothing to rename, mirror or strip
    kinds = [r.kind for r in rewrites(SOURCE)]
    assert kinds == ["rename_variables", "mirror_comparisons", "strip_comments"]


def test_renaming_is_deterministic_per_seed():
    tree = parse_flat(SOURCE.encode())
    assert rename_variables(tree, seed=1).source == rename_variables(tree, seed=1).source
