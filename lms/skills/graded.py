"""The graded facts a skill profile is built from, read set-wise: the mappings, each
learner's counted attempt per mapped assignment, the mapped cells' points of those results
and completed enrolments. A fixed number of queries per ``CHUNK`` learners; plain values
out (``lms.skills.evidence`` applies the rules)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.db import db
from lms.grading.models import GradingJob, GradingResult, JobStatus, ResultPart, Submission
from lms.grading.policy import counted_score
from lms.publishing.models import Assignment, CourseVersion
from lms.skills.models import SkillMapping

#: User ids per query (SQLite allows 32,766 bound parameters).
CHUNK = 5000


@dataclass(frozen=True)
class Counted:
    submission_id: int
    result_id: int
    earned: float | None
    possible: float
    at: datetime


@dataclass(frozen=True)
class UnitInfo:
    id: int
    code: str
    name_ko: str
    name_en: str
    track: str
    level: int


@dataclass(frozen=True)
class MapRow:
    """A mapping as plain values: the per-learner loop reads these thousands of times."""

    id: int
    unit: UnitInfo
    course_id: int
    course_slug: str
    assignment_name: str
    cell_id: str
    weight: float
    target: str

    @property
    def unit_id(self) -> int:
        return self.unit.id


def load_mappings(course_ids: Collection[int] | None) -> list[MapRow]:
    query = select(SkillMapping).options(
        joinedload(SkillMapping.unit), joinedload(SkillMapping.course)
    )
    if course_ids is not None:
        query = query.where(SkillMapping.course_id.in_(list(course_ids)))
    units: dict[int, UnitInfo] = {}
    out = []
    for m in db.session.scalars(query.order_by(SkillMapping.id)).unique():
        u = m.unit
        unit = units.setdefault(
            u.id, UnitInfo(u.id, u.code, u.name_ko, u.name_en, str(u.track), u.level)
        )
        out.append(
            MapRow(
                m.id,
                unit,
                m.course_id,
                m.course.slug,
                m.assignment_name,
                m.cell_id,
                m.weight,
                m.target,
            )
        )
    return out


def chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def counts_policy(course_ids: set[int]) -> dict[tuple[int, str], str]:
    """``(course_id, assignment name) -> "last" | "best"`` from each course's current version."""
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .where(CourseVersion.course_id.in_(course_ids))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Assignment.course_id, Assignment.name, Assignment.counts)
        .join(CourseVersion, Assignment.course_version_id == CourseVersion.id)
        .join(
            latest,
            (latest.c.course_id == CourseVersion.course_id)
            & (latest.c.number == CourseVersion.number),
        )
    )
    return {(course_id, name): counts for course_id, name, counts in rows}


def counted_attempts(
    user_ids: list[int], mappings: list[MapRow]
) -> dict[tuple[int, int, str], Counted]:
    """``(user, course, assignment) -> the counted attempt's result`` for mapped assignments."""
    pairs = {(m.course_id, m.assignment_name) for m in mappings if m.assignment_name}
    if not pairs:
        return {}
    course_ids = {course_id for course_id, _name in pairs}
    policy = counts_policy(course_ids)
    names = {name for _course, name in pairs}
    graded: dict[tuple[int, int, str], dict[int, tuple]] = defaultdict(dict)
    for chunk in chunks(user_ids):
        rows = db.session.execute(
            select(
                Submission.user_id,
                Submission.course_id,
                Submission.assignment_name,
                Submission.attempt,
                Submission.id,
                GradingResult.id,
                GradingResult.score,
                GradingResult.earned,
                GradingResult.possible,
                GradingResult.recorded_at,
            )
            .join(GradingJob, GradingJob.submission_id == Submission.id)
            .join(GradingResult, GradingResult.job_id == GradingJob.id)
            .where(
                Submission.user_id.in_(chunk),
                Submission.course_id.in_(course_ids),
                Submission.assignment_name.in_(names),
                GradingJob.status == JobStatus.GRADED,
                GradingResult.score.is_not(None),
            )
            .order_by(Submission.attempt, GradingJob.id)
        )
        for uid, course_id, name, attempt, *rest in rows:
            if (course_id, name) in pairs:
                # a regraded attempt counts with its latest result (the last job graded)
                graded[(uid, course_id, name)][attempt] = tuple(rest)
    return {
        key: pick(list(attempts.values()), policy.get(key[1:], "last"))
        for key, attempts in graded.items()
    }


def pick(attempts: list[tuple], counts: str) -> Counted:
    """The attempt whose score ``counted_score`` returns (the latest such on a tie)."""
    score = counted_score([row[2] for row in attempts], counts)
    submission_id, result_id, _score, earned, possible, at = next(
        row for row in reversed(attempts) if row[2] == score
    )
    return Counted(submission_id, result_id, earned, possible, at)


def cell_points(
    counted: dict[tuple[int, int, str], Counted], mappings: list[MapRow]
) -> dict[tuple[int, str], tuple[float, float]]:
    """``(result_id, cell_id) -> (earned, possible)`` of the mapped cells of counted results."""
    cells = {m.cell_id for m in mappings if m.cell_id}
    result_ids = sorted({c.result_id for c in counted.values()})
    out: dict[tuple[int, str], tuple[float, float]] = {}
    if not cells or not result_ids:
        return out
    for chunk in chunks(result_ids):
        rows = db.session.execute(
            select(
                ResultPart.result_id,
                ResultPart.cell_id,
                ResultPart.auto_earned,
                ResultPart.manual_earned,
                ResultPart.possible,
            ).where(ResultPart.result_id.in_(chunk), ResultPart.cell_id.in_(cells))
        )
        for result_id, cell_id, auto, manual, possible in rows:
            out[(result_id, cell_id)] = (manual if manual is not None else auto, possible)
    return out


def completions(user_ids: list[int], mappings: list[MapRow]) -> dict[tuple[int, int], datetime]:
    """``(user, course) -> completed_at`` for courses with course-level mappings."""
    course_ids = {m.course_id for m in mappings if not m.assignment_name}
    out: dict[tuple[int, int], datetime] = {}
    if not course_ids:
        return out
    for chunk in chunks(user_ids):
        rows = db.session.execute(
            select(
                Enrollment.user_id,
                Enrollment.course_id,
                Enrollment.completed_at,
                Enrollment.created_at,
            ).where(
                Enrollment.user_id.in_(chunk),
                Enrollment.course_id.in_(course_ids),
                Enrollment.status == EnrollmentStatus.COMPLETED,
            )
        )
        for uid, course_id, completed_at, created_at in rows:
            out[(uid, course_id)] = completed_at or created_at
    return out
