"""Tests of the sandbox that runs untrusted solutions: statuses, containment, tests, cache."""

from __future__ import annotations

import ast
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("the sandbox needs Linux", allow_module_level=True)

from yantra_gnn import sandbox  # noqa: E402
from yantra_gnn.cli import build_parser  # noqa: E402
from yantra_gnn.errors import ConfigError, DatasetError, SourceTypeError, YantraError  # noqa: E402
from yantra_gnn.sandbox import (  # noqa: E402
    ResultCache,
    RunJob,
    RunStatus,
    Verdict,
    judging,
    process,
    run,
    run_many,
    run_tests,
    run_tests_many,
    sandbox_uids,
)

REPO = Path(__file__).resolve().parents[2]
MINI = REPO / ".." / "shared" / "data" / "codecontests_mini.jsonl"
AS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not AS_ROOT, reason="uid separation needs root")


def sandbox_processes() -> list[int]:
    """Processes, zombies included, whose uid is one of this process's sandbox uids."""
    uids = sandbox_uids()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            text = Path(f"/proc/{name}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields["Uid"].split()[0]) in uids:
            found.append(int(name))
    return found


BOOTSTRAP = Path(process.__file__).with_name("_bootstrap.py")


def test_bootstrap_is_the_module_file_and_compiles() -> None:
    """The child program is ``_bootstrap.py`` itself, and it compiles as it is sent."""
    assert process._BOOTSTRAP == BOOTSTRAP.read_text(encoding="utf-8")
    compile(process._BOOTSTRAP, "<yantra-sandbox>", "exec", dont_inherit=True, optimize=0)


def test_bootstrap_imports_only_the_standard_library() -> None:
    """The child runs ``python -s -S`` with an empty environment: no yantra_gnn, no
    site-packages, no relative imports."""
    tree = ast.parse(BOOTSTRAP.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None, ast.dump(node)
            imported.append(node.module)
    assert imported, "no imports found: is this the bootstrap?"
    roots = {name.split(".")[0] for name in imported}
    assert "yantra_gnn" not in roots
    assert roots <= set(sys.stdlib_module_names), roots - set(sys.stdlib_module_names)
    assert "typing" not in roots  # costly to import in every run


def test_bootstrap_passes_ruff() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [ruff, *command, str(BOOTSTRAP)], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_importing_the_bootstrap_does_nothing() -> None:
    """Imported by accident (here in a fresh interpreter, so a failure cannot take pytest
    down with it), the module only defines functions: no fork, no exit, no hook."""
    probe = (
        "import builtins, os, sys\n"
        "cwd, main, hook, quitter = os.getcwd(), sys.modules['__main__'], sys.excepthook, exit\n"
        "import yantra_gnn.sandbox._bootstrap as boot\n"
        "assert callable(boot._start) and callable(boot._supervise)\n"
        "assert os.getcwd() == cwd and sys.modules['__main__'] is main\n"
        "assert sys.excepthook is hook and builtins.exit is quitter\n"
        "print('imported')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "imported\n"
    assert "sandbox" not in done.stderr


@pytest.fixture(scope="module")
def isolated() -> bool:
    """Whether runs get their own mount namespace (their working dir is /tmp)."""
    return run("import os\nprint(os.getcwd())").stdout.strip() == "/tmp"


def test_ok_program_reads_stdin() -> None:
    result = run("print(sum(map(int, input().split())))", "2 3\n")
    assert result.status is RunStatus.OK and result.ok
    assert result.stdout == "5\n"
    assert result.returncode == 0
    assert result.stderr == ""
    assert 0 < result.time_s < 2.0
    assert result.cpu_s >= 0


def test_runtime_error() -> None:
    result = run("x = 1\nraise ValueError('broken ' + str(x))")
    assert result.status is RunStatus.RUNTIME_ERROR
    assert result.returncode == 1
    assert "ValueError: broken 1" in result.stderr
    assert 'File "solution.py", line 2' in result.stderr
    assert "<string>" not in result.stderr  # the bootstrap's frame is hidden


def test_exit_codes_and_builtins() -> None:
    assert run("exit(3)").returncode == 3
    assert run("exit(3)").status is RunStatus.RUNTIME_ERROR
    assert run("print('a')\nquit()").status is RunStatus.OK
    assert run("import sys\nsys.exit(0)").status is RunStatus.OK


def test_syntax_error() -> None:
    result = run("def f(:\n    pass\n")
    assert result.status is RunStatus.RUNTIME_ERROR
    assert "SyntaxError" in result.stderr


def test_infinite_loop_times_out() -> None:
    start = time.perf_counter()
    result = run("while True:\n    pass", timeout_s=0.5)
    assert result.status is RunStatus.TIMEOUT
    assert 0.5 <= result.time_s < 1.5
    assert time.perf_counter() - start < 2.5


def test_sleeping_program_times_out_on_wall_clock() -> None:
    result = run("import time\ntime.sleep(30)", timeout_s=0.3)
    assert result.status is RunStatus.TIMEOUT
    assert result.time_s < 1.5


def test_huge_allocation_is_memory_limit() -> None:
    result = run("a = bytearray(10 * 1024**3)\nprint('allocated')")
    assert result.status is RunStatus.MEMORY_LIMIT
    assert result.stdout == ""


def test_gradual_allocation_is_memory_limit() -> None:
    result = run("a = []\nwhile True:\n    a.append([0] * 10**6)", memory_mb=128)
    assert result.status is RunStatus.MEMORY_LIMIT


def test_memory_limit_leaves_room_for_normal_programs() -> None:
    # 200 MB of list under the default 512 MiB limit is fine.
    result = run("a = [0] * (25 * 10**6)\nprint(len(a))")
    assert result.status is RunStatus.OK and result.stdout == "25000000\n"


def test_fork_bomb_is_contained() -> None:
    start = time.perf_counter()
    result = run("import os\nwhile True:\n    os.fork()", timeout_s=1.0)
    assert result.status in (RunStatus.RUNTIME_ERROR, RunStatus.TIMEOUT)
    assert time.perf_counter() - start < 3.0
    assert sandbox_processes() == []
    assert run("print('still fine')").stdout == "still fine\n"


def test_persistent_fork_bomb_is_contained() -> None:
    source = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    )
    result = run(source, timeout_s=0.5)
    assert result.status is RunStatus.TIMEOUT
    assert sandbox_processes() == []


@needs_root
def test_program_cannot_kill_its_supervisor() -> None:
    result = run("import os\nos.kill(os.getppid(), 9)")
    assert result.status is RunStatus.RUNTIME_ERROR
    assert "PermissionError" in result.stderr


@needs_root
@pytest.mark.parametrize("isolate", [True, False])
def test_children_that_leave_the_process_group_are_killed(isolate: bool) -> None:
    source = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(60)\n"
        "os.system('sleep 60 &')\n"
        "print('parent done')\n"
    )
    result = run(source, isolate=isolate)
    assert result.status is RunStatus.OK and result.stdout == "parent done\n"
    assert sandbox_processes() == []


def test_threads_work() -> None:
    source = (
        "import sys, threading\n"
        "threading.stack_size(2**26)\n"
        "sys.setrecursionlimit(10**6)\n"
        "def depth(n):\n"
        "    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "t = threading.Thread(target=lambda: print(depth(100000)))\n"
        "t.start()\n"
        "t.join()\n"
    )
    result = run(source)
    assert result.status is RunStatus.OK, result.stderr
    assert result.stdout == "100000\n"


def test_output_flood_is_output_limit() -> None:
    start = time.perf_counter()
    result = run("while True:\n    print('x' * 1000)")
    assert result.status is RunStatus.OUTPUT_LIMIT
    assert len(result.stdout) == sandbox.DEFAULT_MAX_OUTPUT_BYTES
    assert time.perf_counter() - start < 2.0


def test_stderr_flood_is_output_limit() -> None:
    result = run(
        "import sys\nwhile True:\n    sys.stderr.write('e' * 1000)", max_output_bytes=50_000
    )
    assert result.status is RunStatus.OUTPUT_LIMIT
    assert 0 < len(result.stderr) <= sandbox.MAX_STDERR_BYTES


def test_output_just_under_the_cap_is_kept_whole() -> None:
    result = run("import sys\nsys.stdout.write('y' * 5000)", max_output_bytes=5000)
    assert result.status is RunStatus.OK
    assert result.stdout == "y" * 5000


@needs_root
@pytest.mark.parametrize("isolate", [True, False])
def test_cannot_write_outside_its_directory(tmp_path: Path, isolate: bool) -> None:
    target = tmp_path / "pwned"
    tmp_path.chmod(0o755)
    result = run(f"open({str(target)!r}, 'w').write('x')", isolate=isolate)
    assert result.status is RunStatus.RUNTIME_ERROR
    assert not target.exists()
    for place in (REPO / "pwned.txt", Path("/root/pwned.txt"), Path("/etc/pwned.txt")):
        result = run(f"open({str(place)!r}, 'w').write('x')", isolate=isolate)
        assert result.status is RunStatus.RUNTIME_ERROR, place
        assert not place.exists()


@needs_root
def test_tmp_and_shm_are_private(isolated: bool) -> None:
    if not isolated:
        pytest.skip("mount namespaces are not available here")
    marker = f"yantra-sandbox-marker-{os.getpid()}"
    source = (
        f"open('/tmp/{marker}', 'w').write('x')\n"
        "import os\n"
        f"print(os.listdir('/tmp'))\n"
        "for place in ('/var/tmp/m', '/dev/shm/m'):\n"
        "    try:\n"
        "        open(place, 'w')\n"
        "        print('wrote', place)\n"
        "    except OSError as error:\n"
        "        print(error.errno)\n"
    )
    result = run(source)
    assert result.status is RunStatus.OK, result.stderr
    assert marker in result.stdout
    assert "wrote" not in result.stdout
    assert not Path("/tmp", marker).exists()


@needs_root
def test_no_network(isolated: bool) -> None:
    if not isolated:
        pytest.skip("network namespaces are not available here")
    source = "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)"
    result = run(source)
    assert result.status is RunStatus.RUNTIME_ERROR
    assert "Network is unreachable" in result.stderr


def test_working_directory_is_fresh_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "tmp"
    base.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    source = (
        "import os\n"
        "print(sorted(os.listdir('.')))\n"
        "open('left.txt', 'w').write('x')\n"
        "print(os.path.exists('left.txt'))\n"
    )
    first = run(source)
    second = run(source)
    assert first.stdout == second.stdout == "['solution.py']\nTrue\n"
    assert list(base.iterdir()) == []


def test_parent_environment_is_not_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YANTRA_TEST_SECRET", "hunter2")
    result = run("import os\nprint(sorted(os.environ.items()))")
    assert result.status is RunStatus.OK
    assert "hunter2" not in result.stdout and "YANTRA_TEST_SECRET" not in result.stdout
    names = {name for name, _ in eval(result.stdout)}
    assert names <= {
        "PATH",
        "LANG",
        "LC_ALL",
        "HOME",
        "TMPDIR",
        "PYTHONHASHSEED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "PYTHONINTMAXSTRDIGITS",
    }


def test_hashing_is_deterministic() -> None:
    source = "print(hash('yantra'), list({'a', 'b', 'c', 'd', 'e'}))"
    assert run(source).stdout == run(source).stdout


def test_stdin_is_exactly_the_test_input() -> None:
    data = "héllo\r\nworld\n\n  tail without newline"
    source = (
        "import sys\n"
        "print(repr(sys.stdin.buffer.read().decode()))\n"
        "try:\n"
        "    input()\n"
        "except EOFError:\n"
        "    print('eof')\n"
    )
    result = run(source, data)
    assert result.stdout == f"{data!r}\neof\n"
    empty = run("import sys\nprint(repr(sys.stdin.read()))")
    assert empty.stdout == "''\n"


def test_stdin_cannot_be_modified() -> None:
    result = run("import os\nos.write(0, b'x')")
    assert result.status is RunStatus.RUNTIME_ERROR


def test_fast_io_templates_work() -> None:
    # The common CodeContests FastIO reads with os.read(0, os.fstat(0).st_size).
    source = "import os\ndata = os.read(0, os.fstat(0).st_size)\nprint(len(data.split()))"
    assert run(source, "1 2 3 4\n" * 1000).stdout == "4000\n"


def test_stdlib_imports() -> None:
    source = (
        "import math, collections, heapq, bisect, itertools, functools, sys, re, string\n"
        "import fractions, decimal, random, io, os, array, copy, operator, typing, time\n"
        "import statistics, queue, threading, types, encodings.idna, json, datetime\n"
        "from collections import deque\n"
        "print(fractions.Fraction(1, 3) + 1, decimal.Decimal(1) / 8, math.comb(5, 2))\n"
    )
    result = run(source)
    assert result.status is RunStatus.OK, result.stderr
    assert result.stdout == "4/3 0.125 10\n"


def test_big_integers_print() -> None:
    assert run("print(len(str(7 ** 20000)))").stdout == "16902\n"


def test_bytes_source_and_unicode_output() -> None:
    result = run("print('naïve ✓')".encode())
    assert result.stdout == "naïve ✓\n"


def test_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="timeout_s"):
        run("pass", timeout_s=0)
    with pytest.raises(ConfigError, match="timeout_s"):
        run("pass", timeout_s=float("inf"))
    with pytest.raises(ConfigError, match="memory_mb"):
        run("pass", memory_mb=1)
    with pytest.raises(ConfigError, match="memory_mb"):  # was a SandboxError: no rlimit fits
        run("pass", memory_mb=2**50)
    with pytest.raises(ConfigError, match="max_output_bytes"):
        run("pass", max_output_bytes=0)
    with pytest.raises(SourceTypeError, match="source"):
        run(123)  # type: ignore[arg-type]
    with pytest.raises(SourceTypeError, match="stdin"):
        run("pass", ["1"])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="interpreter"):
        run("pass", python="/nonexistent/python3")
    with pytest.raises(YantraError, match="setting up the run failed"):
        run("pass", python="/bin/false")


