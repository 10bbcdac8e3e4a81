"""The first code of every sandboxed run: the supervisor, then the program process.

``yantra_gnn`` never imports this module. :mod:`yantra_gnn.sandbox.process` reads its
text, compiles it (as ``<yantra-sandbox>``, once per parent process) and hands the
marshalled code to a fresh ``python -s -S`` that executes it as its ``__main__``, with
an environment built from nothing. So it imports the standard library only: never
``yantra_gnn``, nothing from site-packages. Everything it does is under the
``if __name__ == "__main__":`` block at the end (at module level, not in a function, so
the solution runs with no extra frame of ours below it); importing the module only
defines functions.

The code runs as the caller (root on these machines) and splits in two. The first
process, the supervisor, sets up (namespaces, working dir), becomes a child subreaper and
forks the program process, which sets its rlimits, drops to the sandbox uid and runs the
solution as ``__main__``. Every process the program starts stays a descendant of the
supervisor even when orphaned, so after the program exits, or when the parent closes the
control pipe (timeout, output cap, parent gone), the supervisor SIGKILLs and reaps all
of them: nothing is left running and no zombie goes to init.

The program process's last step before the solution is a seccomp filter (through
``libseccomp.so.2`` with ctypes, where the machine has it) that makes the calls no
solution needs, and that an escape would, fail with ``EPERM``: namespaces (``unshare``,
``setns``, ``clone`` with a ``CLONE_NEW*`` flag), ``ptrace``, mounts (old and new API),
``kexec``, kernel modules, ``bpf``, ``userfaultfd``, ``perf_event_open``, keyrings,
``io_uring``. ``clone3``, whose flags sit in memory a filter cannot read, fails with
``ENOSYS``, so glibc falls back to ``clone`` for threads and ``posix_spawn``.

Status pipe lines: ``ready <isolation>`` (supervisor set up), ``filter <seccomp | none:
reason>`` and ``go`` (program set up, its code about to start), ``done <wait status>
<user s> <system s> <max rss KiB>``.

argv: workdir uid cpu_s address_space fsize nproc nofile isolate status_fd control_fd
disk_bytes seccomp_library ("-": no filter) [cgroup.procs file ...]: the supervisor joins
those cgroups (the run's, made by the parent) before anything else, so every process of
the run is charged there.
"""

import builtins
import ctypes
import os
import sys
from types import TracebackType  # already loaded by ctypes: costs the child nothing


