"""LocalPool: grade jobs on this machine with N long-lived worker processes (no extra server).

Each worker process (:mod:`autograder.dispatch.pool_worker`) creates ONE executor when it
starts and then grades jobs one at a time (prefetch 1). With the zygote executor the CPU
workers share ONE zygote, started here as soon as the first worker is (its pre-imports overlap
the workers' own start-up and are paid once per pool, not once per worker): each worker gets
its own socket to it, every job is still a fresh fork of the pristine zygote, and a worker's
jobs die with the worker. The parent only routes jobs and watches its workers:

- a worker that dies mid-job (kill -9, crash) is replaced and the job re-run on a fresh worker
  with ``attempt + 1``; after ``max_attempts`` the job's Result is "not_gradable" with the reason;
- a worker that exceeds the hard wall-clock limit (the job's ``notebook_timeout_s`` plus a grace)
  is killed and the job is "not_gradable" (not retried: it would hang again);
- every submitted job id gets exactly one Result, delivered once.

GPU jobs (``resource_class == "gpu"``) go to separate workers, one per GPU slot, each started
with ``CUDA_VISIBLE_DEVICES`` set to its slot; CPU workers see no GPU. Use the pool from one
long-lived thread: workers are tied to the parent's life (they die with it).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.contract import Job, Result
from autograder.dispatch.common import (
    DEFAULT_MAX_ATTEMPTS,
    HARD_LIMIT_GRACE_S,
    hard_time_limit_s,
    not_gradable,
)
from autograder.dispatch.gpu import default_gpu_executor
from autograder.dispatch.gpu import gpu_slots as detect_gpu_slots

SHARED_FD_ENV = "AUTOGRADER_ZYGOTE_FD"  # = autograder.zygote.client.SHARED_FD_ENV

log = logging.getLogger(__name__)

_STARTUP_FAILURES_BEFORE_BROKEN = 3
#: Seconds a new worker may take to create its executor (imports, zygote) before it is killed.
STARTUP_TIMEOUT_S = 120.0
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def default_workers(oversubscribe: float = 1.0) -> int:
    """Worker count for this machine: cores × ``oversubscribe`` (at least 1)."""
    return max(1, round((os.cpu_count() or 1) * oversubscribe))


@dataclass
class _Pending:
    job: Job
    attempt: int = 1


@dataclass
class _Worker:
    proc: subprocess.Popen[bytes]
    kind: str  # "cpu" | "gpu"
    device: str | None
    ready: bool = False
    pending: _Pending | None = None
    deadline: float = 0.0
    buffer: bytes = b""
    fatal: str = ""
    retiring: bool = False  # told to exit (EOF sent); takes no more jobs


@dataclass
class RunSummary:
    """What :meth:`LocalPool.run` did: counts by status, retries and wall time."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    wall_s: float = 0.0


