"""Per-run control groups: limits on a whole run (every process of it), not per process.

rlimits bind each process on its own: under ``RLIMIT_AS`` of 512 MiB, eight children of
400 MiB each are all allowed. When the caller is root and the machine gives it a
writable memory controller, :mod:`yantra_gnn.sandbox.process` makes one cgroup per run
(and one in the pids hierarchy when that is writable too), under the caller's own
cgroup, never in the root of a hierarchy it does not own. The supervisor of the run
joins it before it forks the program, so every process of the run is charged there;
the cgroup is removed after the run, once all its processes are dead.

* memory: ``memory_mb`` + the run's ``/tmp`` size (``disk_mb``, its files are in memory)
  + :data:`ALLOWANCE_MB` (the supervisor's own interpreter, page tables, pipes); swap
  is capped at the same total (cgroup v1 ``memory.memsw.limit_in_bytes``, v2
  ``memory.swap.max = 0``) so it is no escape. Past it the kernel OOM-kills a process
  of the program (the supervisor is exempt: ``oom_score_adj`` -1000) and the run is
  ``memory_limit`` (``oom_kill`` of ``memory.oom_control`` / ``memory.events``).
* pids: the program's processes and threads + its supervisor and the supervisor's
  helper (``pids.max``).

cgroup v1 controllers (``/sys/fs/cgroup/memory``, ``/sys/fs/cgroup/pids``) are used when
the memory controller is mounted there; otherwise cgroup v2 when the caller's cgroup
delegates ``memory`` to its children (``cgroup.subtree_control``). Otherwise runs are
limited per process by rlimits only; :func:`limits_mechanism` says which is in force
and the first run of a process logs it.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import threading
import time
from dataclasses import dataclass

from yantra_gnn.files import left_by_a_dead_process

__all__ = ["ALLOWANCE_MB", "RunCgroup", "limits_mechanism", "run_cgroup"]

logger = logging.getLogger(__name__)

#: MiB the run's memory cgroup allows above the program's own limits: the supervisor's
#: interpreter (what it touches after joining the cgroup) and the kernel memory of the run.
ALLOWANCE_MB = 16

_PREFIX = "yantra-sbx-"
_RMDIR_TRIES = 100  # x 10 ms: a second for the last tasks to leave after being reaped


@dataclass(frozen=True)
class _Hierarchy:
    """One place where run cgroups are made: its version, controller(s) and directory."""

    version: int  # 1 or 2
    controllers: tuple[str, ...]  # ("memory",), ("pids",), or for v2 both in one
    parent: str  # the caller's own cgroup directory


@dataclass(frozen=True)
class _Setup:
    mechanism: str  # "cgroup-v1", "cgroup-v2" or "rlimits"
    hierarchies: tuple[_Hierarchy, ...]
    detail: str


_SETUP_LOCK = threading.Lock()
_setup: tuple[int, _Setup] | None = None
_COUNTER = itertools.count()


def _unescape(field: str) -> str:
    """A path from /proc/self/mountinfo (spaces and the like are written as ``\\040``)."""
    if "\\" not in field:
        return field
    return field.encode().decode("unicode_escape").encode("latin-1").decode(errors="replace")


def _cgroup_mounts() -> list[tuple[str, str, str, set[str]]]:
    """``(mount point, root in the hierarchy, fs type, super options)`` of cgroup mounts."""
    mounts = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, tail = left.split(), right.split()
            if len(fields) < 5 or len(tail) < 3 or tail[0] not in ("cgroup", "cgroup2"):
                continue
            mounts.append(
                (_unescape(fields[4]), _unescape(fields[3]), tail[0], set(tail[2].split(",")))
            )
    return mounts


def _own_cgroups() -> dict[str, str]:
    """The caller's cgroup path per v1 controller, and ``""`` → its v2 path."""
    paths: dict[str, str] = {}
    with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) != 3:
                continue
            for controller in parts[1].split(",") if parts[1] else [""]:
                paths[controller] = parts[2]
    return paths


def _directory(point: str, root: str, path: str) -> str | None:
    """Where the cgroup ``path`` of a hierarchy mounted at ``point`` (its ``root``) is."""
    root = root.rstrip("/")
    if root and path != root and not path.startswith(root + "/"):
        return None  # the caller's cgroup is outside what this mount shows
    directory = os.path.join(point, path[len(root) :].lstrip("/"))
    return directory if os.path.isdir(directory) else None


