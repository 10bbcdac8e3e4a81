"""Limits per run, not per process: the run's memory cgroup, its tmpfs /tmp, threads.

Hostile programs here stay small (a few hundred MiB at most, in memory, for a second).
"""

from __future__ import annotations

import os
import sys

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("the sandbox runs on Linux only", allow_module_level=True)

from yantra_gnn import sandbox  # noqa: E402
from yantra_gnn.errors import ConfigError  # noqa: E402
from yantra_gnn.sandbox import RunStatus, cgroups, process, run  # noqa: E402
from yantra_gnn.sandbox.cache import _decode_outcome, _encode_outcome  # noqa: E402
from yantra_gnn.sandbox.judging import Verdict  # noqa: E402

CGROUP = sandbox.limits_mechanism().startswith("cgroup")
needs_cgroup = pytest.mark.skipif(
    not CGROUP,
    reason=f"no per-run cgroup here (limits_mechanism() = {sandbox.limits_mechanism()!r}: "
    "not root, or no writable memory controller)",
)
needs_isolation = pytest.mark.skipif(
    os.geteuid() != 0, reason="the tmpfs /tmp needs root (mount namespace)"
)


def _children(count: int, mb: int) -> str:
    """A program whose ``count`` children each touch ``mb`` MiB at the same time."""
    return (
        "import os, time\n"
        "pids = []\n"
        f"for _ in range({count}):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        f"        data = b'x' * ({mb} << 20)\n"
        "        time.sleep(1.0)\n"
        "        os._exit(0)\n"
        "    pids.append(pid)\n"
        "failed = sum(os.waitpid(pid, 0)[1] != 0 for pid in pids)\n"
        "print('failed', failed)\n"
    )


@pytest.fixture
def made_cgroups(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The directories of every run cgroup made while the test runs."""
    made: list[list[str]] = []
    real = process.run_cgroup

    def spy(memory_bytes: int, max_tasks: int) -> cgroups.RunCgroup | None:
        cgroup = real(memory_bytes, max_tasks)
        if cgroup is not None:
            made.append(cgroup.directories)
        return cgroup

    monkeypatch.setattr(process, "run_cgroup", spy)
    return made


def test_limits_mechanism_is_reported() -> None:
    mechanism = sandbox.limits_mechanism()
    assert mechanism in ("cgroup-v1", "cgroup-v2", "rlimits")
    assert run("print(1)").limits == mechanism
    if os.geteuid() != 0:
        assert mechanism == "rlimits"


@needs_cgroup
def test_children_together_past_memory_mb_are_memory_limit() -> None:
    """Each child stays well under memory_mb (its RLIMIT_AS), together they do not:
    with rlimits only this ended ``ok``."""
    result = run(_children(4, 64), memory_mb=128, timeout_s=10)
    assert result.status is RunStatus.MEMORY_LIMIT, result


@needs_cgroup
def test_children_together_within_memory_mb_are_ok() -> None:
    result = run(_children(2, 40), memory_mb=128, timeout_s=10)
    assert result.status is RunStatus.OK, result
    assert result.stdout == "failed 0\n"


@needs_cgroup
def test_program_runs_in_its_own_cgroup_which_is_removed(made_cgroups: list[list[str]]) -> None:
    result = run("print(open('/proc/self/cgroup').read())")
    assert result.ok, result
    assert len(made_cgroups) == 1
    for directory in made_cgroups[0]:
        assert os.path.basename(directory) in result.stdout
        assert directory.startswith("/sys/fs/cgroup/")
        assert not os.path.exists(directory)


@needs_cgroup
def test_cgroup_is_removed_after_a_timeout(made_cgroups: list[list[str]]) -> None:
    program = "import os\nos.fork()\nos.fork()\nwhile True:\n    pass\n"
    result = run(program, timeout_s=0.5)
    assert result.status is RunStatus.TIMEOUT, result
    assert made_cgroups and all(not os.path.exists(d) for d in made_cgroups[0])


@needs_cgroup
def test_fork_bomb_is_contained_by_the_pids_cgroup(made_cgroups: list[list[str]]) -> None:
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    result = run(bomb, timeout_s=1.0)
    assert result.status is RunStatus.TIMEOUT, result
    assert made_cgroups and all(not os.path.exists(d) for d in made_cgroups[0])


@needs_isolation
def test_total_bytes_written_are_capped() -> None:
    """Files under the 16 MiB per-file cap, more than disk_mb together: the program gets
    ENOSPC (before, only each file was capped)."""
    program = (
        "import os\n"
        "written = 0\n"
        "try:\n"
        "    for i in range(4):\n"
        "        with open(f'f{i}', 'wb') as f:\n"
        "            for _ in range(3):\n"
        "                f.write(b'y' * (1 << 20))\n"
        "                f.flush()\n"
        "                written += 1\n"
        "except OSError as error:\n"
        "    print('errno', error.errno, 'after', written)\n"
    )
    result = run(program, disk_mb=8, timeout_s=10)
    assert result.ok, result
    assert result.stdout.startswith("errno 28 after "), result.stdout
    assert int(result.stdout.split()[-1]) <= 8
    assert run(program, disk_mb=16, timeout_s=10).stdout == ""


@needs_isolation
def test_tmp_is_the_program_directory_with_its_solution() -> None:
    result = run("import os\nprint(os.getcwd(), os.listdir('.'), os.environ['TMPDIR'])")
    assert result.stdout == "/tmp ['solution.py'] /tmp\n", result


def test_threads_up_to_the_process_limit_start_at_the_default_memory() -> None:
    """glibc's per-thread malloc arenas (64 MiB of address space each) let only 14
    threads start under RLIMIT_AS = 512 MiB; the program now uses one arena."""
    program = (
        "import threading\n"
        "stop = threading.Event()\n"
        "threads = [threading.Thread(target=stop.wait) for _ in range(28)]\n"
        "for t in threads:\n"
        "    t.start()\n"
        "stop.set()\n"
        "print(len(threads))\n"
    )
    result = run(program, timeout_s=10)
    assert result.ok and result.stdout == "28\n", result


def test_bad_disk_mb() -> None:
    for bad in (0, -1, 1.5, True, 1 << 21):
        with pytest.raises(ConfigError):
            run("print(1)", disk_mb=bad)  # type: ignore[arg-type]


def test_cached_results_of_older_versions_decode() -> None:
    result = run("print(1)")
    verdict, decoded = _decode_outcome(_encode_outcome(Verdict.PASSED, result))
    assert decoded == result
    old = _encode_outcome(Verdict.PASSED, result).replace(f', "limits": "{result.limits}"', "")
    assert _decode_outcome(old)[1].limits == "rlimits"
