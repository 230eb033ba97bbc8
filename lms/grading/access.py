"""Who may see a submission, and what a learner sees before feedback is released.

Before release, a learner sees pass/fail and points of visible tests, and only pass/fail of
hidden ones (no points, no message); the feedback HTML stays hidden. Hidden-test source is
never stored in results at all. Course instructors and admins always see everything.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import NotFound
from lms.grading.models import FeedbackRelease, GradingResult, ResultPart, Submission
from lms.grading.results import status_of, summary


def can_view_submission(actor: User | None, submission: Submission) -> bool:
    """The owner, the course's instructors and admins."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if submission.user_id == actor.id:
        return True
    return can_manage_course(actor, db.session.get(Course, submission.course_id))


def get_submission(actor: User | None, submission_id: int) -> Submission:
    """The submission if ``actor`` may see it, else ``NotFound`` (its existence does not
    leak)."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not can_view_submission(actor, submission):
        raise NotFound("submission_not_found", _l("No such submission."))
    return submission


def is_feedback_released(submission: Submission) -> bool:
    """Whether the assignment's feedback was released to everyone or to this learner."""
    return (
        db.session.scalar(
            select(FeedbackRelease.id)
            .where(
                FeedbackRelease.course_id == submission.course_id,
                FeedbackRelease.assignment_name == submission.assignment_name,
                or_(
                    FeedbackRelease.user_id.is_(None), FeedbackRelease.user_id == submission.user_id
                ),
            )
            .limit(1)
        )
        is not None
    )


def _part_json(part: ResultPart, full: bool) -> dict[str, Any]:
    passed = part.status == "passed" or (part.possible > 0 and part.earned >= part.possible)
    data: dict[str, Any] = {"cell_id": part.cell_id, "kind": part.kind, "hidden": part.hidden}
    if part.hidden and not full:
        data["passed"] = passed if part.kind == "test" else None
        return data
    data |= {
        "status": part.status,
        "passed": passed if part.kind == "test" else None,
        "earned": part.earned,
        "possible": part.possible,
        "message": part.message,
    }
    if full and part.manual_earned is not None:
        data |= {"manual_earned": part.manual_earned, "manual_comment": part.manual_comment}
    return data


def submission_json(actor: User, submission: Submission) -> dict[str, Any]:
    """The submission as ``actor`` may see it (call ``get_submission`` first)."""
    staff = submission.user_id != actor.id
    job = submission.job
    result: GradingResult | None = job.result if job is not None else None
    released = staff or is_feedback_released(submission)
    data: dict[str, Any] = {
        "id": submission.id,
        "course": db.session.get(Course, submission.course_id).slug,
        "assignment": submission.assignment_name,
        "notebook": submission.notebook_name,
        "attempt": submission.attempt,
        "submitted_at": submission.submitted_at.isoformat(),
        "due_at": submission.due_at.isoformat() if submission.due_at else None,
        "status": status_of(submission),
        **summary(result),
        "feedback_released": released,
        "tests": [_part_json(p, released) for p in result.parts] if result else [],
    }
    if result is not None and released:
        data["feedback_html"] = result.feedback_html
    if staff:
        data["user_id"] = submission.user_id
        data["version"] = submission.assignment.version.number
        if job is not None:
            data["job"] = _job_json(job)
        if result is not None:
            data |= {"flags": result.flags, "reason": result.reason}
    return data


def _job_json(job: Any) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "status": job.status.value,
        "dispatches": job.dispatches,
        "submitted_at": iso(job.submitted_at),
        "queued_at": iso(job.queued_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "reason": job.reason,
    }
