"""Which enrolments fail a lab, decided by the database.

At risk means what ``lms.completion.progress`` says (active enrolments only): ``overdue``
(catalogue items past their due date not done: ``enrollments.next_due_at < now``, see
``lms.reporting.queries``) or ``failing_labs``: a counted lab grade below the pass mark.
``failing_ids`` is ``progress_for``'s rule as one statement — of each submission its latest
grading job, counted only when that job graded it; of each (learner, course, current
assignment) the counted grade by the current version's ``counts`` (the last graded attempt,
or the best); failing below ``points × pass mark`` (the course's completion policy, else
``DEFAULT_LAB_PASS_PERCENT``) — so thousands of graded enrolments cost one grouped query
instead of their full figures. ``tests/lms/test_reporting_risk.py`` checks it against
``progress_for``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, case, func, literal, select

from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.completion.models import CompletionPolicy
from lms.completion.progress import DEFAULT_LAB_PASS_PERCENT, in_ids
from lms.db import db
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.publishing.models import Assignment, CourseVersion

#: The slack ``progress_for`` gives the pass mark (float sums of cell points).
EPSILON = 1e-9


def failing_ids(users: Any, course_ids: Collection[int] | None) -> set[int]:
    """Active enrolments of ``users`` (a SELECT of user ids) in ``course_ids`` (None: any
    course) with a counted lab grade below the course's pass mark (one statement)."""
    if course_ids is not None and not course_ids:
        return set()
    newest = func.row_number().over(partition_by=Submission.id, order_by=GradingJob.id.desc())
    latest = select(
        Submission.user_id,
        Submission.course_id,
        Submission.assignment_name,
        Submission.attempt,
        GradingJob.status,
        GradingResult.score,
        newest.label("newest"),
    ).join(GradingJob, GradingJob.submission_id == Submission.id)
    latest = latest.outerjoin(GradingResult, GradingResult.job_id == GradingJob.id).where(
        Submission.user_id.in_(users)
    )
    if course_ids is not None:
        latest = latest.where(in_ids(Submission.course_id, sorted(course_ids)))
    latest = latest.cte("latest")
    labs = _current_labs()
    best_first = case((labs.c.counts == "best", latest.c.score), else_=literal(0.0))
    pick = func.row_number().over(
        partition_by=(latest.c.user_id, latest.c.course_id, latest.c.assignment_name),
        order_by=(best_first.desc(), latest.c.attempt.desc()),
    )
    ranked = (
        select(
            latest.c.user_id,
            latest.c.course_id,
            latest.c.score,
            labs.c.points,
            pick.label("pick"),
        )
        .join(
            labs,
            and_(
                labs.c.course_id == latest.c.course_id,
                labs.c.name == latest.c.assignment_name,
            ),
        )
        .where(
            latest.c.newest == 1,
            latest.c.status == JobStatus.GRADED,
            latest.c.score.is_not(None),
        )
        .cte("ranked")
    )
    mark = func.coalesce(CompletionPolicy.lab_pass_percent, DEFAULT_LAB_PASS_PERCENT) / 100.0
    stmt = (
        select(Enrollment.id)
        .join(
            ranked,
            and_(
                ranked.c.user_id == Enrollment.user_id,
                ranked.c.course_id == Enrollment.course_id,
            ),
        )
        .outerjoin(CompletionPolicy, CompletionPolicy.course_id == ranked.c.course_id)
        .where(
            ranked.c.pick == 1,
            Enrollment.status == EnrollmentStatus.ACTIVE,
            ranked.c.score < ranked.c.points * mark - EPSILON,
        )
        .distinct()
    )
    return set(db.session.scalars(stmt))


def _current_labs() -> Any:
    """CTE ``course_id name points counts``: the assignments of each course's current
    (highest numbered) version."""
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return (
        select(Assignment.course_id, Assignment.name, Assignment.points, Assignment.counts)
        .join(CourseVersion, Assignment.course_version_id == CourseVersion.id)
        .join(
            latest,
            and_(
                latest.c.course_id == CourseVersion.course_id,
                latest.c.number == CourseVersion.number,
            ),
        )
        .cte("labs")
    )
