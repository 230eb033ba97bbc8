"""Lab usage records: one row per lab server run, and GPU-hour quotas.

A ``LabSession`` is opened when the portal starts a server and closed when it stops (by the
portal, by logout, or found gone by ``sync_sessions`` after the idle culler). GPU-hours are
``hours × gpu_share`` of the profile, so a MIG 1g slice counts 1/7 of a GPU.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.db import db, utcnow
from lms.orgs.models import Organisation


class LabSession(db.Model):
    __tablename__ = "lab_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL"), index=True
    )
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    server: Mapped[str] = mapped_column(String(64), default="")
    profile: Mapped[str] = mapped_column(String(32))
    gpu_share: Mapped[float] = mapped_column(default=0.0)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    course: Mapped[Course | None] = relationship()
    org: Mapped[Organisation | None] = relationship()

    __table_args__ = (
        Index("ix_lab_sessions_user_id_stopped_at", "user_id", "stopped_at"),
        CheckConstraint("gpu_share >= 0", name="gpu_share_not_negative"),
    )


class GpuQuota(db.Model):
    """GPU-hours allowed per course or per organisation (exactly one of them)."""

    __tablename__ = "gpu_quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), unique=True
    )
    gpu_hours: Mapped[float]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint("(course_id IS NULL) <> (org_id IS NULL)", name="one_owner"),
        CheckConstraint("gpu_hours >= 0", name="gpu_hours_not_negative"),
    )
