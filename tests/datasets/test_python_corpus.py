"""The Python pretraining corpus: units cut from modules (methods dedented, decorators and
used imports kept, caps), the walk over roots (exclusions, bad files, dedup, sampling)
and a real run over the standard library."""

from __future__ import annotations

import os
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

from yantra_gnn.datasets.python_corpus import (
    DEFAULT_EXCLUDE,
    CorpusUnit,
    dedup_key,
    default_roots,
    is_excluded,
    iter_corpus,
    units_of_module,
)

MODULE = textwrap.dedent(
    '''\
    """A module written for these tests."""
    from __future__ import annotations

    import functools
    import os
    import os.path
    import numpy as np
    from collections import OrderedDict, deque as dq
    from . import sibling
    from .sibling import helper


    def uses_os(path):
        full = os.path.join(path, "x")
        if full:
            return full
        return None


    @functools.lru_cache(maxsize=None)
    def cached(a, b):
        total = a + b
        return total * 2
    \f

    def short():
        return 1


    async def fetch(n):
        out = []
        for i in range(n):
            out.append(i)
        return out


    def uses_relative():
        x = sibling.thing()
        y = helper(x)
        return x, y


    class Box:
        """A box."""

        def __init__(self, items):
            self.items = OrderedDict(items)
            self.queue = dq()
            self.count = 0

        @property
        def size(self):
            n = len(self.items)
            return n + self.count

        def undentable(self):
            text = """
    reaches column 0
    """
            return text


    if True:
        def not_top_level():
            a = 1
            b = 2
            return a + b
    '''
)


def by_name(units: list[CorpusUnit]) -> dict[str, CorpusUnit]:
    return {unit.name: unit for unit in units}


def test_units_are_functions_and_dedented_methods_with_their_decorators():
    units = units_of_module(MODULE, "pkg/mod.py")
    assert [u.name for u in units] == [
        "uses_os",
        "cached",
        "fetch",
        "uses_relative",
        "Box.__init__",
        "Box.size",
    ]  # short: < 4 lines; undentable: its string reaches column 0; not_top_level: in an if
    assert all(u.path == "pkg/mod.py" for u in units)
    named = by_name(units)
    assert named["Box.size"].source == (
        "@property\ndef size(self):\n    n = len(self.items)\n    return n + self.count\n"
    )
    assert named["fetch"].source.startswith("async def fetch(n):\n    out = []\n")
    for unit in units:
        compile(unit.source, unit.name, "exec", dont_inherit=True)


def test_used_imports_are_prepended_one_per_line():
    named = by_name(units_of_module(MODULE, "pkg/mod.py"))
    assert named["uses_os"].source == (
        "import os\nimport os.path\n\n"
        'def uses_os(path):\n    full = os.path.join(path, "x")\n    if full:\n'
        "        return full\n    return None\n"
    )
    assert named["uses_os"].imports == ("os",)
    # A decorator's names count; the unused numpy import is never prepended.
    assert named["cached"].source.startswith("import functools\n\n@functools.lru_cache(")
    assert named["cached"].imports == ("functools",)
    assert named["Box.__init__"].source.startswith(
        "from collections import OrderedDict\nfrom collections import deque as dq\n\n"
        "def __init__(self, items):\n    self.items = OrderedDict(items)\n"
    )
    assert named["Box.__init__"].imports == ("collections",)
    # Relative imports are not prepended, so these names stay free.
    assert named["uses_relative"].imports == ()
    assert named["uses_relative"].source.startswith("def uses_relative():")
    assert named["fetch"].imports == () and named["Box.size"].imports == ()
    for unit in named.values():
        assert "__future__" not in unit.source and "numpy" not in unit.source


def test_form_feeds_and_crlf_do_not_shift_lines():
    crlf = MODULE.replace("\n", "\r\n")
    assert by_name(units_of_module(crlf, "m.py"))["Box.size"].source == (
        by_name(units_of_module(MODULE, "m.py"))["Box.size"].source
    )
    assert "\f" in MODULE  # str.splitlines would split there; ast does not


def test_size_caps():
    names = [u.name for u in units_of_module(MODULE, "m.py", min_lines=1)]
    assert "short" in names
    names = [u.name for u in units_of_module(MODULE, "m.py", max_lines=4)]
    assert names == ["cached", "uses_relative", "Box.__init__", "Box.size"]
    long = "def f(x):\n" + "".join(f"    x = x + {i}\n" for i in range(200)) + "    return x\n"
    assert units_of_module(long, "m.py") == []  # 202 lines > 120
    assert [u.name for u in units_of_module(long, "m.py", max_lines=300)] == ["f"]
    assert units_of_module(long, "m.py", max_lines=300, max_bytes=500) == []


def test_modules_that_do_not_parse_give_nothing():
    assert units_of_module("def f(:\n    pass\n", "bad.py") == []
    assert units_of_module("x = 1\0\n", "nul.py") == []
    assert units_of_module("", "empty.py") == []


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def function(name: str, body: str = "a + b") -> str:
    return f"def {name}(a, b):\n    c = {body}\n    d = c * 2\n    return c - d\n"


