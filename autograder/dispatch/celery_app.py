"""Celery dispatch: task ``autograder.grade`` (Job JSON in, Result JSON out) on queues cpu/gpu.

Broker: ``AUTOGRADER_BROKER_URL`` (default ``redis://127.0.0.1:6379/0``; RabbitMQ works too,
e.g. ``amqp://guest:guest@127.0.0.1:5672//``). Delivery is at-least-once by design
(``task_acks_late`` + ``task_reject_on_worker_lost``: a job whose worker dies is redelivered),
so the task is idempotent: the first Result recorded for a job id wins
(:class:`autograder.dispatch.results.ResultStore`, a Redis ``SET NX``) and a redelivered job
whose result exists returns it without grading again. Student code never runs in the Celery
process: ``grade()`` runs it in the sandbox with its own clocks; ``task_time_limit`` is only
the outer fence above them.

Each pool child holds one executor per resource class for its life (created when the child
starts, so the zygote's imports are paid once). A worker consuming ``gpu`` pins each child to
one GPU slot (``CUDA_VISIBLE_DEVICES``), so its concurrency must equal the number of slots.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from celery import Celery, signals
from celery.exceptions import TimeoutError as CeleryTimeoutError
from celery.result import AsyncResult
from kombu import Queue

from autograder.contract import Job, Limits, Result
from autograder.dispatch.common import (
    DEFAULT_MAX_ATTEMPTS,
    check_job_id,
    grade_safely,
    hard_time_limit_s,
    job_id_hint,
    not_gradable,
    warm_up,
)
from autograder.dispatch.gpu import default_gpu_executor
from autograder.dispatch.results import ResultStore, result_store_from_env

log = logging.getLogger(__name__)

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
#: Redis re-delivers a message that stays unacknowledged this long, even if its job is still
#: running, so it must exceed the longest job's hard limit (default 300 s + 60 s grace).
DEFAULT_VISIBILITY_TIMEOUT_S = 900
TASK_NAME = "autograder.grade"


def broker_url() -> str:
    """The broker URL from ``AUTOGRADER_BROKER_URL`` (default: local Redis db 0)."""
    return os.environ.get("AUTOGRADER_BROKER_URL", "").strip() or DEFAULT_BROKER_URL


def celery_config(broker: str) -> dict[str, Any]:
    """The Celery settings that make grading at-least-once, one job at a time per child."""
    visibility = float(
        os.environ.get("AUTOGRADER_VISIBILITY_TIMEOUT_S", DEFAULT_VISIBILITY_TIMEOUT_S)
    )
    backend = os.environ.get("AUTOGRADER_RESULT_BACKEND", "").strip()
    if not backend:
        backend = broker if broker.startswith(("redis://", "rediss://")) else "rpc://"
    return {
        "broker_url": broker,
        "result_backend": backend,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],  # never pickle: a broker message must not run code
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_queues": (Queue("cpu"), Queue("gpu")),
        "task_default_queue": "cpu",
        "task_time_limit": hard_time_limit_s(Limits()),
        "task_track_started": True,
        "result_expires": 7 * 24 * 3600,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "broker_transport_options": {
            "visibility_timeout": visibility,
            # Sweep for messages of dead workers every 2 s (kombu's default is ~100 s).
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
        },
        "result_backend_transport_options": {"visibility_timeout": visibility},
    }


def create_app(broker: str | None = None) -> Celery:
    """A Celery app with the grading settings (the module's ``app`` is the worker's).

    Producers that need another broker than ``AUTOGRADER_BROKER_URL`` (tests, a portal
    talking to several clusters) make their own and pass it to :func:`submit`.
    """
    celery = Celery("autograder", set_as_current=False)
    celery.conf.update(celery_config(broker or broker_url()))
    return celery


app = create_app()


_EXECUTORS: dict[str, Any] = {}


def _executor_for(resource_class: str) -> Any:
    """This child's executor for ``resource_class``, created once and kept."""
    if resource_class not in _EXECUTORS:
        from autograder.execute import get_executor

        name = None
        if resource_class == "gpu":  # CUDA cannot be initialised in a forked zygote
            name = default_gpu_executor(None)
        _EXECUTORS[resource_class] = get_executor(name)
    return _EXECUTORS[resource_class]


