"""The catalogue: courses, prerequisites, programmes (ordered learning paths), cohorts,
instructors, enrolments, course items with progress, and their deadlines.

``CourseItem``/``Progress`` are deliberately light: a lesson, lab or assignment with an
optional due date, and a learner's completion/score of it. Issue 4 (grading workflow)
extends assignments with real submissions and grades.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sql_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User, _enum
from lms.db import db, utcnow
from lms.orgs.models import Organisation


class Track(enum.StrEnum):
    AI_FOUNDATIONS = "ai_foundations"
    SMART_FACTORY = "smart_factory"
    SMART_MOBILITY = "smart_mobility"
    SEMICONDUCTORS = "semiconductors"
    SMART_HEALTHCARE = "smart_healthcare"


class Level(enum.StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


class EnrollmentStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    DROPPED = "dropped"


class ItemKind(enum.StrEnum):
    LESSON = "lesson"
    LAB = "lab"
    ASSIGNMENT = "assignment"


class _Bilingual:
    title_ko: Mapped[str]
    title_en: Mapped[str]

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_ko


class Course(_Bilingual, db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[Level] = mapped_column(_enum(Level, "level"))
    track: Mapped[Track] = mapped_column(_enum(Track, "track"))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_gpu: Mapped[bool] = mapped_column(default=False)
    self_enroll: Mapped[bool] = mapped_column(default=True)
    capacity: Mapped[int | None]
    is_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    prerequisites: Mapped[list[Course]] = relationship(
        secondary="course_prerequisites",
        primaryjoin="Course.id == CoursePrerequisite.course_id",
        secondaryjoin="Course.id == CoursePrerequisite.prerequisite_id",
        order_by="Course.slug",
    )
    instructors: Mapped[list[User]] = relationship(
        secondary="course_instructors", order_by="User.id"
    )
    cohorts: Mapped[list[Cohort]] = relationship(
        back_populates="course", order_by="Cohort.starts_on", cascade="all, delete-orphan"
    )

    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_courses_published_track_level", "is_published", "track", "level"),
    )

    def description(self, locale: str) -> str:
        return (
            self.description_en if locale == "en" and self.description_en else self.description_ko
        )


class CoursePrerequisite(db.Model):
    """``course`` requires completing ``prerequisite`` first."""

    __tablename__ = "course_prerequisites"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    prerequisite_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (CheckConstraint("course_id <> prerequisite_id", name="not_self"),)


class CourseInstructor(db.Model):
    __tablename__ = "course_instructors"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Programme(_Bilingual, db.Model):
    """A learning path: an ordered set of courses for a track and target segments."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    track: Mapped[Track] = mapped_column(_enum(Track, "track"))
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list[ProgrammeCourse]] = relationship(
        order_by="ProgrammeCourse.position", cascade="all, delete-orphan"
    )

    def description(self, locale: str) -> str:
        return (
            self.description_en if locale == "en" and self.description_en else self.description_ko
        )


class ProgrammeCourse(db.Model):
    __tablename__ = "programme_courses"

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]

    course: Mapped[Course] = relationship()

    __table_args__ = (UniqueConstraint("programme_id", "position"),)


class CohortInstructor(db.Model):
    __tablename__ = "cohort_instructors"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Cohort(db.Model):
    """A section of a course with its own dates and capacity."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    capacity: Mapped[int | None]

    course: Mapped[Course] = relationship(back_populates="cohorts")
    instructors: Mapped[list[User]] = relationship(
        secondary="cohort_instructors", order_by="User.id"
    )

    __table_args__ = (
        UniqueConstraint("course_id", "name"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )


class Enrollment(db.Model):
    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"))
    status: Mapped[EnrollmentStatus] = mapped_column(
        _enum(EnrollmentStatus, "enrollment_status"), default=EnrollmentStatus.ACTIVE
    )
    sponsor_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    #: The earliest due date among the course's items not done yet (None: none left);
    #: behind schedule means ``next_due_at < now``. Kept by ``lms.catalog.deadlines``.
    next_due_at: Mapped[datetime | None]
    #: A counted lab grade is below the pass mark (``lms.completion.failing`` keeps it).
    labs_failing: Mapped[bool] = mapped_column(default=False, server_default=sql_false())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    sponsor_org: Mapped[Organisation | None] = relationship()
    enrolled_by: Mapped[User | None] = relationship(foreign_keys=[enrolled_by_id])

    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_enrollments_course_id_status", "course_id", "status"),
        Index("ix_enrollments_cohort_id", "cohort_id"),
        Index("ix_enrollments_sponsor_org_id", "sponsor_org_id"),
    )


class CourseItem(_Bilingual, db.Model):
    """A lesson, lab or assignment of a course, in order; ``due_at`` makes it a deadline."""

    __tablename__ = "course_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, "item_kind"))
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()

    __table_args__ = (
        UniqueConstraint("course_id", "position"),
        Index("ix_course_items_due_at", "due_at"),
    )


class Progress(db.Model):
    """A learner completed ``item`` within ``enrollment`` (score 0..100 when graded)."""

    __tablename__ = "progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("course_items.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[float | None]

    __table_args__ = (
        UniqueConstraint("enrollment_id", "item_id"),
        Index("ix_progress_item_id", "item_id"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )


class ProgressWeek(db.Model):
    """Items a learner completed in one calendar week (Monday, UTC), over all their
    enrolments: the organisation dashboard's "items completed per week" reads these
    instead of every progress row. Derived from ``progress``; kept by
    ``lms.catalog.deadlines`` (never edited by hand)."""

    __tablename__ = "progress_weeks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(primary_key=True)
    items: Mapped[int]


from lms.catalog import deadlines as _deadlines  # noqa: E402,F401  (keeps the derived columns)
