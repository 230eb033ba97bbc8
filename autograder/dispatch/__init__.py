"""Dispatch: how grading jobs reach :func:`autograder.grading.grade` (the one grading function).

- :class:`LocalPool` -- N worker processes on this machine (the default; no extra server).
- :mod:`autograder.dispatch.spool` + :class:`SpoolWorker` -- a durable local queue for the
  portal: ``submit_job(spool, job)``, ``read_result(spool, job_id)``.
- :mod:`autograder.dispatch.celery_app` -- Celery (Redis or RabbitMQ), queues cpu/gpu.
- :func:`autograder.dispatch.worker.main` -- ``python -m autograder worker``.

Celery is imported only by ``celery_app``, so the local paths work without it.
"""

from autograder.dispatch.local_worker import SpoolWorker
from autograder.dispatch.pool import LocalPool, RunSummary, default_workers
from autograder.dispatch.spool import read_result, submit_job

__all__ = ["LocalPool", "RunSummary", "SpoolWorker", "default_workers", "read_result", "submit_job"]