@signals.worker_process_init.connect
def _init_child(**_: Any) -> None:
    """Pin this pool child to its GPU slot (gpu workers) and create its CPU executor."""
    from autograder.dispatch.gpu_pinning import pin_child_to_slot

    # billiard children ignore SIGINT, and an ignored signal stays ignored across exec: the
    # executor's zygote and kernels would then ignore the interrupts that end a timed-out cell
    # (and report a "signal handler installed" false alarm). With the default disposition a
    # Ctrl-C kills the child; acks_late + reject_on_worker_lost then redeliver its job.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    pin_child_to_slot()
    if "cpu" in os.environ.get("AUTOGRADER_WORKER_QUEUES", "cpu").split(","):
        try:
            warm_up(_executor_for("cpu"))
        except Exception:  # noqa: BLE001 - reported per job as not_gradable instead
            log.exception("could not create the executor in worker child %s", os.getpid())


@signals.worker_process_shutdown.connect
def _close_child(**_: Any) -> None:
    for executor in _EXECUTORS.values():
        executor.close()
    _EXECUTORS.clear()


def grade_job_json(
    job_json: str, store: ResultStore | None, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> str:
    """Grade one job given as JSON, idempotently by job id; return the recorded Result JSON.

    Malformed JSON gives a not_gradable Result (never an exception). A job id that already has
    a recorded result returns it without grading. ``store`` None: no deduplication (tests).
    """
    try:
        job = Job.from_json(job_json)
        check_job_id(job.job_id)
    except ValueError as exc:
        return not_gradable(job_id_hint(job_json), f"malformed job: {exc}").to_json()
    if store is not None:
        recorded = store.get(job.job_id)
        if recorded is not None:
            log.info("job %s already graded; returning the recorded result", job.job_id)
            return recorded
    attempt = store.next_attempt(job.job_id) if store is not None else 1
    if attempt > max_attempts:
        reason = f"the grading worker died {attempt - 1} times while grading this job; gave up"
        result = not_gradable(job.job_id, reason, attempt=attempt)
    else:
        result = _grade_here(job, attempt)
    return store.record(result) if store is not None else result.to_json()


def _grade_here(job: Job, attempt: int) -> Result:
    from autograder.dispatch.gpu_pinning import slot_of_this_child

    if job.resource_class == "gpu" and not slot_of_this_child():
        return not_gradable(job.job_id, "this worker has no GPU slot", attempt=attempt)
    try:
        executor = _executor_for(job.resource_class)
    except Exception as exc:  # noqa: BLE001 - infrastructure, not the student's fault
        return not_gradable(
            job.job_id, f"no executor: {type(exc).__name__}: {exc}", attempt=attempt
        )
    return grade_safely(job, executor, attempt=attempt)


@app.task(name=TASK_NAME, bind=True)
def grade_task(self: Any, job_json: str) -> str:
    """Celery task: Job JSON in, Result JSON out (see :func:`grade_job_json`)."""
    info = self.request.delivery_info or {}
    log.info("job %s received (redelivered=%s)", job_id_hint(job_json), info.get("redelivered"))
    return grade_job_json(job_json, result_store_from_env(broker_url()))


def submit(job: Job, celery: Celery | None = None) -> AsyncResult:
    """Send ``job`` to its queue (``resource_class``); the Celery task id is the job id."""
    check_job_id(job.job_id)
    return (celery or app).send_task(
        TASK_NAME,
        args=[job.to_json()],
        queue=job.resource_class,
        task_id=job.job_id,
        time_limit=hard_time_limit_s(job.limits),
    )


def fetch_result(
    job_id: str, timeout: float | None = None, celery: Celery | None = None
) -> Result | None:
    """The recorded Result of ``job_id``, waiting up to ``timeout`` s; None if none yet.

    A task that failed outside ``grade()`` (hard time limit, lost worker) yields a
    not_gradable Result with Celery's reason, so a consumer always gets a Result.
    """
    celery = celery or app
    store = result_store_from_env(celery.conf.broker_url)
    if store is not None and (recorded := store.get(job_id)) is not None:
        return Result.from_json(recorded)
    async_result = AsyncResult(job_id, app=celery)
    try:
        value = async_result.get(timeout=timeout, propagate=False) if timeout else None
    except CeleryTimeoutError:
        return None
    if async_result.failed():
        return not_gradable(job_id, f"the Celery task failed: {async_result.result!r}")
    if async_result.successful():
        return Result.from_json(value if value is not None else async_result.result)
    return None