SUM = "a, b = map(int, input().split())\nprint(a + b)"
TESTS = [("1 2\n", "3\n"), ("5 5\n", "10\n"), ("-1 1\n", "0\n")]


def test_run_tests_all_pass() -> None:
    report = run_tests(SUM, TESTS)
    assert report.num_tests == 3 and report.passed == 3 and report.all_passed
    assert [outcome.verdict for outcome in report.outcomes] == [Verdict.PASSED] * 3
    assert report.first_failure is None


def test_run_tests_wrong_answer_stops_early() -> None:
    wrong = "a, b = map(int, input().split())\nprint(a + b if a != 5 else 0)"
    report = run_tests(wrong, TESTS)
    assert not report.all_passed
    assert [outcome.verdict for outcome in report.outcomes] == [
        Verdict.PASSED,
        Verdict.WRONG_ANSWER,
    ]
    assert report.first_failure is not None and report.first_failure.index == 1
    full = run_tests(wrong, TESTS, stop_on_first_failure=False)
    assert [outcome.passed for outcome in full.outcomes] == [True, False, True]
    assert full.passed == 2


def test_run_tests_verdict_mirrors_status() -> None:
    report = run_tests("while True: pass", [("", "1")], timeout_s=0.3)
    assert report.outcomes[0].verdict is Verdict.TIMEOUT
    assert run_tests("1/0", [("", "1")]).outcomes[0].verdict is Verdict.RUNTIME_ERROR


