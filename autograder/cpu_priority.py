"""Demote a long-running cell's CPU priority, with a guaranteed share of a core.

Cell timeouts are wall-clock (as in nbgrader), so a runaway cell (an infinite loop) would hold
a whole core for the full timeout, taking it from the honest jobs graded beside it. Once a
cell has used ``AUTOGRADER_DEMOTE_AFTER_S`` (default 1 s) of CPU time -- checked every 100 ms
once it has run that long, so a cell that is merely slowed down by a busy machine is not
demoted -- its job's processes are moved to a low-weight CPU group: they yield the cores to
the jobs that are still quick, yet the cell keeps its wall-clock timeout and its result (a
runaway still times out at the same limit with the same status and scores). Demotion is only
a priority: a demoted cell is *guaranteed* ``AUTOGRADER_DEMOTED_SHARE`` of a core (default
0.5) -- whenever its CPU time since the demotion falls behind ``share x elapsed``, it gets its
normal weight back until it has caught up. So an honest but slow cell still gets at least
``1 + 0.5 x (timeout - demotion time)`` CPU seconds (about 5 s with a 10 s timeout) however
busy the machine is, and never less than it would get at normal priority on a saturated host;
nothing is ever killed early. The priority is restored when the cell ends.

Mechanisms: cgroup v1 moves the job's processes between the grader's own ``cpu`` group and
``<cpu hierarchy>/$AUTOGRADER_CGROUP_PARENT-demoted`` (``cpu.shares`` 2); cgroup v2 sets the
job group's ``cpu.weight`` (1 / 100). Student code cannot undo either (no cgroupfs in the
sandbox, and every process the job forks inherits the group). Without a ``cpu`` controller
nothing is demoted (the grading result is the same; only the runaway's cost is higher).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import time
from pathlib import Path

from autograder.cgroups import JobCgroup, parent_name

log = logging.getLogger(__name__)
TICK_S = 0.1
DEMOTED_SHARES = "2"  # cgroup v1 minimum
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        log.warning("ignoring %s=%r (not a number)", name, os.environ.get(name))
        return default


def demote_after_s() -> float:
    """CPU seconds one cell may use before its job is demoted (<= 0: never)."""
    return _env_float("AUTOGRADER_DEMOTE_AFTER_S", 1.0)


def demoted_share() -> float:
    """Fraction of one core a demoted cell is guaranteed (0..1)."""
    return min(1.0, max(0.0, _env_float("AUTOGRADER_DEMOTED_SHARE", 0.5)))


class _V1Groups:
    """cgroup v1: the grader's own ``cpu`` group and the shared low-weight group."""

    def __init__(self, home: Path, low: Path) -> None:
        self.home, self.low = home, low

    def move(self, pids: list[int], demoted: bool) -> None:
        target = (self.low if demoted else self.home) / "cgroup.procs"
        for pid in pids:
            with contextlib.suppress(OSError):  # exited meanwhile
                target.write_text(str(pid))


@functools.cache
def _v1_groups(root: Path) -> _V1Groups | None:
    """The cpu hierarchy's home and demoted groups, or None when there is none usable."""
    cpu_root = root / "cpu"
    if not (cpu_root / "cpu.shares").exists():
        return None
    rel = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "cpu" in controllers.split(","):
                rel = path.lstrip("/")
    home = cpu_root / rel if rel else cpu_root
    low = cpu_root / f"{parent_name().replace('/', '-')}-demoted"
    try:
        low.mkdir(exist_ok=True)
        (low / "cpu.shares").write_text(DEMOTED_SHARES)
    except OSError as exc:
        log.warning("CPU demotion of runaway cells unavailable: %s", exc)
        return None
    return _V1Groups(home, low)


def _v2_weight_file(cgroup: JobCgroup) -> Path | None:
    job_dir = cgroup.dirs[0]
    parent = job_dir.parent
    try:
        if "cpu" not in (parent / "cgroup.controllers").read_text().split():
            return None
        if "cpu" not in (parent / "cgroup.subtree_control").read_text().split():
            (parent / "cgroup.subtree_control").write_text("+cpu")
    except OSError:
        return None
    weight = job_dir / "cpu.weight"
    return weight if weight.exists() else None


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system, including reaped children) of the given processes."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / _CLK_TCK


class CpuPriority:
    """Per-job controller, driven by the grader's wait loop (see the module docstring).

    ``start_cell()`` when a cell is sent, ``wake(deadline)`` gives the time to wake up by,
    ``tick()`` when woken before the deadline, ``end_cell()`` when the cell's frame arrived.
    """

    def __init__(
        self, cgroup: JobCgroup, after_s: float | None = None, share: float | None = None
    ) -> None:
        self.cgroup = cgroup
        self.after_s = demote_after_s() if after_s is None else after_s
        self.share = demoted_share() if share is None else share
        self.enabled = self.after_s > 0 and cgroup.support.available
        self.demoted = False
        self.demotions = 0
        self._cell_start = self._next = self._cell_cpu0 = 0.0
        self._since: float | None = None  # monotonic time of the cell's demotion
        self._cpu0 = 0.0
        self._weight: Path | None = None
        self._v1: _V1Groups | None = None

    def start_cell(self) -> None:
        self._cell_start = time.monotonic()
        self._next = self._cell_start + self.after_s  # a cell can't use more CPU than wall
        self._cell_cpu0 = tree_cpu_s(self.cgroup.pids()) if self.enabled else 0.0
        self._since = None

    def wake(self, deadline: float) -> float:
        return min(deadline, self._next) if self.enabled else deadline

    def tick(self) -> None:
        """Demote once the cell used ``after_s`` of CPU; then promote while it is behind."""
        now = time.monotonic()
        if not self.enabled or now < self._next:
            return
        self._next = now + TICK_S
        pids = self.cgroup.pids()
        cpu = tree_cpu_s(pids)
        if self._since is None:
            if cpu - self._cell_cpu0 >= self.after_s:
                self._since, self._cpu0 = now, cpu
                self.demotions += 1
                self._set(pids, demoted=True)
            return
        behind = cpu - self._cpu0 < self.share * (now - self._since)
        self._set(pids, demoted=not behind)

    def end_cell(self) -> None:
        if self.demoted:
            self._set(self.cgroup.pids(), demoted=False)
        self._since = None

    def _set(self, pids: list[int], demoted: bool) -> None:
        if self.cgroup.support.version == 2:
            if self._weight is None:
                self._weight = _v2_weight_file(self.cgroup)
            if self._weight is None:
                self.enabled = False
                return
            if demoted != self.demoted:
                with contextlib.suppress(OSError):
                    self._weight.write_text("1" if demoted else "100")
        else:
            if self._v1 is None:
                self._v1 = _v1_groups(self.cgroup.support.root)
            if self._v1 is None:
                self.enabled = False
                return
            # Every tick, so that processes forked since the last one move too.
            if demoted or self.demoted:
                self._v1.move(pids, demoted)
        self.demoted = demoted
