"""Dispatching jobs, recording results (idempotently) and sweeping lost leases.

``dispatch_job`` runs after the submission's commit; ``collect_once`` and ``sweep`` are what
``flask --app lms grading collect`` repeats. All flush and never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from autograder.contract import Job, Result
from lms.db import db, utcnow
from lms.errors import NotFound
from lms.grading.backends import DispatchError, GradingBackend, get_backend
from lms.grading.models import (
    OPEN_STATUSES,
    GradingJob,
    GradingResult,
    JobStatus,
    ResultPart,
    RubricCheck,
    Submission,
)
from lms.grading.settings import setting
from lms.storage import blob_store

log = logging.getLogger(__name__)


def build_job(job: GradingJob) -> Job:
    """The autograder Job of ``job``: release, template and notebook from the blob store."""
    submission = job.submission
    assignment = job.graded_assignment
    store = blob_store()
    return Job(
        job_id=job.backend_job_id,
        assignment=assignment.name,
        notebook_name=submission.notebook_name,
        release_dir=str(store.tree_path(assignment.release_tree)),
        template_path=str(store.local_path(assignment.template_blob)),
        submission_path=str(store.local_path(submission.content_sha)),
        resource_class=assignment.resource_class,
        student_id=str(submission.user_id),
    )


def dispatch_job(job: GradingJob, backend: GradingBackend | None = None) -> bool:
    """Hand ``job`` to the grading backend; call it after the commit that created the job.

    On success the job's dispatch counter, ``queued_at`` and lease (``LMS_GRADING_LEASE_S``)
    are set and True is returned. A ``DispatchError`` is logged and False returned: the job
    stays queued and the sweeper dispatches it again. Flushes, never commits.
    """
    backend = backend or get_backend()
    try:
        backend.dispatch(build_job(job))
    except DispatchError as exc:
        log.warning("job %s not dispatched: %s", job.id, exc)
        return False
    now = utcnow()
    job.dispatches += 1
    job.queued_at = job.queued_at or now
    job.lease_expires_at = now + dt.timedelta(seconds=setting("LMS_GRADING_LEASE_S"))
    db.session.flush()
    return True


def _validated(result: Result | str | bytes) -> Result:
    if isinstance(result, Result):
        return Result.from_dict(result.to_dict())  # re-validate what was built in memory
    return Result.from_json(result)


def record_result(job_id: int, result: Result | str | bytes) -> GradingResult:
    """Record the grader's ``result`` for grading job ``job_id``; idempotent.

    ``result`` is validated (``autograder.contract.Result``; ValueError when malformed or for
    another job). If the job already has a result, that one is returned unchanged, so a
    result delivered twice is counted once. ``graded``/``needs_review`` results store every
    cell as a ``ResultPart`` and the score after the submission's late factor;
    ``not_gradable`` ones store the reason and no score (never a zero).
    Raises ``NotFound`` for an unknown job. Flushes, never commits.
    """
    parsed = _validated(result)
    job = db.session.get(GradingJob, job_id, with_for_update=True)
    if job is None:
        raise NotFound("job_not_found", _l("No such grading job."))
    if parsed.job_id != job.backend_job_id:
        raise ValueError(f"result of {parsed.job_id!r} given for job {job.backend_job_id!r}")
    if job.result is not None:
        return job.result
    savepoint = db.session.begin_nested()
    try:
        row = _result_row(job, parsed)
        db.session.add(row)
        db.session.flush()
    except IntegrityError:  # a concurrent collector recorded it first
        savepoint.rollback()
        db.session.refresh(job)
        return job.result
    savepoint.commit()
    _carry_rubric_checks(row)
    _finish(job, parsed)
    return row


def _carry_rubric_checks(row: GradingResult) -> None:
    """The rubric criteria ticked on the previous result's cells stay ticked on the same
    cells of a regrade's result whose manual points were carried over."""
    previous = db.session.scalar(
        select(GradingResult)
        .where(GradingResult.submission_id == row.submission_id, GradingResult.id != row.id)
        .order_by(GradingResult.id.desc())
        .limit(1)
    )
    if previous is None:
        return
    carried = {p.cell_id: p.id for p in row.parts if p.manual_earned is not None}
    old_cells = {p.id: p.cell_id for p in previous.parts if p.cell_id in carried}
    checks = db.session.scalars(select(RubricCheck).where(RubricCheck.part_id.in_(old_cells)))
    db.session.add_all(
        RubricCheck(part_id=carried[old_cells[c.part_id]], criterion_id=c.criterion_id)
        for c in checks
    )
    db.session.flush()


def _result_row(job: GradingJob, result: Result) -> GradingResult:
    submission = job.submission
    assignment = job.graded_assignment
    gradable = result.status != "not_gradable"
    row = GradingResult(
        job=job,
        submission_id=submission.id,
        course_version_id=assignment.course_version_id,
        status=result.status,
        possible=result.possible if gradable else assignment.points,
        late_factor=submission.late_factor,
        needs_review=result.status == "needs_review",
        flags=list(result.flags),
        reason=result.reason,
        feedback_html=result.feedback_html,
        logs=result.logs[-20000:],
        grader_attempt=result.attempt,
    )
    for position, cell in enumerate(result.cells, start=1):
        row.parts.append(
            ResultPart(
                position=position,
                cell_id=cell.cell_id[:100],
                kind=cell.kind[:20],
                status=cell.status,
                hidden=cell.hidden,
                auto_earned=cell.earned,
                possible=cell.possible,
                message=cell.message,
            )
        )
    if gradable:
        _keep_manual_points(row, submission)
        row.auto_earned = result.earned
        recompute(row)
    return row


