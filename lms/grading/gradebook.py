"""The gradebook of a course: learners × assignments, and its CSV/XLSX export.

Built with a constant number of queries (enrolments, submissions with their jobs and
results); the counted grade of a cell follows ``lms.grading.review.assignment_grade`` (graded
attempts' scores after the late penalty, manual points winning, last or best attempt).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.catalog.models import Course, Enrollment
from lms.db import db
from lms.grading.models import GradingJob, JobStatus, Submission
from lms.grading.policy import counted_score
from lms.grading.results import status_of
from lms.publishing.models import Assignment
from lms.publishing.services import current_version

#: Statuses a gradebook can be filtered by ("missing": no submission yet).
FILTER_STATUSES = ("needs_review", "not_gradable", "queued", "running", "graded", "missing")


@dataclass
class Cell:
    """One learner's standing on one assignment."""

    status: str = "missing"
    grade: float | None = None
    attempts: int = 0
    submission_id: int | None = None  # the latest attempt


@dataclass
class Row:
    enrollment: Enrollment
    user: User
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class Gradebook:
    course: Course
    assignments: list[Assignment]
    rows: list[Row]


def build_gradebook(course: Course, cohort_id: int | None = None, status: str | None = None):
    """The gradebook of ``course`` (current version's assignments), optionally only one
    cohort's enrolments and only learners with at least one cell in ``status``. Access is
    the caller's business (``can_manage_course``)."""
    version = current_version(course)
    assignments = list(version.assignments) if version else []
    query = (
        select(Enrollment)
        .where(Enrollment.course_id == course.id)
        .options(selectinload(Enrollment.user), selectinload(Enrollment.cohort))
    )
    if cohort_id is not None:
        query = query.where(Enrollment.cohort_id == cohort_id)
    enrollments = db.session.scalars(query).all()
    attempts = _attempts(course)
    rows = []
    for enrollment in sorted(enrollments, key=lambda e: (e.user.name, e.user.email)):
        row = Row(enrollment, enrollment.user)
        for a in assignments:
            row.cells[a.name] = _cell(attempts.get((enrollment.user_id, a.name), []), a.counts)
        if status is None or any(c.status == status for c in row.cells.values()):
            rows.append(row)
    return Gradebook(course, assignments, rows)


def _attempts(course: Course) -> dict[tuple[int, str], list[Submission]]:
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.course_id == course.id)
        .options(selectinload(Submission.jobs).selectinload(GradingJob.result))
        .order_by(Submission.attempt)
    ).all()
    grouped: dict[tuple[int, str], list[Submission]] = defaultdict(list)
    for submission in submissions:
        grouped[(submission.user_id, submission.assignment_name)].append(submission)
    return grouped


def _cell(submissions: list[Submission], counts: str) -> Cell:
    if not submissions:
        return Cell()
    scores = [
        s.job.result.score
        for s in submissions
        if s.job is not None
        and s.job.status == JobStatus.GRADED
        and s.job.result is not None
        and s.job.result.score is not None
    ]
    latest = submissions[-1]
    return Cell(status_of(latest), counted_score(scores, counts), len(submissions), latest.id)


def export_rows(book: Gradebook) -> list[list[object]]:
    """Header and one line per learner: e-mail, name, cohort, the grade per assignment."""
    header: list[object] = ["email", "name", "cohort"]
    header += [f"{a.name} ({a.points:g})" for a in book.assignments]
    lines: list[list[object]] = [header]
    for row in book.rows:
        cohort = row.enrollment.cohort.name if row.enrollment.cohort else ""
        grades = [row.cells[a.name].grade for a in book.assignments]
        lines.append([row.user.email, row.user.name, cohort, *grades])
    return lines


def _safe(value: object) -> object:
    # A cell starting with = + - @ is a formula to spreadsheet programs (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(book: Gradebook) -> str:
    """The export as CSV text (UTF-8 with BOM added by the caller for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in export_rows(book):
        writer.writerow([_safe(v) for v in line])
    return out.getvalue()


def to_xlsx(book: Gradebook) -> bytes:
    """The export as an XLSX workbook (one sheet, grades as numbers)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "grades"
    for line in export_rows(book):
        sheet.append([_safe(v) for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
