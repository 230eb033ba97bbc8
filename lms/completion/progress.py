"""Progress figures of many enrolments at once (the CONTRACT reporting and completion use).

``progress_for(ids)`` issues a fixed number of SQL statements whatever the number of
enrolments: the id set travels as ONE bound parameter (a PostgreSQL array, a JSON array on
SQLite), so 100,000 enrolments neither hit parameter limits nor make 100,000 queries.

What the figures mean:

- items: the course's catalogue items (``CourseItem``) and the learner's ``Progress`` rows.
  A course without catalogue items counts the assignments of its current version as its
  items, one being done once the learner submitted it.
- points: per assignment of the course's current version, the counted grade as the gradebook
  counts it (``lms.grading.gradebook``): each attempt's latest grading job, when graded, gives
  the late-adjusted score; ``last`` or ``best`` attempt per the assignment's policy
  (``lms.grading.policy.counted_score``). ``points_possible`` is every assignment's points,
  so an assignment not yet graded counts as 0 of its points.
- labs passed / failed: assignments with a counted grade at or above / below the course's
  lab pass mark (``CompletionPolicy.lab_pass_percent``, default ``DEFAULT_LAB_PASS_PERCENT``).
  Not yet graded is neither.
- overdue items: catalogue items past their due date that the learner has not done.
- at risk (active enrolments only): ``overdue`` (overdue items) and/or ``failing_labs``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, TypeDecorator, and_, any_, case, exists, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from lms.catalog.models import CourseItem, Enrollment, EnrollmentStatus, Progress
from lms.completion.failing import DEFAULT_LAB_PASS_PERCENT, current_labs
from lms.db import db, utcnow
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.grading.policy import counted_score
from lms.publishing.models import Assignment, CourseVersion

#: Translated names of ``EnrollmentFigures.at_risk_reasons`` codes, for pages.
AT_RISK_REASONS = {
    "overdue": _l("Overdue items not done"),
    "failing_labs": _l("Failing labs"),
}


@dataclass(frozen=True, slots=True)
class EnrollmentFigures:
    """Where one enrolment stands. Percentages are 0..100; ``score_percent`` is None when
    nothing is graded yet; lab sets hold assignment names."""

    enrollment_id: int
    user_id: int
    course_id: int
    items_done: int
    items_total: int
    progress_percent: float
    points_earned: float
    points_possible: float
    score_percent: float | None
    labs_passed: frozenset[str]
    labs_failed: frozenset[str]
    overdue_items: int
    last_activity_at: datetime | None
    at_risk: bool
    at_risk_reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Lab:
    name: str
    points: float
    counts: str


def progress_for(enrollment_ids: Collection[int]) -> dict[int, EnrollmentFigures]:
    """Figures of every existing enrolment in ``enrollment_ids``, keyed by enrolment id
    (unknown ids are left out). Six SQL statements whatever the size; reads only, no
    access check (the caller decides who may see what)."""
    ids = sorted({int(i) for i in enrollment_ids})
    if not ids:
        return {}
    rows = _rows(
        select(Enrollment.id, Enrollment.user_id, Enrollment.course_id, Enrollment.status).where(
            _in_ids(Enrollment.id, ids)
        )
    )
    if not rows:
        return {}
    course_ids = sorted({row[2] for row in rows})
    now = utcnow()
    labs = _current_labs(course_ids)
    courses = _course_facts(course_ids, now, labs)
    done = _done(ids, now)
    grades, submitted = _submissions(ids, labs)
    no_grades: dict[str, float] = {}
    no_submissions: dict[str, datetime] = {}
    return {
        eid: _figures(
            (eid, user_id, course_id, status),
            courses[course_id],
            done.get(eid, (0, 0, None)),
            grades.get(eid, no_grades),
            submitted.get(eid, no_submissions),
        )
        for eid, user_id, course_id, status in rows
    }


@dataclass(frozen=True)
class _CourseFacts:
    item_count: int
    past_due: int
    lab_names: frozenset[str]
    possible: float
    #: points from which each current lab counts as passed
    pass_points: dict[str, float]


def _course_facts(
    course_ids: list[int], now: datetime, labs: dict[int, list[_Lab]]
) -> dict[int, _CourseFacts]:
    items = _item_totals(course_ids, now)
    pass_marks = _lab_pass_percents(course_ids)
    facts = {}
    for cid in course_ids:
        course_labs = labs.get(cid, [])
        mark = pass_marks.get(cid, DEFAULT_LAB_PASS_PERCENT) / 100
        facts[cid] = _CourseFacts(
            *items.get(cid, (0, 0)),
            frozenset(lab.name for lab in course_labs),
            sum(lab.points for lab in course_labs),
            {lab.name: lab.points * mark - 1e-9 for lab in course_labs},
        )
    return facts


def _figures(
    row: tuple[int, int, int, Any],
    course: _CourseFacts,
    done: tuple[int, int, datetime | None],
    grades: dict[str, float],
    submitted: dict[str, datetime],
) -> EnrollmentFigures:
    eid, user_id, course_id, status = row
    done_count, done_past_due, last_done = done
    if course.item_count:
        total, overdue = course.item_count, course.past_due - done_past_due
    else:
        total, overdue = len(course.lab_names), 0
        done_count = len(course.lab_names & submitted.keys())
    earned = sum(grades.values())  # grades hold the course's current labs only
    passed = frozenset(name for name, grade in grades.items() if grade >= course.pass_points[name])
    failed = frozenset(grades) - passed
    reasons: tuple[str, ...] = ()
    if status == EnrollmentStatus.ACTIVE:
        reasons = ("overdue",) * bool(overdue) + ("failing_labs",) * bool(failed)
    activity = [t for t in (last_done, *submitted.values()) if t is not None]
    return EnrollmentFigures(
        enrollment_id=eid,
        user_id=user_id,
        course_id=course_id,
        items_done=done_count,
        items_total=total,
        progress_percent=_percent(done_count, total) or 0.0,
        points_earned=round(earned, 4),
        points_possible=round(course.possible, 4),
        score_percent=_percent(earned, course.possible) if grades else None,
        labs_passed=passed,
        labs_failed=failed,
        overdue_items=overdue,
        last_activity_at=max(activity, default=None),
        at_risk=bool(reasons),
        at_risk_reasons=reasons,
    )


def _rows(stmt: Any) -> list[Any]:
    # Core execution on the session's connection: no ORM row machinery for plain columns.
    return db.session.connection().execute(stmt).all()


def _percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def in_ids(column: Any, ids: list[int]) -> Any:
    """``column IN ids`` with the ids as one bound parameter (no per-id placeholders):
    ``= ANY(:array)`` on PostgreSQL, ``IN (SELECT value FROM json_each(:json))`` on SQLite.
    Public: reporting uses it for its own set-based queries."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        # One text parameter cast to integer[]: psycopg dumps a list element by element,
        # ~30 ms for 14,000 ids; the text form costs ~2 ms.
        return column == any_(literal(ids, IntArray()))
    if dialect == "sqlite":
        table = func.json_each(literal(json.dumps(ids))).table_valued("value")
        return column.in_(select(table.c.value))
    return column.in_(ids)


