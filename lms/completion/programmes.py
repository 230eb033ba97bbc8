"""Programme-wide figures of learners: their courses' figures summed, course completions.

Used by ``qualification.evaluate_programme``; a fixed number of queries for any number of
learners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from lms.catalog.models import Enrollment, EnrollmentStatus, Programme
from lms.completion.attendance import AttendanceFigures, attendance_for
from lms.completion.models import Completion
from lms.completion.progress import EnrollmentFigures, progress_for
from lms.db import db


@dataclass(frozen=True)
class ProgrammeFigures:
    """A learner's figures over the programme courses they are enrolled in; lab names are
    ``course-slug/assignment``."""

    items_done: int
    items_total: int
    points_earned: float
    points_possible: float
    score_percent: float | None
    labs_passed: frozenset[str]
    labs_failed: frozenset[str]
    courses_total: int
    courses_confirmed: frozenset[int]

    @property
    def progress_percent(self) -> float:
        return round(100.0 * self.items_done / self.items_total, 2) if self.items_total else 0.0


@dataclass(frozen=True)
class ProgrammeRow:
    user_id: int
    figures: ProgrammeFigures
    attendance: AttendanceFigures | None
    completion: Completion | None
    courses_criterion: object


def programme_rows(
    programme: Programme, user_ids: Collection[int] | None = None
) -> list[ProgrammeRow]:
    """One row per learner enrolled (not dropped) in a course of ``programme`` (restricted
    to ``user_ids`` when given), ordered by user id."""
    from lms.completion.qualification import Criterion

    course_ids = [entry.course_id for entry in programme.entries]
    slugs = {entry.course_id: entry.course.slug for entry in programme.entries}
    enrollments = _enrollments(course_ids, user_ids)
    figures = progress_for([e.id for e in enrollments])
    attendance = attendance_for({(e.cohort_id, e.user_id) for e in enrollments if e.cohort_id})
    confirmed = _confirmed_courses({e.user_id for e in enrollments}, course_ids)
    done = _programme_completions(programme, {e.user_id for e in enrollments})
    by_user: dict[int, list[Enrollment]] = defaultdict(list)
    for e in enrollments:
        by_user[e.user_id].append(e)
    rows = []
    for user_id in sorted(by_user):
        mine = by_user[user_id]
        figs = _sum([figures[e.id] for e in mine], slugs, len(course_ids), confirmed[user_id])
        courses = Criterion(
            "courses",
            len(course_ids),
            len(figs.courses_confirmed),
            bool(course_ids) and len(figs.courses_confirmed) == len(course_ids),
        )
        att = _sum_attendance(
            [attendance.get((e.cohort_id, e.user_id)) for e in mine if e.cohort_id]
        )
        rows.append(ProgrammeRow(user_id, figs, att, done.get(user_id), courses))
    return rows


def _enrollments(course_ids: list[int], user_ids: Collection[int] | None) -> list[Enrollment]:
    if not course_ids:
        return []
    stmt = select(Enrollment).where(
        Enrollment.course_id.in_(course_ids), Enrollment.status != EnrollmentStatus.DROPPED
    )
    if user_ids is not None:
        stmt = stmt.where(Enrollment.user_id.in_(list(user_ids)))
    return list(db.session.scalars(stmt))


def _confirmed_courses(user_ids: set[int], course_ids: list[int]) -> dict[int, set[int]]:
    confirmed: dict[int, set[int]] = defaultdict(set)
    if user_ids:
        stmt = select(Completion.user_id, Completion.course_id).where(
            Completion.user_id.in_(user_ids),
            Completion.course_id.in_(course_ids),
            Completion.revoked_at.is_(None),
        )
        for user_id, course_id in db.session.execute(stmt):
            confirmed[user_id].add(course_id)
    return confirmed


def _programme_completions(programme: Programme, user_ids: set[int]) -> dict[int, Completion]:
    if not user_ids:
        return {}
    stmt = select(Completion).where(
        Completion.programme_id == programme.id,
        Completion.user_id.in_(user_ids),
        Completion.revoked_at.is_(None),
    )
    return {c.user_id: c for c in db.session.scalars(stmt)}


def _sum(
    figures: list[EnrollmentFigures], slugs: dict[int, str], total: int, confirmed: set[int]
) -> ProgrammeFigures:
    earned = sum(f.points_earned for f in figures)
    possible = sum(f.points_possible for f in figures)
    graded = any(f.score_percent is not None for f in figures)
    return ProgrammeFigures(
        items_done=sum(f.items_done for f in figures),
        items_total=sum(f.items_total for f in figures),
        points_earned=earned,
        points_possible=possible,
        score_percent=round(100.0 * earned / possible, 2) if graded and possible else None,
        labs_passed=frozenset(f"{slugs[f.course_id]}/{n}" for f in figures for n in f.labs_passed),
        labs_failed=frozenset(f"{slugs[f.course_id]}/{n}" for f in figures for n in f.labs_failed),
        courses_total=total,
        courses_confirmed=frozenset(confirmed),
    )


def _sum_attendance(parts: list[AttendanceFigures | None]) -> AttendanceFigures | None:
    held = [p for p in parts if p is not None]
    if not held:
        return None
    return AttendanceFigures(
        sum(p.held for p in held), sum(p.attended for p in held), sum(p.excused for p in held)
    )
