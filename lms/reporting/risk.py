"""Which enrolments are at risk, set-based and without computing every enrolment's figures.

At risk means what ``lms.completion.progress`` says (active enrolments only): ``overdue``
(catalogue items past their due date not done) or ``failing_labs`` (a counted lab grade
below the pass mark). Overdue is one grouped statement over all enrolments; failing labs
need the gradebook's counting, so ``progress_for`` runs only for the active enrolments of
members who share their scores AND have a graded submission in that course (an enrolment
without one cannot fail a lab). The dashboard thus stays fast for thousands of members.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import and_, exists, select

from lms.catalog.models import CourseItem, Enrollment, EnrollmentStatus, Progress
from lms.completion.progress import _in_ids, progress_for
from lms.db import db, utcnow
from lms.grading.models import GradingJob, JobStatus, Submission


def at_risk_ids(active_ids: Collection[int], scores_ids: Collection[int]) -> set[int]:
    """Of ``active_ids`` (active enrolments), those behind schedule, plus those of
    ``scores_ids`` (the subset whose learner shares scores) failing a lab."""
    return _overdue(sorted(active_ids)) | _failing(sorted(scores_ids))


def _overdue(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    not_done = ~exists().where(
        Progress.enrollment_id == Enrollment.id, Progress.item_id == CourseItem.id
    )
    stmt = (
        select(Enrollment.id)
        .join(CourseItem, CourseItem.course_id == Enrollment.course_id)
        .where(_in_ids(Enrollment.id, ids), CourseItem.due_at < utcnow(), not_done)
        .distinct()
    )
    return set(db.session.scalars(stmt))


def _failing(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    graded = exists().where(
        and_(
            Submission.user_id == Enrollment.user_id,
            Submission.course_id == Enrollment.course_id,
            GradingJob.submission_id == Submission.id,
            GradingJob.status == JobStatus.GRADED,
        )
    )
    candidates = list(
        db.session.scalars(select(Enrollment.id).where(_in_ids(Enrollment.id, ids), graded))
    )
    figures = progress_for(candidates)
    return {eid for eid, f in figures.items() if "failing_labs" in f.at_risk_reasons}


def is_active(status: str) -> bool:
    return status == EnrollmentStatus.ACTIVE.value
