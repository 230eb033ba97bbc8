"""Helpers of the completion tests: course versions, graded submissions, items and
progress rows written directly (no nbgrader release, no grading backend), so the figures
can be checked on exactly the data a test describes."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from lms.catalog.models import CourseItem, Progress
from lms.db import db, utcnow
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.publishing.models import Assignment, CourseVersion

_seq = itertools.count(1)


def add_version(course, labs, number=1):
    """A published version of ``course`` with ``labs``: (name, points, counts) tuples."""
    version = CourseVersion(
        course_id=course.id, number=number, content_hash=f"h{next(_seq)}", package_meta={}
    )
    db.session.add(version)
    db.session.flush()
    for position, (name, points, counts) in enumerate(labs, start=1):
        db.session.add(
            Assignment(
                course_version_id=version.id,
                course_id=course.id,
                name=name,
                position=position,
                title_ko=name,
                title_en=name,
                kind="lab",
                points=points,
                resource_class="cpu",
                schedule={},
                grace_minutes=0,
                penalty_percent=0,
                penalty_period="day",
                floor_percent=0,
                cutoff_after_hours=None,
                max_attempts=None,
                counts=counts,
                notebooks=[name],
                release_tree="t",
                template_blob="b",
            )
        )
    db.session.commit()
    return version


def add_attempt(user, course, name, score, status=JobStatus.GRADED, version=None):
    """One more attempt of ``user`` at assignment ``name``, its job in ``status`` and, when
    graded, a result with ``score`` points."""
    version = version or max(
        db.session.query(CourseVersion).filter_by(course_id=course.id), key=lambda v: v.number
    )
    assignment = next(a for a in version.assignments if a.name == name)
    attempt = (
        1
        + db.session.query(Submission)
        .filter_by(user_id=user.id, course_id=course.id, assignment_name=name)
        .count()
    )
    n = next(_seq)
    submission = Submission(
        user_id=user.id,
        course_id=course.id,
        assignment_id=assignment.id,
        course_version_id=version.id,
        assignment_name=name,
        notebook_name=f"{name}.ipynb",
        content_sha=f"{n:064d}",
        size_bytes=10,
        attempt=attempt,
    )
    db.session.add(submission)
    db.session.flush()
    add_job(submission, assignment, status, score)
    db.session.commit()
    return submission


def add_job(submission, assignment, status=JobStatus.GRADED, score=0.0):
    """A grading job of ``submission`` against ``assignment`` (a regrade when the submission
    has one already: against another version's assignment) in ``status`` and, when graded,
    its result with ``score`` points. Flushes."""
    job = GradingJob(
        submission_id=submission.id,
        assignment_id=assignment.id,
        status=status,
        backend="fake",
        backend_job_id=f"job-{next(_seq)}",
    )
    db.session.add(job)
    db.session.flush()
    if status == JobStatus.GRADED:
        db.session.add(
            GradingResult(
                job_id=job.id,
                submission_id=submission.id,
                course_version_id=assignment.course_version_id,
                status="graded",
                auto_earned=score,
                earned=score,
                possible=assignment.points,
                late_factor=1.0,
                score=score,
            )
        )
    db.session.flush()
    return job


def add_items(course, count, due_days_ago=None):
    """``count`` lessons of ``course``; due that many days ago when given (negative: ahead)."""
    items = []
    start = db.session.query(CourseItem).filter_by(course_id=course.id).count()
    for i in range(count):
        due = utcnow() - timedelta(days=due_days_ago) if due_days_ago is not None else None
        item = CourseItem(
            course_id=course.id,
            position=start + i + 1,
            kind="lesson",
            title_ko=f"수업 {start + i + 1}",
            title_en=f"Lesson {start + i + 1}",
            due_at=due,
        )
        db.session.add(item)
        items.append(item)
    db.session.commit()
    return items


def mark_done(enrollment, items):
    for item in items:
        db.session.add(Progress(enrollment_id=enrollment.id, item_id=item.id))
    db.session.commit()


@contextmanager
def count_queries():
    """The SQL statements run inside the block (a list filled as they run)."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
