"""The competency framework and how courses evidence it.

A ``CompetencyUnit`` is one skill at one level (``AIF-PY-01``, level 1 = 기초 foundation …
4 = 전문 expert), in a track, optionally under a broader parent unit. A ``SkillMapping``
says which graded work evidences a unit: a whole course (its confirmed completion), one
assignment (its counted grade) or one graded cell of an assignment (that cell's points),
with a weight. Mappings keyed by assignment *name* and cell id survive new course versions,
like rubrics. ``""`` (not NULL) means "no assignment" / "no cell" so that the unique
constraint also holds for course-level mappings on every database.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import _enum
from lms.catalog.models import Course, Track
from lms.db import db, utcnow

#: Levels of the framework (courses/README.md): 1 foundation, 2 applied, 3 advanced, 4 expert.
MIN_LEVEL, MAX_LEVEL = 1, 4
#: The unit code pattern shared with course packages' ``[[skills]] code``.
CODE_PATTERN = r"^[A-Z]{2,5}-[A-Z0-9]{2,6}-[0-9]{2}$"


class MappingSource(enum.StrEnum):
    """Where a mapping comes from: the course package's ``[[skills]]`` (replaced on every
    sync) or an instructor's page (kept)."""

    PACKAGE = "package"
    MANUAL = "manual"


class CompetencyUnit(db.Model):
    __tablename__ = "competency_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[int]
    track: Mapped[Track] = mapped_column(_enum(Track, "track"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("competency_units.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[CompetencyUnit | None] = relationship(remote_side=[id])

    __table_args__ = (
        CheckConstraint(f"level >= {MIN_LEVEL} AND level <= {MAX_LEVEL}", name="level_range"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        Index("ix_competency_units_track_level", "track", "level"),
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ko

    def description(self, locale: str) -> str:
        return (
            self.description_en if locale == "en" and self.description_en else self.description_ko
        )

    def __repr__(self) -> str:
        return f"<CompetencyUnit {self.code}>"


class SkillMapping(db.Model):
    """``unit`` is evidenced by ``course`` (``assignment_name`` ""), one assignment of it
    (``cell_id`` "") or one graded cell of that assignment; ``weight`` > 0 within the course."""

    __tablename__ = "skill_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("competency_units.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_name: Mapped[str] = mapped_column(String(64), default="")
    cell_id: Mapped[str] = mapped_column(String(100), default="")
    weight: Mapped[float] = mapped_column(default=1.0)
    source: Mapped[MappingSource] = mapped_column(
        _enum(MappingSource, "mapping_source"), default=MappingSource.MANUAL
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[CompetencyUnit] = relationship()
    course: Mapped[Course] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "course_id", "assignment_name", "cell_id"),
        Index("ix_skill_mappings_course_id_assignment_name", "course_id", "assignment_name"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        CheckConstraint("cell_id = '' OR assignment_name <> ''", name="cell_needs_assignment"),
    )

    @property
    def target(self) -> str:
        """``course``, ``assignment`` or ``cell``: what evidences the unit."""
        if not self.assignment_name:
            return "course"
        return "cell" if self.cell_id else "assignment"


class SkillAchievement(db.Model):
    """A unit ``user`` has achieved, as ``lms.skills.evidence`` decides from the graded
    evidence, stored so that pages counting achievements read one row per learner and unit.
    Kept in the same transaction as every change to the evidence (``lms.skills.stored``);
    ``achieved_at`` is the time of the latest evidence in the best course."""

    __tablename__ = "skill_achievements"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("competency_units.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    achieved_at: Mapped[datetime | None]


from lms.skills import stored as _stored  # noqa: E402,F401  (keeps skill_achievements right)
