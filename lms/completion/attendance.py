"""Live sessions of cohorts and the attendance an instructor takes at them.

Attendance share = sessions attended (present or late) / sessions held so far, excused
sessions left out of both. A held session without a record counts as absent; a cohort
that records no session has no attendance figure (the criterion does not apply).
Services flush and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Cohort, Enrollment, EnrollmentStatus
from lms.catalog.services import can_manage_course
from lms.completion.models import Attendance, AttendanceStatus, CohortSession
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


@dataclass(frozen=True)
class AttendanceFigures:
    held: int
    attended: int
    excused: int

    @property
    def percent(self) -> float | None:
        counted = self.held - self.excused
        return round(100.0 * self.attended / counted, 2) if counted > 0 else None


def _require(actor: User | None, cohort: Cohort) -> None:
    if actor is not None and not can_manage_course(actor, cohort.course):
        raise Forbidden("forbidden", _l("Only the course's instructors can take attendance."))


def create_session(
    actor: User | None, cohort: Cohort, title: str, starts_at: datetime, duration_minutes: int
) -> CohortSession:
    """Schedule a live session of ``cohort`` (course managers). ``ValidationError`` for an
    empty title or a duration outside 1..1440 minutes, ``Conflict`` (``session_exists``) for
    a second session at the same time. Audited."""
    _require(actor, cohort)
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError("invalid_title", _l("Enter a title (up to 200 characters)."), "title")
    if not 1 <= duration_minutes <= 1440:
        raise ValidationError(
            "invalid_duration",
            _l("The duration must be between 1 and 1440 minutes."),
            "duration_minutes",
        )
    taken = db.session.scalar(
        select(CohortSession.id).where(
            CohortSession.cohort_id == cohort.id, CohortSession.starts_at == starts_at
        )
    )
    if taken is not None:
        raise Conflict("session_exists", _l("This cohort already has a session at that time."))
    session = CohortSession(
        cohort_id=cohort.id,
        title=title,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(session)
    db.session.flush()
    record("cohort_session.create", actor=actor, obj=session, details={"cohort_id": cohort.id})
    return session


def delete_session(actor: User | None, session: CohortSession) -> None:
    """Remove a session and its attendance (course managers). Audited."""
    _require(actor, session.cohort)
    details = {"cohort_id": session.cohort_id, "title": session.title}
    record("cohort_session.delete", actor=actor, obj=session, details=details)
    db.session.delete(session)
    db.session.flush()


def get_session(actor: User | None, session_id: int) -> CohortSession:
    """The session if ``actor`` manages its course, else ``NotFound``."""
    session = db.session.get(CohortSession, session_id)
    if session is None or (
        actor is not None and not can_manage_course(actor, session.cohort.course)
    ):
        raise NotFound("session_not_found", _l("No such session."))
    return session


def cohort_sessions(cohort: Cohort) -> list[CohortSession]:
    stmt = select(CohortSession).where(CohortSession.cohort_id == cohort.id)
    return list(db.session.scalars(stmt.order_by(CohortSession.starts_at)))


def roster(cohort: Cohort) -> list[User]:
    """The learners of ``cohort`` (active or completed enrolments), by name."""
    stmt = (
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(
            Enrollment.cohort_id == cohort.id,
            Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)),
        )
        .order_by(User.name, User.email)
    )
    return list(db.session.scalars(stmt))


def session_marks(session: CohortSession) -> dict[int, AttendanceStatus]:
    stmt = select(Attendance.user_id, Attendance.status).where(Attendance.session_id == session.id)
    return dict(db.session.execute(stmt).tuples().all())


def record_attendance(
    actor: User | None, session: CohortSession, marks: Mapping[int, AttendanceStatus]
) -> int:
    """Set the attendance of learners (user id → status) at ``session``; only learners of
    the session's cohort (``ValidationError`` ``not_in_cohort`` otherwise, nothing saved).
    Returns how many marks changed. Audited once with the changes."""
    _require(actor, session.cohort)
    members = {u.id for u in roster(session.cohort)}
    strangers = set(marks) - members
    if strangers:
        raise ValidationError(
            "not_in_cohort", _l("Some of these people are not learners of this cohort.")
        )
    existing = {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    changes = {}
    for user_id, status in marks.items():
        status = AttendanceStatus(status)
        row = existing.get(user_id)
        if row is not None and row.status == status:
            continue
        if row is None:
            row = Attendance(session_id=session.id, user_id=user_id, status=status)
            db.session.add(row)
        row.status, row.recorded_at = status, utcnow()
        row.recorded_by_id = getattr(actor, "id", None)
        changes[str(user_id)] = status.value
    db.session.flush()
    if changes:
        record("attendance.record", actor=actor, obj=session, details={"marks": changes})
    return len(changes)


def attendance_for(pairs: Collection[tuple[int, int]]) -> dict[tuple[int, int], AttendanceFigures]:
    """Figures per (cohort id, user id) for cohorts that held at least one session (others are
    absent from the result). Two queries whatever the number of pairs."""
    cohort_ids = sorted({cohort_id for cohort_id, _user in pairs})
    if not cohort_ids:
        return {}
    now = utcnow()
    held = dict(
        db.session.execute(
            select(CohortSession.cohort_id, func.count())
            .where(CohortSession.cohort_id.in_(cohort_ids), CohortSession.starts_at <= now)
            .group_by(CohortSession.cohort_id)
        )
        .tuples()
        .all()
    )
    if not held:
        return {}
    counts: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    stmt = (
        select(CohortSession.cohort_id, Attendance.user_id, Attendance.status, func.count())
        .join(CohortSession, Attendance.session_id == CohortSession.id)
        .where(CohortSession.cohort_id.in_(list(held)), CohortSession.starts_at <= now)
        .group_by(CohortSession.cohort_id, Attendance.user_id, Attendance.status)
    )
    for cohort_id, user_id, status, n in db.session.execute(stmt):
        counts[(cohort_id, user_id)][AttendanceStatus(status)] += n
    result = {}
    for cohort_id, user_id in pairs:
        if cohort_id in held:
            c = counts.get((cohort_id, user_id), {})
            attended = sum(c.get(s, 0) for s in ATTENDED)
            result[(cohort_id, user_id)] = AttendanceFigures(
                held[cohort_id], attended, c.get(AttendanceStatus.EXCUSED, 0)
            )
    return result


def attended_counts(session_ids: Collection[int]) -> dict[int, int]:
    """Per session, how many learners attended (present or late). One query."""
    if not session_ids:
        return {}
    stmt = (
        select(Attendance.session_id, func.count())
        .where(Attendance.session_id.in_(list(session_ids)), Attendance.status.in_(ATTENDED))
        .group_by(Attendance.session_id)
    )
    return dict(db.session.execute(stmt).tuples().all())


#: Translated names of attendance statuses, for pages.
STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.EXCUSED: _l("Excused"),
    AttendanceStatus.ABSENT: _l("Absent"),
}
