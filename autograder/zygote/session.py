"""One job as seen from the grader: its cgroup and pipes, and the loop that drives its cells.

The grader sends one cell at a time with a fresh random nonce and reads exactly one ``cell``
frame back (plus, for test cells, the ``checked`` frame that proves the runner survived the
test and re-checked its integrity). ``alert`` frames from the child's audit hook may arrive at
any time and become flags. Anything else -- a frame for another cell, a wrong nonce, an
oversized or malformed frame, extra frames -- is treated as tampering: the job is killed and
flagged. All deadlines are enforced here, outside the sandbox.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import signal
import stat
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autograder.cgroups import JobCgroup, cgroup_support
from autograder.contract import Limits
from autograder.cpu_priority import CpuPriority
from autograder.execute import CellRun, CodeCell, Execution
from autograder.sandbox import SandboxSpec, python_ro_paths, sandbox_uid
from autograder.zygote.protocol import FrameError, FrameReader, FrameTimeout, write_frame

STARTUP_TIMEOUT_S = 30.0
INTERRUPT_GRACE_S = 2.0
_COUNTER = itertools.count()


def make_readable(workdir: Path) -> None:
    """The sandbox uid must read the workdir: add o+r (files) and o+rx (directories)."""
    for path in [workdir, *workdir.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        want = mode | (stat.S_IROTH | stat.S_IXOTH if path.is_dir() else stat.S_IROTH)
        if want != mode:
            path.chmod(stat.S_IMODE(want))


class PreparedJob:
    """The cgroup, pipes and sandbox spec of one job (grader side)."""

    def __init__(self, workdir: Path, limits: Limits) -> None:
        self.limits = limits
        uid = sandbox_uid()
        support = cgroup_support()
        name = f"w{os.getpid()}-{next(_COUNTER)}-{secrets.token_hex(3)}"
        self.cgroup = JobCgroup.create(
            name, memory_mb=limits.memory_mb, max_pids=limits.max_pids + 2, support=support
        )
        self.spec = SandboxSpec(
            workdir=str(workdir.resolve()),
            uid=uid,
            gid=uid,
            disk_mb=limits.disk_mb,
            cpu_time_s=limits.cpu_time_s,
            memory_mb=limits.memory_mb,
            ro_paths=python_ro_paths(str(workdir)),
        )
        self.cmd_r, self.cmd_w = os.pipe()
        self.res_r, self.res_w = os.pipe()
        self._child_open = True

    def request(self) -> dict[str, Any]:
        return {
            "spec": asdict(self.spec),
            "cgroup_procs": self.cgroup.procs_files,
            "output_bytes": self.limits.output_bytes,
        }

    def child_fds(self) -> list[int]:
        return [self.cmd_r, self.res_w]

    def close_child_fds(self) -> None:
        if self._child_open:
            os.close(self.cmd_r)
            os.close(self.res_w)
            self._child_open = False

    def destroy(self) -> None:
        self.close_child_fds()
        self.cgroup.destroy_later()
        for fd in (self.cmd_w, self.res_r):
            with contextlib.suppress(OSError):
                os.close(fd)


def prepare_job(workdir: Path, limits: Limits) -> PreparedJob:
    """Check the workdir, make it readable for the sandbox uid, create cgroup and pipes."""
    workdir = Path(workdir)
    if not workdir.is_dir():
        raise ValueError(f"workdir {workdir} is not a directory")
    make_readable(workdir)
    return PreparedJob(workdir, limits)


class JobDied(Exception):
    """The job can run no further cells; ``status`` is the Execution status it implies."""

    def __init__(self, status: str, cell_status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.cell_status = status, cell_status


def _exit_status(code: Any) -> JobDied:
    """Interpret the job init's exit code (128 + N: the runner was killed by signal N)."""
    if isinstance(code, int) and code > 128:
        if code - 128 == signal.SIGXCPU:
            return JobDied("timeout", "timeout", "the runner used up its CPU time limit")
        return JobDied("crashed", "killed", f"the runner was killed by signal {code - 128}")
    return JobDied("crashed", "killed", f"the runner exited with code {code}")


