"""Run untrusted Python solutions, one contained subprocess per run.

Labels (is this program correct? does this mutant fail?) come from executing code
taken from a dataset or made by mutation. Such code may loop forever, allocate 10 GB,
fork without end, flood its output or write where it should not; each of those must
cost one failed run, never the machine. What :func:`run` does for every program:

* a fresh interpreter (``python -s -S``) in a new session, started on a small bootstrap
  (:mod:`yantra_gnn.sandbox._bootstrap`) whose first process (the *supervisor*) sets
  up and forks the program process, which sets its limits and runs the solution as
  ``__main__``; standard input is a sealed in-memory file holding exactly the test
  input; the environment is rebuilt from nothing (no variable of the caller leaks);
* rlimits on the program: CPU seconds (``ceil(timeout_s) + 1``), address space
  (``memory_mb``), processes/threads, size of any file written, open files, no core;
* a wall-clock deadline and a cap on stdout and stderr (read incrementally); at the
  deadline or the cap the run is stopped. The supervisor is a child subreaper: every
  process the program starts stays its descendant, and when the program ends or is
  stopped the supervisor SIGKILLs and reaps all of them (nothing keeps running, no
  zombie is left to init). A fresh temporary working directory is removed after;
* when the caller is root (these machines and CI), the program runs under a dedicated
  unprivileged uid/gid (so ``RLIMIT_NPROC`` is enforced, it cannot signal the
  supervisor, and nothing outside its directory is writable), in new mount, network
  and IPC namespaces: ``/tmp`` is a tmpfs of ``disk_mb`` holding its solution (its
  working directory; all its files together), every other mount is read-only, there is
  no network;
* when the caller is root and a memory controller is writable, one cgroup per run
  (:mod:`yantra_gnn.sandbox.cgroups`) limits the memory and tasks of all its processes
  together (:func:`limits_mechanism`); otherwise those limits hold per process only;
* where ``libseccomp.so.2`` is installed, a seccomp filter makes namespace, ptrace,
  mount, kexec, module and bpf calls fail with ``EPERM`` (:func:`syscall_filter`,
  ``RunResult.syscall_filter``).

``docs/sandbox.md`` lists what is and is not contained, and the measured overhead.

:func:`run_many` spreads runs over threads (each run is its own subprocess). Judging a
program on tests is :mod:`yantra_gnn.sandbox.judging`; remembering the outcomes is
:mod:`yantra_gnn.sandbox.cache`.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import logging
import marshal
import math
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import TypeVar, cast

from yantra_gnn.errors import ConfigError, SandboxError, SourceTypeError
from yantra_gnn.files import left_by_a_dead_process
from yantra_gnn.sandbox.cgroups import ALLOWANCE_MB, RunCgroup, limits_mechanism, run_cgroup

__all__ = [
    "CGROUP_ALLOWANCE_MB",
    "DEFAULT_DISK_MB",
    "DEFAULT_MAX_OUTPUT_BYTES",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "MAX_FILE_BYTES",
    "MAX_OPEN_FILES",
    "MAX_PROCESSES",
    "MAX_STDERR_BYTES",
    "MAX_WORKERS",
    "MIN_MEMORY_MB",
    "RunJob",
    "RunResult",
    "RunStatus",
    "limits_mechanism",
    "run",
    "run_many",
    "sandbox_uids",
    "syscall_filter",
]

logger = logging.getLogger(__name__)

#: Default wall-clock limit of one run, in seconds (CodeContests problems mostly say 1-2 s).
DEFAULT_TIMEOUT_S = 2.0
#: Default address-space limit of one run, in MiB.
DEFAULT_MEMORY_MB = 512
#: Default size of a run's ``/tmp`` (a tmpfs, when isolated): all its files together, in MiB.
DEFAULT_DISK_MB = 64
#: MiB a run's memory cgroup allows above ``memory_mb`` + ``disk_mb`` (the supervisor).
CGROUP_ALLOWANCE_MB = ALLOWANCE_MB
#: Default cap on what one run may print to stdout (and, separately, to stderr).
DEFAULT_MAX_OUTPUT_BYTES = 1 << 20
#: How much of stderr a :class:`RunResult` keeps (its last bytes: the traceback's end).
MAX_STDERR_BYTES = 64 << 10
#: Processes + threads the program may have at once (``RLIMIT_NPROC`` of its uid, and
#: the run's pids cgroup, which also holds the supervisor and its helper).
MAX_PROCESSES = 32
#: Largest file the program may write (``RLIMIT_FSIZE``).
MAX_FILE_BYTES = 16 << 20
#: Open file descriptors per process (``RLIMIT_NOFILE``).
MAX_OPEN_FILES = 256
#: Most worker threads :func:`run_many` and
#: :func:`~yantra_gnn.sandbox.judging.run_tests_many` accept.
MAX_WORKERS = 64
#: Smallest accepted ``memory_mb``: the interpreter alone maps ~20 MiB.
MIN_MEMORY_MB = 32
#: Largest accepted ``memory_mb`` (16 TiB): past 2**43 MiB the byte count no longer fits
#: an rlimit, and the run failed to set up instead of refusing the value.
MAX_MEMORY_MB = 1 << 24

# Sandbox uids: _UID_BASE + (pid % _PID_SPAN) * _UIDS_PER_PROCESS + slot, all below
# 2**31. Live processes with different pids (mod 2**18) get disjoint blocks, so two
# callers on one machine do not share uids. A process cycles through its whole block,
# so a uid comes back only thousands of runs later: a margin in case processes of a
# run outlive it (its supervisor killed from outside) and still count against its
# RLIMIT_NPROC.
_UID_BASE = 1 << 30
_PID_SPAN = 1 << 18
_UIDS_PER_PROCESS = 1 << 12
_ENV_PATH = "/usr/local/bin:/usr/bin:/bin"
_READ_CHUNK = 1 << 16
# How long the supervisor gets to kill and reap a stopped run before the group is killed.
_STOP_GRACE_S = 2.0
_MEMORY_ERROR = re.compile(rb"^(?:MemoryError\b|OSError: \[Errno 12\])", re.MULTILINE)

# The program's first code (see _bootstrap.py: supervisor, then program process). It is
# never imported here: its text is compiled (once per process, _marshalled_bootstrap) and
# run by a fresh interpreter.
_BOOTSTRAP = (resources.files("yantra_gnn.sandbox") / "_bootstrap.py").read_text(encoding="utf-8")

_BOOTSTRAP_NAME = "<yantra-sandbox>"
_BOOTSTRAP_LOCK = threading.Lock()
_bootstrap_code: tuple[int, int] | None = None


def _marshalled_bootstrap() -> tuple[int, int]:
    """A sealed memfd holding the compiled bootstrap, and its size (made once per process).

    Compiling the bootstrap's source costs a few ms in every run; a child running the
    same interpreter as this process loads the code object instead.
    """
    global _bootstrap_code
    with _BOOTSTRAP_LOCK:
        if _bootstrap_code is None:
            code = compile(_BOOTSTRAP, _BOOTSTRAP_NAME, "exec", dont_inherit=True, optimize=0)
            data = marshal.dumps(code)
            _bootstrap_code = (_sealed_memfd(data, "yantra-sandbox-bootstrap"), len(data))
        return _bootstrap_code


def _bootstrap_command(python: str) -> tuple[list[str], tuple[int, ...]]:
    """The command line that starts the bootstrap, and the descriptors it needs passed."""
    if python != sys.executable:
        return [python, "-s", "-S", "-c", _BOOTSTRAP], ()
    fd, size = _marshalled_bootstrap()
    loader = f"import marshal,os;_c=marshal.loads(os.pread({fd},{size},0));os.close({fd});exec(_c)"
    return [python, "-s", "-S", "-c", loader], (fd,)


class RunStatus(str, Enum):
    """How one run ended."""

    OK = "ok"
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"


@dataclass(frozen=True)
class RunResult:
    """What one sandboxed run produced.

    Attributes:
        status: how the run ended (see :class:`RunStatus`).
        stdout: what it printed, decoded as UTF-8 (invalid bytes replaced); at most
            ``max_output_bytes`` bytes of it.
        stderr: the last :data:`MAX_STDERR_BYTES` bytes of its stderr, decoded.
        returncode: exit code, or ``-N`` when killed by signal ``N`` (as in ``subprocess``).
        time_s: wall-clock seconds from start to exit (or to the kill).
        cpu_s: CPU seconds (user + system) of the program and the children it waited for.
        limits: how memory and processes were limited: ``"cgroup-v1"`` / ``"cgroup-v2"``
            (for the whole run) or ``"rlimits"`` (per process only); see
            :func:`limits_mechanism`.
        syscall_filter: ``"seccomp"`` when the program ran under the seccomp filter, else
            ``"none: REASON"`` (no libseccomp, or the kernel refused it); see
            :func:`syscall_filter`.
    """

    status: RunStatus
    stdout: str
    stderr: str
    returncode: int
    time_s: float
    cpu_s: float
    limits: str = "rlimits"
    syscall_filter: str = "none"

    @property
    def ok(self) -> bool:
        """Whether the program exited with status 0 within every limit."""
        return self.status is RunStatus.OK


@dataclass(frozen=True)
class RunJob:
    """One run for :func:`run_many`: a program, its stdin and its limits."""

    source: str | bytes
    stdin: str | bytes = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    disk_mb: int = DEFAULT_DISK_MB


@dataclass(frozen=True)
class _Limits:
    """Validated limits of one run."""

    timeout_s: float
    memory_mb: int
    max_output_bytes: int
    disk_mb: int = DEFAULT_DISK_MB

    def __post_init__(self) -> None:
        timeout = self.timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ConfigError(f"sandbox: timeout_s must be a number of seconds, got {timeout!r}")
        if not (math.isfinite(timeout) and 0 < timeout <= 3600):
            raise ConfigError(f"sandbox: timeout_s must be in (0, 3600] seconds, got {timeout!r}")
        memory = self.memory_mb
        if (
            isinstance(memory, bool)
            or not isinstance(memory, int)
            or not MIN_MEMORY_MB <= memory <= MAX_MEMORY_MB
        ):
            raise ConfigError(
                f"sandbox: memory_mb must be an int in [{MIN_MEMORY_MB}, 2**24] (MiB), got "
                f"{memory!r}"
            )
        cap = self.max_output_bytes
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise ConfigError(f"sandbox: max_output_bytes must be an int >= 1, got {cap!r}")
        disk = self.disk_mb
        if isinstance(disk, bool) or not isinstance(disk, int) or not 1 <= disk <= 1 << 20:
            raise ConfigError(f"sandbox: disk_mb must be an int in [1, 2**20] (MiB), got {disk!r}")

    @property
    def cpu_s(self) -> int:
        return math.ceil(self.timeout_s) + 1

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb << 20

    @property
    def disk_bytes(self) -> int:
        return self.disk_mb << 20


class _UidPool:
    """Hands out the sandbox uids of this process, least recently used first.

    Each run in flight gets its own uid, so ``RLIMIT_NPROC`` of one run is not shared
    with another, and killing "every process of this uid" after a run hits only that
    run. Round-robin reuse over the whole block leaves time for killed processes to be
    reaped.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pid = -1
        self._free: deque[int] = deque()

    def _reset_if_forked(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._free = deque(range(_UIDS_PER_PROCESS))

    def acquire(self) -> int:
        with self._cond:
            self._reset_if_forked()
            while not self._free:
                self._cond.wait()
            return sandbox_uids().start + self._free.popleft()

    def release(self, uid: int) -> None:
        with self._cond:
            block = sandbox_uids()
            if self._pid == os.getpid() and uid in block:
                self._free.append(uid - block.start)
                self._cond.notify()


_UID_POOL = _UidPool()
#: Whether runs load the seccomp filter, and through which library (tests change both:
#: to show what the filter denies, and that a missing library falls back cleanly).
_USE_SECCOMP = True
_SECCOMP_LIBRARY = "libseccomp.so.2"
_FILTER_NOTES: set[str] = set()


def syscall_filter() -> str:
    """Whether the runs of this process get the seccomp filter: ``"seccomp"`` (namespace,
    ptrace, mount, kexec, module and bpf calls fail with ``EPERM``), or ``"none: REASON"``
    (``libseccomp.so.2`` is missing, or the kernel has no seccomp). Each run reports
    what it really got in ``RunResult.syscall_filter``."""
    if not _USE_SECCOMP:
        return "none: disabled"
    return _syscall_filter_support(_SECCOMP_LIBRARY)


@functools.lru_cache(maxsize=4)
def _syscall_filter_support(library_name: str) -> str:
    try:
        with open("/proc/self/status", "rb") as status:
            if b"\nSeccomp:" not in status.read():
                return "none: this kernel has no seccomp"
    except OSError:
        return "none: /proc/self/status is unreadable"
    try:
        library = ctypes.CDLL(library_name)
    except OSError:
        return f"none: {library_name} not found"
    if not all(hasattr(library, name) for name in ("seccomp_init", "seccomp_rule_add_array")):
        return f"none: {library_name} lacks seccomp_rule_add_array"
    return "seccomp"


def _note_filter(reported: str) -> None:
    """Warn once per reason when a run went without the seccomp filter."""
    if reported == "seccomp" or reported == "none: disabled":
        return
    with _NOTES_LOCK:
        if reported in _FILTER_NOTES:
            return
        _FILTER_NOTES.add(reported)
    logger.warning("sandbox: no seccomp filter (%s); see docs/sandbox.md", reported)


_SEEN_ISOLATION_NOTES: set[str] = set()
_NOTES_LOCK = threading.Lock()


def sandbox_uids() -> range:
    """The uids that runs started by this process use when it runs as root."""
    start = _UID_BASE + (os.getpid() % _PID_SPAN) * _UIDS_PER_PROCESS
    return range(start, start + _UIDS_PER_PROCESS)


def _as_bytes(value: str | bytes, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", errors="surrogateescape")
    raise SourceTypeError(f"sandbox: {what} must be str or bytes, got {type(value).__name__}")


def _sealed_memfd(data: bytes, name: str) -> int:
    """A read-only, in-memory file holding exactly ``data``, positioned at its start."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _task_uid_and_state(pid: int) -> tuple[int, bytes] | None:
    """Real uid and state letter of process ``pid``, or ``None`` if it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        state = data.split(b"\nState:", 1)[1].split(None, 1)[0]
        uid = int(data.split(b"\nUid:", 1)[1].split(None, 1)[0])
    except (IndexError, ValueError):
        return None
    return uid, state


def _live_pids_of_uid(uid: int) -> list[int]:
    """Processes (not zombies) whose real uid is ``uid``, found by scanning /proc."""
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            info = _task_uid_and_state(int(entry.name))
            if info is not None and info[0] == uid and info[1] not in (b"Z", b"X"):
                pids.append(int(entry.name))
    return pids


def _kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (children that escaped the process group too).

    Each pid is pinned with a pidfd and its uid checked again through it before the
    signal, so a pid reused by an unrelated process in between is never hit.
    """
    for _ in range(50):
        pids = _live_pids_of_uid(uid)
        if not pids:
            return
        for pid in pids:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                info = _task_uid_and_state(pid)
                if info is not None and info[0] == uid:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(pidfd)
        time.sleep(0.001)
    logger.warning("sandbox: processes of uid %d survived 50 rounds of SIGKILL", uid)


def _note_isolation(message: str) -> None:
    if message in ("isolated", "disabled"):
        return
    with _NOTES_LOCK:
        if message in _SEEN_ISOLATION_NOTES:
            return
        _SEEN_ISOLATION_NOTES.add(message)
    if message == "not root":
        detail = "not root: programs run as this user with rlimits only"
    else:
        detail = f"{message}: programs run under their own uid with rlimits only"
    logger.warning("sandbox: no mount/network namespaces (%s); see docs/sandbox.md", detail)


class _Watcher:
    """Reads a run's stdout, stderr and status pipe under the caps until its supervisor exits.

    The supervisor is the bootstrap's first process (see ``_bootstrap.py``); closing the
    control pipe asks it to kill the program and everything it started, then exit.
    """

    def __init__(
        self, proc: subprocess.Popen[bytes], status_fd: int, control_fd: int, limits: _Limits
    ) -> None:
        self.proc = proc
        self.limits = limits
        self.control_fd: int | None = control_fd
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.stderr_total = 0
        self.status = bytearray()
        self.killed_for: RunStatus | None = None
        assert proc.stdout is not None and proc.stderr is not None
        self._fds = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        self._fds[status_fd] = "status"
        for fd in self._fds:
            os.set_blocking(fd, False)

    def stop(self) -> None:
        """Close the control pipe: the supervisor then kills the program's processes."""
        if self.control_fd is not None:
            os.close(self.control_fd)
            self.control_fd = None

    def _read(self, fd: int) -> str:
        """Read what ``fd`` has now: ``"data"``, ``"empty"`` (nothing yet) or ``"eof"``."""
        try:
            chunk = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return "empty"
        if not chunk:
            return "eof"
        kind = self._fds[fd]
        cap = self.limits.max_output_bytes
        if kind == "stdout":
            room = max(0, cap - len(self.stdout))
            self.stdout += chunk[:room]
            if len(chunk) > room and self.killed_for is None:
                self.killed_for = RunStatus.OUTPUT_LIMIT
        elif kind == "stderr":
            self.stderr_total += len(chunk)
            self.stderr += chunk
            if len(self.stderr) > 2 * MAX_STDERR_BYTES:
                del self.stderr[:-MAX_STDERR_BYTES]
            if self.stderr_total > cap and self.killed_for is None:
                self.killed_for = RunStatus.OUTPUT_LIMIT
        else:
            self.status += chunk[: max(0, 1024 - len(self.status))]
        return "data"

    def _pump(
        self, selector: selectors.BaseSelector, pidfd: int, deadline: float, until_limit: bool
    ) -> bool:
        """Read until the supervisor exits (``True``), ``deadline`` or, if ``until_limit``,
        a cap is hit (``False``)."""
        while not (until_limit and self.killed_for is not None):
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            for key, _ in selector.select(remaining):
                if key.fd == pidfd:
                    return True
                if self._read(key.fd) == "eof":
                    selector.unregister(key.fd)
        return False

    def watch(self, deadline: float) -> tuple[float, bool]:
        """Pump output until the run ends, stopping it at a cap or at ``deadline``.

        Returns the time the program ended or was stopped, and whether the supervisor
        exited (it normally does, within :data:`_STOP_GRACE_S` of being stopped).
        """
        pidfd = os.pidfd_open(self.proc.pid)
        try:
            with selectors.DefaultSelector() as selector:
                for fd in self._fds:
                    selector.register(fd, selectors.EVENT_READ)
                selector.register(pidfd, selectors.EVENT_READ)
                exited = self._pump(selector, pidfd, deadline, until_limit=True)
                end = time.perf_counter()
                if not exited:
                    if self.killed_for is None:
                        self.killed_for = RunStatus.TIMEOUT
                    self.stop()
                    grace = time.perf_counter() + _STOP_GRACE_S
                    exited = self._pump(selector, pidfd, grace, until_limit=False)
                if exited:
                    # Every writer is gone: what is left in the pipes is all there is.
                    for key in list(selector.get_map().values()):
                        while key.fd != pidfd and self._read(key.fd) == "data":
                            pass
        finally:
            os.close(pidfd)
        return end, exited


def _classify(
    killed_for: RunStatus | None,
    returncode: int,
    stderr: bytes,
    cpu_s: float,
    max_rss_bytes: int,
    limits: _Limits,
    oom_killed: bool = False,
) -> RunStatus:
    if oom_killed:  # the run's cgroup went past its memory: whatever happened after
        return RunStatus.MEMORY_LIMIT
    if killed_for is not None:
        return killed_for
    if returncode == 0:
        return RunStatus.OK
    if returncode == -signal.SIGXCPU or (
        returncode == -signal.SIGKILL and cpu_s >= limits.cpu_s - 0.05
    ):
        return RunStatus.TIMEOUT
    if _MEMORY_ERROR.search(stderr):
        return RunStatus.MEMORY_LIMIT
    crashed = returncode in (-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT, -signal.SIGKILL)
    if crashed and max_rss_bytes >= 0.9 * limits.memory_bytes:
        return RunStatus.MEMORY_LIMIT
    return RunStatus.RUNTIME_ERROR


_WORKDIR_PREFIX = "yantra-sbx-"
_STALE_WORKDIRS_CHECKED = threading.Event()


def _remove_stale_workdirs() -> None:
    """Once per process: remove the run directories of callers that were killed mid-run
    (``yantra-sbx-PID-*`` whose process ``PID`` is gone)."""
    if _STALE_WORKDIRS_CHECKED.is_set():
        return
    _STALE_WORKDIRS_CHECKED.set()
    for directory in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*-*"):
        if directory.is_dir() and left_by_a_dead_process(directory.name, _WORKDIR_PREFIX, "-"):
            shutil.rmtree(directory, ignore_errors=True)
            logger.info("removed %s, left by a killed run", directory)


def _execute(
    source: bytes, stdin: bytes, limits: _Limits, *, isolate: bool, python: str
) -> RunResult:
    as_root = os.geteuid() == 0
    uid = _UID_POOL.acquire() if as_root else -1
    _remove_stale_workdirs()
    workdir = tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")
    clean = False
    cgroup = None
    try:
        with open(os.path.join(workdir, "solution.py"), "wb") as f:
            f.write(source)
        if as_root:
            os.chown(workdir, uid, uid)
            # Files of an isolated run live in its tmpfs /tmp, which is charged too.
            files = limits.disk_bytes if isolate else 0
            cgroup = run_cgroup(
                limits.memory_bytes + files + (CGROUP_ALLOWANCE_MB << 20), MAX_PROCESSES + 2
            )
        result, clean = _spawn_and_watch(
            workdir, uid, stdin, limits, isolate=isolate, python=python, cgroup=cgroup
        )
        return result
    finally:
        if as_root:
            if not clean:
                # The supervisor did not report a clean end: kill by uid instead.
                _kill_uid(uid)
                if cgroup is not None:
                    _kill_cgroup(cgroup)
            _UID_POOL.release(uid)
        if cgroup is not None:
            cgroup.remove()
        shutil.rmtree(workdir, ignore_errors=True)


def _kill_cgroup(cgroup: RunCgroup) -> None:
    """SIGKILL what is left in the run's cgroups (a supervisor killed from outside)."""
    for _ in range(50):
        pids = cgroup.pids()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)


def _spawn_and_watch(
    workdir: str,
    uid: int,
    stdin: bytes,
    limits: _Limits,
    *,
    isolate: bool,
    python: str,
    cgroup: RunCgroup | None = None,
) -> tuple[RunResult, bool]:
    """Run the bootstrap on ``workdir/solution.py``; returns the result and whether the
    supervisor reported that it killed and reaped every process of the run."""
    env = {
        "PATH": _ENV_PATH,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONINTMAXSTRDIGITS": "0",
    }
    status_r, status_w = os.pipe()
    control_r, control_w = os.pipe()
    stdin_fd = _sealed_memfd(stdin, "stdin")
    args = (uid, limits.cpu_s, limits.memory_bytes, MAX_FILE_BYTES, MAX_PROCESSES, MAX_OPEN_FILES)
    command, boot_fds = _bootstrap_command(python)
    command += [workdir, *map(str, args), "1" if isolate else "0", str(status_w), str(control_r)]
    command += [str(limits.disk_bytes), _SECCOMP_LIBRARY if _USE_SECCOMP else "-"]
    command += cgroup.procs_files if cgroup is not None else []
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            command,
            stdin=stdin_fd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            pass_fds=(status_w, control_r, *boot_fds),
        )
    except OSError as error:
        os.close(status_r)
        os.close(control_w)
        raise ConfigError(
            f"sandbox: cannot start the interpreter {python!r}: {error}; "
            "pass python= the path of a working Python 3 executable"
        ) from error
    finally:
        os.close(status_w)
        os.close(control_r)
        os.close(stdin_fd)
    watcher = _Watcher(proc, status_r, control_w, limits)
    try:
        end, _ = watcher.watch(start + limits.timeout_s)
    finally:
        watcher.stop()
        # Not reaped yet, so the group id cannot have been reused: kill what is left of
        # the group if the supervisor did not get to do it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        _, wait_status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        os.close(status_r)
    stderr = bytes(watcher.stderr[-MAX_STDERR_BYTES:])
    lines = watcher.status.decode("ascii", errors="replace").splitlines()
    ready = next((line[6:] for line in lines if line.startswith("ready ")), None)
    done = next((line.split()[1:] for line in lines if line.startswith("done ")), None)
    reported = next((line[7:] for line in lines if line.startswith("filter ")), "none")
    if ready is None or (done is not None and "go" not in lines):
        if watcher.killed_for is None:
            raise SandboxError(
                f"sandbox: setting up the run failed before the program started (exit code "
                f"{proc.returncode}): {stderr[-2000:].decode(errors='replace')}"
            )
    else:
        _note_isolation(ready)
    if done is not None and len(done) == 4:
        returncode = os.waitstatus_to_exitcode(int(done[0]))
        cpu_s = float(done[1]) + float(done[2])
        max_rss_bytes = int(done[3]) * 1024
    else:
        returncode = proc.returncode
        cpu_s = usage.ru_utime + usage.ru_stime
        max_rss_bytes = usage.ru_maxrss * 1024
    oom_killed = cgroup is not None and cgroup.oom_killed()
    status = _classify(
        watcher.killed_for, returncode, stderr, cpu_s, max_rss_bytes, limits, oom_killed
    )
    result = RunResult(
        status=status,
        stdout=watcher.stdout.decode("utf-8", errors="replace"),
        stderr=stderr.decode("utf-8", errors="replace"),
        returncode=returncode,
        time_s=end - start,
        cpu_s=cpu_s,
        limits=cgroup.mechanism if cgroup is not None else "rlimits",
        syscall_filter=reported,
    )
    if "go" in lines:
        _note_filter(reported)
    return result, done is not None