def _isolate(libc: ctypes.CDLL, workdir: str, uid: int, disk: int) -> str:
    import codecs

    if libc.unshare(0x00020000 | 0x40000000 | 0x08000000) != 0:  # NEWNS | NEWNET | NEWIPC
        return "unshare: " + os.strerror(ctypes.get_errno())
    mount = libc.mount
    mount.argtypes = (
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_char_p,
    )

    def do(
        source: bytes | None,
        target: bytes,
        flags: int,
        kind: bytes | None = None,
        data: bytes | None = None,
    ) -> None:
        if mount(source, target, kind, flags, data) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"mount {target!r}: {os.strerror(code)}")

    do(None, b"/", 0x4000 | 0x40000)  # MS_REC | MS_PRIVATE: nothing propagates back
    with open(os.path.join(workdir, "solution.py"), "rb") as f:
        solution = f.read()
    # /tmp (cwd, HOME, TMPDIR) is a tmpfs of `disk` bytes: every file the run writes,
    # all together (charged to the run's memory cgroup too); gone with the namespace.
    options = f"size={disk:d},nr_inodes=4096,mode=0700,uid={uid:d},gid={uid:d}"
    do(b"tmpfs", b"/tmp", 0x2 | 0x4, b"tmpfs", options.encode())  # MS_NOSUID | MS_NODEV
    fd = os.open("/tmp/solution.py", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(solution)
        while view:
            view = view[os.write(fd, view) :]
        os.fchown(fd, uid, uid)
    finally:
        os.close(fd)
    with open("/proc/self/mountinfo", "rb") as f:
        points = dict.fromkeys(line.split()[4] for line in f)
    for point in points:
        # /proc goes read-only later, once the program process has written its
        # oom_score_adj (see _become_program)
        if point in (b"/tmp", b"/proc") or point.startswith(b"/tmp/"):
            continue
        if b"\\" in point:
            point = codecs.escape_decode(point)[0]
        try:
            _read_only(libc, point)
        except OSError:
            if point == b"/":
                raise
    return "isolated"


def _read_only(libc: ctypes.CDLL, point: bytes) -> None:
    keep = os.statvfs(point).f_flag & 0xE  # keep nosuid, nodev, noexec
    # MS_REMOUNT | MS_BIND | MS_RDONLY
    if libc.mount(None, point, None, 0x20 | 0x1000 | 0x1 | keep, None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mount {point!r}: {os.strerror(code)}")


def _children() -> list[int]:
    try:
        with open(f"/proc/self/task/{os.getpid():d}/children", "rb") as f:
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


def _supervise(child: int, uid: int, control: int, status_fd: int) -> None:
    """Wait for the program or the control pipe, kill and reap everything; never returns."""
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
        try:
            killer = os.fork()
        except OSError:  # no task left (pids cgroup): the loop below does it
            killer = -1
        if killer == 0:
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, 9)
            finally:
                os._exit(0)
        if killer > 0:
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
    line = f"done {status:d} {usage.ru_utime!r} {usage.ru_stime!r} {usage.ru_maxrss:d}\n"
    os.write(status_fd, line.encode())
    os._exit(0)


def _own_tasks(uid: int) -> int:
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


#: Calls the program gets EPERM for (names libseccomp does not know on this
#: architecture are skipped).
_DENIED_CALLS = (
    "unshare", "setns", "ptrace", "process_vm_readv", "process_vm_writev",
    "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "acct",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "bpf", "userfaultfd", "perf_event_open", "add_key", "request_key", "keyctl",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
)  # fmt: skip
#: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET: clone with any is EPERM.
_NAMESPACE_FLAGS = (0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000)


def _seccomp(name: str) -> str:
    """Load the filter (see the module's docstring) through the library ``name`` into this
    process and its future children; returns ``"seccomp"``, or ``"none: why"``."""
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return f"none: {name} not found"

    class Compare(ctypes.Structure):  # struct scmp_arg_cmp
        _fields_ = [
            ("arg", ctypes.c_uint),
            ("op", ctypes.c_int),
            ("datum_a", ctypes.c_uint64),
            ("datum_b", ctypes.c_uint64),
        ]

    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(Compare),
    )
    lib.seccomp_load.argtypes = lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    allow, errno_action = 0x7FFF0000, 0x00050000  # SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(0)
    context = lib.seccomp_init(allow)
    if not context:
        return "none: seccomp_init failed"
    try:

        def deny(name: str, errno: int, *compare: Compare) -> None:
            number = lib.seccomp_syscall_resolve_name(name.encode())
            if number < 0:  # not a call of this architecture
                return
            array = (Compare * len(compare))(*compare) if compare else None
            code = lib.seccomp_rule_add_array(
                context, errno_action | errno, number, len(compare), array
            )
            if code < 0:
                raise OSError(-code, f"seccomp_rule_add({name}): {os.strerror(-code)}")

        for name in _DENIED_CALLS:
            deny(name, 1)  # EPERM
        # clone's flags are its first argument (its second on s390)
        flags_arg = 1 if os.uname().machine.startswith("s390") else 0
        for flag in _NAMESPACE_FLAGS:
            deny("clone", 1, Compare(flags_arg, 7, flag, flag))  # SCMP_CMP_MASKED_EQ
        deny("clone3", 38)  # ENOSYS: glibc then uses clone
        code = lib.seccomp_load(context)
        if code < 0:
            return "none: seccomp_load: " + os.strerror(-code)
    except OSError as error:
        return f"none: {error.strerror}"
    finally:
        lib.seccomp_release(context)
    return "seccomp"