def _keep_manual_points(row: GradingResult, submission: Submission) -> None:
    """A regrade keeps what a human decided: manual points and comments of the submission's
    previous result carry over to the same cells of the new one (and still win)."""
    with db.session.no_autoflush:
        previous = db.session.scalar(
            select(GradingResult)
            .where(GradingResult.submission_id == submission.id, GradingResult.id.is_not(None))
            .order_by(GradingResult.id.desc())
            .limit(1)
        )
        if previous is None:
            return
        kept = {
            p.cell_id: p for p in previous.parts if p.manual_earned is not None or p.manual_comment
        }
    for part in row.parts:
        old = kept.get(part.cell_id)
        if old is not None and (old.manual_earned is None or old.manual_earned <= part.possible):
            part.manual_earned, part.manual_comment = old.manual_earned, old.manual_comment
            part.manual_by_id, part.manual_at = old.manual_by_id, old.manual_at


def recompute(row: GradingResult) -> None:
    """Totals of ``row`` from its parts (manual points win) and the late factor."""
    if row.status == "not_gradable":
        return
    row.earned = sum(part.earned for part in row.parts) if row.parts else row.auto_earned
    row.score = round(row.earned * row.late_factor, 4)


def _finish(job: GradingJob, result: Result) -> None:
    now = utcnow()
    job.status = JobStatus.NOT_GRADABLE if result.status == "not_gradable" else JobStatus.GRADED
    job.reason = result.reason
    job.started_at = job.started_at or job.queued_at
    job.finished_at = now
    job.lease_expires_at = None
    db.session.flush()


def open_jobs(backend_name: str) -> list[GradingJob]:
    """Jobs of ``backend_name`` waiting for a result."""
    return list(
        db.session.scalars(
            select(GradingJob)
            .where(GradingJob.status.in_(OPEN_STATUSES), GradingJob.backend == backend_name)
            .options(selectinload(GradingJob.submission).selectinload(Submission.assignment))
        )
    )


def collect_once(backend: GradingBackend | None = None) -> int:
    """Mark jobs a worker has started as running and record every result now available.

    Returns how many results were recorded. A malformed result fails only its own job
    (status failed, reason kept). Flushes, never commits.
    """
    backend = backend or get_backend()
    jobs = {job.backend_job_id: job for job in open_jobs(backend.name)}
    if not jobs:
        return 0
    now = utcnow()
    lease = dt.timedelta(seconds=setting("LMS_GRADING_LEASE_S"))
    for job_id in backend.running(jobs):
        job = jobs[job_id]
        if job.status == JobStatus.QUEUED:
            job.status, job.started_at = JobStatus.RUNNING, now
            job.lease_expires_at = now + lease
    recorded = 0
    for result in backend.collect(jobs):
        job = jobs.get(result.job_id)
        if job is None:
            continue
        try:
            record_result(job.id, result)
            recorded += 1
        except ValueError as exc:
            _fail(job, f"invalid result: {exc}")
    db.session.flush()
    return recorded


def _fail(job: GradingJob, reason: str) -> None:
    log.warning("job %s failed: %s", job.id, reason)
    job.status, job.reason = JobStatus.FAILED, reason[:2000]
    job.finished_at, job.lease_expires_at = utcnow(), None


def sweep(now: dt.datetime | None = None, backend: GradingBackend | None = None) -> int:
    """Dispatch again every open job whose lease expired (lost worker, lost message, failed
    first dispatch); after ``LMS_GRADING_MAX_DISPATCHES`` the job is failed with the reason.
    Returns how many jobs were dispatched again. Flushes, never commits."""
    backend = backend or get_backend()
    now = now or utcnow()
    limit = setting("LMS_GRADING_MAX_DISPATCHES")
    again = 0
    for job in open_jobs(backend.name):
        if job.lease_expires_at is None or job.lease_expires_at > now:
            continue
        if job.dispatches >= limit:
            _fail(job, f"no result after {job.dispatches} dispatches")
            continue
        job.status = JobStatus.QUEUED
        again += dispatch_job(job, backend)
    db.session.flush()
    return again


def status_of(submission: Submission) -> str:
    """What a person sees: queued, running, graded, needs_review, not_gradable or failed."""
    job = submission.job
    if job is None:
        return JobStatus.QUEUED.value
    if job.status == JobStatus.GRADED and job.result is not None and job.result.needs_review:
        return "needs_review"
    return job.status.value


def summary(result: GradingResult | None) -> dict[str, Any]:
    """Totals for listings (score after late penalty, possible points)."""
    if result is None:
        return {"score": None, "earned": None, "possible": None, "late_factor": None}
    return {
        "score": result.score,
        "earned": result.earned,
        "possible": result.possible,
        "late_factor": result.late_factor,
    }
