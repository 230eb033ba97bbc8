"""Pieces every dispatcher shares: hard limits, job-id checks, "not gradable" results.

A dispatcher never grades by itself: it calls :func:`autograder.grading.grade` in a worker
process and only adds the outer fences (a hard wall-clock limit above the sandbox's own, a
bounded number of attempts when a worker dies) and exactly-once delivery of the result.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from typing import Any

from autograder.contract import Job, Limits, Result

log = logging.getLogger(__name__)

#: Seconds added to a job's own ``notebook_timeout_s`` before a dispatcher kills the worker
#: (setup, kernel start-up, scoring and feedback happen outside the notebook's clock).
HARD_LIMIT_GRACE_S = 60.0
#: Attempts a job gets when the worker grading it dies (killed, crashed) before it is
#: recorded as "not_gradable". A hard-limit overrun is never retried.
DEFAULT_MAX_ATTEMPTS = 3

_JOB_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

_NOT_GRADABLE_HTML = (
    "<p>채점 시스템 문제로 이 제출물을 채점하지 못했습니다. 점수는 0점이 아니며, "
    "강사가 확인합니다.</p>"
    "<p>This submission could not be graded because of a problem in the grading system. "
    "It is not a zero: an instructor will look at it.</p>"
)


def hard_time_limit_s(limits: Limits, grace_s: float = HARD_LIMIT_GRACE_S) -> float:
    """Wall-clock seconds after which a dispatcher kills the worker grading a job.

    Always above the sandbox's own notebook limit, so the sandbox normally fires first and
    this is only the outer fence for a grader that hangs.
    """
    return float(limits.notebook_timeout_s) + grace_s


def check_job_id(job_id: str) -> str:
    """Return ``job_id`` if it is safe as a file name and a broker key, else raise ValueError.

    Allowed: 1-128 characters from ``A-Z a-z 0-9 _ . -``, not starting with ``.`` or ``-``.
    """
    if not isinstance(job_id, str) or not _JOB_ID_RE.match(job_id):
        raise ValueError(
            f"invalid job id {job_id!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return job_id


def not_gradable(job_id: str, reason: str, *, attempt: int = 1, logs: str = "") -> Result:
    """A Result saying the infrastructure could not grade ``job_id`` (never a zero)."""
    return Result(
        job_id=job_id,
        status="not_gradable",
        earned=0.0,
        possible=0.0,
        cells=[],
        feedback_html=_NOT_GRADABLE_HTML,
        flags=[],
        reason=reason,
        logs=logs,
        timings={},
        attempt=max(1, int(attempt)),
    )


def grade_safely(job: Job, executor: Any, *, attempt: int = 1) -> Result:
    """Call the one grading function; an unexpected exception becomes a not_gradable Result.

    ``grade`` promises never to raise for bad input, so an exception here is a bug or an
    infrastructure fault: it is logged with its traceback and reported, never turned into 0.
    """
    from autograder.grading import grade  # imported late: the zygote pre-imports come first

    try:
        result = grade(job, executor=executor)
    except Exception as exc:  # noqa: BLE001 - the batch must go on; the reason is kept
        log.exception("grade() raised for job %s", job.job_id)
        return not_gradable(
            job.job_id,
            f"the grader failed: {type(exc).__name__}: {exc}",
            attempt=attempt,
            logs=traceback.format_exc(limit=20),
        )
    result.attempt = attempt
    return result


def job_id_hint(job_json: str | bytes) -> str:
    """Best-effort job id from possibly malformed job JSON, for error reports."""
    import json

    try:
        value = json.loads(job_json).get("job_id")
    except (ValueError, AttributeError, TypeError):
        return "unknown"
    try:
        return check_job_id(value)
    except ValueError:
        return "unknown"


def set_parent_death_signal() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no orphaned graders)."""
    if not os.path.exists("/proc/self"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux/glibc: orphans then exit on EOF instead
        log.debug("prctl(PR_SET_PDEATHSIG) unavailable")


def warm_up(executor: Any) -> None:
    """Run one empty cell so the executor's start-up (the zygote's imports) is paid now,
    before the first student waits for it. Failures are only logged: grading reports them."""
    import tempfile
    from pathlib import Path

    try:
        from autograder.execute import CodeCell

        with tempfile.TemporaryDirectory(prefix="ag-warm-") as tmp:
            os.chmod(tmp, 0o755)  # the sandbox's unprivileged uid must reach it
            executor.run([CodeCell("warm-up", "pass", "setup")], workdir=Path(tmp), limits=Limits())
    except Exception:  # noqa: BLE001
        log.warning("executor warm-up failed", exc_info=True)