class JobSession:
    """Drives one job's cells through the pipes; see the module docstring."""

    def __init__(self, job: PreparedJob, cells: list[CodeCell], limits: Limits) -> None:
        self.job, self.cells, self.limits = job, cells, limits
        self.reader = FrameReader(job.res_r, 8 * limits.output_bytes + (1 << 20))
        self.flags: list[str] = []
        self.log: list[str] = []
        self.runner_pid: int | None = None
        self.truncated = False
        self.priority = CpuPriority(job.cgroup)

    def drive(self) -> Execution:
        started = time.monotonic()
        runs: list[CellRun] = []
        status = "ok"
        try:
            self._await_ready()
        except JobDied as exc:
            return Execution.failed(self.cells, "sandbox_error", str(exc))
        timings = {"start_s": time.monotonic() - started}
        notebook_deadline = time.monotonic() + self.limits.notebook_timeout_s
        for index, cell in enumerate(self.cells):
            if status != "ok":
                runs.append(CellRun(cell.cell_id, "not_run"))
                continue
            try:
                runs.append(self._run_cell(index, cell, notebook_deadline))
            except JobDied as exc:
                self.job.cgroup.kill()
                status = self._died_status(exc)
                self.log.append(f"cell {cell.cell_id}: {exc}")
                runs.append(CellRun(cell.cell_id, exc.cell_status, duration_s=0.0))
        if status == "ok":
            self._finish()
        if status == "ok" and self.truncated:
            status = "output_limit"
        timings["cells_s"] = time.monotonic() - started - timings["start_s"]
        if self.priority.demotions:
            self.log.append(f"CPU priority lowered in {self.priority.demotions} long cell(s)")
        return Execution(status, runs, self.flags, "\n".join(self.log), timings)

    def _died_status(self, exc: JobDied) -> str:
        if exc.status in ("crashed", "timeout") and self.job.cgroup.oom_killed():
            self.log.append("the kernel's OOM killer ended the job (memory limit)")
            return "memory"
        return exc.status

    def _await_ready(self) -> None:
        # "spawned" (from the supervisor) and "ready" (from the runner) race: wait for both.
        # No student code runs before the first cell is sent, so both are trustworthy.
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        ready = False
        while not (ready and self.runner_pid is not None):
            try:
                frame = self._read(deadline, startup=True)
            except FrameTimeout:
                raise JobDied(
                    "sandbox_error", "not_run", "the sandbox did not start in time"
                ) from None
            op = frame.get("op")
            if op == "spawned" and self.runner_pid is None:
                self.runner_pid = int(frame["pid"])
            elif op == "sandbox_error":
                raise JobDied("sandbox_error", "not_run", str(frame.get("message")))
            elif op == "ready":
                ready = True

    def _read(self, deadline: float, startup: bool = False) -> dict[str, Any]:
        try:
            frame = self.reader.read(deadline)
        except FrameTimeout:
            raise
        except FrameError as exc:
            self.flags.append(f"result channel tampering or corruption: {exc}")
            raise JobDied("crashed", "killed", str(exc)) from None
        if frame is None:
            if startup:
                raise JobDied(
                    "sandbox_error", "not_run", "the sandboxed runner exited during start-up"
                )
            raise JobDied("crashed", "killed", "the runner process ended during the cell")
        if frame.get("op") == "exit":
            raise _exit_status(frame.get("code"))
        if frame.get("op") == "alert":
            self.flags.append(str(frame.get("flag"))[:300])
            return self._read(deadline, startup)
        return frame

    def _send(self, obj: dict[str, Any]) -> None:
        try:
            write_frame(self.job.cmd_w, obj)
        except OSError as exc:
            raise JobDied("crashed", "killed", f"the runner stopped reading: {exc}") from None

    def _run_cell(self, index: int, cell: CodeCell, notebook_deadline: float) -> CellRun:
        nonce = secrets.token_hex(16)
        self._send(
            {"op": "cell", "i": index, "nonce": nonce, "source": cell.source, "role": cell.role}
        )
        began = time.monotonic()
        self.priority.start_cell()
        try:
            frame, timed_out = self._await_cell(index, nonce, began, notebook_deadline)
        finally:
            self.priority.end_cell()
        run = CellRun(
            cell.cell_id,
            str(frame["status"]),
            list(frame.get("outputs") or []),
            frame.get("error"),
            float(frame.get("duration_s") or 0.0),
        )
        if run.status not in ("ok", "error"):
            raise self._tampered(f"unknown cell status {run.status!r}")
        if timed_out:
            run.status = "timeout"
        self.flags += [f"before test cell {cell.cell_id}: {f}" for f in frame.get("flags") or []]
        self.truncated = self.truncated or bool(frame.get("truncated"))
        if cell.role == "test":
            self._await_checked(index, nonce, cell, notebook_deadline)
        return run

    def _await_cell(
        self, index: int, nonce: str, began: float, notebook_deadline: float
    ) -> tuple[dict[str, Any], bool]:
        cell_deadline = began + self.limits.cell_timeout_s
        interrupted = False
        while True:
            deadline = min(cell_deadline, notebook_deadline)
            try:
                frame = self._read(self.priority.wake(deadline))
            except FrameTimeout:
                if time.monotonic() < deadline:  # woken to adjust the CPU priority
                    self.priority.tick()
                    continue
                if interrupted or time.monotonic() >= notebook_deadline:
                    raise JobDied(
                        "timeout", "timeout", "time limit exceeded; the job was killed"
                    ) from None
                self._interrupt()
                interrupted = True
                cell_deadline = time.monotonic() + min(
                    INTERRUPT_GRACE_S, self.limits.cell_timeout_s
                )
                continue
            if frame.get("op") != "cell" or frame.get("i") != index or frame.get("nonce") != nonce:
                raise self._tampered(
                    f"unexpected frame {str(frame)[:120]!r} while waiting for cell {index}"
                )
            return frame, interrupted

    def _await_checked(
        self, index: int, nonce: str, cell: CodeCell, notebook_deadline: float
    ) -> None:
        try:
            frame = self._read(min(time.monotonic() + 10.0, notebook_deadline + 10.0))
        except (FrameTimeout, JobDied):
            self.flags.append(
                f"runner did not survive test cell {cell.cell_id}; its result was discarded"
            )
            raise JobDied("crashed", "killed", "runner died right after a test cell") from None
        if frame.get("op") != "checked" or frame.get("i") != index or frame.get("nonce") != nonce:
            raise self._tampered(f"unexpected frame after test cell {index}")
        self.flags += [f"test cell {cell.cell_id}: {f}" for f in frame.get("flags") or []]

    def _tampered(self, message: str) -> JobDied:
        self.flags.append(f"result channel tampering: {message}")
        return JobDied("crashed", "killed", message)

    def _interrupt(self) -> None:
        """SIGINT the runner (IPython turns it into KeyboardInterrupt, like a kernel interrupt)."""
        pid = self.runner_pid
        if pid is not None and pid in self.job.cgroup.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)

    def _finish(self) -> None:
        with contextlib.suppress(JobDied):
            self._send({"op": "end"})
        deadline = time.monotonic() + 2.0
        with contextlib.suppress(FrameTimeout, JobDied):
            while (frame := self._read(deadline)).get("op") not in ("bye", "exit"):
                self.flags.append(f"unexpected extra frame from the runner: {str(frame)[:120]}")
