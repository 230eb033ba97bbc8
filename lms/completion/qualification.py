"""Who qualifies for completion under a policy, with each criterion's figures.

``evaluate(enrollment)`` for one learner, ``evaluate_many(enrollments)`` for a course or
cohort page (a fixed number of queries), ``evaluate_programme(programme, user_ids)`` for
programmes. Evaluation only computes: confirming is ``lms.completion.services``'s business.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.catalog.models import Course, Enrollment, EnrollmentStatus, Programme
from lms.completion.attendance import AttendanceFigures, attendance_for
from lms.completion.models import Completion
from lms.completion.policies import PolicyTerms, course_terms, programme_policy, terms_of
from lms.completion.progress import EnrollmentFigures, progress_for
from lms.db import db

#: Translated names of criterion codes, for pages.
CRITERIA = {
    "progress": _l("Progress"),
    "score": _l("Score"),
    "labs": _l("Required labs passed"),
    "attendance": _l("Attendance at live sessions"),
    "courses": _l("Courses confirmed complete"),
}


@dataclass(frozen=True)
class Criterion:
    """One requirement: ``required`` and ``actual`` are percentages (or lists of lab /
    course names); ``applies`` is False when there is nothing to measure (no items, no graded
    work in the course, no sessions held) — then it counts as met."""

    code: str
    required: Any
    actual: Any
    met: bool
    applies: bool = True

    def as_dict(self) -> dict[str, Any]:
        actual = sorted(self.actual) if isinstance(self.actual, set | frozenset) else self.actual
        required = list(self.required) if isinstance(self.required, tuple) else self.required
        return {"required": required, "actual": actual, "met": self.met, "applies": self.applies}


@dataclass(frozen=True)
class Qualification:
    """Where a learner stands against a course's or programme's policy."""

    user_id: int
    course_id: int | None
    programme_id: int | None
    enrollment_id: int | None
    terms: PolicyTerms
    criteria: tuple[Criterion, ...]
    figures: EnrollmentFigures | None = None
    attendance: AttendanceFigures | None = None
    completion: Completion | None = field(default=None, compare=False)

    @property
    def qualified(self) -> bool:
        return all(c.met for c in self.criteria)

    @property
    def unmet(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria if not c.met)

    def snapshot(self) -> dict[str, Any]:
        """The criteria as JSON-ready data (kept on the Completion)."""
        return {c.code: c.as_dict() for c in self.criteria}


def evaluate(enrollment: Enrollment) -> Qualification:
    """The qualification of one enrolment under its course's policy (default terms when the
    course has none)."""
    return evaluate_many([enrollment])[enrollment.id]


def evaluate_many(enrollments: Sequence[Enrollment]) -> dict[int, Qualification]:
    """Qualifications keyed by enrolment id, with each one's current completion. A fixed
    number of queries whatever the number of enrolments."""
    if not enrollments:
        return {}
    figures = progress_for([e.id for e in enrollments])
    terms = course_terms({e.course_id for e in enrollments})
    attendance = attendance_for({(e.cohort_id, e.user_id) for e in enrollments if e.cohort_id})
    completions = _current_course_completions(enrollments)
    result = {}
    for e in enrollments:
        att = attendance.get((e.cohort_id, e.user_id)) if e.cohort_id else None
        fig = figures[e.id]
        result[e.id] = Qualification(
            e.user_id,
            e.course_id,
            None,
            e.id,
            terms[e.course_id],
            _course_criteria(terms[e.course_id], fig, att),
            fig,
            att,
            completions.get((e.user_id, e.course_id)),
        )
    return result


def course_qualifications(course: Course, cohort_id: int | None = None) -> list[Qualification]:
    """Every active or completed enrolment of ``course`` (optionally one cohort), evaluated,
    ordered by learner name. Access is the caller's business (``can_manage_course``)."""
    from sqlalchemy.orm import selectinload

    stmt = select(Enrollment).where(
        Enrollment.course_id == course.id,
        Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)),
    )
    if cohort_id is not None:
        stmt = stmt.where(Enrollment.cohort_id == cohort_id)
    enrollments = list(db.session.scalars(stmt.options(selectinload(Enrollment.user))))
    enrollments.sort(key=lambda e: (e.user.name, e.user.email))
    found = evaluate_many(enrollments)
    return [found[e.id] for e in enrollments]


def _course_criteria(
    terms: PolicyTerms, fig: EnrollmentFigures, att: AttendanceFigures | None
) -> tuple[Criterion, ...]:
    criteria = []
    if terms.min_progress_percent is not None:
        applies = fig.items_total > 0
        met = not applies or fig.progress_percent >= terms.min_progress_percent
        criteria.append(
            Criterion("progress", terms.min_progress_percent, fig.progress_percent, met, applies)
        )
    if terms.min_score_percent is not None:
        applies = fig.points_possible > 0
        score = fig.score_percent
        met = not applies or (score is not None and score >= terms.min_score_percent)
        criteria.append(Criterion("score", terms.min_score_percent, score, met, applies))
    if terms.required_labs:
        met = set(terms.required_labs) <= fig.labs_passed
        criteria.append(Criterion("labs", terms.required_labs, fig.labs_passed, met))
    if terms.min_attendance_percent is not None:
        criteria.append(_attendance_criterion(terms.min_attendance_percent, att))
    return tuple(criteria)


def _attendance_criterion(minimum: float, att: AttendanceFigures | None) -> Criterion:
    percent = att.percent if att is not None else None
    if percent is None:
        return Criterion("attendance", minimum, None, True, applies=False)
    return Criterion("attendance", minimum, percent, percent >= minimum)


def _current_course_completions(enrollments: Sequence[Enrollment]) -> dict:
    user_ids = {e.user_id for e in enrollments}
    course_ids = {e.course_id for e in enrollments}
    stmt = select(Completion).where(
        Completion.user_id.in_(user_ids),
        Completion.course_id.in_(course_ids),
        Completion.revoked_at.is_(None),
    )
    return {(c.user_id, c.course_id): c for c in db.session.scalars(stmt)}


def evaluate_programme(
    programme: Programme, user_ids: Collection[int] | None = None
) -> list[Qualification]:
    """Qualifications of learners for ``programme``: every course of it confirmed complete,
    plus the programme policy's terms over all its courses together (progress and points
    summed, required labs as ``course-slug/assignment``, attendance over every cohort).
    ``user_ids`` None = everyone enrolled in one of its courses. Ordered by user id."""
    from lms.completion.programmes import programme_rows

    rows = programme_rows(programme, user_ids)
    terms = terms_of(programme_policy(programme))
    return [
        Qualification(
            row.user_id,
            None,
            programme.id,
            None,
            terms,
            (row.courses_criterion, *_course_criteria(terms, row.figures, row.attendance)),
            row.figures,
            row.attendance,
            row.completion,
        )
        for row in rows
    ]