def _probe(hierarchy: _Hierarchy) -> None:
    """Make, limit and remove a cgroup there; raises OSError when that is refused."""
    probe = os.path.join(hierarchy.parent, f"{_PREFIX}{os.getpid()}-probe")
    with contextlib.suppress(FileNotFoundError):
        os.rmdir(probe)
    os.mkdir(probe)
    try:
        if hierarchy.version == 1 and "memory" in hierarchy.controllers:
            _write(probe, "memory.limit_in_bytes", str(1 << 30))
        elif hierarchy.version == 1:
            _write(probe, "pids.max", "1000")
        else:
            _write(probe, "memory.max", str(1 << 30))
    finally:
        os.rmdir(probe)


def _detect() -> _Setup:
    if os.geteuid() != 0:
        return _Setup("rlimits", (), "not root")
    try:
        mounts = _cgroup_mounts()
        own = _own_cgroups()
    except OSError as error:
        return _Setup("rlimits", (), f"cannot read /proc/self: {error}")
    found: dict[str, _Hierarchy] = {}
    for controller in ("memory", "pids"):
        if controller not in own:
            continue
        for point, root, fstype, options in mounts:
            if fstype == "cgroup" and controller in options:
                directory = _directory(point, root, own[controller])
                if directory is not None:
                    found[controller] = _Hierarchy(1, (controller,), directory)
                break
    reasons = []
    if "memory" in found:
        hierarchies = [found["memory"]]
        if "pids" in found:
            try:
                _probe(found["pids"])
                hierarchies.append(found["pids"])
            except OSError as error:
                reasons.append(f"pids controller not writable ({error.strerror})")
        try:
            _probe(found["memory"])
            return _Setup("cgroup-v1", tuple(hierarchies), "; ".join(reasons))
        except OSError as error:
            reasons.append(f"v1 memory controller not writable ({error.strerror})")
    elif "memory" not in own:
        reasons.append("no v1 memory controller")
    v2 = _v2_hierarchy(mounts, own.get(""))
    if isinstance(v2, str):
        reasons.append(v2)
    else:
        try:
            _probe(v2)
            return _Setup("cgroup-v2", (v2,), "")
        except OSError as error:
            reasons.append(f"cgroup v2 not writable ({error.strerror})")
    return _Setup("rlimits", (), "; ".join(reasons))


def _v2_hierarchy(
    mounts: list[tuple[str, str, str, set[str]]], path: str | None
) -> _Hierarchy | str:
    """The caller's cgroup v2 directory when it delegates ``memory``, or why not."""
    if path is None:
        return "no cgroup v2 membership"
    for point, root, fstype, _ in mounts:
        if fstype != "cgroup2":
            continue
        directory = _directory(point, root, path)
        if directory is None:
            return "cgroup v2 hierarchy does not show the caller's cgroup"
        try:
            with open(os.path.join(directory, "cgroup.subtree_control"), encoding="ascii") as f:
                delegated = f.read().split()
        except OSError as error:
            return f"cgroup v2: {error.strerror}"
        if "memory" not in delegated:
            return f"cgroup v2 at {point} delegates no memory controller here"
        controllers = ("memory", "pids") if "pids" in delegated else ("memory",)
        return _Hierarchy(2, controllers, directory)
    return "no cgroup v2 mount"


def _current_setup() -> _Setup:
    global _setup
    with _SETUP_LOCK:
        if _setup is None or _setup[0] != os.getpid():
            setup = _detect()
            _setup = (os.getpid(), setup)
            _remove_stale(setup)
            if setup.hierarchies:
                where = ", ".join(
                    f"{'+'.join(h.controllers)} under {h.parent}" for h in setup.hierarchies
                )
                logger.info(
                    "sandbox: per-run limits by %s (%s)%s",
                    setup.mechanism,
                    where,
                    f"; {setup.detail}" if setup.detail else "",
                )
            else:
                logger.warning(
                    "sandbox: no per-run cgroup (%s): memory and process limits hold per "
                    "process only (rlimits); see docs/sandbox.md",
                    setup.detail,
                )
        return _setup[1]


def limits_mechanism() -> str:
    """How the memory and process limits of a run are enforced in this process:
    ``"cgroup-v1"`` or ``"cgroup-v2"`` (per run, all its processes together) or
    ``"rlimits"`` (per process only: not root, or no writable memory controller)."""
    return _current_setup().mechanism