class IntArray(TypeDecorator):
    """PostgreSQL ``integer[]`` bound as its text form ``{1,2,3}`` (rendered
    ``:param::INTEGER[]``, so the planner still sees a constant array): psycopg dumps a
    list element by element, ~5x slower for thousands of ids."""

    impl = ARRAY(Integer)
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        def process(value: Iterable[int] | None) -> str | None:
            return None if value is None else "{" + ",".join(map(str, map(int, value))) + "}"

        return process


def _past_due(now: datetime) -> Any:
    return func.sum(case((CourseItem.due_at < now, 1), else_=0))


_in_ids = in_ids  # the name reporting first imported


def _item_totals(course_ids: list[int], now: datetime) -> dict[int, tuple[int, int]]:
    """Per course: (items, items past their due date)."""
    stmt = (
        select(CourseItem.course_id, func.count(), _past_due(now))
        .where(_in_ids(CourseItem.course_id, course_ids))
        .group_by(CourseItem.course_id)
    )
    return {cid: (count, due or 0) for cid, count, due in _rows(stmt)}


def _done(ids: list[int], now: datetime) -> dict[int, tuple[int, int, datetime | None]]:
    """Per enrolment: (items done, of them past due, latest done). Overdue items are then
    the course's past-due items minus these, without probing each item (an anti-join of
    enrolments × items costs seconds at 100,000 enrolments)."""
    stmt = (
        select(
            Progress.enrollment_id,
            func.count(),
            _past_due(now),
            func.max(Progress.completed_at),
        )
        .join(CourseItem, CourseItem.id == Progress.item_id)
        .where(_in_ids(Progress.enrollment_id, ids))
        .group_by(Progress.enrollment_id)
    )
    return {eid: (count, due or 0, last) for eid, count, due, last in _rows(stmt)}


