"""Achieved units stored per learner (``skill_achievements``), kept in the same transaction
as the evidence they are decided from, so that counting achievements reads one row per
learner and unit instead of applying the rules to every graded result.

    refresh_achievements(connection, user_ids=None, course_ids=None)
    stored_achievement_counts(users) -> AchievementCounts   # users: ids or a SELECT of ids
    differences(connection, user_ids) -> list[Difference]   # stored vs computed

The ORM keeps the table right (``after_flush``), in any session: a change to what
``lms.skills.graded`` reads marks the learner (a submission, grading job, result or result
part, an enrolment) or the course (a skill mapping, a course version or assignment, the
course itself); the marked learners, and every learner with submissions or enrolments in a
marked course, are recomputed with one DELETE and one INSERT … SELECT per ``CHUNK`` learners
(``lms.skills.achievements``: the same statement ``achievement_counts`` runs). A unit or a
learner deleted takes its rows with it (foreign keys). Statements that bypass the ORM (bulk
loads, ``mapping.sync_course``'s DELETE) call ``refresh_achievements`` themselves.

``lms.skills.evidence.achievement_counts`` stays the computed answer the tests and
``flask --app lms skills refresh-achievements --check`` compare the table with.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import (
    Select,
    String,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from lms.catalog.models import Course, Enrollment
from lms.grading.models import GradingJob, GradingResult, ResultPart, Submission
from lms.publishing.models import Assignment, CourseVersion
from lms.skills import achievements, graded
from lms.skills.models import SkillAchievement, SkillMapping

if TYPE_CHECKING:
    from lms.skills.evidence import AchievementCounts

_PENDING = "lms.skill_achievements.pending"
_TABLE = SkillAchievement.__table__


def _threshold() -> float:
    from lms.skills.evidence import ACHIEVED_AT  # evidence imports this module's models

    return ACHIEVED_AT


def learners_of(connection: Any, course_ids: Collection[int]) -> set[int]:
    """Learners with submissions or enrolments (any status) in ``course_ids``."""
    ids = sorted(set(course_ids))
    if not ids:
        return set()
    stmt = union(
        select(Submission.user_id).where(Submission.course_id.in_(ids)),
        select(Enrollment.user_id).where(Enrollment.course_id.in_(ids)),
    )
    return set(connection.execute(stmt).scalars())


def everyone(connection: Any) -> list[int]:
    """Every learner who may have achievements or stored rows, by id."""
    stmt = union(select(Submission.user_id), select(Enrollment.user_id), select(_TABLE.c.user_id))
    return sorted(connection.execute(stmt).scalars())


def refresh_achievements(
    connection: Any,
    user_ids: Collection[int] | None = None,
    course_ids: Collection[int] | None = None,
) -> int:
    """Recompute the stored achievements of ``user_ids`` and of every learner with
    submissions or enrolments in ``course_ids``; both None: of everyone. One DELETE and one
    INSERT … SELECT per ``CHUNK`` learners on ``connection`` (a bare one will do: the
    migration's); no commit. Returns the number of learners recomputed."""
    if user_ids is None and course_ids is None:
        users = everyone(connection)
    else:
        users = sorted(set(user_ids or ()) | learners_of(connection, course_ids or ()))
    for chunk in graded.chunks(users):
        refresh_chunk(connection, chunk)
    return len(users)


def refresh_chunk(connection: Any, user_ids: list[int]) -> None:
    """Replace the stored rows of ``user_ids`` (at most ``CHUNK``) with the computed ones."""
    for stmt in refresh_statements(user_ids, connection.dialect.name):
        connection.execute(stmt)


def refresh_statements(user_ids: list[int], dialect: str) -> tuple[Any, Any]:
    """The DELETE and INSERT … SELECT that replace the stored rows of ``user_ids`` on a
    ``dialect`` database (also for loaders that run SQL text on a driver connection)."""
    chosen = achievements.achieved(user_ids, _threshold(), dialect)
    return (
        delete(_TABLE).where(graded.written_in(_TABLE.c.user_id, user_ids)),
        insert(_TABLE).from_select(
            ["user_id", "unit_id", "achieved_at"],
            select(chosen.c.user_id, chosen.c.unit_id, chosen.c.at),
        ),
    )


class Difference(NamedTuple):
    """A learner's unit on which the table and the rules disagree (None: no row)."""

    user_id: int
    unit_id: int
    stored: datetime | None | str
    computed: datetime | None | str


def differences(connection: Any, user_ids: list[int]) -> list[Difference]:
    """Where the stored rows of ``user_ids`` differ from the computed ones ("missing" for
    no row), by learner and unit. Two statements per call."""
    chosen = achievements.achieved(user_ids, _threshold(), connection.dialect.name)
    computed = {(u, n): at for u, n, at in connection.execute(select(chosen))}
    stored_rows = select(_TABLE.c.user_id, _TABLE.c.unit_id, _TABLE.c.achieved_at).where(
        graded.written_in(_TABLE.c.user_id, user_ids)
    )
    stored = {(u, n): at for u, n, at in connection.execute(stored_rows)}
    return [
        Difference(*key, stored.get(key, "missing"), computed.get(key, "missing"))
        for key in sorted(stored.keys() | computed.keys())
        if stored.get(key, "missing") != computed.get(key, "missing")
    ]


def stored_achievement_counts(users: Iterable[int] | Select) -> AchievementCounts:
    """``AchievementCounts`` of ``users`` read from the stored table: the same answer as
    ``evidence.achievement_counts``. ``users``: user ids, or a SELECT of one column of
    distinct user ids (joined in the statement, not fetched first). Every user is a key of ``per_user``
    (0 included). Two statements (one per ``CHUNK`` ids and one for the units' names). No
    access or consent check."""
    from lms.skills.evidence import AchievementCounts

    per_user: dict[int, int] = {}
    per_unit: Counter[int] = Counter()
    row = _TABLE.c
    if isinstance(users, Select):
        members = users.subquery("members")
        member = next(iter(members.c))
        per_member = (
            select(literal("user", String), member, func.count(row.unit_id))
            .select_from(members.outerjoin(_TABLE, row.user_id == member))
            .group_by(member)
        )
        wanted = row.user_id.in_(select(member))
        _add(per_member, wanted, per_user, per_unit)
    else:
        per_user = dict.fromkeys(users, 0)
        for chunk in graded.chunks(list(per_user)):
            wanted = graded.written_in(row.user_id, chunk)
            per_member = (
                select(literal("user", String), row.user_id, func.count())
                .where(wanted)
                .group_by(row.user_id)
            )
            _add(per_member, wanted, per_user, per_unit)
    return AchievementCounts(per_user, per_unit, graded.load_units(per_unit))


def _add(per_member: Any, wanted: Any, per_user: dict[int, int], per_unit: Counter) -> None:
    """Run ``per_member`` (``"user", id, count`` rows) with the per-unit counts of the rows
    ``wanted`` selects, in one statement, into ``per_user`` and ``per_unit``."""
    row = _TABLE.c
    units = select(literal("unit", String), row.unit_id, func.count()).where(wanted)
    for what, key, n in graded.plain_rows(union_all(per_member, units.group_by(row.unit_id))):
        if what == "user":
            per_user[key] = n
        else:
            per_unit[key] += n


# Keeping the table right -----------------------------------------------------------------


@dataclass
class _Marked:
    user_ids: set[int] = field(default_factory=set)
    submission_ids: set[int] = field(default_factory=set)  # their learner
    result_ids: set[int] = field(default_factory=set)  # their submission's learner
    course_ids: set[int] = field(default_factory=set)  # everyone with work in the course

    def __bool__(self) -> bool:
        return any(vars(self).values())

    def update(self, other: _Marked) -> None:
        for name, values in vars(other).items():
            getattr(self, name).update(values)


#: Model -> (columns whose change matters, attribute naming the marked thing, its set).
_WATCHED: dict[type, tuple[tuple[str, ...], str, str]] = {
    Submission: (("user_id", "course_id", "assignment_name", "attempt"), "user_id", "user_ids"),
    GradingJob: (("status", "submission_id"), "submission_id", "submission_ids"),
    GradingResult: (
        ("score", "earned", "possible", "recorded_at", "job_id", "submission_id"),
        "submission_id",
        "submission_ids",
    ),
    ResultPart: (
        ("auto_earned", "manual_earned", "possible", "cell_id", "result_id"),
        "result_id",
        "result_ids",
    ),
    Enrollment: (
        ("status", "completed_at", "created_at", "user_id", "course_id"),
        "user_id",
        "user_ids",
    ),
    SkillMapping: (
        ("unit_id", "course_id", "assignment_name", "cell_id", "weight"),
        "course_id",
        "course_ids",
    ),
    CourseVersion: (("number", "course_id"), "course_id", "course_ids"),
    Assignment: (("counts", "name", "course_id", "course_version_id"), "course_id", "course_ids"),
}


def _marked(session: Session) -> _Marked:
    found = _Marked()
    for obj in (*session.new, *session.dirty, *session.deleted):
        watched = _WATCHED.get(type(obj))
        if watched is None:
            continue
        columns, attribute, target = watched
        if obj in session.dirty and not _changed(obj, columns):
            continue
        getattr(found, target).update(_values(obj, attribute))
    return found


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _values(obj: Any, name: str) -> set[int]:
    """The attribute's current and former values (a row moved changes both)."""
    history = inspect(obj).attrs[name].history
    values = {*history.added, *history.unchanged, *history.deleted, getattr(obj, name, None)}
    return {v for v in values if v is not None}


@event.listens_for(Session, "before_flush")
def _deleted_courses(session: Session, _context: Any, _instances: Any) -> None:
    # A course deleted takes its submissions and enrolments along (foreign keys): its
    # learners must be found before the flush.
    courses = [obj.id for obj in session.deleted if isinstance(obj, Course)]
    if courses:
        users = learners_of(session.connection(), courses)
        session.info.setdefault(_PENDING, _Marked()).user_ids.update(users)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    found = _marked(session)
    if found:
        session.info.setdefault(_PENDING, _Marked()).update(found)


@event.listens_for(Session, "after_flush_postexec")
def _refresh(session: Session, _context: Any) -> None:
    pending: _Marked | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    users = set(pending.user_ids)
    courses = set(pending.course_ids)
    if pending.result_ids:
        stmt = select(GradingResult.submission_id).where(
            GradingResult.id.in_(sorted(pending.result_ids))
        )
        pending.submission_ids.update(connection.execute(stmt).scalars())
    if pending.submission_ids:
        stmt = select(Submission.user_id).where(Submission.id.in_(sorted(pending.submission_ids)))
        users.update(connection.execute(stmt).scalars())
    if users or courses:
        refresh_achievements(connection, users, courses)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, SkillAchievement):
                session.expire(obj)
