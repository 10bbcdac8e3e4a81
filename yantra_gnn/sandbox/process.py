"""Run untrusted Python solutions against tests, one contained subprocess per run.

Labels (is this program correct? does this mutant fail?) come from executing code
taken from a dataset or made by mutation. Such code may loop forever, allocate 10 GB,
fork without end, flood its output or write where it should not; each of those must
cost one failed run, never the machine. What :func:`run` does for every program:

* a fresh interpreter (``python -s -S``) in a new session, started on a small bootstrap
  whose first process (the *supervisor*) sets up and forks the program process, which
  sets its limits and runs the solution as ``__main__``; standard input is a sealed
  in-memory file holding exactly the test input; the environment is rebuilt from
  nothing (no variable of the caller leaks);
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
  and IPC namespaces: its working directory is mounted on ``/tmp``, every other mount
  is read-only, there is no network.

``docs/sandbox.md`` lists what is and is not contained, and the measured overhead.

:func:`run_tests` judges one program on a list of ``(input, expected_output)`` tests
with :func:`yantra_gnn.sandbox.compare.outputs_match`; :func:`run_tests_many` and
:func:`run_many` spread work over threads (each run is its own subprocess);
:class:`ResultCache` remembers test outcomes in memory and in an SQLite file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import marshal
import math
import os
import re
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import TypeVar, cast

from yantra_gnn.errors import ConfigError, DatasetError, SandboxError, SourceTypeError
from yantra_gnn.home import SANDBOX_CACHE_DIR
from yantra_gnn.sandbox.compare import DEFAULT_FLOAT_TOL, outputs_match

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_MAX_OUTPUT_BYTES",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "MAX_FILE_BYTES",
    "MAX_OPEN_FILES",
    "MAX_PROCESSES",
    "MAX_STDERR_BYTES",
    "MAX_WORKERS",
    "MIN_MEMORY_MB",
    "ResultCache",
    "RunJob",
    "RunResult",
    "RunStatus",
    "TestOutcome",
    "TestReport",
    "Verdict",
    "judge",
    "run",
    "run_many",
    "run_tests",
    "run_tests_many",
    "sandbox_uids",
]

logger = logging.getLogger(__name__)

#: Default wall-clock limit of one run, in seconds (CodeContests problems mostly say 1-2 s).
DEFAULT_TIMEOUT_S = 2.0
#: Default address-space limit of one run, in MiB.
DEFAULT_MEMORY_MB = 512
#: Default cap on what one run may print to stdout (and, separately, to stderr).
DEFAULT_MAX_OUTPUT_BYTES = 1 << 20
#: How much of stderr a :class:`RunResult` keeps (its last bytes: the traceback's end).
MAX_STDERR_BYTES = 64 << 10
#: Processes + threads the program may have at once (``RLIMIT_NPROC`` of its uid).
MAX_PROCESSES = 32
#: Largest file the program may write (``RLIMIT_FSIZE``).
MAX_FILE_BYTES = 16 << 20
#: Open file descriptors per process (``RLIMIT_NOFILE``).
MAX_OPEN_FILES = 256
#: Most worker threads :func:`run_many` and :func:`run_tests_many` accept.
MAX_WORKERS = 64
#: Where :class:`ResultCache` keeps its SQLite file unless told otherwise.
DEFAULT_CACHE_DIR = Path(SANDBOX_CACHE_DIR)
#: Smallest accepted ``memory_mb``: the interpreter alone maps ~20 MiB.
MIN_MEMORY_MB = 32

# Bumped whenever a change here can change a run's outcome, so cached outcomes of an
# older sandbox are never reused.
_SANDBOX_VERSION = 1
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

# The program's first code. It runs as the caller (root on these machines) and splits
# in two. The first process, the supervisor, sets up (namespaces, working dir), becomes
# a child subreaper and forks the program process, which sets its rlimits, drops to the
# sandbox uid and runs the solution as __main__. Every process the program starts stays
# a descendant of the supervisor even when orphaned, so after the program exits, or when
# the parent closes the control pipe (timeout, output cap, parent gone), the supervisor
# SIGKILLs and reaps all of them: nothing is left running and no zombie goes to init.
# Status pipe lines: "ready <isolation>" (supervisor set up), "go" (program set up, its
# code about to start), "done <wait status> <user s> <system s> <max rss KiB>".
# argv: workdir uid cpu_s address_space fsize nproc nofile isolate status_fd control_fd
_BOOTSTRAP = r"""
import os, sys, ctypes

