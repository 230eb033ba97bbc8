"""Immutable course versions and their assignments.

A ``CourseVersion`` is one published state of a course package, named by the package's
content hash; its ``Assignment`` rows carry the points and policies of that state and point at
the release and grading template in the blob store. Neither is ever changed after it is
stored (a flush that would update one raises): a changed package makes a new version, and
submissions stay tied to the version they were made on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.catalog.models import Course
from lms.db import db, utcnow


class CourseVersion(db.Model):
    __tablename__ = "course_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    package_meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="version", order_by="Assignment.position"
    )

    __table_args__ = (
        UniqueConstraint("course_id", "number"),
        UniqueConstraint("course_id", "content_hash"),
        CheckConstraint("number >= 1", name="number_positive"),
    )


class Assignment(db.Model):
    """One graded assignment of one course version, with its policies as published.

    ``schedule`` is the package's schedule table (relative or absolute form); the late policy
    fields follow ``courses/README.md``. ``release_tree`` / ``template_blob`` are blob hashes.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE")
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    points: Mapped[float]
    resource_class: Mapped[str] = mapped_column(String(10))
    schedule: Mapped[dict[str, Any]] = mapped_column(JSON)
    grace_minutes: Mapped[int]
    penalty_percent: Mapped[float]
    penalty_period: Mapped[str] = mapped_column(String(10))
    floor_percent: Mapped[float]
    cutoff_after_hours: Mapped[float | None]
    max_attempts: Mapped[int | None]
    counts: Mapped[str] = mapped_column(String(10))
    notebooks: Mapped[list[str]] = mapped_column(JSON)
    release_tree: Mapped[str] = mapped_column(String(64))
    template_blob: Mapped[str] = mapped_column(String(64))

    version: Mapped[CourseVersion] = relationship(back_populates="assignments")

    __table_args__ = (
        UniqueConstraint("course_version_id", "name"),
        Index("ix_assignments_course_id_name", "course_id", "name"),
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("counts IN ('last', 'best')", name="counts_known"),
        CheckConstraint("penalty_period IN ('hour', 'day')", name="period_known"),
        CheckConstraint("resource_class IN ('cpu', 'gpu')", name="resource_class_known"),
        CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="attempts_positive"),
    )

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ko

    @property
    def late_policy(self) -> dict[str, Any]:
        """The late policy as the package wrote it (``courses/README.md``)."""
        policy: dict[str, Any] = {
            "grace_minutes": self.grace_minutes,
            "penalty_percent": self.penalty_percent,
            "penalty_period": self.penalty_period,
            "floor_percent": self.floor_percent,
        }
        if self.cutoff_after_hours is not None:
            policy["cutoff_after_hours"] = self.cutoff_after_hours
        return policy


class ImmutableVersionError(RuntimeError):
    """Code tried to change a stored course version or assignment."""


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_versions(session: Session, _context: Any, _instances: Any) -> None:
    for obj in session.dirty:
        if isinstance(obj, CourseVersion | Assignment) and session.is_modified(obj):
            raise ImmutableVersionError(f"{obj.__tablename__} rows are immutable (id {obj.id})")