def _current_labs(course_ids: list[int]) -> dict[int, list[_Lab]]:
    """The assignments of each course's latest version, in order."""
    stmt = current_labs(_in_ids(CourseVersion.course_id, course_ids)).order_by(
        Assignment.course_id, Assignment.position
    )
    labs: dict[int, list[_Lab]] = defaultdict(list)
    for course_id, name, points, counts in _rows(stmt):
        labs[course_id].append(_Lab(name, points, counts))
    return labs


def _submissions(
    ids: list[int], labs: dict[int, list[_Lab]]
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, datetime]]]:
    """Per enrolment: the counted grade of each current assignment with a graded attempt,
    and the latest submission time of each assignment submitted. One query over the
    enrolments' submissions, each with its latest grading job (none newer exists)."""
    newer = aliased(GradingJob)
    latest_job = and_(
        GradingJob.submission_id == Submission.id,
        ~exists().where(newer.submission_id == GradingJob.submission_id, newer.id > GradingJob.id),
    )
    stmt = (
        select(
            Enrollment.id,
            Enrollment.course_id,
            Submission.assignment_name,
            Submission.submitted_at,
            GradingJob.status,
            GradingResult.score,
        )
        .join(
            Submission,
            and_(
                Submission.user_id == Enrollment.user_id,
                Submission.course_id == Enrollment.course_id,
            ),
        )
        .outerjoin(GradingJob, latest_job)
        .outerjoin(GradingResult, GradingResult.job_id == GradingJob.id)
        .where(_in_ids(Enrollment.id, ids))
        .order_by(Enrollment.id, Submission.assignment_name, Submission.attempt)
    )
    scores: dict[tuple[int, int, str], list[float]] = defaultdict(list)
    submitted: dict[int, dict[str, datetime]] = defaultdict(dict)
    for eid, course_id, name, at, status, score in _rows(stmt):
        if status == JobStatus.GRADED and score is not None:
            scores[(eid, course_id, name)].append(score)
        submitted[eid][name] = max(at, submitted[eid].get(name, at))
    return _count(scores.items(), labs), submitted


def _count(
    scores: Iterable[tuple[tuple[int, int, str], list[float]]], labs: dict[int, list[_Lab]]
) -> dict[int, dict[str, float]]:
    policy = {
        (cid, lab.name): lab.counts for cid, course_labs in labs.items() for lab in course_labs
    }
    grades: dict[int, dict[str, float]] = defaultdict(dict)
    for (eid, course_id, name), attempt_scores in scores:
        counts = policy.get((course_id, name))
        if counts is not None:  # an assignment dropped from the current version counts not
            grades[eid][name] = counted_score(attempt_scores, counts)
    return grades


def _lab_pass_percents(course_ids: list[int]) -> dict[int, float]:
    """The lab pass mark of each course whose completion policy sets one."""
    from lms.completion.models import CompletionPolicy

    stmt = select(CompletionPolicy.course_id, CompletionPolicy.lab_pass_percent).where(
        _in_ids(CompletionPolicy.course_id, course_ids)
    )
    return dict(_rows(stmt))