def _isolate(libc, workdir):
    import codecs
    if libc.unshare(0x00020000 | 0x40000000 | 0x08000000) != 0:  # NEWNS | NEWNET | NEWIPC
        return "unshare: " + os.strerror(ctypes.get_errno())
    mount = libc.mount
    mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)

    def do(source, target, flags):
        if mount(source, target, None, flags, None) != 0:
            code = ctypes.get_errno()
            raise OSError(code, "mount %r: %s" % (target, os.strerror(code)))

    do(None, b"/", 0x4000 | 0x40000)  # MS_REC | MS_PRIVATE: nothing propagates back
    do(workdir.encode(), b"/tmp", 0x1000)  # MS_BIND: the working dir becomes /tmp
    with open("/proc/self/mountinfo", "rb") as f:
        points = dict.fromkeys(line.split()[4] for line in f)
    for point in points:
        if point == b"/tmp" or point.startswith(b"/tmp/"):
            continue
        if b"\\" in point:
            point = codecs.escape_decode(point)[0]
        try:
            keep = os.statvfs(point).f_flag & 0xE  # keep nosuid, nodev, noexec
            do(None, point, 0x20 | 0x1000 | 0x1 | keep)  # MS_REMOUNT | MS_BIND | MS_RDONLY
        except OSError:
            if point == b"/":
                raise
    return "isolated"

def _children():
    try:
        with open("/proc/self/task/%d/children" % os.getpid(), "rb") as f:
            return [int(pid) for pid in f.read().split()]
    except OSError:
        pass
    me, found = os.getpid(), []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/" + name + "/stat", "rb") as f:
                    if int(f.read().rsplit(b")", 1)[1].split()[1]) == me:
                        found.append(int(name))
            except (OSError, ValueError, IndexError):
                pass
    return found

def _supervise(child, uid, control, status_fd):
    import select
    pidfd = os.pidfd_open(child)
    poll = select.poll()
    poll.register(pidfd, select.POLLIN)
    poll.register(control, select.POLLIN)
    while True:
        events = dict(poll.poll())
        if control in events or pidfd in events:
            break
    # The program is not reaped yet, so its pid and group id cannot have been reused.
    for kill in (os.killpg, os.kill):
        try:
            kill(child, 9)
        except OSError:
            pass
    result = os.wait4(child, 0)[1:]
    try:
        os.waitpid(-1, os.WNOHANG)
        left = True  # some process the program started escaped its group
    except ChildProcessError:
        left = False
    if left and uid >= 0:
        # One kill(-1) as the sandbox uid signals all its processes at once, which
        # also stops a fork bomb (a process with SIGKILL pending cannot fork).
        killer = os.fork()
        if killer == 0:
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, 9)
            finally:
                os._exit(0)
        os.waitpid(killer, 0)
    while left:
        for pid in _children():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        try:
            os.wait4(-1, 0)
        except ChildProcessError:
            break
    status, usage = result
    line = "done %d %r %r %d\n" % (status, usage.ru_utime, usage.ru_stime, usage.ru_maxrss)
    os.write(status_fd, line.encode())
    os._exit(0)

def _own_tasks(uid):
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat("/proc/" + name).st_uid == uid:
                    with open("/proc/" + name + "/stat", "rb") as f:
                        count += int(f.read().rsplit(b")", 1)[1].split()[17])
            except (OSError, ValueError, IndexError):
                pass
    return count

