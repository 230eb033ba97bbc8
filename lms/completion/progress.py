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
from sqlalchemy import Integer, and_, any_, exists, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from lms.catalog.models import CourseItem, Enrollment, EnrollmentStatus, Progress
from lms.db import db, utcnow
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.grading.policy import counted_score
from lms.publishing.models import Assignment, CourseVersion

#: An assignment is a passed lab from this share of its points, unless the course's
#: completion policy sets another pass mark.
DEFAULT_LAB_PASS_PERCENT = 60.0

#: Translated names of ``EnrollmentFigures.at_risk_reasons`` codes, for pages.
AT_RISK_REASONS = {
    "overdue": _l("Overdue items not done"),
    "failing_labs": _l("Failing labs"),
}


@dataclass(frozen=True)
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
    (unknown ids are left out). Eight SQL statements whatever the size; reads only, no
    access check (the caller decides who may see what)."""
    ids = sorted({int(i) for i in enrollment_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Enrollment.id,
            Enrollment.user_id,
            Enrollment.course_id,
            Enrollment.status,
            Enrollment.created_at,
        ).where(_in_ids(Enrollment.id, ids))
    ).all()
    if not rows:
        return {}
    course_ids = sorted({row.course_id for row in rows})
    items = _item_totals(course_ids)
    done = _done(ids)
    overdue = _overdue(ids)
    labs = _current_labs(course_ids)
    grades = _counted_grades(ids, labs)
    submitted = _submitted(ids)
    pass_marks = _lab_pass_percents(course_ids)
    result = {}
    for row in rows:
        facts = _Facts(
            items.get(row.course_id, 0),
            done.get(row.id, (0, None)),
            overdue.get(row.id, 0),
            labs.get(row.course_id, []),
            grades.get(row.id, {}),
            submitted.get(row.id, {}),
            pass_marks.get(row.course_id, DEFAULT_LAB_PASS_PERCENT),
        )
        result[row.id] = _figures(row, facts)
    return result


@dataclass(frozen=True)
class _Facts:
    item_count: int
    done: tuple[int, datetime | None]
    overdue: int
    labs: list[_Lab]
    grades: dict[str, float]
    submitted: dict[str, datetime]
    pass_percent: float


def _figures(row: Any, facts: _Facts) -> EnrollmentFigures:
    if facts.item_count:
        total, done_count = facts.item_count, facts.done[0]
    else:
        names = {lab.name for lab in facts.labs}
        total, done_count = len(names), len(names & facts.submitted.keys())
    earned = sum(facts.grades.get(lab.name, 0.0) for lab in facts.labs)
    possible = sum(lab.points for lab in facts.labs)
    graded = [lab for lab in facts.labs if lab.name in facts.grades]
    passed = {
        lab.name
        for lab in graded
        if facts.grades[lab.name] >= lab.points * facts.pass_percent / 100 - 1e-9
    }
    failed = {lab.name for lab in graded} - passed
    reasons = []
    if row.status == EnrollmentStatus.ACTIVE:
        reasons += ["overdue"] if facts.overdue else []
        reasons += ["failing_labs"] if failed else []
    activity = [t for t in (facts.done[1], *facts.submitted.values()) if t is not None]
    return EnrollmentFigures(
        enrollment_id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        items_done=done_count,
        items_total=total,
        progress_percent=_percent(done_count, total) or 0.0,
        points_earned=round(earned, 4),
        points_possible=round(possible, 4),
        score_percent=_percent(earned, possible) if graded else None,
        labs_passed=frozenset(passed),
        labs_failed=frozenset(failed),
        overdue_items=facts.overdue,
        last_activity_at=max(activity, default=None),
        at_risk=bool(reasons),
        at_risk_reasons=tuple(reasons),
    )


def _percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _in_ids(column: Any, ids: list[int]) -> Any:
    """``column IN ids`` with the ids as one bound parameter (no per-id placeholders)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    if dialect == "sqlite":
        table = func.json_each(literal(json.dumps(ids))).table_valued("value")
        return column.in_(select(table.c.value))
    return column.in_(ids)