def _become_program(
    libc: ctypes.CDLL,
    stdlib: str,
    lib_fd: int,
    uid: int,
    cpu: int,
    memory: int,
    fsize: int,
    nproc: int,
    nofile: int,
    control: int,
    status_fd: int,
    isolated: bool,
    seccomp_library: str,
) -> None:
    import resource as r

    os.close(control)
    os.setpgid(0, 0)  # its own group, which the supervisor kills in one call
    # Out of memory (the run's cgroup, or the machine), the kernel kills the program's
    # processes first, never the supervisor before them (raising needs no privilege;
    # lowering the supervisor's would need CAP_SYS_RESOURCE, which root may lack).
    with open("/proc/self/oom_score_adj", "wb") as f:
        f.write(b"1000")
    if isolated:  # the supervisor's namespace: /proc is the last mount made read-only
        _read_only(libc, b"/proc")
    # One malloc arena for all threads: glibc reserves 64 MiB of address space for each
    # extra arena, which RLIMIT_AS counts (only 14 threads started under 512 MiB).
    libc.mallopt(-8, 1)  # M_ARENA_MAX

    def limit(kind: int, soft: int, hard: int | None = None) -> None:
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
    prefix = f"/proc/self/fd/{lib_fd:d}"
    sys.path[:] = [prefix + p[len(stdlib) :] for p in sys.path if p.startswith(stdlib)]
    sys.path_importer_cache.clear()
    for module in list(sys.modules.values()):  # packages already imported: encodings, ...
        paths = getattr(module, "__path__", None)
        if isinstance(paths, list):
            paths[:] = [prefix + p[len(stdlib) :] if p.startswith(stdlib) else p for p in paths]
    syscall_filter = _seccomp(seccomp_library) if seccomp_library != "-" else "none: disabled"
    os.write(status_fd, ("filter " + syscall_filter + "\ngo\n").encode())
    os.close(status_fd)


def _start() -> None:
    workdir = sys.argv[1]
    uid, cpu, memory, fsize, nproc, nofile, isolate, status_fd, control = map(int, sys.argv[2:11])
    disk = int(sys.argv[11])
    seccomp_library = sys.argv[12]
    for procs in sys.argv[13:]:  # the run's cgroups: joined before anything is forked
        with open(procs, "wb") as f:
            f.write(b"%d" % os.getpid())
    libc = ctypes.CDLL(None, use_errno=True)
    stdlib = os.path.dirname(os.__file__)
    lib_fd = os.open(stdlib, os.O_RDONLY | os.O_DIRECTORY)
    how = "disabled" if uid >= 0 else "not root"
    if uid >= 0 and isolate:
        how = _isolate(libc, workdir, uid, disk)
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
            sys.stderr.write(f"yantra sandbox supervisor failed: {error!r}\n")
            os._exit(125)
    _become_program(
        libc,
        stdlib,
        lib_fd,
        uid,
        cpu,
        memory,
        fsize,
        nproc,
        nofile,
        control,
        status_fd,
        how == "isolated",
        seccomp_library,
    )


def _quit(code: object = None) -> None:
    raise SystemExit(code)


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Print tracebacks from the solution's first frame on (ours are not its business)."""
    while tb is not None and tb.tb_frame.f_code.co_filename in ("<string>", "<yantra-sandbox>"):
        tb = tb.tb_next
    if value is not None:
        value = value.with_traceback(tb)
    sys.__excepthook__(kind, value, tb)


if __name__ == "__main__":
    try:
        _start()
    except BaseException as error:
        sys.stderr.write(f"yantra sandbox setup failed: {error!r}\n")
        os._exit(125)
    # Only what the program process still needs stays in the bootstrap's namespace.
    del (
        _start,
        _isolate,
        _read_only,
        _children,
        _supervise,
        _own_tasks,
        _become_program,
        _seccomp,
        _DENIED_CALLS,
        _NAMESPACE_FLAGS,
        TracebackType,
    )

    # -S skips site, which is what defines exit() and quit(): the program gets both.
    vars(builtins).update(exit=_quit, quit=_quit)
    sys.excepthook = _excepthook
    sys.argv[:] = ["solution.py"]
    _main = type(sys)("__main__")
    _main.__file__ = "solution.py"
    vars(_main)["__builtins__"] = builtins  # as a real __main__ (ModuleType does not declare it)
    sys.modules["__main__"] = _main
    with open("solution.py", "rb") as _file:
        _code = compile(_file.read(), "solution.py", "exec", dont_inherit=True)
    exec(_code, _main.__dict__)