def _become_program(libc, stdlib, lib_fd, uid, cpu, memory, fsize, nproc, nofile, control, status_fd):
    import resource as r
    os.close(control)
    os.setpgid(0, 0)  # its own group, which the supervisor kills in one call

    def limit(kind, soft, hard=None):
        hard = soft if hard is None else hard
        old_hard = r.getrlimit(kind)[1]
        if old_hard != r.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        r.setrlimit(kind, (soft, hard))

    limit(r.RLIMIT_CPU, cpu, cpu + 1)
    limit(r.RLIMIT_AS, memory)
    limit(r.RLIMIT_STACK, memory)
    limit(r.RLIMIT_FSIZE, fsize)
    limit(r.RLIMIT_NOFILE, nofile)
    limit(r.RLIMIT_CORE, 0)
    if uid >= 0:
        limit(r.RLIMIT_NPROC, nproc)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:
        limit(r.RLIMIT_NPROC, _own_tasks(os.getuid()) + nproc)
    libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: die with the supervisor
    # The stdlib may sit under a directory the sandbox uid cannot enter (/root/.pyenv);
    # the descriptor opened before the drop lets the program import from it all the same.
    prefix = "/proc/self/fd/%d" % lib_fd
    sys.path[:] = [prefix + p[len(stdlib):] for p in sys.path if p.startswith(stdlib)]
    sys.path_importer_cache.clear()
    for module in list(sys.modules.values()):  # packages already imported: encodings, ...
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            paths[:] = [prefix + p[len(stdlib):] if p.startswith(stdlib) else p for p in paths]
    os.write(status_fd, b"go\n")
    os.close(status_fd)

def _start():
    workdir = sys.argv[1]
    uid, cpu, memory, fsize, nproc, nofile, isolate, status_fd, control = map(int, sys.argv[2:11])
    libc = ctypes.CDLL(None, use_errno=True)
    stdlib = os.path.dirname(os.__file__)
    lib_fd = os.open(stdlib, os.O_RDONLY | os.O_DIRECTORY)
    how = "disabled" if uid >= 0 else "not root"
    if uid >= 0 and isolate:
        how = _isolate(libc, workdir)
        if how == "isolated":
            workdir = "/tmp"
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    os.umask(0o077)
    if libc.prctl(36, 1) != 0:  # PR_SET_CHILD_SUBREAPER: orphans come back to us
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    os.write(status_fd, ("ready " + how + "\n").encode())
    import gc
    gc.freeze()  # the program's collector then leaves the inherited objects alone (fewer copied pages)
    child = os.fork()
    if child:
        try:
            os.setpgid(child, child)  # as the program does itself: no window without it
        except OSError:
            pass
        try:
            _supervise(child, uid, control, status_fd)
        except BaseException as error:
            sys.stderr.write("yantra sandbox supervisor failed: %r\n" % (error,))
            os._exit(125)
    _become_program(libc, stdlib, lib_fd, uid, cpu, memory, fsize, nproc, nofile, control, status_fd)

try:
    _start()
except BaseException as error:
    sys.stderr.write("yantra sandbox setup failed: %r\n" % (error,))
    os._exit(125)
del _start, _isolate, _children, _supervise, _own_tasks, _become_program

import builtins

def _quit(code=None):
    raise SystemExit(code)

def _excepthook(kind, value, tb):
    while tb is not None and tb.tb_frame.f_code.co_filename in ("<string>", "<yantra-sandbox>"):
        tb = tb.tb_next
    if value is not None:
        value = value.with_traceback(tb)
    sys.__excepthook__(kind, value, tb)

builtins.exit = builtins.quit = _quit
sys.excepthook = _excepthook
sys.argv[:] = ["solution.py"]
_main = type(sys)("__main__")
_main.__file__ = "solution.py"
_main.__builtins__ = builtins
sys.modules["__main__"] = _main
with open("solution.py", "rb") as _file:
    _code = compile(_file.read(), "solution.py", "exec", dont_inherit=True)
