"""Analytics of one assignment: the distribution of counted grades and, per test cell, the
share of learners whose latest graded attempt fails it — with the geometry of two small SVG
bar charts, drawn by the server (no JavaScript library)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.catalog.models import Course
from lms.db import db
from lms.grading.gradebook import build_gradebook
from lms.grading.models import GradingJob, JobStatus, Submission
from lms.publishing.models import Assignment

BINS = 10


@dataclass
class Bar:
    label: str
    value: float  # count or share
    text: str  # what the bar says (count, or percent)
    x: float = 0
    y: float = 0
    width: float = 0
    height: float = 0


@dataclass
class Chart:
    bars: list[Bar]
    width: int
    height: int


@dataclass
class Analytics:
    assignment: Assignment
    graded: int  # learners with a counted grade
    enrolled: int
    mean: float | None
    histogram: Chart
    failures: Chart  # per test cell, share failing (0..1)


def assignment_analytics(course: Course, assignment: Assignment) -> Analytics:
    """Counted grades of every enrolled learner and test failure shares of their latest
    graded attempts. Access is the caller's business (``can_manage_course``)."""
    book = build_gradebook(course)
    grades = [r.cells[assignment.name].grade for r in book.rows]
    grades = [g for g in grades if g is not None]
    mean = sum(grades) / len(grades) if grades else None
    return Analytics(
        assignment,
        len(grades),
        len(book.rows),
        mean,
        column_chart(_histogram(grades, assignment.points)),
        row_chart(_failure_shares(course, assignment)),
    )


def _histogram(grades: list[float], points: float) -> list[Bar]:
    counts = [0] * BINS
    for grade in grades:
        share = grade / points if points else 0
        counts[min(int(share * BINS), BINS - 1)] += 1
    step = points / BINS
    return [Bar(f"{i * step:g}–{(i + 1) * step:g}", n, str(n)) for i, n in enumerate(counts)]


def _failure_shares(course: Course, assignment: Assignment) -> list[Bar]:
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.course_id == course.id, Submission.assignment_name == assignment.name)
        .options(selectinload(Submission.jobs).selectinload(GradingJob.result))
        .order_by(Submission.attempt)
    ).all()
    latest = {}
    for s in submissions:
        if s.job is not None and s.job.status == JobStatus.GRADED and s.job.result is not None:
            latest[s.user_id] = s.job.result
    failed: dict[str, int] = {}
    seen: dict[str, int] = {}
    for result in latest.values():
        for part in result.parts:
            if part.kind != "test":
                continue
            seen[part.cell_id] = seen.get(part.cell_id, 0) + 1
            earned = part.manual_earned if part.manual_earned is not None else part.auto_earned
            if part.status != "passed" and earned < part.possible:
                failed[part.cell_id] = failed.get(part.cell_id, 0) + 1
    return [
        Bar(cell, failed.get(cell, 0) / n, f"{round(100 * failed.get(cell, 0) / n)}%")
        for cell, n in seen.items()
    ]


def column_chart(bars: list[Bar], width: int = 560, height: int = 220) -> Chart:
    """Vertical bars scaled to the largest value; room below for labels."""
    plot = height - 40
    top = max((b.value for b in bars), default=0) or 1
    slot = width / max(len(bars), 1)
    for i, bar in enumerate(bars):
        bar.height = plot * bar.value / top
        bar.width, bar.x = slot * 0.7, i * slot + slot * 0.15
        bar.y = 20 + plot - bar.height
    return Chart(bars, width, height)


def row_chart(bars: list[Bar], width: int = 560, row: int = 28) -> Chart:
    """Horizontal bars of shares (0..1), one row per bar, label column on the left."""
    left = 200
    for i, bar in enumerate(bars):
        bar.x, bar.y = left, i * row + 4
        bar.width, bar.height = (width - left - 50) * bar.value, row - 8
    return Chart(bars, width, max(len(bars), 1) * row + 8)