def _item_totals(course_ids: list[int]) -> dict[int, int]:
    stmt = (
        select(CourseItem.course_id, func.count())
        .where(_in_ids(CourseItem.course_id, course_ids))
        .group_by(CourseItem.course_id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _done(ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    stmt = (
        select(Progress.enrollment_id, func.count(), func.max(Progress.completed_at))
        .where(_in_ids(Progress.enrollment_id, ids))
        .group_by(Progress.enrollment_id)
    )
    return {eid: (count, last) for eid, count, last in db.session.execute(stmt)}


def _overdue(ids: list[int]) -> dict[int, int]:
    not_done = ~exists().where(
        Progress.enrollment_id == Enrollment.id, Progress.item_id == CourseItem.id
    )
    stmt = (
        select(Enrollment.id, func.count(CourseItem.id))
        .join(CourseItem, CourseItem.course_id == Enrollment.course_id)
        .where(_in_ids(Enrollment.id, ids), CourseItem.due_at < utcnow(), not_done)
        .group_by(Enrollment.id)
    )
    return dict(db.session.execute(stmt).tuples().all())


def _current_labs(course_ids: list[int]) -> dict[int, list[_Lab]]:
    """The assignments of each course's latest version, in order."""
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .where(_in_ids(CourseVersion.course_id, course_ids))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    stmt = (
        select(Assignment.course_id, Assignment.name, Assignment.points, Assignment.counts)
        .join(CourseVersion, Assignment.course_version_id == CourseVersion.id)
        .join(
            latest,
            and_(
                latest.c.course_id == CourseVersion.course_id,
                latest.c.number == CourseVersion.number,
            ),
        )
        .order_by(Assignment.course_id, Assignment.position)
    )
    labs: dict[int, list[_Lab]] = defaultdict(list)
    for course_id, name, points, counts in db.session.execute(stmt):
        labs[course_id].append(_Lab(name, points, counts))
    return labs


def _counted_grades(ids: list[int], labs: dict[int, list[_Lab]]) -> dict[int, dict[str, float]]:
    """Per enrolment, the counted grade of each current assignment with a graded attempt."""
    latest_job = (
        select(func.max(GradingJob.id))
        .where(GradingJob.submission_id == Submission.id)
        .correlate(Submission)
        .scalar_subquery()
    )
    stmt = (
        select(Enrollment.id, Enrollment.course_id, Submission.assignment_name, GradingResult.score)
        .join(
            Submission,
            and_(
                Submission.user_id == Enrollment.user_id,
                Submission.course_id == Enrollment.course_id,
            ),
        )
        .join(GradingJob, GradingJob.id == latest_job)
        .join(GradingResult, GradingResult.job_id == GradingJob.id)
        .where(
            _in_ids(Enrollment.id, ids),
            GradingJob.status == JobStatus.GRADED,
            GradingResult.score.is_not(None),
        )
        .order_by(Enrollment.id, Submission.assignment_name, Submission.attempt)
    )
    scores: dict[tuple[int, int, str], list[float]] = defaultdict(list)
    for eid, course_id, name, score in db.session.execute(stmt):
        scores[(eid, course_id, name)].append(score)
    return _count(scores.items(), labs)


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


def _submitted(ids: list[int]) -> dict[int, dict[str, datetime]]:
    """Per enrolment, the assignments submitted at least once and the latest time."""
    stmt = (
        select(Enrollment.id, Submission.assignment_name, func.max(Submission.submitted_at))
        .join(
            Submission,
            and_(
                Submission.user_id == Enrollment.user_id,
                Submission.course_id == Enrollment.course_id,
            ),
        )
        .where(_in_ids(Enrollment.id, ids))
        .group_by(Enrollment.id, Submission.assignment_name)
    )
    submitted: dict[int, dict[str, datetime]] = defaultdict(dict)
    for eid, name, last in db.session.execute(stmt):
        submitted[eid][name] = last
    return submitted


def _lab_pass_percents(course_ids: list[int]) -> dict[int, float]:
    """The lab pass mark of each course whose completion policy sets one."""
    from lms.completion.models import CompletionPolicy

    stmt = select(CompletionPolicy.course_id, CompletionPolicy.lab_pass_percent).where(
        _in_ids(CompletionPolicy.course_id, course_ids)
    )
    return dict(db.session.execute(stmt).tuples().all())