exec(_code, _main.__dict__)
"""


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


class Verdict(str, Enum):
    """How one test went: the run's status, or ``passed`` / ``wrong_answer`` when it ran ok."""

    PASSED = "passed"
    WRONG_ANSWER = "wrong_answer"
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
    """

    status: RunStatus
    stdout: str
    stderr: str
    returncode: int
    time_s: float
    cpu_s: float

    @property
    def ok(self) -> bool:
        """Whether the program exited with status 0 within every limit."""
        return self.status is RunStatus.OK


@dataclass(frozen=True)
class TestOutcome:
    """One test of :func:`run_tests`: its position, verdict and the run behind it."""

    __test__ = False  # not a pytest test class

    index: int
    verdict: Verdict
    result: RunResult

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASSED


@dataclass(frozen=True)
class TestReport:
    """The outcome of running one program on a list of tests.

    ``outcomes`` holds one entry per test that was run, in order; with
    ``stop_on_first_failure`` it ends at the first failing test, so it may be shorter
    than ``num_tests``.
    """

    __test__ = False  # not a pytest test class

    num_tests: int
    outcomes: tuple[TestOutcome, ...]

    @property
    def passed(self) -> int:
        """How many tests passed."""
        return sum(outcome.passed for outcome in self.outcomes)

    @property
    def all_passed(self) -> bool:
        """Whether every one of the ``num_tests`` tests passed."""
        return self.passed == self.num_tests

    @property
    def first_failure(self) -> TestOutcome | None:
        """The first test that did not pass, or ``None``."""
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)


@dataclass(frozen=True)
class RunJob:
    """One run for :func:`run_many`: a program, its stdin and its limits."""

    source: str | bytes
    stdin: str | bytes = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES


@dataclass(frozen=True)
class _Limits:
    """Validated limits of one run."""

    timeout_s: float
    memory_mb: int
    max_output_bytes: int

    def __post_init__(self) -> None:
        timeout = self.timeout_s
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ConfigError(f"sandbox: timeout_s must be a number of seconds, got {timeout!r}")
        if not (math.isfinite(timeout) and 0 < timeout <= 3600):
            raise ConfigError(f"sandbox: timeout_s must be in (0, 3600] seconds, got {timeout!r}")
        memory = self.memory_mb
        if isinstance(memory, bool) or not isinstance(memory, int) or memory < MIN_MEMORY_MB:
            raise ConfigError(
                f"sandbox: memory_mb must be an int >= {MIN_MEMORY_MB} (MiB), got {memory!r}"
            )
        cap = self.max_output_bytes
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise ConfigError(f"sandbox: max_output_bytes must be an int >= 1, got {cap!r}")

    @property
    def cpu_s(self) -> int:
        return math.ceil(self.timeout_s) + 1

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb << 20


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

    The supervisor is the bootstrap's first process (see ``_BOOTSTRAP``); closing the
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
                    for fd in list(selector.get_map()):
                        while fd != pidfd and self._read(fd) == "data":
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
) -> RunStatus:
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


def _execute(
    source: bytes, stdin: bytes, limits: _Limits, *, isolate: bool, python: str
) -> RunResult:
    as_root = os.geteuid() == 0
    uid = _UID_POOL.acquire() if as_root else -1
    workdir = tempfile.mkdtemp(prefix="yantra-sbx-")
    clean = False
    try:
        with open(os.path.join(workdir, "solution.py"), "wb") as f:
            f.write(source)
        if as_root:
            os.chown(workdir, uid, uid)
        result, clean = _spawn_and_watch(
            workdir, uid, stdin, limits, isolate=isolate, python=python
        )
        return result
    finally:
        if as_root:
            if not clean:
                # The supervisor did not report a clean end: kill by uid instead.
                _kill_uid(uid)
            _UID_POOL.release(uid)
        shutil.rmtree(workdir, ignore_errors=True)


def _spawn_and_watch(
    workdir: str, uid: int, stdin: bytes, limits: _Limits, *, isolate: bool, python: str
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
    status = _classify(watcher.killed_for, returncode, stderr, cpu_s, max_rss_bytes, limits)
    result = RunResult(
        status=status,
        stdout=watcher.stdout.decode("utf-8", errors="replace"),
        stderr=stderr.decode("utf-8", errors="replace"),
        returncode=returncode,
        time_s=end - start,
        cpu_s=cpu_s,
    )
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
) -> RunResult:
    """Run the Python program ``source`` on ``stdin`` in a fresh sandboxed subprocess.

    Args:
        source: the program text (UTF-8 if ``bytes``).
        stdin: exactly what the program reads from standard input.
        timeout_s: wall-clock limit; the CPU limit is ``ceil(timeout_s) + 1`` seconds.
        memory_mb: address-space limit (``RLIMIT_AS``) in MiB.
        max_output_bytes: cap on stdout, and separately on stderr; past it the program
            is killed and the status is ``output_limit``.
        isolate: when running as root, also use new mount/network/IPC namespaces
            (read-only filesystem except the program's own ``/tmp``, no network).
        python: interpreter to run the program with (default: ``sys.executable``).

    Returns:
        A :class:`RunResult`; a program failing in any way is a status, not an exception.

    Raises:
        ConfigError: a limit is out of range or the interpreter cannot be started.
        SourceTypeError: ``source`` or ``stdin`` is neither ``str`` nor ``bytes``.
        SandboxError: the sandbox itself could not be set up on this machine.
    """
    _check_platform()
    limits = _Limits(timeout_s, memory_mb, max_output_bytes)
    return _execute(
        _as_bytes(source, "source"),
        _as_bytes(stdin, "stdin"),
        limits,
        isolate=bool(isolate),
        python=_interpreter(python),
    )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _outcome_key(
    source: bytes, stdin: bytes, expected: bytes, limits: _Limits, float_tol: float, isolate: bool
) -> str:
    """Cache key of one test outcome: everything the outcome depends on."""
    parts = {
        "sandbox": _SANDBOX_VERSION,
        "python": sys.version,
        "source": _sha256(source),
        "stdin": _sha256(stdin),
        "expected": _sha256(expected),
        "limits": asdict(limits),
        "float_tol": float_tol,
        "isolate": isolate,
    }
    return _sha256(json.dumps(parts, sort_keys=True).encode())


def _encode_outcome(verdict: Verdict, result: RunResult) -> str:
    fields = asdict(result)
    fields["status"] = result.status.value
    return json.dumps({"verdict": verdict.value, "result": fields})


def _decode_outcome(text: str) -> tuple[Verdict, RunResult]:
    data = json.loads(text)
    fields = data["result"]
    result = RunResult(
        status=RunStatus(fields["status"]),
        stdout=str(fields["stdout"]),
        stderr=str(fields["stderr"]),
        returncode=int(fields["returncode"]),
        time_s=float(fields["time_s"]),
        cpu_s=float(fields["cpu_s"]),
    )
    return Verdict(data["verdict"]), result


class ResultCache:
    """Test outcomes remembered in memory (LRU) and, optionally, in an SQLite file.

    Keys are SHA-256 digests of everything an outcome depends on: the program, the
    test's input and expected output, the limits, the float tolerance, the interpreter
    version and the sandbox version. Safe to share between threads; several processes
    may share one directory (SQLite locks it). A corrupt database file is moved aside
    (``results.sqlite3.corrupt``) and started afresh; an unreadable entry is dropped
    and counts as a miss.

    Outcomes that depend on timing (``timeout``) are cached like the others: clear the
    cache (delete the directory) after changing the machine or its load a lot.

    Args:
        directory: where ``results.sqlite3`` lives (``~`` is expanded), or ``None`` for
            an in-memory cache only.
        max_memory_entries: how many outcomes the in-memory layer keeps.
    """

    FILENAME = "results.sqlite3"

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = DEFAULT_CACHE_DIR,
        *,
        max_memory_entries: int = 4096,
    ) -> None:
        if isinstance(max_memory_entries, bool) or not isinstance(max_memory_entries, int):
            raise ConfigError(
                f"ResultCache: max_memory_entries must be an int, got {max_memory_entries!r}"
            )
        if max_memory_entries < 0:
            raise ConfigError(
                f"ResultCache: max_memory_entries must be >= 0, got {max_memory_entries}"
            )
        self._memory: OrderedDict[str, str] = OrderedDict()
        self._max_memory = max_memory_entries
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.path: Path | None = None
        if directory is not None:
            folder = Path(directory).expanduser()
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"ResultCache: cannot create the cache directory {folder}: {error}; "
                    "pass another directory, or None for a memory-only cache"
                ) from error
            self.path = folder / self.FILENAME
            self._open()

    def _open(self) -> None:
        assert self.path is not None
        try:
            self._db = self._connect(self.path)
        except sqlite3.DatabaseError as error:
            corrupt = self.path.with_name(self.FILENAME + ".corrupt")
            logger.warning(
                "ResultCache: %s is not a usable SQLite database (%s); moved to %s",
                self.path,
                error,
                corrupt,
            )
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{corrupt}{suffix}")
            self._db = self._connect(self.path)

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS outcomes (key TEXT PRIMARY KEY, value TEXT)")
            db.execute("SELECT count(*) FROM outcomes").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _remember(self, key: str, value: str) -> None:
        if self._max_memory == 0:
            return
        self._memory[key] = value
        self._memory.move_to_end(key)
        while len(self._memory) > self._max_memory:
            self._memory.popitem(last=False)

    def get(self, key: str) -> tuple[Verdict, RunResult] | None:
        """The outcome stored under ``key``, or ``None``."""
        with self._lock:
            text = self._memory.get(key)
            if text is not None:
                self._memory.move_to_end(key)
            elif self._db is not None:
                try:
                    row = self._db.execute(
                        "SELECT value FROM outcomes WHERE key = ?", (key,)
                    ).fetchone()
                except sqlite3.DatabaseError as error:
                    logger.warning("ResultCache: reading %s failed (%s)", self.path, error)
                    row = None
                text = row[0] if row is not None else None
            if text is None:
                return None
            try:
                outcome = _decode_outcome(text)
            except (ValueError, KeyError, TypeError) as error:
                logger.warning("ResultCache: dropping unreadable entry %s (%s)", key, error)
                self._forget(key)
                return None
            self._remember(key, text)
            return outcome

    def _forget(self, key: str) -> None:
        self._memory.pop(key, None)
        if self._db is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self._db.execute("DELETE FROM outcomes WHERE key = ?", (key,))

    def put(self, key: str, verdict: Verdict, result: RunResult) -> None:
        """Store an outcome under ``key``."""
        text = _encode_outcome(verdict, result)
        with self._lock:
            self._remember(key, text)
            if self._db is not None:
                try:
                    self._db.execute(
                        "INSERT OR REPLACE INTO outcomes (key, value) VALUES (?, ?)", (key, text)
                    )
                except sqlite3.DatabaseError as error:
                    logger.warning("ResultCache: writing %s failed (%s)", self.path, error)

    def __len__(self) -> int:
        """Entries on disk (or in memory for a memory-only cache)."""
        with self._lock:
            if self._db is None:
                return len(self._memory)
            return int(self._db.execute("SELECT count(*) FROM outcomes").fetchone()[0])

    def close(self) -> None:
        """Close the database file; the cache keeps working from memory."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "memory only"
        return f"{type(self).__name__}({where})"


def _check_tests(tests: Sequence[tuple[str, str]]) -> list[tuple[str | bytes, str | bytes]]:
    if isinstance(tests, (str, bytes)) or not isinstance(tests, Iterable):
        raise DatasetError(
            f"run_tests: tests must be a list of (input, expected_output) pairs, "
            f"got {type(tests).__name__}"
        )
    checked = []
    for index, test in enumerate(tests):
        if (
            not isinstance(test, (tuple, list))
            or len(test) != 2
            or not all(isinstance(part, (str, bytes)) for part in test)
        ):
            raise DatasetError(
                f"run_tests: test #{index} must be an (input, expected_output) pair of str, "
                f"got {test!r:.80}"
            )
        checked.append((test[0], test[1]))
    if not checked:
        raise DatasetError(
            "run_tests: the list of tests is empty; a program cannot be judged without tests"
        )
    return checked


def judge(result: RunResult, expected: str | bytes, float_tol: float) -> Verdict:
    """The verdict of one finished run against the expected output."""
    if result.status is not RunStatus.OK:
        return Verdict(result.status.value)
    if outputs_match(result.stdout, expected, float_tol=float_tol):
        return Verdict.PASSED
    return Verdict.WRONG_ANSWER


def run_tests(
    source: str | bytes,
    tests: Sequence[tuple[str, str]],
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    stop_on_first_failure: bool = True,
    float_tol: float = DEFAULT_FLOAT_TOL,
    cache: ResultCache | None = None,
    isolate: bool = True,
    python: str | None = None,
) -> TestReport:
    """Run ``source`` on each ``(input, expected_output)`` test and judge its output.

    Tests run one after another (use :func:`run_tests_many` to spread programs over
    cores). With ``stop_on_first_failure`` the first failing test ends the report,
    which is all a correct/incorrect label needs. Outcomes found in ``cache`` are not
    run again; new ones are stored there.

    Raises:
        DatasetError: ``tests`` is empty or holds something other than pairs of str.
        ConfigError, SourceTypeError, SandboxError: as :func:`run`.
    """
    _check_platform()
    checked = _check_tests(tests)
    limits = _Limits(timeout_s, memory_mb, max_output_bytes)
    code = _as_bytes(source, "source")
    interpreter = _interpreter(python)
    outcomes = []
    for index, (stdin, expected) in enumerate(checked):
        stdin_bytes = _as_bytes(stdin, f"input of test #{index}")
        key = ""
        found = None
        if cache is not None:
            key = _outcome_key(
                code,
                stdin_bytes,
                _as_bytes(expected, f"expected output of test #{index}"),
                limits,
                float_tol,
                bool(isolate),
            )
            found = cache.get(key)
        if found is not None:
            verdict, result = found
        else:
            result = _execute(code, stdin_bytes, limits, isolate=bool(isolate), python=interpreter)
            verdict = judge(result, expected, float_tol)
            # a timeout says as much about the machine's load as about the program:
            # never remember one, so a busy moment does not become a permanent label
            if cache is not None and verdict is not Verdict.TIMEOUT:
                cache.put(key, verdict, result)
        outcomes.append(TestOutcome(index=index, verdict=verdict, result=result))
        if stop_on_first_failure and verdict is not Verdict.PASSED:
            break
    return TestReport(num_tests=len(checked), outcomes=tuple(outcomes))


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
            isolate=isolate,
            python=python,
        )

    return _parallel_map(one, items, _check_workers(workers), progress, "sandbox runs")


def run_tests_many(
    programs: Iterable[tuple[str | bytes, Sequence[tuple[str, str]]]],
    *,
    workers: int | None = None,
    progress: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
    stop_on_first_failure: bool = True,
    float_tol: float = DEFAULT_FLOAT_TOL,
    cache: ResultCache | None = None,
    isolate: bool = True,
    python: str | None = None,
) -> list[TestReport]:
    """:func:`run_tests` for many ``(source, tests)`` programs, ``workers`` programs at a
    time (default: one per core); reports come back in the order of ``programs``."""
    items = list(programs)
    for index, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise DatasetError(
                f"run_tests_many: program #{index} must be a (source, tests) pair, "
                f"got {type(item).__name__}"
            )

    def one(item: tuple[str | bytes, Sequence[tuple[str, str]]]) -> TestReport:
        return run_tests(
            item[0],
            item[1],
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            max_output_bytes=max_output_bytes,
            stop_on_first_failure=stop_on_first_failure,
            float_tol=float_tol,
            cache=cache,
            isolate=isolate,
            python=python,
        )

    return _parallel_map(one, items, _check_workers(workers), progress, "programs")
