"""The sandbox one job's student code runs in (Linux namespaces + a private mount view + setuid).

Mechanism, the same for both sandboxed executors (see docs/autograder-sandbox.md):

1. ``isolate(spec)`` (in :mod:`autograder.mountns`) -- run as root in a process that will
   never run student code (the zygote's per-job child, or the kernel launcher): ``unshare`` new mount, network, IPC, UTS and PID
   namespaces, then build a fresh root on a small tmpfs and ``pivot_root`` into it. The new root
   holds only: read-only binds of the system (``/usr``, ``/lib*``, ``/bin``, a few ``/etc``
   files), of the Python installation and virtualenv (bound at their own paths, so a pyenv
   Python under root's 0700 home stays readable after ``setuid``), the job's workdir as an
   overlay at ``/home/sandbox`` (reads see the workdir, writes land in a private, size-limited
   tmpfs), private ``/tmp`` and ``/dev/shm`` on that same tmpfs, and a minimal ``/dev``.
2. ``fork`` -- the child is PID 1 of the new PID namespace: when it dies, the kernel kills every
   process the job started, so nothing outlives the job.
3. ``finish(spec)`` in that child: mount ``/proc``, drop every privilege (``setgroups([])``,
   ``setresgid``/``setresuid`` to the sandbox uid, ``no_new_privs``), apply rlimits, set
   ``PDEATHSIG``, clean the environment.

Memory and process limits come from a per-job cgroup (:mod:`autograder.cgroups`), joined before
step 2 so every descendant is inside it. The network namespace has only a loopback interface,
left down: every connect fails.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import resource
import signal
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from autograder import seccomp
from autograder.mountns import (
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    PIVOT_ROOT_SYSCALL,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_DUMPABLE,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    SANDBOX_HOME,
    SandboxError,
    is_under,
    isolate,
    mount,
    prctl,
)

DEFAULT_UID = 65534
__all__ = [
    "PR_SET_CHILD_SUBREAPER",
    "PR_SET_PDEATHSIG",
    "SANDBOX_HOME",
    "SandboxError",
    "SandboxSpec",
    "SandboxStatus",
    "finish",
    "isolate",
    "prctl",
    "python_ro_paths",
    "run_isolated",
    "sandbox_env",
    "sandbox_status",
    "sandbox_uid",
]


@dataclass(frozen=True)
class SandboxStatus:
    """Whether the real sandbox can run here; ``reason`` says why not."""

    available: bool
    mechanism: str
    reason: str = ""
    cgroup: str = ""

    def __str__(self) -> str:
        state = "available" if self.available else "UNAVAILABLE"
        extra = f" ({self.reason})" if self.reason else ""
        return f"sandbox {state}: {self.mechanism}; cgroup {self.cgroup or 'none'}{extra}"


@dataclass
class SandboxSpec:
    """Everything ``isolate``/``finish`` need; JSON-serialisable (it crosses processes)."""

    workdir: str
    uid: int = DEFAULT_UID
    gid: int = DEFAULT_UID
    disk_mb: int = 256
    cpu_time_s: int = 600
    memory_mb: int = 2048
    rlimit_as: bool = False  # only when no memory cgroup is available
    root_mountpoint: str = "/tmp"
    ro_paths: list[str] = field(default_factory=list)
    rw_paths: list[str] = field(default_factory=list)  # bound read-write at the same path
    devices: list[str] = field(default_factory=list)  # extra /dev nodes (GPU)
    bind_sys: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> SandboxSpec:
        return cls(**json.loads(text))


def sandbox_uid() -> int:
    """The unprivileged uid student code runs as (``AUTOGRADER_SANDBOX_UID``, default 65534)."""
    raw = os.environ.get("AUTOGRADER_SANDBOX_UID", str(DEFAULT_UID))
    try:
        uid = int(raw)
    except ValueError:
        raise SandboxError(f"AUTOGRADER_SANDBOX_UID must be an integer, got {raw!r}") from None
    if uid <= 0:
        raise SandboxError("AUTOGRADER_SANDBOX_UID must be an unprivileged uid, not root")
    return uid


def python_ro_paths(workdir: str | None = None) -> list[str]:
    """The interpreter and virtualenv directories the sandbox must be able to read.

    Bound at their own paths so ``sys.path`` stays valid. Never ``/`` and never a directory that
    contains the workdir (that would expose sibling submissions or the course).
    """
    candidates = {sys.base_prefix, sys.prefix, sys.exec_prefix}
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            candidates.add(entry)
    extra = os.environ.get("AUTOGRADER_SANDBOX_RO_PATHS", "")
    candidates.update(p for p in extra.split(":") if p)
    chosen: list[str] = []
    for path in sorted(os.path.realpath(p) for p in candidates):
        if path == "/" or not os.path.isdir(path) or any(is_under(path, c) for c in chosen):
            continue
        if workdir and is_under(os.path.realpath(workdir), path):
            continue
        chosen.append(path)
    return chosen


# --- inside the new PID namespace ------------------------------------------------------------


def finish(spec: SandboxSpec) -> None:
    """In the forked child (PID 1 of the job): mount /proc, drop privileges, apply rlimits."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    os.chdir(SANDBOX_HOME)
    _set_rlimits(spec)
    os.setgroups([])
    os.setresgid(spec.gid, spec.gid, spec.gid)
    os.setresuid(spec.uid, spec.uid, spec.uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    seccomp.install()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # setuid cleared it; die with the supervisor
    if os.getuid() == 0 or os.geteuid() == 0:
        raise SandboxError("still root after setuid")
    os.environ.clear()
    os.environ.update(sandbox_env(spec))


def sandbox_env(spec: SandboxSpec) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "TMPDIR": "/tmp",
        "IPYTHONDIR": "/tmp/.ipython",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update(spec.env)
    return env


def _set_rlimits(spec: SandboxSpec) -> None:
    mb = 1024 * 1024
    limits = {
        resource.RLIMIT_FSIZE: spec.disk_mb * mb,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 1024,
    }
    if spec.rlimit_as:
        limits[resource.RLIMIT_AS] = spec.memory_mb * mb
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))
    # SIGXCPU at the soft limit (reported as a timeout); SIGKILL 5 s later if it is ignored
    resource.setrlimit(resource.RLIMIT_CPU, (spec.cpu_time_s, spec.cpu_time_s + 5))
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)


