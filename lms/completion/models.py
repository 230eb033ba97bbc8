"""Completion policies, cohort live sessions with attendance, and confirmed completions.

A ``CompletionPolicy`` belongs to one course or one programme; a criterion left empty (None)
is not required. A ``Completion`` is an instructor's (or admin's) confirmation that a learner
completed a course or a programme: it records whether the learner qualified under the
policy at that moment (``criteria`` keeps the figures) and, when not, the override reason.
A revoked completion keeps its row (``revoked_at``, who, why); at most one unrevoked
completion exists per learner and course or programme.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User, _enum
from lms.catalog.models import Cohort, Course, Programme
from lms.db import db, utcnow


class CompletionPolicy(db.Model):
    __tablename__ = "completion_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), unique=True
    )
    min_progress_percent: Mapped[float | None]
    min_score_percent: Mapped[float | None]
    #: assignment names (a programme's: "course-slug/assignment-name") that must be passed
    required_labs: Mapped[list[str]] = mapped_column(JSON, default=list)
    lab_pass_percent: Mapped[float] = mapped_column(default=60.0)
    min_attendance_percent: Mapped[float | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course | None] = relationship()
    programme: Mapped[Programme | None] = relationship()

    __table_args__ = (
        CheckConstraint("(course_id IS NULL) <> (programme_id IS NULL)", name="one_target"),
        CheckConstraint(
            "min_progress_percent IS NULL OR (min_progress_percent >= 0"
            " AND min_progress_percent <= 100)",
            name="progress_range",
        ),
        CheckConstraint(
            "min_score_percent IS NULL OR (min_score_percent >= 0 AND min_score_percent <= 100)",
            name="score_range",
        ),
        CheckConstraint("lab_pass_percent > 0 AND lab_pass_percent <= 100", name="lab_pass_range"),
        CheckConstraint(
            "min_attendance_percent IS NULL OR (min_attendance_percent >= 0"
            " AND min_attendance_percent <= 100)",
            name="attendance_range",
        ),
    )


class CohortSession(db.Model):
    """A live session of a cohort (a lecture, a lab hour) at which attendance is taken."""

    __tablename__ = "cohort_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(default=60)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()

    __table_args__ = (
        UniqueConstraint("cohort_id", "starts_at"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration_range"),
    )


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"  # attended, counts as present
    EXCUSED = "excused"  # does not count either way
    ABSENT = "absent"


class Attendance(db.Model):
    """One learner's attendance at one session (no row for a held session = absent)."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cohort_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)


class Completion(db.Model):
    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE")
    )
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    qualified: Mapped[bool]
    override_reason: Mapped[str | None] = mapped_column(Text)
    #: the evaluation at confirmation: criterion code → {"required", "actual", "met"}
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course | None] = relationship()
    programme: Mapped[Programme | None] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    __table_args__ = (
        CheckConstraint("(course_id IS NULL) <> (programme_id IS NULL)", name="one_target"),
        CheckConstraint("qualified OR override_reason IS NOT NULL", name="override_needs_reason"),
        Index("ix_completions_user_id", "user_id"),
        Index("ix_completions_course_id", "course_id"),
        Index("ix_completions_programme_id", "programme_id"),
        # one valid completion per learner and course / programme; revoked ones stay as history
        Index(
            "uq_completions_current_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=sql_text("revoked_at IS NULL AND course_id IS NOT NULL"),
            postgresql_where=sql_text("revoked_at IS NULL AND course_id IS NOT NULL"),
        ),
        Index(
            "uq_completions_current_programme",
            "user_id",
            "programme_id",
            unique=True,
            sqlite_where=sql_text("revoked_at IS NULL AND programme_id IS NOT NULL"),
            postgresql_where=sql_text("revoked_at IS NULL AND programme_id IS NOT NULL"),
        ),
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


from lms.completion import failing as _failing  # noqa: E402,F401  (keeps labs_failing)
