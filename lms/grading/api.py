"""Grading routes of API v1 (registered on ``lms.api.api_bp``): submit a notebook, read a
submission, list a course's assignments. Each parses, calls one service, commits once,
dispatches after the commit, and answers JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.catalog.models import Enrollment
from lms.catalog.services import get_course
from lms.db import db
from lms.errors import DomainError, ValidationError
from lms.grading.access import get_submission, submission_json
from lms.grading.models import JobStatus, Submission
from lms.grading.policy import resolve_schedule
from lms.grading.results import dispatch_job, status_of
from lms.grading.settings import setting
from lms.grading.submission import effective_schedule, submit
from lms.publishing.models import Assignment
from lms.publishing.services import current_assignment, current_version


@api_bp.post("/courses/<slug>/assignments/<name>/submissions")
@token_required
def create_submission(slug: str, name: str) -> Any:
    user = current_api_user()
    assignment = current_assignment(get_course(user, slug), name)
    data = _notebook_upload()
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key")
    submission = submit(user, assignment, data, idempotency_key=key)
    db.session.commit()
    job = submission.job
    if job is not None and job.status == JobStatus.QUEUED and job.dispatches == 0:
        dispatch_job(job)  # after the commit: a worker never sees an uncommitted job
        db.session.commit()
    body = {
        "id": submission.id,
        "attempt": submission.attempt,
        "status": status_of(submission),
        "url": url_for("api.read_submission", submission_id=submission.id),
    }
    return jsonify(body), 202


def _notebook_upload() -> bytes:
    limit = setting("LMS_MAX_SUBMISSION_BYTES")
    # Refuse oversized bodies before werkzeug parses them (413, answered as JSON).
    request.max_content_length = limit + 64 * 1024
    if not request.mimetype.startswith("multipart/form-data"):
        raise DomainError(
            "unsupported_media_type",
            _l("Send the notebook as multipart/form-data in the field 'notebook'."),
            415,
        )
    upload = request.files.get("notebook")
    if upload is None:
        raise ValidationError(
            "notebook_missing", _l("Attach the notebook in the field 'notebook'."), "notebook"
        )
    data = upload.stream.read(limit + 1)  # never more than the limit in memory
    if not data:
        raise ValidationError("notebook_empty", _l("The uploaded file is empty."), "notebook")
    return data


@api_bp.get("/submissions/<int:submission_id>")
@token_required
def read_submission(submission_id: int) -> Any:
    user = current_api_user()
    return jsonify(submission_json(user, get_submission(user, submission_id)))


@api_bp.get("/courses/<slug>/assignments")
def list_assignments(slug: str) -> Any:
    user = current_api_user()
    course = get_course(user, slug)
    version = current_version(course)
    if version is None:
        return jsonify({"version": None, "items": []})
    enrollment = None
    if user is not None:
        enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.user_id == user.id, Enrollment.course_id == course.id
            )
        )
    used = _attempts_used(user, course.id)
    items = [_assignment_json(a, user, enrollment, used) for a in version.assignments]
    return jsonify({"version": version.number, "items": items})


def _attempts_used(user: User | None, course_id: int) -> dict[str, int]:
    if user is None:
        return {}
    rows = db.session.execute(
        select(Submission.assignment_name, func.count(Submission.id))
        .where(Submission.user_id == user.id, Submission.course_id == course_id)
        .group_by(Submission.assignment_name)
    )
    return {name: count for name, count in rows}


def _assignment_json(
    a: Assignment, user: User | None, enrollment: Enrollment | None, used: dict[str, int]
) -> dict[str, Any]:
    opens = due = None
    if user is not None and enrollment is not None:
        opens, due = effective_schedule(user, a, enrollment)
    elif "opens_at" in a.schedule:  # absolute schedules are the same for everyone
        opens, due = resolve_schedule(a.schedule, None)
    return {
        "name": a.name,
        "title_ko": a.title_ko,
        "title_en": a.title_en,
        "kind": a.kind,
        "points": a.points,
        "gpu": a.resource_class == "gpu",
        "schedule": a.schedule,
        "opens_at": opens.isoformat() if opens else None,
        "due_at": due.isoformat() if due else None,
        "late_policy": a.late_policy,
        "max_attempts": a.max_attempts,
        "counts": a.counts,
        "attempts_used": used.get(a.name, 0) if user is not None else None,
    }