def run_isolated(spec: SandboxSpec, target: Any, on_spawn: Any = None, on_error: Any = None) -> int:
    """``isolate``, fork the job's init, ``finish``, fork the worker that calls ``target()``.

    Process tree: the caller (the job's supervisor, root, outside the job's namespaces) waits
    and forwards SIGINT; its child is PID 1 of the job's PID namespace (a minimal init: it
    reaps orphans, forwards SIGINT, and exits with the worker's status, which tears down the
    whole namespace); the init's child runs ``target()``. The worker is deliberately not PID 1:
    the kernel does not deliver default-action signals (``RLIMIT_CPU``'s SIGXCPU/SIGKILL, a
    student's ``os.kill(os.getpid(), 9)``) to a namespace init. Returns the init's exit code:
    the worker's code, or 128 + signal number when the worker was killed by a signal.
    ``on_spawn(pid)`` runs in the supervisor right after the fork (the init's host pid);
    ``on_error(message)`` runs in the namespace when entering the sandbox fails.
    """
    isolate(spec)
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            try:
                finish(spec)
            except BaseException as exc:  # noqa: BLE001
                if on_error is not None:
                    on_error(f"entering the sandbox failed: {exc}")
                raise
            code = _namespace_init(target)
        except BaseException as exc:  # noqa: BLE001  (report, then exit: never unwind into the zygote)
            print(f"sandbox child failed: {exc!r}", file=sys.stderr)
        finally:
            os._exit(code)
    signal.signal(signal.SIGINT, lambda *_: os.kill(pid, signal.SIGINT))
    if on_spawn is not None:
        on_spawn(pid)
    _, status = os.waitpid(pid, 0)  # PEP 475: retried after the SIGINT handler runs
    return os.waitstatus_to_exitcode(status)


def _namespace_init(target: Any) -> int:
    worker = os.fork()
    if worker == 0:
        code = 70
        try:
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            prctl(PR_SET_DUMPABLE, 0)  # /proc/<runner>/mem: closed to the job's other processes
            signal.signal(signal.SIGINT, signal.default_int_handler)
            code = int(target() or 0)
        except BaseException as exc:  # noqa: BLE001
            print(f"sandbox worker failed: {exc!r}", file=sys.stderr)
        finally:
            os._exit(code)
    signal.signal(signal.SIGINT, lambda *_: os.kill(worker, signal.SIGINT))
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 70
        if pid == worker:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code


@functools.cache
def sandbox_status() -> SandboxStatus:
    """Probe once per process whether the namespace sandbox and cgroups work here."""
    from autograder.cgroups import cgroup_support

    mechanism = "linux namespaces (mount/pid/net/ipc/uts) + pivot_root + setuid"
    cg = cgroup_support()
    reason = _probe_problem()
    if reason:
        return SandboxStatus(False, mechanism, reason, cg.describe())
    if not cg.available:
        return SandboxStatus(False, mechanism, f"no usable cgroup: {cg.reason}", cg.describe())
    return SandboxStatus(True, mechanism, "", cg.describe())


def _probe_problem() -> str:
    if sys.platform != "linux":
        return "the sandbox needs Linux"
    if os.geteuid() != 0:
        return "the grader must run as root (namespaces, cgroups and setuid need it)"
    if platform.machine() not in PIVOT_ROOT_SYSCALL:
        return f"unsupported architecture {platform.machine()}"
    try:
        sandbox_uid()
    except SandboxError as exc:
        return str(exc)
    return _probe_fork()


def _probe_fork() -> str:
    """Build a real sandbox in a throw-away child and check the child cannot see /root."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ag-probe-") as tmp:
        os.chmod(tmp, 0o755)
        os.mkdir(f"{tmp}/work")
        os.mkdir(f"{tmp}/root")
        spec = SandboxSpec(workdir=f"{tmp}/work", uid=sandbox_uid(), gid=sandbox_uid(), disk_mb=8)
        spec.ro_paths = python_ro_paths(spec.workdir)
        spec.root_mountpoint = f"{tmp}/root"
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            message = b"ok"
            try:
                code = run_isolated(spec, lambda: 0 if os.getuid() == spec.uid else 3)
                message = b"ok" if code == 0 else b"child exited %d" % code
            except BaseException as exc:  # noqa: BLE001
                message = str(exc).encode()[:500]
            os.write(write_fd, message)
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as fh:
            answer = fh.read().decode(errors="replace")
        os.waitpid(pid, 0)
    return "" if answer == "ok" else f"sandbox probe failed: {answer}"
