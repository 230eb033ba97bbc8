"""Dashboard queries: what a learner and an instructor see on their home pages.

Each function issues a fixed number of SQL statements whatever the amount of data (the
tests count them on small and larger data), so pages stay fast with many enrolments.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.catalog.models import (
    Cohort,
    CohortInstructor,
    Course,
    CourseInstructor,
    CourseItem,
    Enrollment,
    EnrollmentStatus,
    Programme,
    ProgrammeCourse,
    Progress,
)
from lms.catalog.queries import Page, list_enrollments
from lms.catalog.services import COUNTED
from lms.db import db, utcnow


@dataclass(frozen=True)
class CourseProgress:
    """One enrolment with ``done`` of ``total`` items completed."""

    enrollment: Enrollment
    done: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class ProgrammeProgress:
    """A programme the learner is in, with ``completed`` of ``total`` courses done."""

    programme: Programme
    completed: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.completed / self.total if self.total else 0.0


@dataclass(frozen=True)
class LearnerBoard:
    courses: list[CourseProgress]
    programmes: list[ProgrammeProgress]
    deadlines: list[CourseItem]


@dataclass(frozen=True)
class TaughtCourse:
    course: Course
    enrolled: int


def learner_dashboard(user: User, deadline_limit: int = 10) -> LearnerBoard:
    """The learner's enrolments (not dropped) with progress, their programmes and the next
    ``deadline_limit`` deadlines not yet completed. Six SQL statements at most."""
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user.id, Enrollment.status != EnrollmentStatus.DROPPED)
            .options(joinedload(Enrollment.course), joinedload(Enrollment.cohort))
            .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
        )
    )
    totals = _item_totals([e.course_id for e in enrollments])
    done = _done_counts([e.id for e in enrollments])
    courses = [
        CourseProgress(e, done.get(e.id, 0), totals.get(e.course_id, 0)) for e in enrollments
    ]
    return LearnerBoard(courses, _programmes(enrollments), _deadlines(enrollments, deadline_limit))


def _item_totals(course_ids: list[int]) -> dict[int, int]:
    if not course_ids:
        return {}
    stmt = (
        select(CourseItem.course_id, func.count())
        .where(CourseItem.course_id.in_(course_ids))
        .group_by(CourseItem.course_id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _done_counts(enrollment_ids: list[int]) -> dict[int, int]:
    if not enrollment_ids:
        return {}
    stmt = (
        select(Progress.enrollment_id, func.count())
        .where(Progress.enrollment_id.in_(enrollment_ids))
        .group_by(Progress.enrollment_id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _programmes(enrollments: list[Enrollment]) -> list[ProgrammeProgress]:
    course_ids = {e.course_id for e in enrollments}
    if not course_ids:
        return []
    completed = {e.course_id for e in enrollments if e.status == EnrollmentStatus.COMPLETED}
    in_programme = select(ProgrammeCourse.programme_id).where(
        ProgrammeCourse.course_id.in_(course_ids)
    )
    stmt = (
        select(Programme)
        .where(Programme.is_published.is_(True), Programme.id.in_(in_programme))
        .options(selectinload(Programme.entries))
        .order_by(Programme.slug)
    )
    result = []
    for programme in db.session.scalars(stmt):
        ids = {entry.course_id for entry in programme.entries}
        result.append(ProgrammeProgress(programme, len(ids & completed), len(ids)))
    return result


def _deadlines(enrollments: list[Enrollment], limit: int) -> list[CourseItem]:
    """Items due from now on in active enrolments that the learner has not completed."""
    active = [e for e in enrollments if e.status == EnrollmentStatus.ACTIVE]
    if not active:
        return []
    finished = select(Progress.item_id).where(Progress.enrollment_id.in_([e.id for e in active]))
    stmt = (
        select(CourseItem)
        .where(
            CourseItem.course_id.in_([e.course_id for e in active]),
            CourseItem.due_at >= utcnow(),
            CourseItem.id.not_in(finished),
        )
        .options(joinedload(CourseItem.course))
        .order_by(CourseItem.due_at, CourseItem.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def instructor_dashboard(user: User) -> list[TaughtCourse]:
    """Courses ``user`` teaches (directly or through a cohort) with their cohorts loaded and
    the number of active or completed enrolments. Three SQL statements."""
    via_cohort = (
        select(Cohort.course_id)
        .join(CohortInstructor, CohortInstructor.cohort_id == Cohort.id)
        .where(CohortInstructor.user_id == user.id)
    )
    direct = select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
    courses = list(
        db.session.scalars(
            select(Course)
            .where(or_(Course.id.in_(direct), Course.id.in_(via_cohort)))
            .options(selectinload(Course.cohorts))
            .order_by(Course.slug)
        )
    )
    if not courses:
        return []
    counts = dict(
        db.session.execute(
            select(Enrollment.course_id, func.count())
            .where(
                Enrollment.course_id.in_([c.id for c in courses]), Enrollment.status.in_(COUNTED)
            )
            .group_by(Enrollment.course_id)
        )
        .tuples()
        .all()
    )
    return [TaughtCourse(c, counts.get(c.id, 0)) for c in courses]


def course_roster(actor: User, course: Course, page: int = 1, per_page: int = 50) -> Page:
    """One ``Page`` (a list with ``page``, ``pages``, ``total``, ``has_next``) of the
    course's enrolments that ``actor`` may see (``list_enrollments`` rules), each with the
    learner's progress. A fixed number of SQL statements; ``Forbidden`` for others."""
    enrollments = list_enrollments(actor, course, page=page, per_page=per_page)
    total = _item_totals([course.id]).get(course.id, 0)
    done = _done_counts([e.id for e in enrollments])
    items = [CourseProgress(e, done.get(e.id, 0), total) for e in enrollments]
    return Page(items, enrollments.page, enrollments.per_page, enrollments.total)
