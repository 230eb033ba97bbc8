"""One cgroup per job: memory and process caps, OOM detection, and kill-everything.

Supports cgroup v1 (separate ``memory`` and ``pids`` hierarchies, as on the study machines)
and cgroup v2 (one unified directory with ``memory.max``, ``pids.max``, ``cgroup.kill``).
Job groups live under ``$AUTOGRADER_CGROUP_PARENT`` (default ``autograder``) in each hierarchy.
The grader creates the group; the job's first process writes its own pid into
:attr:`JobCgroup.procs_files` before it forks, so every descendant is inside.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class CgroupSupport:
    version: int  # 0 = none, 1, 2
    root: Path
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.version in (1, 2)

    def describe(self) -> str:
        return f"v{self.version} at {self.root}" if self.available else ""


def parent_name() -> str:
    name = os.environ.get("AUTOGRADER_CGROUP_PARENT", "autograder").strip("/")
    if not name or ".." in name.split("/"):
        raise ValueError("AUTOGRADER_CGROUP_PARENT must be a relative cgroup path")
    return name


@functools.cache
def cgroup_support(root: Path = CGROUP_ROOT) -> CgroupSupport:
    """Find a writable memory+pids cgroup hierarchy (v2 preferred when it is the only one)."""
    if (root / "cgroup.controllers").exists():
        controllers = (root / "cgroup.controllers").read_text().split()
        missing = {"memory", "pids"} - set(controllers)
        if missing:
            return CgroupSupport(0, root, f"v2 lacks controllers {sorted(missing)}")
        return _writable(CgroupSupport(2, root), root)
    if (root / "memory").is_dir() and (root / "pids").is_dir():
        return _writable(CgroupSupport(1, root), root / "memory")
    return CgroupSupport(0, root, f"no memory+pids cgroup hierarchy under {root}")


def _writable(support: CgroupSupport, where: Path) -> CgroupSupport:
    if os.access(where, os.W_OK):
        return support
    return CgroupSupport(0, support.root, f"{where} is not writable (run the grader as root)")


class JobCgroup:
    """The cgroup(s) of one job. Create with :meth:`create`; always :meth:`destroy`."""

    def __init__(self, support: CgroupSupport, name: str) -> None:
        self.support = support
        self.name = name
        parent = parent_name()
        if support.version == 2:
            self.dirs = [support.root / parent / name]
        else:
            self.dirs = [support.root / c / parent / name for c in ("memory", "pids")]

    @classmethod
    def create(
        cls, name: str, *, memory_mb: int, max_pids: int, support: CgroupSupport | None = None
    ) -> JobCgroup:
        """Make the group with its limits; raises OSError when the hierarchy refuses."""
        support = support or cgroup_support()
        group = cls(support, name)
        if support.version == 2:
            group._prepare_v2_parents()
        for d in group.dirs:
            d.mkdir(parents=True, exist_ok=True)
        group._set_limits(memory_mb * 1024 * 1024, max_pids)
        return group

    def _prepare_v2_parents(self) -> None:
        node = self.support.root
        for part in parent_name().split("/"):
            _enable_controllers(node)
            node = node / part
            node.mkdir(exist_ok=True)
        _enable_controllers(node)

    def _set_limits(self, memory_bytes: int, max_pids: int) -> None:
        if self.support.version == 2:
            d = self.dirs[0]
            _write(d / "memory.max", str(memory_bytes))
            _write(d / "memory.swap.max", "0", optional=True)
            _write(d / "pids.max", str(max_pids))
            return
        mem, pids = self.dirs
        _write(mem / "memory.limit_in_bytes", str(memory_bytes))
        _write(mem / "memory.memsw.limit_in_bytes", str(memory_bytes), optional=True)
        _write(mem / "memory.swappiness", "0", optional=True)
        _write(pids / "pids.max", str(max_pids))

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                found.update(int(x) for x in (d / "cgroup.procs").read_text().split())
        return sorted(found)

    def oom_killed(self) -> bool:
        """True when the kernel's OOM killer acted inside this group."""
        d = self.dirs[0]
        name = "memory.events" if self.support.version == 2 else "memory.oom_control"
        with contextlib.suppress(OSError):
            for line in (d / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and int(value) > 0:
                    return True
        return False

    def kill(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process in the group until it is empty; True when it emptied."""
        deadline = time.monotonic() + timeout_s
        if self.support.version == 2:
            _write(self.dirs[0] / "cgroup.kill", "1", optional=True)
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)

    def signal_all(self) -> None:
        """Send SIGKILL to every member once. When the job's PID-namespace init is among them
        the kernel kills the rest of the namespace, so no student code runs after this."""
        if self.support.version == 2:
            _write(self.dirs[0] / "cgroup.kill", "1", optional=True)
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def destroy_later(self) -> None:
        """SIGKILL everything now; wait for the exits and remove the directories in the
        background (dying processes take a few ms each to release their memory)."""
        self.signal_all()
        _janitor().put(self)

    def destroy(self) -> None:
        """Kill what is left and remove the directories (idempotent)."""
        self.kill()
        for d in self.dirs:
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY while the last processes are being reaped
                    time.sleep(0.01)


class _Janitor:
    """One daemon thread per process that finishes :meth:`JobCgroup.destroy_later`."""

    def __init__(self) -> None:
        self.queue: queue.Queue[JobCgroup] = queue.Queue()
        threading.Thread(target=self._loop, name="cgroup-janitor", daemon=True).start()

    def put(self, group: JobCgroup) -> None:
        self.queue.put(group)

    def _loop(self) -> None:
        while True:
            group = self.queue.get()
            try:
                group.destroy()
            finally:
                self.queue.task_done()

    def wait(self) -> None:
        self.queue.join()


@functools.cache
def _janitor() -> _Janitor:
    return _Janitor()


def wait_for_cleanup() -> None:
    """Block until every group handed to :meth:`JobCgroup.destroy_later` is gone."""
    _janitor().wait()


def remove_orphaned_groups(support: CgroupSupport | None = None) -> int:
    """Kill and remove job groups (``w<pid>-…``) whose grader process is gone; return how many.

    A grader killed mid-job cannot clean up; the next executor started on the host does.
    """
    support = support or cgroup_support()
    if not support.available:
        return 0
    base = (
        support.root / parent_name()
        if support.version == 2
        else support.root / "pids" / parent_name()
    )
    removed = 0
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            owner = entry.name[1:].split("-", 1)[0]
            if (
                entry.is_dir()
                and entry.name.startswith("w")
                and owner.isdigit()
                and not _alive(int(owner))
            ):
                JobCgroup(support, entry.name).destroy()
                removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _enable_controllers(node: Path) -> None:
    control = node / "cgroup.subtree_control"
    enabled = control.read_text().split() if control.exists() else []
    wanted = [f"+{c}" for c in ("memory", "pids") if c not in enabled]
    if wanted:
        _write(control, " ".join(wanted))


def _write(path: Path, value: str, optional: bool = False) -> None:
    try:
        path.write_text(value)
    except OSError:
        if not optional:
            raise
