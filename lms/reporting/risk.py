"""Which enrolments fail a lab, set-based and without computing every enrolment's figures.

At risk means what ``lms.completion.progress`` says (active enrolments only): ``overdue``
(catalogue items past their due date not done: ``enrollments.next_due_at < now``, see
``lms.reporting.queries``) or ``failing_labs`` (a counted lab grade below the pass mark).
Failing labs need the gradebook's counting, so ``progress_for`` runs only for the active
enrolments of members who share their scores AND have a graded submission in that course
(an enrolment without one cannot fail a lab). The dashboard thus stays fast for thousands
of members.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, exists, select

from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.completion.progress import in_ids, progress_for
from lms.db import db
from lms.grading.models import GradingJob, JobStatus, Submission


def failing_ids(users: Any, course_ids: Collection[int] | None) -> set[int]:
    """Active enrolments of ``users`` (a SELECT of user ids) in ``course_ids`` (None: any
    course) with a counted lab grade below the course's pass mark."""
    if course_ids is not None and not course_ids:
        return set()
    graded = exists().where(
        and_(
            Submission.user_id == Enrollment.user_id,
            Submission.course_id == Enrollment.course_id,
            GradingJob.submission_id == Submission.id,
            GradingJob.status == JobStatus.GRADED,
        )
    )
    stmt = select(Enrollment.id).where(
        Enrollment.user_id.in_(users),
        Enrollment.status == EnrollmentStatus.ACTIVE,
        graded,
    )
    if course_ids is not None:
        stmt = stmt.where(in_ids(Enrollment.course_id, sorted(course_ids)))
    candidates = list(db.session.scalars(stmt))
    figures = progress_for(candidates)
    return {eid for eid, f in figures.items() if "failing_labs" in f.at_risk_reasons}