def _interpreter(python: str | None) -> str:
    chosen = python if python is not None else sys.executable
    if not chosen:
        raise ConfigError("sandbox: sys.executable is empty; pass python= a Python 3 executable")
    return chosen


def _check_platform() -> None:
    if not sys.platform.startswith("linux"):
        raise SandboxError(
            f"sandbox: running untrusted programs needs Linux (rlimits, pidfds, namespaces); "
            f"this is {sys.platform}"
        )


def run(
    source: str | bytes,
    stdin: str | bytes = "",
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    isolate: bool = True,
    python: str | None = None,
    disk_mb: int = DEFAULT_DISK_MB,
) -> RunResult:
    """Run the Python program ``source`` on ``stdin`` in a fresh sandboxed subprocess.

    Args:
        source: the program text (UTF-8 if ``bytes``).
        stdin: exactly what the program reads from standard input.
        timeout_s: wall-clock limit; the CPU limit is ``ceil(timeout_s) + 1`` seconds.
        memory_mb: memory limit in MiB: of each process (``RLIMIT_AS``) and, where a
            cgroup is in force (:func:`limits_mechanism`), of all processes of the run
            together (plus their ``/tmp`` files and :data:`CGROUP_ALLOWANCE_MB`).
        max_output_bytes: cap on stdout, and separately on stderr; past it the program
            is killed and the status is ``output_limit``.
        isolate: when running as root, also use new mount/network/IPC namespaces
            (read-only filesystem except the program's own ``/tmp``, no network).
        python: interpreter to run the program with (default: ``sys.executable``).
        disk_mb: size of the program's ``/tmp`` (isolated runs: a tmpfs), all files
            together; writing more fails in the program (``ENOSPC``).

    Returns:
        A :class:`RunResult`; a program failing in any way is a status, not an exception.

    Raises:
        ConfigError: a limit is out of range or the interpreter cannot be started.
        SourceTypeError: ``source`` or ``stdin`` is neither ``str`` nor ``bytes``.
        SandboxError: the sandbox itself could not be set up on this machine.
    """
    _check_platform()
    limits = _Limits(timeout_s, memory_mb, max_output_bytes, disk_mb)
    return _execute(
        _as_bytes(source, "source"),
        _as_bytes(stdin, "stdin"),
        limits,
        isolate=bool(isolate),
        python=_interpreter(python),
    )


