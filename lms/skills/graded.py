"""The graded facts a skill profile is built from, read set-wise: the mappings, each
learner's counted attempt per mapped assignment, the mapped cells' points of those results
and completed enrolments. A fixed number of queries per ``CHUNK`` learners; plain values
out (``lms.skills.evidence`` applies the rules)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select

from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.db import db
from lms.grading.models import GradingJob, GradingResult, JobStatus, ResultPart, Submission
from lms.publishing.models import Assignment, CourseVersion
from lms.skills.models import CompetencyUnit, SkillMapping

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
    query = (
        select(
            SkillMapping.id,
            CompetencyUnit.id,
            CompetencyUnit.code,
            CompetencyUnit.name_ko,
            CompetencyUnit.name_en,
            CompetencyUnit.track,
            CompetencyUnit.level,
            SkillMapping.course_id,
            Course.slug,
            SkillMapping.assignment_name,
            SkillMapping.cell_id,
            SkillMapping.weight,
        )
        .join(CompetencyUnit, CompetencyUnit.id == SkillMapping.unit_id)
        .join(Course, Course.id == SkillMapping.course_id)
        .order_by(SkillMapping.id)
    )
    if course_ids is not None:
        query = query.where(SkillMapping.course_id.in_(list(course_ids)))
    units: dict[int, UnitInfo] = {}
    out = []
    for mid, uid, code, ko, en, track, level, course_id, slug, name, cell, weight in plain_rows(
        query
    ):
        unit = units.setdefault(uid, UnitInfo(uid, code, ko, en, str(track), level))
        target = "course" if not name else "cell" if cell else "assignment"
        out.append(MapRow(mid, unit, course_id, slug, name, cell, weight, target))
    return out


def load_units(unit_ids: Collection[int]) -> dict[int, UnitInfo]:
    """``unit id -> UnitInfo`` of ``unit_ids`` (one statement)."""
    if not unit_ids:
        return {}
    query = select(
        CompetencyUnit.id,
        CompetencyUnit.code,
        CompetencyUnit.name_ko,
        CompetencyUnit.name_en,
        CompetencyUnit.track,
        CompetencyUnit.level,
    ).where(CompetencyUnit.id.in_(sorted(unit_ids)))
    return {
        uid: UnitInfo(uid, code, ko, en, str(track), level)
        for uid, code, ko, en, track, level in plain_rows(query)
    }


def written_in(column: Any, ids: list[int]) -> Any:
    """``column IN (ids)`` with the ids written into the statement, not bound: a statement
    run often gets prepared (psycopg, after 5 runs) and PostgreSQL may then plan it once for
    any array of ids, badly for thousands (seen: 1.8 s instead of 0.4 s for 2,000 learners).
    Written ids are planned for what they are on every run."""
    return column.in_(bindparam(None, list(ids), expanding=True, literal_execute=True))


def chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def mapped(course_ids: Collection[int] | None = None) -> Any:
    """The mappings as a CTE of plain columns (``id unit_id course_id assignment_name cell_id
    weight``), limited to ``course_ids`` when given."""
    query = select(
        SkillMapping.id,
        SkillMapping.unit_id,
        SkillMapping.course_id,
        SkillMapping.assignment_name,
        SkillMapping.cell_id,
        SkillMapping.weight,
    )
    if course_ids is not None:
        query = query.where(SkillMapping.course_id.in_(list(course_ids)))
    return query.cte("mapped")


def _policy() -> Any:
    """``course_id name counts`` of each course's current (highest numbered) version."""
    latest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return (
        select(Assignment.course_id, Assignment.name, Assignment.counts)
        .join(CourseVersion, Assignment.course_version_id == CourseVersion.id)
        .join(
            latest,
            (latest.c.course_id == CourseVersion.course_id)
            & (latest.c.number == CourseVersion.number),
        )
        .cte("policy")
    )


def counted(user_ids: list[int], maps: Any) -> Any:
    """The counted attempt of each (user, course, assignment) of ``user_ids`` that one of
    ``maps`` (a ``mapped()`` CTE) names, as a CTE: ``user_id course_id assignment_name
    submission_id result_id earned possible at``.

    Set-based form of the gradebook's rule: of each attempt its latest graded result (a
    regrade's), then by the current version's ``counts`` the last attempt, or the best
    score with the latest attempt on a tie (``lms.grading.policy.counted_score``); "last"
    when the current version lacks the assignment."""
    newest = func.row_number().over(partition_by=Submission.id, order_by=GradingJob.id.desc())
    is_mapped = (
        select(maps.c.id)
        .where(
            maps.c.course_id == Submission.course_id,
            maps.c.assignment_name == Submission.assignment_name,
        )
        .exists()
    )
    graded = (
        select(
            Submission.user_id,
            Submission.course_id,
            Submission.assignment_name,
            Submission.attempt,
            Submission.id.label("submission_id"),
            GradingResult.id.label("result_id"),
            GradingResult.score,
            GradingResult.earned,
            GradingResult.possible,
            GradingResult.recorded_at.label("at"),
            newest.label("newest"),
        )
        .join(GradingJob, GradingJob.submission_id == Submission.id)
        .join(GradingResult, GradingResult.job_id == GradingJob.id)
        .where(
            written_in(Submission.user_id, user_ids),
            GradingJob.status == JobStatus.GRADED,
            GradingResult.score.is_not(None),
            is_mapped,
        )
        .cte("graded")
    )
    policy = _policy()
    best_first = case((policy.c.counts == "best", graded.c.score), else_=literal(0.0))
    pick = func.row_number().over(
        partition_by=(graded.c.user_id, graded.c.course_id, graded.c.assignment_name),
        order_by=(best_first.desc(), graded.c.attempt.desc()),
    )
    ranked = (
        select(
            *(graded.c[name] for name in _COUNTED_COLUMNS),
            pick.label("pick"),
        )
        .select_from(
            graded.outerjoin(
                policy,
                (policy.c.course_id == graded.c.course_id)
                & (policy.c.name == graded.c.assignment_name),
            )
        )
        .where(graded.c.newest == 1)
        .cte("ranked")
    )
    return (
        select(*(ranked.c[name] for name in _COUNTED_COLUMNS))
        .where(ranked.c.pick == 1)
        .cte("counted")
    )


_COUNTED_COLUMNS = (
    "user_id",
    "course_id",
    "assignment_name",
    "submission_id",
    "result_id",
    "earned",
    "possible",
    "at",
)


def counted_attempts(
    user_ids: list[int], mappings: list[MapRow], course_ids: Collection[int] | None = None
) -> dict[tuple[int, int, str], Counted]:
    """``(user, course, assignment) -> the counted attempt's result`` for mapped assignments
    (``mappings`` are those of ``course_ids``)."""
    if not any(m.assignment_name for m in mappings):
        return {}
    out: dict[tuple[int, int, str], Counted] = {}
    for chunk in chunks(user_ids):
        chosen = counted(chunk, mapped(course_ids))
        for uid, course_id, name, *rest in plain_rows(select(chosen)):
            out[(uid, course_id, name)] = Counted(*rest)
    return out


def plain_rows(stmt: Any) -> list[Any]:
    # Core execution on the session's connection: no ORM row machinery for plain columns.
    return db.session.connection().execute(stmt).all()


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
