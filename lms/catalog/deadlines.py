"""Facts derived from progress rows, kept in the same transaction as the rows themselves:

- ``enrollments.next_due_at``: each enrolment's earliest deadline not yet met. An enrolment
  is *overdue* (``lms.completion.progress``: catalogue items past their due date that the
  learner has not done) exactly when ``next_due_at < now``: the column is the earliest
  ``due_at`` among the course's items without a progress row of the enrolment (NULL when
  every deadline is met or the course has none). Time passing needs no update — only what
  changes the set of undone deadlines does.
- ``progress_weeks``: items each learner completed per calendar week (Monday, UTC).

The ORM keeps both right (``after_flush``): a progress row added, changed or removed, a
course item added, re-dated or removed, an enrolment created, moved or removed, in any
session — recomputed for the enrolments, courses and learners touched. Bulk loads that
bypass the ORM (COPY, ``INSERT … SELECT``) call ``refresh_next_due`` and
``refresh_progress_weeks``.

Reading "who is behind schedule" is then a column comparison instead of an anti-join of
enrolments × items × progress, and "items per week" reads one row per learner and week
instead of every progress row (the organisation dashboard: 65 and 45 ms for 5,000 members).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, exists, func, inspect, select, update
from sqlalchemy.orm import Session

from lms.catalog.models import CourseItem, Enrollment, Progress, ProgressWeek

_PENDING = "lms.next_due.pending"


def next_due_expression(enrollments: Any = None) -> Any:
    """The correlated scalar subquery ``next_due_at`` is set to, for rows of
    ``enrollments`` (the table, or an alias of it)."""
    e = enrollments if enrollments is not None else Enrollment.__table__
    items, progress = CourseItem.__table__, Progress.__table__
    done = (
        exists()
        .where(and_(progress.c.enrollment_id == e.c.id, progress.c.item_id == items.c.id))
        .correlate_except(progress)  # the enrolment and the item come from outside
    )
    return (
        select(func.min(items.c.due_at))
        .where(items.c.course_id == e.c.course_id, items.c.due_at.is_not(None), ~done)
        .scalar_subquery()
    )


def refresh_next_due(
    connection: Any,
    *,
    enrollment_ids: Collection[int] | None = None,
    course_ids: Collection[int] | None = None,
) -> None:
    """Recompute ``next_due_at`` of these enrolments and of every enrolment of these
    courses; both None: of every enrolment (after a bulk load). One UPDATE statement."""
    table = Enrollment.__table__
    stmt = update(table).values(next_due_at=next_due_expression(table))
    if enrollment_ids is not None or course_ids is not None:
        wanted = []
        if enrollment_ids:
            wanted.append(table.c.id.in_(sorted(set(enrollment_ids))))
        if course_ids:
            wanted.append(table.c.course_id.in_(sorted(set(course_ids))))
        if not wanted:
            return
        stmt = stmt.where(wanted[0] if len(wanted) == 1 else wanted[0] | wanted[1])
    connection.execute(stmt)


def week_of(moment: datetime) -> date:
    """The Monday (UTC) of ``moment``'s week."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def refresh_progress_weeks(connection: Any, user_ids: Collection[int] | None = None) -> None:
    """Recompute the ``progress_weeks`` rows of these learners (None: of everyone, after a
    bulk load) from their progress rows."""
    e, p, weeks = Enrollment.__table__, Progress.__table__, ProgressWeek.__table__
    stmt = select(e.c.user_id, p.c.completed_at).select_from(p.join(e, e.c.id == p.c.enrollment_id))
    delete = weeks.delete()
    if user_ids is not None:
        ids = sorted(set(user_ids))
        if not ids:
            return
        stmt = stmt.where(e.c.user_id.in_(ids))
        delete = delete.where(weeks.c.user_id.in_(ids))
    counts: Counter[tuple[int, date]] = Counter()
    for user_id, at in connection.execute(stmt):
        counts[(user_id, week_of(at))] += 1
    connection.execute(delete)
    rows = [{"user_id": u, "week": w, "items": n} for (u, w), n in sorted(counts.items())]
    for start in range(0, len(rows), 5000):
        connection.execute(weeks.insert(), rows[start : start + 5000])


@dataclass
class _Touched:
    enrollment_ids: set[int] = field(default_factory=set)  # next deadline to recompute
    course_ids: set[int] = field(default_factory=set)  # every enrolment's next deadline
    weekly_enrollment_ids: set[int] = field(default_factory=set)  # their learner's weeks
    user_ids: set[int] = field(default_factory=set)  # learners whose weeks to recompute

    def __bool__(self) -> bool:
        return bool(
            self.enrollment_ids or self.course_ids or self.weekly_enrollment_ids or self.user_ids
        )

    def update(self, other: _Touched) -> None:
        self.enrollment_ids |= other.enrollment_ids
        self.course_ids |= other.course_ids
        self.weekly_enrollment_ids |= other.weekly_enrollment_ids
        self.user_ids |= other.user_ids


def _touched(session: Session) -> _Touched:
    """What this flush may change of the derived facts."""
    found = _Touched()
    for obj in (*session.new, *session.dirty, *session.deleted):
        dirty = obj in session.dirty
        if isinstance(obj, Progress):
            if not dirty or _changed(obj, "item_id", "enrollment_id"):
                found.enrollment_ids.update(_values(obj, "enrollment_id"))
            if not dirty or _changed(obj, "completed_at", "enrollment_id"):
                found.weekly_enrollment_ids.update(_values(obj, "enrollment_id"))
        elif isinstance(obj, CourseItem):
            if not dirty or _changed(obj, "due_at", "course_id"):
                found.course_ids.update(_values(obj, "course_id"))
        elif isinstance(obj, Enrollment):
            if obj in session.deleted:
                found.user_ids.update(_values(obj, "user_id"))
            elif not dirty or _changed(obj, "course_id", "user_id"):
                if obj.id is not None:
                    found.enrollment_ids.add(obj.id)
                found.user_ids.update(_values(obj, "user_id"))
    return found


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _values(obj: Any, name: str) -> set[int]:
    """The attribute's current and former values (a row moved from one parent to another
    changes both)."""
    history = inspect(obj).attrs[name].history
    values = {*history.added, *history.unchanged, *history.deleted}
    current = getattr(obj, name, None)
    if current is not None:
        values.add(current)
    return {v for v in values if v is not None}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    found = _touched(session)
    if found:
        session.info.setdefault(_PENDING, _Touched()).update(found)


@event.listens_for(Session, "after_flush_postexec")
def _refresh(session: Session, _context: Any) -> None:
    pending: _Touched | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    if pending.enrollment_ids or pending.course_ids:
        refresh_next_due(
            connection, enrollment_ids=pending.enrollment_ids, course_ids=pending.course_ids
        )
    users = set(pending.user_ids)
    if pending.weekly_enrollment_ids:
        e = Enrollment.__table__
        stmt = select(e.c.user_id).where(e.c.id.in_(sorted(pending.weekly_enrollment_ids)))
        users.update(connection.execute(stmt).scalars())
    if users:
        refresh_progress_weeks(connection, users)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Enrollment) and (
            obj.id in pending.enrollment_ids or obj.course_id in pending.course_ids
        ):
            session.expire(obj, ["next_due_at"])