def test_run_tests_bad_tests() -> None:
    with pytest.raises(DatasetError, match="empty"):
        run_tests(SUM, [])
    with pytest.raises(DatasetError, match="test #1"):
        run_tests(SUM, [("1 2", "3"), ("1 2",)])  # type: ignore[list-item]
    with pytest.raises(DatasetError, match="pairs"):
        run_tests(SUM, "1 2")  # type: ignore[arg-type]


def test_cache_hit_returns_identical_result_without_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_execute = judging._execute  # run_tests calls process._execute through this name
    assert real_execute is process._execute

    def counting_execute(*args: object, **kwargs: object) -> sandbox.RunResult:
        calls.append(1)
        return real_execute(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(judging, "_execute", counting_execute)
    cache = ResultCache(tmp_path)
    first = run_tests(SUM, TESTS, cache=cache)
    assert len(calls) == 3
    second = run_tests(SUM, TESTS, cache=cache)
    assert len(calls) == 3
    assert second == first
    # A new cache on the same directory reads the SQLite file.
    cache.close()
    reopened = ResultCache(tmp_path)
    assert len(reopened) == 3
    assert run_tests(SUM, TESTS, cache=reopened) == first
    assert len(calls) == 3
    # Other limits are another key.
    run_tests(SUM, TESTS[:1], cache=reopened, timeout_s=1.5)
    assert len(calls) == 4


def test_timeouts_are_not_cached(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    report = run_tests("while True:\n    pass\n", [("", "1")], cache=cache, timeout_s=0.5)
    assert report.first_failure.verdict is sandbox.Verdict.TIMEOUT
    assert len(cache) == 0


def test_cache_survives_a_corrupt_database(tmp_path: Path) -> None:
    (tmp_path / ResultCache.FILENAME).write_bytes(b"this is not sqlite" * 100)
    cache = ResultCache(tmp_path)
    assert cache.get("0" * 64) is None
    report = run_tests(SUM, TESTS[:1], cache=cache)
    assert report.all_passed and len(cache) == 1
    assert (tmp_path / (ResultCache.FILENAME + ".corrupt")).exists()


def test_cache_drops_a_corrupt_entry(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, max_memory_entries=0)
    report = run_tests(SUM, TESTS[:1], cache=cache)
    with sqlite3.connect(tmp_path / ResultCache.FILENAME) as db:
        db.execute("UPDATE outcomes SET value = ?", ('{"verdict": "passed"',))
        (key,) = db.execute("SELECT key FROM outcomes").fetchone()
    assert cache.get(key) is None
    assert len(cache) == 0
    rerun = run_tests(SUM, TESTS[:1], cache=cache)
    assert rerun.all_passed and rerun.outcomes[0].result.stdout == report.outcomes[0].result.stdout
    assert len(cache) == 1 and cache.get(key) is not None


def test_memory_only_cache() -> None:
    cache = ResultCache(None, max_memory_entries=2)
    run_tests(SUM, TESTS, cache=cache)
    assert len(cache) == 2  # least recently used evicted
    with pytest.raises(ConfigError, match="max_memory_entries"):
        ResultCache(None, max_memory_entries=-1)


def test_run_many_keeps_order() -> None:
    jobs = [RunJob(f"print({i} * {i})") for i in range(6)] + [RunJob("1/0")]
    results = run_many(jobs, workers=2)
    assert [r.stdout for r in results[:6]] == [f"{i * i}\n" for i in range(6)]
    assert results[6].status is RunStatus.RUNTIME_ERROR
    with pytest.raises(ConfigError, match="workers"):
        run_many(jobs, workers=0)
    with pytest.raises(ConfigError, match="RunJob"):
        run_many(["print(1)"])  # type: ignore[list-item]


def test_run_tests_many() -> None:
    wrong = "print(0)"
    reports = run_tests_many([(SUM, TESTS), (wrong, TESTS), (SUM, TESTS[:1])], workers=2)
    assert [r.all_passed for r in reports] == [True, False, True]
    assert [r.num_tests for r in reports] == [3, 3, 1]


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    program = tmp_path / "sum.py"
    program.write_text(SUM)
    (tmp_path / "in.txt").write_text("2 2\n")
    (tmp_path / "out.txt").write_text("4\n")
    args = parser.parse_args(
        ["sandbox", str(program), "--input", str(tmp_path / "in.txt"), "--expected"]
        + [str(tmp_path / "out.txt")]
    )
    assert args.func(args) == 0
    captured = capsys.readouterr()
    assert captured.out == "4\n"
    assert json.loads(captured.err.strip().splitlines()[-1])["verdict"] == "passed"
    (tmp_path / "out.txt").write_text("5\n")
    assert args.func(args) == 1
    missing = parser.parse_args(["sandbox", str(tmp_path / "missing.py")])
    with pytest.raises(ConfigError, match="missing.py"):
        missing.func(missing)


@pytest.mark.skipif(not MINI.exists(), reason="shared CodeContests sample is absent")
def test_real_solutions_pass_their_tests() -> None:
    programs = []
    with MINI.open() as f:
        for line in f:
            problem = json.loads(line)
            solutions = problem["solutions"]
            source = solutions["solution"][solutions["language"].index(3)]
            tests = []
            for split in ("public_tests", "private_tests", "generated_tests"):
                tests += list(zip(problem[split]["input"], problem[split]["output"], strict=True))
            programs.append((source, tests))
            if len(programs) == 5:
                break
    # Generous timeout: these solutions are known correct; a shared CPU must not fail them.
    reports = run_tests_many(programs, workers=2, timeout_s=10.0)
    assert [report.all_passed for report in reports] == [True] * 5


def test_run_directories_of_killed_callers_are_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"yantra-sbx-{child.pid}-"))
    (stale / "solution.py").write_text("print(1)\n")
    mine = Path(tempfile.mkdtemp(prefix=f"yantra-sbx-{os.getpid()}-"))
    try:
        monkeypatch.setattr(process, "_STALE_WORKDIRS_CHECKED", threading.Event())
        assert run("print(2)\n").stdout == "2\n"
        assert not stale.exists()
        assert mine.exists(), "a live caller's run directory must stay"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(mine, ignore_errors=True)