_T = TypeVar("_T")
_R = TypeVar("_R")


def _check_workers(workers: int | None) -> int:
    if workers is None:
        return min(os.cpu_count() or 1, MAX_WORKERS)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise ConfigError(f"sandbox: workers must be an int in [1, {MAX_WORKERS}], got {workers!r}")
    return workers


def _parallel_map(
    function: Callable[[_T], _R], items: Sequence[_T], workers: int, progress: bool, desc: str
) -> list[_R]:
    """``[function(x) for x in items]`` on ``workers`` threads, in order, with a progress bar."""
    from tqdm.auto import tqdm

    results: list[_R | None] = [None] * len(items)
    with (
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool,
        tqdm(total=len(items), desc=desc, disable=not progress, unit="run") as bar,
    ):
        futures = {pool.submit(function, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            results[futures[future]] = future.result()
            bar.update(1)
    return cast("list[_R]", results)


def run_many(
    jobs: Iterable[RunJob],
    *,
    workers: int | None = None,
    progress: bool = False,
    isolate: bool = True,
    python: str | None = None,
) -> list[RunResult]:
    """Run each :class:`RunJob` with :func:`run`, ``workers`` at a time (default: one per
    core); results come back in the order of ``jobs``."""
    items = list(jobs)
    for index, job in enumerate(items):
        if not isinstance(job, RunJob):
            raise ConfigError(f"run_many: job #{index} must be a RunJob, got {type(job).__name__}")

    def one(job: RunJob) -> RunResult:
        return run(
            job.source,
            job.stdin,
            timeout_s=job.timeout_s,
            memory_mb=job.memory_mb,
            max_output_bytes=job.max_output_bytes,
            disk_mb=job.disk_mb,
            isolate=isolate,
            python=python,
        )

    return _parallel_map(one, items, _check_workers(workers), progress, "sandbox runs")