class LocalPool:
    """A pool of grading worker processes on this machine.

    ``workers``: CPU worker processes (default: the number of cores; more than the cores
    oversubscribes, which hides kernel start-up waits). ``executor_name``: passed to
    ``autograder.execute.get_executor`` in each worker (None: ``AUTOGRADER_EXECUTOR``).
    ``gpu_slots``: CUDA_VISIBLE_DEVICES values for GPU workers (None: configured or detected).
    ``gpu_executor_name``: the GPU workers' executor (default ``AUTOGRADER_GPU_EXECUTOR`` or
    ``kernel``: CUDA cannot be initialised in a forked zygote).
    """

    def __init__(
        self,
        workers: int | None = None,
        executor_name: str | None = None,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        gpu_slots: list[str] | None = None,
        gpu_executor_name: str | None = None,
        hard_limit_grace_s: float = HARD_LIMIT_GRACE_S,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.workers = workers or default_workers()
        self.executor_name = executor_name
        self.max_attempts = max_attempts
        self._gpu_slots = gpu_slots
        self.gpu_executor_name = gpu_executor_name or default_gpu_executor(executor_name)
        self._grace = hard_limit_grace_s
        self._selector = selectors.DefaultSelector()
        self._pool: list[_Worker] = []
        self._queues: dict[str, collections.deque[_Pending]] = {
            "cpu": collections.deque(),
            "gpu": collections.deque(),
        }
        self._known: set[str] = set()
        self._ready_results: list[Result] = []
        self._startup_failures = {"cpu": 0, "gpu": 0}
        self._broken: dict[str, str] = {}
        self._zygote: Any = None  # SharedZygote of the CPU workers, started with the first
        self._zygote_wanted: bool | None = None
        self.retries = 0

    # --- public API ---------------------------------------------------------------------

    def run(
        self,
        jobs: Iterable[Job],
        on_result: Callable[[Result], None],
        progress: bool = False,
    ) -> RunSummary:
        """Grade every job; call ``on_result`` exactly once per distinct job id, as results come.

        A job id seen twice in ``jobs`` is graded once (the duplicate is logged and skipped).
        Returns a :class:`RunSummary`. Workers are stopped before returning.
        """
        started = time.monotonic()
        summary = RunSummary()
        accepted = [job for job in jobs if self._accept(job)]
        bar = _progress_bar(len(accepted), progress)
        try:
            for job in accepted:
                self._enqueue(_Pending(job))
            remaining = len(accepted)
            while remaining:
                for result in self.poll(1.0):
                    remaining -= 1
                    summary.by_status[result.status] = summary.by_status.get(result.status, 0) + 1
                    bar.update(1)
                    on_result(result)
                self._retire_idle()
        finally:
            bar.close()
            self.close()
        summary.total = len(accepted)
        summary.retries = self.retries
        summary.wall_s = time.monotonic() - started
        return summary

    def prestart(self, jobs: int) -> None:
        """Start the CPU workers that ``jobs`` CPU jobs will need (at most ``workers``) now,
        so their start-up overlaps whatever the caller does before :meth:`run`."""
        for _ in range(min(jobs, self.workers) - sum(1 for w in self._pool if w.kind == "cpu")):
            self._spawn("cpu", None)

    def submit(self, job: Job, attempt: int = 1) -> bool:
        """Queue one job; False (and nothing queued) if this pool already had its job id.

        ``attempt`` continues a count kept elsewhere (e.g. a spool re-queue after a crash).
        """
        if not self._accept(job):
            return False
        self._enqueue(_Pending(job, attempt))
        return True

    def free_slots(self, resource_class: str = "cpu") -> int:
        """Jobs of this class that could start now without waiting (for pull-based callers)."""
        capacity = self.workers if resource_class == "cpu" else len(self._slots_for_gpu())
        busy = sum(1 for w in self._pool if w.kind == resource_class and w.pending)
        return max(0, capacity - busy - len(self._queues[resource_class]))

    def broken_reason(self, resource_class: str) -> str:
        """Why no worker of this class can run ("" if they can); its jobs become not_gradable."""
        return self._broken.get(resource_class, "")

    def worker_pids(self) -> dict[str, int]:
        """{job id: pid of the worker process grading it} for the jobs running now."""
        return {w.pending.job.job_id: w.proc.pid for w in self._pool if w.pending is not None}

    def poll(self, timeout: float = 0.0) -> list[Result]:
        """Do pending work for up to ``timeout`` seconds; return the Results finished since."""
        self._dispatch()
        deadline = time.monotonic() + timeout
        while not self._ready_results:
            wait = deadline - time.monotonic()
            if self._pool:
                for key, _ in self._selector.select(max(0.0, min(wait, 0.5))):
                    self._read(key.data)
            else:
                time.sleep(max(0.0, min(wait, 0.05)))
            self._enforce_deadlines()
            self._dispatch()
            if time.monotonic() >= deadline:
                break
        done, self._ready_results = self._ready_results, []
        return done

    def _retire_idle(self) -> None:
        """With nothing left to queue, let idle workers shut down while the last jobs run
        (a job re-queued after a crash later gets a fresh worker)."""
        for worker in self._pool:
            if self._queues[worker.kind] or not worker.ready or worker.pending or worker.retiring:
                continue
            worker.retiring = True
            with contextlib.suppress(OSError):
                if worker.proc.stdin:
                    worker.proc.stdin.close()

    def close(self) -> None:
        """Stop every worker (EOF first, then SIGKILL after 5 s). Queued jobs are dropped."""
        for worker in list(self._pool):
            try:
                if worker.proc.stdin:
                    worker.proc.stdin.close()
            except OSError:
                pass
        end = time.monotonic() + 5.0
        for worker in list(self._pool):
            try:
                worker.proc.wait(max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill(worker.proc)
            self._forget(worker)
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- jobs ---------------------------------------------------------------------------

    def _accept(self, job: Job) -> bool:
        if job.job_id in self._known:
            log.warning("job %s submitted twice to the pool; graded once", job.job_id)
            return False
        self._known.add(job.job_id)
        return True

    def _enqueue(self, pending: _Pending, front: bool = False) -> None:
        queue = self._queues[pending.job.resource_class]
        queue.appendleft(pending) if front else queue.append(pending)

    def _finish(self, result: Result) -> None:
        self._ready_results.append(result)

    def _dispatch(self) -> None:
        for kind, queue in self._queues.items():
            if queue and kind == "gpu" and not self._slots_for_gpu():
                self._broken.setdefault(
                    "gpu", "no GPU slot on this host (set AUTOGRADER_GPU_SLOTS)"
                )
            if kind in self._broken:
                while queue:
                    pending = queue.popleft()
                    self._finish(not_gradable(pending.job.job_id, self._broken[kind]))
                continue
            self._grow(kind)
            idle = [
                w
                for w in self._pool
                if w.kind == kind and w.ready and w.pending is None and not w.retiring
            ]
            while queue and idle:
                self._start_job(idle.pop(), queue.popleft())

    def _grow(self, kind: str) -> None:
        """Start workers (up to capacity) for jobs that wait and have no idle worker."""
        mine = [w for w in self._pool if w.kind == kind and not w.retiring]
        spare = sum(1 for w in mine if w.pending is None)
        capacity = self.workers if kind == "cpu" else len(self._slots_for_gpu())
        wanted = min(capacity - len(mine), len(self._queues[kind]) - spare)
        for _ in range(max(0, wanted)):
            device = None
            if kind == "gpu":
                used = {w.device for w in self._pool if w.kind == "gpu"}
                device = next(d for d in self._slots_for_gpu() if d not in used)
            self._spawn(kind, device)

    def _start_job(self, worker: _Worker, pending: _Pending) -> None:
        message = {"job": pending.job.to_json(), "attempt": pending.attempt}
        worker.pending = pending
        worker.deadline = time.monotonic() + hard_time_limit_s(pending.job.limits, self._grace)
        try:
            assert worker.proc.stdin is not None
            worker.proc.stdin.write((json.dumps(message) + "\n").encode())
            worker.proc.stdin.flush()
        except OSError:  # died between jobs; _read sees the EOF and re-queues the job
            log.warning("worker %s gone before job %s started", worker.proc.pid, pending.job.job_id)

    # --- workers ------------------------------------------------------------------------

    def _slots_for_gpu(self) -> list[str]:
        if self._gpu_slots is None:
            self._gpu_slots = detect_gpu_slots()
        return self._gpu_slots

    def _spawn(self, kind: str, device: str | None) -> None:
        env = dict(os.environ)
        env["CUDA_VISIBLE_DEVICES"] = device or ""
        env.setdefault("PYTHONUNBUFFERED", "1")
        # The worker must import this very package, whatever the caller's cwd.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p
        )
        cmd = [sys.executable, "-m", "autograder.dispatch.pool_worker"]
        name = self.executor_name if kind == "cpu" else self.gpu_executor_name
        cmd += ["--executor", name or ""]
        shared = self._shared_zygote_socket() if kind == "cpu" else None
        env.pop(SHARED_FD_ENV, None)
        if shared is not None:
            env[SHARED_FD_ENV] = str(shared.fileno())
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                pass_fds=(shared.fileno(),) if shared is not None else (),
            )
        finally:
            if shared is not None:
                shared.close()  # the worker holds it now
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        worker = _Worker(proc, kind, device, deadline=time.monotonic() + STARTUP_TIMEOUT_S)
        self._pool.append(worker)
        self._selector.register(proc.stdout, selectors.EVENT_READ, worker)
        log.debug("started %s worker %s (device %s)", kind, proc.pid, device)

    def _shared_zygote_socket(self) -> Any:
        """A socket to the CPU workers' shared zygote (started on first use), or None when
        the CPU executor is not the zygote or the sandbox is unavailable here (the worker
        then reports why itself)."""
        if self._zygote_wanted is None:
            chosen = self.executor_name or os.environ.get("AUTOGRADER_EXECUTOR") or "zygote"
            self._zygote_wanted = chosen == "zygote" and _sandbox_available()
        if not self._zygote_wanted:
            return None
        if self._zygote is None:
            from autograder.zygote.client import SharedZygote

            self._zygote = SharedZygote()
        return self._zygote.attach()

    def _read(self, worker: _Worker) -> None:
        assert worker.proc.stdout is not None
        try:
            chunk = os.read(worker.proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._on_worker_exit(worker)
            return
        worker.buffer += chunk
        while b"\n" in worker.buffer:
            line, worker.buffer = worker.buffer.split(b"\n", 1)
            self._on_message(worker, line)

    def _on_message(self, worker: _Worker, line: bytes) -> None:
        try:
            message = json.loads(line)
            event = message["event"]
        except (ValueError, KeyError, TypeError):
            log.error("worker %s sent garbage: %r", worker.proc.pid, line[:200])
            return
        if event == "ready":
            worker.ready = True
            self._startup_failures[worker.kind] = 0
        elif event == "fatal":
            worker.fatal = str(message.get("reason", "unknown"))
        elif event == "result" and worker.pending is not None:
            pending, worker.pending = worker.pending, None
            self._finish(_checked_result(message.get("result"), pending))

    def _on_worker_exit(self, worker: _Worker) -> None:
        code = worker.proc.wait()
        self._forget(worker)
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        if not worker.ready:
            self._on_startup_failure(worker, how)
        pending = worker.pending
        if pending is None:
            return
        reason = f"the grading worker process died ({how}) while grading this job"
        log.warning("job %s attempt %d: %s", pending.job.job_id, pending.attempt, reason)
        if pending.attempt >= self.max_attempts:
            reason += f"; gave up after {pending.attempt} attempts"
            self._finish(not_gradable(pending.job.job_id, reason, attempt=pending.attempt))
            return
        self.retries += 1
        self._enqueue(_Pending(pending.job, pending.attempt + 1), front=True)

    def _on_startup_failure(self, worker: _Worker, how: str) -> None:
        self._startup_failures[worker.kind] += 1
        if worker.fatal or self._startup_failures[worker.kind] >= _STARTUP_FAILURES_BEFORE_BROKEN:
            detail = worker.fatal or f"worker process failed to start ({how})"
            self._broken[worker.kind] = f"no grading worker could start: {detail}"
            log.error("%s workers broken: %s", worker.kind, detail)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self._pool):
            if now < worker.deadline or (worker.ready and worker.pending is None):
                continue
            _kill(worker.proc)  # its EOF then goes through _on_worker_exit
            pending, worker.pending = worker.pending, None
            if pending is None:
                worker.fatal = f"no executor after {STARTUP_TIMEOUT_S:.0f} s"
                continue
            limit = hard_time_limit_s(pending.job.limits, self._grace)
            reason = f"grading exceeded the hard time limit of {limit:.0f} s; worker killed"
            self._finish(not_gradable(pending.job.job_id, reason, attempt=pending.attempt))

    def _forget(self, worker: _Worker) -> None:
        if worker in self._pool:
            self._pool.remove(worker)
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(worker.proc.stdout)  # type: ignore[arg-type]
            for stream in (worker.proc.stdin, worker.proc.stdout):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass


def _checked_result(raw: object, pending: _Pending) -> Result:
    try:
        result = Result.from_json(raw)  # type: ignore[arg-type]
    except ValueError as exc:
        return not_gradable(
            pending.job.job_id, f"worker returned an invalid result: {exc}", attempt=pending.attempt
        )
    if result.job_id != pending.job.job_id:
        return not_gradable(
            pending.job.job_id,
            f"worker returned the result of job {result.job_id!r}",
            attempt=pending.attempt,
        )
    return result


def _sandbox_available() -> bool:
    from autograder.sandbox import sandbox_status

    return sandbox_status().available


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGKILL)


def _progress_bar(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="nb", desc="grading", file=sys.stderr, disable=not enabled)