def _remove_stale(setup: _Setup) -> None:
    """Remove run cgroups of callers that were killed mid-run (``yantra-sbx-PID-*``)."""
    for hierarchy in setup.hierarchies:
        with contextlib.suppress(OSError):
            for entry in os.scandir(hierarchy.parent):
                stale = left_by_a_dead_process(entry.name, _PREFIX, "-")
                if stale and _rmdir(entry.path, tries=1):
                    logger.info("removed the cgroup %s, left by a killed run", entry.path)


def _write(directory: str, name: str, value: str) -> None:
    with open(os.path.join(directory, name), "w", encoding="ascii") as f:
        f.write(value)


def _read(directory: str, name: str) -> str:
    try:
        with open(os.path.join(directory, name), encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _rmdir(directory: str, tries: int = _RMDIR_TRIES) -> bool:
    for attempt in range(tries):
        try:
            os.rmdir(directory)
            return True
        except FileNotFoundError:
            return True
        except OSError as error:
            if error.errno != errno.EBUSY or attempt == tries - 1:
                return False
            time.sleep(0.01)
    return False


class RunCgroup:
    """The cgroups of one run (one per hierarchy); :meth:`remove` them after it."""

    def __init__(self, mechanism: str, directories: list[tuple[_Hierarchy, str]]) -> None:
        self.mechanism = mechanism
        self._directories = directories

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files the supervisor writes its pid to."""
        return [os.path.join(d, "cgroup.procs") for _, d in self._directories]

    @property
    def directories(self) -> list[str]:
        return [d for _, d in self._directories]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a process of the run for exceeding its memory."""
        for hierarchy, directory in self._directories:
            if "memory" not in hierarchy.controllers:
                continue
            name = "memory.oom_control" if hierarchy.version == 1 else "memory.events"
            for line in _read(directory, name).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip().isdigit():
                    return int(value) > 0
        return False

    def pids(self) -> list[int]:
        """Processes still in the run's cgroups."""
        found: set[int] = set()
        for directory in self.directories:
            found.update(int(p) for p in _read(directory, "cgroup.procs").split() if p.isdigit())
        return sorted(found)

    def remove(self) -> None:
        """Remove the cgroups (call once every process of the run is dead)."""
        for directory in self.directories:
            if not _rmdir(directory):
                logger.warning(
                    "sandbox: could not remove the run cgroup %s (processes left: %s)",
                    directory,
                    _read(directory, "cgroup.procs").split(),
                )


def run_cgroup(memory_bytes: int, max_tasks: int) -> RunCgroup | None:
    """Make the cgroups of one run (``memory_bytes`` for all its processes and their
    files, at most ``max_tasks`` tasks), or ``None`` where the machine allows none."""
    setup = _current_setup()
    if not setup.hierarchies:
        return None
    name = f"{_PREFIX}{os.getpid()}-{next(_COUNTER)}"
    made: list[tuple[_Hierarchy, str]] = []
    try:
        for hierarchy in setup.hierarchies:
            directory = os.path.join(hierarchy.parent, name)
            os.mkdir(directory)
            made.append((hierarchy, directory))
            _limit(hierarchy, directory, memory_bytes, max_tasks)
    except OSError as error:
        for _, directory in made:
            _rmdir(directory)
        logger.warning(
            "sandbox: cannot make the run cgroup %s (%s): this run is limited per process only",
            name,
            error,
        )
        return None
    return RunCgroup(setup.mechanism, made)


def _limit(hierarchy: _Hierarchy, directory: str, memory_bytes: int, max_tasks: int) -> None:
    if hierarchy.version == 1:
        if "memory" in hierarchy.controllers:
            _write(directory, "memory.limit_in_bytes", str(memory_bytes))
            # memsw (memory + swap) must be set after the memory limit it may not undercut.
            if os.path.exists(os.path.join(directory, "memory.memsw.limit_in_bytes")):
                _write(directory, "memory.memsw.limit_in_bytes", str(memory_bytes))
        if "pids" in hierarchy.controllers:
            _write(directory, "pids.max", str(max_tasks))
        return
    _write(directory, "memory.max", str(memory_bytes))
    if os.path.exists(os.path.join(directory, "memory.swap.max")):
        _write(directory, "memory.swap.max", "0")
    if "pids" in hierarchy.controllers:
        _write(directory, "pids.max", str(max_tasks))
