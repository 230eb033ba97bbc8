"""``submit``: a learner hands in a notebook for an assignment.

The checks run in this order, each with its own error code and translated message:
enrolment, size, JSON notebook, notebook of this assignment, double click (same idempotency
key, or identical content within ``LMS_DOUBLE_SUBMIT_WINDOW_S``: the earlier submission is
returned), not yet open, past the hard cutoff, attempt limit. The submission and its grading
job are created in one flush; the caller commits and then dispatches (``dispatch_job``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.db import db, utcnow
from lms.errors import Conflict, DomainError, Forbidden, ValidationError
from lms.grading.backends import get_backend
from lms.grading.models import Extension, GradingJob, JobStatus, Submission
from lms.grading.policy import late_factor, resolve_schedule
from lms.grading.settings import setting
from lms.publishing.models import Assignment
from lms.storage import blob_store, sha256_hex

#: A job not dispatched within this time (dispatch failed after commit) is swept.
FIRST_LEASE = dt.timedelta(seconds=30)


def submit(
    actor: User,
    assignment: Assignment,
    notebook_bytes: bytes,
    idempotency_key: str | None = None,
) -> Submission:
    """Store ``notebook_bytes`` as ``actor``'s next attempt at ``assignment`` and create its
    grading job (status queued). Returns the new Submission — or the earlier one for a
    double click. Raises ``Forbidden`` (``not_enrolled``, ``assignment_not_open``,
    ``past_cutoff``), ``Conflict`` (``attempt_limit``, ``idempotency_key_reused``),
    ``ValidationError`` (``not_a_notebook``, ``wrong_assignment``, ``invalid_idempotency_key``)
    or ``DomainError`` 413 (``submission_too_large``). Flushes, never commits; the caller
    commits and then calls ``dispatch_job(submission.job)``.
    """
    course = db.session.get(Course, assignment.course_id)
    enrollment = _active_enrollment(actor, course)
    key = _check_key(idempotency_key)
    if key is not None and (earlier := _by_key(actor, key)) is not None:
        if earlier.assignment_id != assignment.id:
            raise Conflict(
                "idempotency_key_reused",
                _l("This idempotency key was used for another assignment."),
            )
        return earlier
    notebook_name = _check_notebook(assignment, notebook_bytes)
    sha = sha256_hex(notebook_bytes)
    if (earlier := _recent_identical(actor, assignment, sha)) is not None:
        return earlier
    now = utcnow()
    due, factor = _check_schedule(actor, assignment, enrollment, now)
    attempt = _check_attempts(actor, assignment)
    blob_store().put(notebook_bytes)
    submission = Submission(
        user=actor,
        course_id=course.id,
        assignment=assignment,
        course_version_id=assignment.course_version_id,
        assignment_name=assignment.name,
        notebook_name=notebook_name,
        content_sha=sha,
        size_bytes=len(notebook_bytes),
        submitted_at=now,
        attempt=attempt,
        idempotency_key=key,
        due_at=due,
        late_factor=factor,
    )
    submission.jobs.append(
        GradingJob(
            status=JobStatus.QUEUED,
            assignment_id=assignment.id,
            backend=get_backend().name,
            backend_job_id=f"lms-{uuid.uuid4().hex}",
            submitted_at=now,
            lease_expires_at=now + FIRST_LEASE,
        )
    )
    return _insert(actor, submission, assignment, key, sha)


def _insert(actor, submission, assignment, key, sha) -> Submission:
    savepoint = db.session.begin_nested()
    try:
        db.session.add(submission)
        db.session.flush()
    except IntegrityError:
        # A concurrent request (the other half of a double click) inserted first.
        savepoint.rollback()
        earlier = _by_key(actor, key) if key else _recent_identical(actor, assignment, sha)
        if earlier is not None:
            return earlier
        raise Conflict(
            "concurrent_submission",
            _l("Another submission was made at the same time. Please try again."),
        ) from None
    savepoint.commit()
    record(
        "submission.create",
        actor=actor,
        obj=submission,
        details={"assignment": assignment.name, "attempt": submission.attempt},
    )
    return submission


def _active_enrollment(actor: User, course: Course) -> Enrollment:
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == actor.id, Enrollment.course_id == course.id)
    )
    if enrollment is None or enrollment.status != EnrollmentStatus.ACTIVE:
        raise Forbidden("not_enrolled", _l("You are not enrolled in this course."))
    # One submission at a time per learner and course: a no-op UPDATE takes the row lock
    # (PostgreSQL) or the write lock (SQLite) until commit, so the double-click and attempt
    # checks below see a concurrent click's committed submission.
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment.id)
        .values(status=Enrollment.status)
        .execution_options(synchronize_session=False)
    )
    return enrollment


def _check_key(key: str | None) -> str | None:
    if key is None or key == "":
        return None
    if len(key) > 100 or not key.isprintable():
        raise ValidationError(
            "invalid_idempotency_key",
            _l("The idempotency key must be at most 100 printable characters."),
            "idempotency_key",
        )
    return key


def _by_key(actor: User, key: str) -> Submission | None:
    return db.session.scalar(
        select(Submission).where(Submission.user_id == actor.id, Submission.idempotency_key == key)
    )


def _recent_identical(actor: User, assignment: Assignment, sha: str) -> Submission | None:
    since = utcnow() - dt.timedelta(seconds=setting("LMS_DOUBLE_SUBMIT_WINDOW_S"))
    return db.session.scalar(
        select(Submission)
        .where(
            Submission.user_id == actor.id,
            Submission.assignment_id == assignment.id,
            Submission.content_sha == sha,
            Submission.submitted_at >= since,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )


def _check_notebook(assignment: Assignment, data: bytes) -> str:
    """The assignment notebook ``data`` is a copy of, by nbgrader ``grade_id``s."""
    limit = setting("LMS_MAX_SUBMISSION_BYTES")
    if len(data) > limit:
        raise DomainError(
            "submission_too_large",
            _l("The notebook is larger than %(mb).1f MB.", mb=limit / 1_000_000),
            413,
        )
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError):
        notebook = None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValidationError(
            "not_a_notebook", _l("The file is not a Jupyter notebook (.ipynb JSON)."), "notebook"
        )
    ids = {_grade_id(cell) for cell in notebook["cells"]} - {None}
    best, overlap = None, 0
    for name, cells in _template_ids(assignment).items():
        if len(ids & cells) > overlap:
            best, overlap = name, len(ids & cells)
    # Most of its nbgrader cells must be this assignment's (labs share names like "reflection").
    if best is None or overlap * 2 <= len(ids):
        raise ValidationError(
            "wrong_assignment",
            _l("This notebook does not belong to assignment %(name)s.", name=assignment.name),
            "notebook",
        )
    return best


def _grade_id(cell: Any) -> str | None:
    if not isinstance(cell, dict) or not isinstance(cell.get("metadata"), dict):
        return None
    meta = cell["metadata"].get("nbgrader")
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


_TEMPLATE_IDS: dict[str, dict[str, set[str]]] = {}


def _template_ids(assignment: Assignment) -> dict[str, set[str]]:
    # Templates are immutable blobs: cache their grade_ids per hash for the process.
    sha = assignment.template_blob
    if sha not in _TEMPLATE_IDS:
        template = json.loads(blob_store().get(sha))
        _TEMPLATE_IDS[sha] = {
            name: {cell["grade_id"] for cell in nb["cells"]}
            for name, nb in template["notebooks"].items()
        }
    return _TEMPLATE_IDS[sha]


def effective_schedule(
    user: User, assignment: Assignment, enrollment: Enrollment | None
) -> tuple[dt.datetime, dt.datetime]:
    """``(opens_at, due_at)`` for ``user``: a relative schedule counts from the cohort's start
    (self-paced enrolments without a cohort: from the enrolment day), in the portal's
    time zone; a granted extension replaces the due date."""
    tz = current_app.config.get("LMS_DEFAULT_TIMEZONE", "Asia/Seoul")
    start = None
    if enrollment is not None:
        if enrollment.cohort is not None:
            start = enrollment.cohort.starts_on
        else:
            start = enrollment.created_at.astimezone(ZoneInfo(tz)).date()
    opens, due = resolve_schedule(assignment.schedule, start, tz)
    extension = db.session.scalar(
        select(Extension).where(
            Extension.course_id == assignment.course_id,
            Extension.assignment_name == assignment.name,
            Extension.user_id == user.id,
        )
    )
    return opens, extension.due_at if extension is not None else due


def _check_schedule(user, assignment, enrollment, now) -> tuple[dt.datetime, float]:
    opens, due = effective_schedule(user, assignment, enrollment)
    zone = ZoneInfo(user.timezone or current_app.config.get("LMS_DEFAULT_TIMEZONE", "Asia/Seoul"))
    if now < opens:
        when = opens.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        raise Forbidden("assignment_not_open", _l("This assignment opens at %(when)s.", when=when))
    factor = late_factor(assignment.late_policy, due, now)
    if factor is None:
        raise Forbidden(
            "past_cutoff",
            _l(
                "The deadline (%(when)s) has passed and late submissions are closed.",
                when=due.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
            ),
        )
    return due, factor


def _check_attempts(user: User, assignment: Assignment) -> int:
    used = db.session.scalar(
        select(func.count(Submission.id)).where(
            Submission.user_id == user.id,
            Submission.course_id == assignment.course_id,
            Submission.assignment_name == assignment.name,
        )
    )
    if assignment.max_attempts is not None and used >= assignment.max_attempts:
        raise Conflict(
            "attempt_limit",
            _l("You have used all %(n)d attempts for this assignment.", n=assignment.max_attempts),
        )
    return used + 1


def grant_extension(
    actor: User | None,
    course: Course,
    assignment_name: str,
    user: User,
    due_at: dt.datetime,
    reason: str = "",
) -> Extension:
    """Give ``user`` a personal due date for ``assignment_name`` (replaces an earlier one).
    Course managers only (``Forbidden``). Audited. Flushes, never commits."""
    from lms.catalog.services import can_manage_course

    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    extension = db.session.scalar(
        select(Extension).where(
            Extension.course_id == course.id,
            Extension.assignment_name == assignment_name,
            Extension.user_id == user.id,
        )
    ) or Extension(course_id=course.id, assignment_name=assignment_name, user_id=user.id)
    extension.due_at, extension.reason = due_at, reason
    extension.granted_by_id = getattr(actor, "id", None)
    db.session.add(extension)
    db.session.flush()
    record(
        "assignment.extension",
        actor=actor,
        obj=extension,
        details={"user_id": user.id, "due_at": due_at.isoformat()},
    )
    return extension
