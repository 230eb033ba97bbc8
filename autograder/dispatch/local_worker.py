"""The durable local grading worker: pulls jobs from a spool directory, grades them in a LocalPool.

It claims a job only when a pool worker is free for it (prefetch 1), renews the leases of the
jobs it holds, re-queues claims of dead workers at start-up and periodically, and records
each result exactly once (see :mod:`autograder.dispatch.spool`). Killing it at any moment
loses nothing: the next worker re-queues what it held.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from autograder.contract import Result
from autograder.dispatch.common import DEFAULT_MAX_ATTEMPTS, not_gradable
from autograder.dispatch.pool import LocalPool
from autograder.dispatch.spool import QUEUES, Claim, Spool

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 60.0


class WorkerBroken(RuntimeError):
    """No grading worker process can start (e.g. the sandbox broke); jobs stay queued."""


class SpoolWorker:
    """Grade the jobs of ``queues`` found in ``spool`` until stopped.

    ``lease_s``: how long a claim stays valid without renewal (renewed every ``lease_s / 3``
    while grading); a claim of a worker on another host is re-queued after it expires.
    ``max_attempts``: a job whose worker died this many times is recorded as not_gradable.
    """

    def __init__(
        self,
        spool: str | os.PathLike[str],
        *,
        workers: int | None = None,
        executor_name: str | None = None,
        queues: tuple[str, ...] = QUEUES,
        lease_s: float = DEFAULT_LEASE_S,
        poll_s: float = 0.05,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        gpu_slots: list[str] | None = None,
    ) -> None:
        unknown = set(queues) - set(QUEUES)
        if unknown or not queues:
            raise ValueError(f"queues must be chosen from {QUEUES}, got {sorted(queues)}")
        self.spool = Spool(spool, lease_s=lease_s)
        self.queues = queues
        self.poll_s = poll_s
        self.max_attempts = max_attempts
        self.pool = LocalPool(
            workers, executor_name, max_attempts=max_attempts, gpu_slots=gpu_slots
        )
        self._held: dict[str, Claim] = {}
        self.finished = 0

    def serve(self, stop: threading.Event | None = None, max_jobs: int | None = None) -> int:
        """Run until ``stop`` is set (or ``max_jobs`` results were recorded); return that count.

        Raises :class:`WorkerBroken` when no pool worker can start: the jobs it held go back
        to the queue untouched for a healthy worker, instead of being failed one by one.
        """
        stop = stop or threading.Event()
        requeued = self.spool.requeue_expired()
        if requeued:
            log.warning("re-queued %d job(s) left by a dead worker", requeued)
        last_renew = last_sweep = time.monotonic()
        try:
            while not stop.is_set() and (max_jobs is None or self.finished < max_jobs):
                now = time.monotonic()
                if now - last_renew >= self.spool.lease_s / 3:
                    self.spool.renew([c.path for c in self._held.values()])
                    last_renew = now
                if now - last_sweep >= self.spool.lease_s / 2:
                    self.spool.requeue_expired()
                    last_sweep = now
                self._claim_what_fits()
                for result in self.pool.poll(self.poll_s):
                    self._record(result)
                self._stop_if_broken()
        finally:
            self.pool.close()
        return self.finished

    def _record(self, result: Result) -> None:
        claim = self._held.pop(result.job_id, None)
        if claim is None:
            return
        if result.status == "not_gradable" and self.pool.broken_reason(claim.job.resource_class):
            self.spool.release(claim)
            return
        if self.spool.finish(claim.path, result):
            self.finished += 1
            log.info("job %s: %s (attempt %d)", result.job_id, result.status, result.attempt)

    def _stop_if_broken(self) -> None:
        for queue in self.queues:
            reason = self.pool.broken_reason(queue)
            if reason:
                for claim in [c for c in self._held.values() if c.job.resource_class == queue]:
                    self.spool.release(claim)
                raise WorkerBroken(f"queue {queue}: {reason}")

    def _claim_what_fits(self) -> None:
        for queue in self.queues:
            while self.pool.free_slots(queue) > 0:
                claim = self.spool.claim_next(queue)
                if claim is None:
                    break
                self._start(claim)

    def _start(self, claim: Claim) -> None:
        job_id = claim.job.job_id
        if claim.attempt > self.max_attempts:
            reason = (
                f"the grading worker died {claim.attempt - 1} times while grading this job; gave up"
            )
            if self.spool.finish(claim.path, not_gradable(job_id, reason, attempt=claim.attempt)):
                self.finished += 1
            return
        if not self.pool.submit(claim.job, attempt=claim.attempt):
            claim.path.unlink(missing_ok=True)  # this process already grades it
            return
        self._held[job_id] = claim
