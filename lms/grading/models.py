"""Submissions, grading jobs and results with their per-cell parts.

A ``Submission`` is one attempt of a learner at an assignment of a course version: the
notebook's content hash (the bytes live in the blob store), the server's timestamp, the
attempt number and the late factor fixed at submission. A ``GradingJob`` is the record of
grading it (``queued → running → graded | failed | not_gradable``, dispatch counter, lease,
phase timestamps). A ``GradingResult`` keeps the totals and the graded-against version;
its ``ResultPart`` rows keep each cell's automatic and manual points (manual wins).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User, _enum
from lms.db import db, utcnow
from lms.publishing.models import Assignment


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    FAILED = "failed"
    NOT_GRADABLE = "not_gradable"


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE")
    )
    assignment_name: Mapped[str] = mapped_column(String(64))
    notebook_name: Mapped[str] = mapped_column(String(200))
    content_sha: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempt: Mapped[int]
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime | None]
    late_factor: Mapped[float] = mapped_column(default=1.0)

    user: Mapped[User] = relationship()
    assignment: Mapped[Assignment] = relationship()
    jobs: Mapped[list[GradingJob]] = relationship(
        back_populates="submission", order_by="GradingJob.id"
    )

    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "assignment_name", "attempt"),
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_submissions_course_id_assignment_name", "course_id", "assignment_name"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint("late_factor >= 0 AND late_factor <= 1", name="late_factor_range"),
    )

    @property
    def job(self) -> GradingJob | None:
        """The latest grading job (a regrade adds one)."""
        return self.jobs[-1] if self.jobs else None


class GradingJob(db.Model):
    __tablename__ = "grading_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    #: The assignment (of one course version) this job grades against: the submission's own
    #: at first, the then-current version's for a regrade (``lms.grading.regrade``).
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE")
    )
    status: Mapped[JobStatus] = mapped_column(
        _enum(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    backend: Mapped[str] = mapped_column(String(20))
    backend_job_id: Mapped[str] = mapped_column(String(128), unique=True)
    dispatches: Mapped[int] = mapped_column(default=0)
    lease_expires_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")

    submission: Mapped[Submission] = relationship(back_populates="jobs")
    result: Mapped[GradingResult | None] = relationship(back_populates="job")
    assignment: Mapped[Assignment | None] = relationship()

    __table_args__ = (
        Index("ix_grading_jobs_status_lease_expires_at", "status", "lease_expires_at"),
        Index("ix_grading_jobs_submission_id", "submission_id"),
        # one job per submission and graded-against version: a double-clicked regrade is one
        UniqueConstraint("submission_id", "assignment_id"),
    )

    @property
    def graded_assignment(self) -> Assignment:
        """The assignment this job grades against (older rows: the submission's)."""
        return self.assignment or self.submission.assignment


class GradingResult(db.Model):
    """The recorded outcome of one job. ``score`` = ``earned`` × the submission's late factor;
    ``earned`` sums the parts with manual points winning; both are None when not gradable."""

    __tablename__ = "grading_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(
        ForeignKey("grading_jobs.id", ondelete="CASCADE"), unique=True
    )
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(20))
    auto_earned: Mapped[float | None]
    earned: Mapped[float | None]
    possible: Mapped[float]
    late_factor: Mapped[float]
    score: Mapped[float | None]
    needs_review: Mapped[bool] = mapped_column(default=False)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    feedback_html: Mapped[str] = mapped_column(Text, default="")
    logs: Mapped[str] = mapped_column(Text, default="")
    grader_attempt: Mapped[int] = mapped_column(default=1)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    job: Mapped[GradingJob] = relationship(back_populates="result")
    parts: Mapped[list[ResultPart]] = relationship(
        back_populates="result", order_by="ResultPart.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_grading_results_submission_id", "submission_id"),
        CheckConstraint(
            "status IN ('graded', 'needs_review', 'not_gradable')", name="status_known"
        ),
    )


class ResultPart(db.Model):
    """One graded cell: automatic points, and manual points that win when set."""

    __tablename__ = "result_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("grading_results.id", ondelete="CASCADE"))
    position: Mapped[int]
    cell_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    hidden: Mapped[bool] = mapped_column(default=False)
    auto_earned: Mapped[float]
    possible: Mapped[float]
    message: Mapped[str] = mapped_column(Text, default="")
    manual_earned: Mapped[float | None]
    manual_comment: Mapped[str] = mapped_column(Text, default="")
    manual_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    manual_at: Mapped[datetime | None]

    result: Mapped[GradingResult] = relationship(back_populates="parts")

    __table_args__ = (
        UniqueConstraint("result_id", "cell_id"),
        CheckConstraint("possible >= 0 AND auto_earned >= 0", name="points_nonnegative"),
    )

    @property
    def earned(self) -> float:
        """Manual points when a grader set them, else the automatic ones."""
        return self.manual_earned if self.manual_earned is not None else self.auto_earned


class Extension(db.Model):
    """A per-learner deadline for one assignment (by name, so it survives new versions)."""

    __tablename__ = "assignment_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("course_id", "assignment_name", "user_id"),)


class FeedbackRelease(db.Model):
    """Feedback of an assignment released to everyone (``user_id`` NULL) or one learner."""

    __tablename__ = "feedback_releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_name: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    released_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_feedback_releases_course_id_assignment_name", "course_id", "assignment_name"),
    )


class RubricCriterion(db.Model):
    """One criterion of a manually graded cell's rubric, with its points. Defined by the
    course staff per assignment name and cell, so it survives new versions."""

    __tablename__ = "rubric_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assignment_name: Mapped[str] = mapped_column(String(64))
    cell_id: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(300))
    points: Mapped[float]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("course_id", "assignment_name", "cell_id", "text"),
        CheckConstraint("points > 0", name="points_positive"),
    )


class RubricCheck(db.Model):
    """A criterion ticked for one result cell (the manual points are their sum)."""

    __tablename__ = "rubric_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("result_parts.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("part_id", "criterion_id"),)