def test_walk_skips_excluded_broken_and_non_utf8_files_and_dedups_across_roots(tmp_path):
    root_a, root_b = tmp_path / "a", tmp_path / "b"
    write(root_a / "pkg" / "mod.py", function("alpha") + "\n\n" + function("beta", "a * b"))
    write(root_a / "pkg" / "tests" / "test_mod.py", function("in_tests", "a - b"))
    write(root_a / "pkg" / "_vendor" / "six.py", function("vendored", "a ** b"))
    write(root_a / "broken.py", function("good", "a % b") + "def bad(:\n")
    write(root_a / "latin.py", ("# café\n" + function("latin", "a & b")).encode("latin-1"))
    write(root_a / "big.py", function("big", "a | b") + "#" * 5000 + "\n")
    write(root_a / "notes.txt", function("text_file", "a ^ b"))
    # The same function, spaced differently, in the second root, and a new one.
    write(root_b / "copy.py", function("alpha").replace("c = a + b", "c = a  +  b"))
    write(root_b / "other.py", function("gamma", "a // b"))
    units = list(iter_corpus([root_a, root_b], max_file_bytes=2000))
    assert [(u.path, u.name) for u in units] == [
        ("pkg/mod.py", "alpha"),
        ("pkg/mod.py", "beta"),
        ("other.py", "gamma"),
    ]
    # Giving a root twice walks it once.
    assert list(iter_corpus([root_b, root_b])) == list(iter_corpus([root_b]))


def test_exclusion_rule():
    assert is_excluded(("lib", "pkg", "tests"), DEFAULT_EXCLUDE)
    assert is_excluded(("site-packages", "pip"), DEFAULT_EXCLUDE)
    assert is_excluded(("site-packages", "pip", "_internal"), DEFAULT_EXCLUDE)
    assert is_excluded(("site-packages", "setuptools", "_vendor"), DEFAULT_EXCLUDE)
    assert not is_excluded(("site-packages", "pipx"), DEFAULT_EXCLUDE)
    assert not is_excluded(("other", "pip"), DEFAULT_EXCLUDE)  # only pip in site-packages
    assert not is_excluded(("lib", "testing"), DEFAULT_EXCLUDE)


def test_pip_in_a_site_packages_root_and_nested_installations(tmp_path):
    site = tmp_path / "lib" / "site-packages"
    write(site / "pip" / "main.py", function("pip_main"))
    write(site / "good" / "main.py", function("good_main", "a * b"))
    write(tmp_path / "lib" / "std.py", function("std", "a - b"))
    # site-packages below a root is an installation of its own: walked only as a root.
    assert [u.name for u in iter_corpus([tmp_path / "lib"])] == ["std"]
    assert [u.path for u in iter_corpus([site])] == ["good/main.py"]
    both = list(iter_corpus([tmp_path / "lib", site]))
    assert [(u.path, u.name) for u in both] == [("std.py", "std"), ("good/main.py", "good_main")]


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_symlink_loops_do_not_hang_or_crash(tmp_path):
    write(tmp_path / "pkg" / "mod.py", function("alpha"))
    (tmp_path / "pkg" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "x.py").symlink_to(tmp_path / "y.py")
    (tmp_path / "y.py").symlink_to(tmp_path / "x.py")
    assert [u.name for u in iter_corpus([tmp_path])] == ["alpha"]


@pytest.fixture
def many_root(tmp_path: Path) -> Path:
    """Ten files of six distinct functions each."""
    for f in range(10):
        text = "\n\n".join(function(f"fn_{f}_{i}", f"a + {f * 6 + i}") for i in range(6))
        write(tmp_path / f"m{f:02d}.py", text)
    return tmp_path


def test_sampling_is_deterministic_seeded_and_spread_out(many_root):
    everything = list(iter_corpus([many_root]))
    assert len(everything) == 60
    first = list(iter_corpus([many_root], max_units=10, seed=0))
    again = list(iter_corpus([many_root], max_units=10, seed=0))
    other = list(iter_corpus([many_root], max_units=10, seed=1))
    assert first == again and len(first) == len(other) == 10
    assert first != other
    position = {dedup_key(u): i for i, u in enumerate(everything)}
    for sample in (first, other):
        assert all(dedup_key(u) in position for u in sample)
        indices = [position[dedup_key(u)] for u in sample]
        assert indices == sorted(indices)  # in walk order
        assert len({u.path for u in sample}) > 2  # not the first file or two
    assert list(iter_corpus([many_root], max_units=0)) == []
    assert len(list(iter_corpus([many_root], max_units=100))) == 60
    with pytest.raises(ValueError):
        list(iter_corpus([many_root], max_units=-1))


def test_default_roots_are_the_stdlib_and_site_packages():
    roots = default_roots()
    paths = sysconfig.get_paths()
    assert Path(paths["stdlib"]) in roots
    assert len({r.resolve() for r in roots}) == len(roots)
    assert all(r.is_dir() for r in roots)


def test_a_real_sample_of_the_standard_library():
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    started = time.perf_counter()
    units = list(iter_corpus([stdlib], max_units=50, seed=3))
    seconds = time.perf_counter() - started
    assert len(units) == 50
    assert seconds < 120  # about 5-10 s on one core
    assert len({dedup_key(u) for u in units}) == 50
    assert len({u.path.split("/")[0] for u in units}) > 10  # spread over the library
    for unit in units:
        assert not unit.path.startswith("/") and (stdlib / unit.path).is_file()
        parts = unit.path.split("/")[:-1]
        assert not is_excluded(("lib", *parts), DEFAULT_EXCLUDE)
        assert "site-packages" not in parts
        compile(unit.source, unit.path, "exec", dont_inherit=True)
        body = unit.source.split("\n\n", 1)[1] if unit.imports else unit.source
        assert 4 <= body.count("\n") <= 120 and len(body.encode()) <= 6000
