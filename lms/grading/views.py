"""Learner pages of the grading workflow: a course's assignments, one assignment with the
upload form, and a submission whose results appear without a reload.

Views parse, check access through the services, call one service, commit once and dispatch
the grading job after the commit (as the API does). ``/submissions/<id>/status.json`` is the
session-authenticated twin of ``GET /api/v1/submissions/<id>`` that the page polls; it applies
the same visibility rules (``submission_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.catalog.services import can_manage_course, get_course
from lms.db import db
from lms.errors import DomainError
from lms.extensions import csrf
from lms.grading.access import get_submission, is_feedback_released, submission_json
from lms.grading.forms import SubmitForm, score_forms
from lms.grading.models import JobStatus, Submission
from lms.grading.results import dispatch_job, status_of
from lms.grading.review import assignment_grade
from lms.grading.settings import setting
from lms.grading.submission import effective_schedule, submit
from lms.publishing.models import Assignment
from lms.publishing.services import current_assignment, current_version
from lms.web import me, show_error

bp = Blueprint("grading", __name__, template_folder="templates")

#: What each status is called on the pages, and the badge colour it gets.
STATUS_LABELS = {
    "queued": (_l("Queued"), "neutral"),
    "running": (_l("Grading"), "warn"),
    "graded": (_l("Graded"), "ok"),
    "needs_review": (_l("Needs review"), "warn"),
    "not_gradable": (_l("Not gradable"), "danger"),
    "failed": (_l("Not gradable"), "danger"),
    "missing": (_l("Not submitted"), "neutral"),
}
#: Statuses after which the page stops polling.
FINAL_STATUSES = {"graded", "needs_review", "not_gradable", "failed"}


@bp.app_context_processor
def grading_helpers() -> dict[str, Any]:
    return {"status_label": status_label, "status_of": status_of}


def status_label(status: str) -> tuple[str, str]:
    """``(translated name, badge kind)`` of a submission status."""
    text, kind = STATUS_LABELS.get(status, (status, "neutral"))
    return str(text), kind


@dataclass
class AssignmentView:
    """One assignment as the viewer sees it: their dates, attempts and counted grade."""

    assignment: Assignment
    opens_at: datetime | None
    due_at: datetime | None
    attempts_used: int
    grade: float | None
    submissions: list[Submission]

    @property
    def attempts_left(self) -> int | None:
        limit = self.assignment.max_attempts
        return None if limit is None else max(limit - self.attempts_used, 0)


def _enrollment(course: Course) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == me().id, Enrollment.course_id == course.id)
    )


def _assignment_view(course: Course, assignment: Assignment, enrollment) -> AssignmentView:
    opens = due = None
    if enrollment is not None:
        opens, due = effective_schedule(me(), assignment, enrollment)
    mine = db.session.scalars(
        select(Submission)
        .where(
            Submission.user_id == me().id,
            Submission.course_id == course.id,
            Submission.assignment_name == assignment.name,
        )
        .order_by(Submission.attempt.desc())
    ).all()
    grade = assignment_grade(me(), course, assignment.name) if mine else None
    return AssignmentView(assignment, opens, due, len(mine), grade, list(mine))


@bp.get("/courses/<slug>/assignments")
@login_required
def assignments(slug: str) -> ResponseReturnValue:
    """The current version's assignments with the viewer's dates, attempts and grades."""
    course = get_course(me(), slug)
    version = current_version(course)
    enrollment = _enrollment(course)
    rows = [_assignment_view(course, a, enrollment) for a in version.assignments] if version else []
    return render_template(
        "grading/assignments.html",
        course=course,
        rows=rows,
        can_manage=can_manage_course(me(), course),
    )


def _assignment_page(course, assignment, form: SubmitForm, status: int = 200):
    enrollment = _enrollment(course)
    view = _assignment_view(course, assignment, enrollment)
    can_submit = enrollment is not None and enrollment.status == EnrollmentStatus.ACTIVE
    context = {
        "course": course,
        "view": view,
        "form": form,
        "can_submit": can_submit,
        "can_manage": can_manage_course(me(), course),
        "max_mb": setting("LMS_MAX_SUBMISSION_BYTES") / 1_000_000,
    }
    return render_template("grading/assignment.html", **context), status


@bp.get("/courses/<slug>/assignments/<name>")
@login_required
def assignment(slug: str, name: str) -> ResponseReturnValue:
    """An assignment: dates in the viewer's time zone, policy, attempts, grade, upload form."""
    course = get_course(me(), slug)
    return _assignment_page(course, current_assignment(course, name), SubmitForm(formdata=None))


@bp.post("/courses/<slug>/assignments/<name>")
@csrf.exempt  # the form checks its CSRF token itself, after the size limit is in place
@login_required
def submit_notebook(slug: str, name: str) -> ResponseReturnValue:
    """Hand in a notebook; on success go to the submission page (202 semantics for pages)."""
    course = get_course(me(), slug)
    assignment = current_assignment(course, name)
    limit = setting("LMS_MAX_SUBMISSION_BYTES")
    request.max_content_length = limit + 64 * 1024  # refuse huge bodies before parsing
    try:
        form = SubmitForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = SubmitForm(formdata=None)
        form.notebook.errors = [str(_too_large(limit))]
        return _assignment_page(course, assignment, form, 413)
    if not valid:
        return _assignment_page(course, assignment, form, 422 if form.notebook.errors else 400)
    data = form.notebook.data.stream.read(limit + 1)
    try:
        submission = submit(me(), assignment, data, form.idempotency_key.data or None)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, "notebook")
        return _assignment_page(course, assignment, form, error.status)
    db.session.commit()
    job = submission.job
    if job is not None and job.status == JobStatus.QUEUED and job.dispatches == 0:
        dispatch_job(job)  # after the commit: a worker never sees an uncommitted job
        db.session.commit()
    return redirect(url_for("grading.submission", submission_id=submission.id), 303)


def _too_large(limit: int) -> Any:
    return _l("The notebook is larger than %(mb).1f MB.", mb=limit / 1_000_000)


def _submission_context(submission: Submission) -> dict[str, Any]:
    data = submission_json(me(), submission)
    course = db.session.get(Course, submission.course_id)
    staff = can_manage_course(me(), course)
    return {
        "submission": submission,
        "data": data,
        "course": course,
        "is_staff": submission.user_id != me().id,
        "released": is_feedback_released(submission),
        "final": data["status"] in FINAL_STATUSES,
        "can_grade": staff,
        "score_forms": score_forms(submission) if staff else {},
    }


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int) -> ResponseReturnValue:
    """A submission: status, score and per-test results (updated by submission.js)."""
    context = _submission_context(get_submission(me(), submission_id))
    return render_template("grading/submission.html", **context)


@bp.get("/submissions/<int:submission_id>/status.json")
@login_required
def submission_status(submission_id: int) -> ResponseReturnValue:
    """The session twin of ``GET /api/v1/submissions/<id>``, plus the rendered result block
    (``html``) so the page shows exactly what a reload would."""
    context = _submission_context(get_submission(me(), submission_id))
    body = dict(context["data"])
    body.pop("feedback_html", None)  # never inserted into the portal page
    body["final"] = context["final"]
    body["html"] = render_template("grading/_result.html", **context)
    return jsonify(body)
