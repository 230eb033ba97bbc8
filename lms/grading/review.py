"""Instructor actions on results: manual points, feedback release, the counted grade.

For the pages of issue 4 (submission page, gradebook, manual grading). All check access with
``can_manage_course``, audit what they change, flush and never commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db, utcnow
from lms.errors import Forbidden, ValidationError
from lms.grading.models import (
    FeedbackRelease,
    GradingJob,
    GradingResult,
    JobStatus,
    ResultPart,
    Submission,
)
from lms.grading.policy import counted_score
from lms.grading.results import recompute
from lms.publishing.services import current_assignment


def _require_manager(actor: User | None, course_id: int) -> None:
    if actor is not None and not can_manage_course(actor, db.session.get(Course, course_id)):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))


def set_manual_score(
    actor: User | None, part: ResultPart, points: float | None, comment: str = ""
) -> GradingResult:
    """Give ``part`` manual points (None removes them: the automatic points count again).

    Points must lie in ``0..part.possible`` (``ValidationError`` ``invalid_points``). Manual
    points win over automatic ones; the result's totals and score are recomputed.
    Audited as ``grade.manual`` with the old and new points. Course managers only.
    """
    result = part.result
    submission = db.session.get(Submission, result.submission_id)
    _require_manager(actor, submission.course_id)
    if points is not None and not 0 <= points <= part.possible:
        raise ValidationError(
            "invalid_points",
            _l("Points must be between 0 and %(max)s.", max=part.possible),
            "points",
        )
    old = part.manual_earned
    part.manual_earned, part.manual_comment = points, comment
    part.manual_by_id, part.manual_at = getattr(actor, "id", None), utcnow()
    recompute(result)
    db.session.flush()
    record(
        "grade.manual",
        actor=actor,
        obj=result,
        details={"cell": part.cell_id, "old": old, "new": points, "comment": comment[:500]},
    )
    return result


def mark_reviewed(actor: User | None, result: GradingResult) -> GradingResult:
    """A human looked at a flagged result: it no longer needs review. Audited."""
    _require_manager(actor, db.session.get(Submission, result.submission_id).course_id)
    result.needs_review = False
    db.session.flush()
    record("grade.reviewed", actor=actor, obj=result, details={"flags": result.flags})
    return result


def release_feedback(
    actor: User | None, course: Course, assignment_name: str, user: User | None = None
) -> FeedbackRelease:
    """Release the feedback (hidden-test details, feedback HTML) of ``assignment_name`` to
    everyone, or to ``user`` only. Idempotent. Audited as ``feedback.release``."""
    _require_manager(actor, course.id)
    existing = db.session.scalar(
        select(FeedbackRelease).where(
            FeedbackRelease.course_id == course.id,
            FeedbackRelease.assignment_name == assignment_name,
            FeedbackRelease.user_id.is_(None)
            if user is None
            else FeedbackRelease.user_id == user.id,
        )
    )
    if existing is not None:
        return existing
    release = FeedbackRelease(
        course_id=course.id,
        assignment_name=assignment_name,
        user_id=getattr(user, "id", None),
        released_by_id=getattr(actor, "id", None),
    )
    db.session.add(release)
    db.session.flush()
    record(
        "feedback.release",
        actor=actor,
        obj=release,
        details={"assignment": assignment_name, "user_id": getattr(user, "id", None)},
    )
    return release


def assignment_grade(user: User, course: Course, assignment_name: str) -> float | None:
    """The grade that counts for ``user``: the scores (after late penalties, manual points
    winning) of the graded attempts, last or best as the current version says. None when
    no attempt is graded."""
    rows = db.session.execute(
        select(Submission.attempt, GradingResult.score)
        .join(GradingJob, GradingResult.job_id == GradingJob.id)
        .join(Submission, GradingResult.submission_id == Submission.id)
        .where(
            Submission.user_id == user.id,
            Submission.course_id == course.id,
            Submission.assignment_name == assignment_name,
            GradingJob.status == JobStatus.GRADED,
            GradingResult.score.is_not(None),
        )
        .order_by(Submission.attempt, GradingJob.id)
    ).all()
    # a regraded attempt counts with its latest result (the last job graded)
    scores = list({attempt: score for attempt, score in rows}.values())
    if not scores:
        return None
    counts = current_assignment(course, assignment_name).counts
    return counted_score(list(scores), counts)
