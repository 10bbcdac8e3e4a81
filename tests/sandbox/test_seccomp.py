"""The seccomp filter: namespaces, ptrace and mounts fail with EPERM in the program.

Without it a sandboxed program could create a user namespace (``unshare`` returned 0),
or make itself traced. The filter is loaded through ``libseccomp.so.2`` where the machine
has it; elsewhere runs go on without it and say so (``RunResult.syscall_filter``).
"""

from __future__ import annotations

import errno
import sys

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("the sandbox runs on Linux only", allow_module_level=True)

from yantra_gnn import sandbox  # noqa: E402
from yantra_gnn.sandbox import RunStatus, process, run  # noqa: E402

SECCOMP = sandbox.syscall_filter() == "seccomp"
needs_seccomp = pytest.mark.skipif(
    not SECCOMP, reason=f"no seccomp filter here ({sandbox.syscall_filter()})"
)

#: Each line of output: ``NAME RESULT ERRNO`` of one call the filter denies.
PROBES = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

def probe(name, result):
    print(name, result, ctypes.get_errno() if result == -1 else 0, flush=True)

{calls}
"""
CALLS = {
    # os.unshare exists from Python 3.12; ctypes works on every version
    "unshare_user": "probe('unshare_user', libc.unshare(0x10000000))",
    "unshare_mount_net": "probe('unshare_mount_net', libc.unshare(0x00020000 | 0x40000000))",
    "setns": "probe('setns', libc.setns(os.open('/proc/self/ns/uts', os.O_RDONLY), 0))",
    "clone_newuser": (
        "pid = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD)\n"
        "if pid == 0:\n"
        "    os._exit(0)\n"
        "probe('clone_newuser', pid)\n"
        "if pid > 0:\n"
        "    os.waitpid(pid, 0)"
    ),
    "mount": "probe('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))",
    "bpf": "probe('bpf', libc.syscall(321, 0, 0, 0))",
    "kexec_load": "probe('kexec_load', libc.syscall(246, 0, 0, 0, 0))",
    # last: once traced by the supervisor, the program would stop at its next signal
    "ptrace_traceme": "probe('ptrace_traceme', libc.ptrace(0, 0, 0, 0))",
}
X86_64_ONLY = {"clone_newuser", "bpf", "kexec_load"}  # raw syscall numbers


def _program(names) -> str:
    return PROBES.replace("{calls}", "\n".join(CALLS[name] for name in names))


def _results(stdout: str) -> dict[str, tuple[int, int]]:
    found = {}
    for line in stdout.splitlines():
        name, result, code = line.split()
        found[name] = (int(result), int(code))
    return found


def _names() -> list[str]:
    import platform

    return [n for n in CALLS if platform.machine() == "x86_64" or n not in X86_64_ONLY]


def test_the_filter_in_force_is_reported() -> None:
    mechanism = sandbox.syscall_filter()
    assert mechanism == "seccomp" or mechanism.startswith("none: ")
    assert run("print(1)").syscall_filter == mechanism


@needs_seccomp
def test_namespaces_ptrace_mounts_kexec_and_bpf_fail_with_eperm() -> None:
    names = _names()
    result = run(_program(names), timeout_s=10)
    assert result.status is RunStatus.OK, result
    assert result.syscall_filter == "seccomp"
    found = _results(result.stdout)
    assert sorted(found) == sorted(names), result
    assert {name: found[name] for name in names} == {name: (-1, errno.EPERM) for name in names}


@needs_seccomp
def test_without_the_filter_a_user_namespace_was_created(monkeypatch) -> None:
    """What the filter changes: the same program, unfiltered, gets its user namespace and
    is traced (so the test above fails without the filter)."""
    monkeypatch.setattr(process, "_USE_SECCOMP", False)
    result = run(_program(["unshare_user", "ptrace_traceme"]), timeout_s=10)
    assert result.syscall_filter == "none: disabled"
    found = _results(result.stdout)
    assert found["unshare_user"] == (0, 0), result
    assert found["ptrace_traceme"] == (0, 0), result


@needs_seccomp
def test_threads_fork_and_subprocesses_still_work_under_the_filter() -> None:
    """clone3 is ENOSYS under the filter: glibc falls back to clone for threads and
    posix_spawn, and os.fork uses clone."""
    source = (
        "import os, subprocess, threading\n"
        "threads = [threading.Thread(target=lambda: None) for _ in range(24)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os._exit(7)\n"
        "print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))\n"
        "print(subprocess.run(['/bin/echo', 'spawned'], capture_output=True, text=True).stdout)\n"
    )
    result = run(source, timeout_s=10)
    assert result.status is RunStatus.OK, result
    assert result.stdout.split() == ["7", "spawned"]
    assert result.syscall_filter == "seccomp"


def test_a_missing_libseccomp_falls_back_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(process, "_SECCOMP_LIBRARY", "libseccomp-missing.so.0")
    assert sandbox.syscall_filter() == "none: libseccomp-missing.so.0 not found"
    result = run("print('still runs')")
    assert result.status is RunStatus.OK and result.stdout == "still runs\n"
    assert result.syscall_filter == "none: libseccomp-missing.so.0 not found"
