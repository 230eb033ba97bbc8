"""The dashboard's charts, drawn by the server as SVG with the gradebook's chart helpers
(``lms.grading.analytics``): items completed per week, enrolments by status, skills."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.catalog.deadlines import week_of
from lms.catalog.models import Progress, ProgressWeek
from lms.consent.models import DataKind
from lms.db import db, utcnow
from lms.grading.analytics import Bar, Chart, column_chart, row_chart
from lms.reporting import queries
from lms.reporting.queries import Scope, StatusCounts

WEEKS = 12


def weekly_progress(scope: Scope, weeks: int = WEEKS) -> Chart:
    """Catalogue items completed per calendar week (Monday, UTC) over the last ``weeks``
    weeks, this one included, by the enrolments in scope; oldest week first. One grouped
    statement: over ``progress_weeks`` (a row per learner and week) when only the members
    matter, over the progress rows of the enrolments in scope when the filters pick
    courses or statuses."""
    first = week_of(utcnow()) - timedelta(weeks=weeks - 1)
    counts = _weekly_counts(scope, first)
    bars = []
    for i in range(weeks):
        monday = first + timedelta(weeks=i)
        n = counts.get(monday, 0)
        bars.append(Bar(f"{monday.month}/{monday.day}", n, str(n)))
    return column_chart(bars)


def _weekly_counts(scope: Scope, first: date) -> dict[date, int]:
    if not scope.filters.narrows_enrolments:
        sharing = scope.sharing_select(DataKind.PROGRESS)
        stmt = (
            select(ProgressWeek.week, func.sum(ProgressWeek.items))
            .where(ProgressWeek.user_id.in_(sharing), ProgressWeek.week >= first)
            .group_by(ProgressWeek.week)
        )
        return {week: int(n) for week, n in db.session.execute(stmt)}
    ids = queries.in_scope_ids(scope)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    week = _week_start(Progress.completed_at)
    stmt = (
        select(week, func.count())
        .where(Progress.enrollment_id.in_(ids), Progress.completed_at >= since)
        .group_by(week)
    )
    counts: dict[date, int] = {}
    for monday, n in db.session.execute(stmt):
        if isinstance(monday, datetime):
            monday = monday.date()
        elif isinstance(monday, str):
            monday = date.fromisoformat(monday)
        counts[monday] = counts.get(monday, 0) + n
    return counts


def _week_start(column):  # -> SQL expression: the Monday (UTC) of the column's week
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("week", func.timezone("UTC", column))
    # SQLite keeps UTC text: to the coming Sunday (or the same day), then back six days.
    return func.date(column, "weekday 0", "-6 days")


def status_chart(counts: StatusCounts) -> Chart:
    """Enrolments by status, as shares of all enrolments in scope."""
    total = counts.enrolled or 1
    parts = [
        (_l("Active"), counts.active),
        (_l("At risk"), counts.at_risk),
        (_l("Completed"), counts.completed),
    ]
    return row_chart([Bar(str(label), n / total, str(n)) for label, n in parts])


def skills_chart(gained: Any, locale: str, top: int = 10) -> Chart:
    """The ``top`` skills by number of members who reached them (``gained``: the members'
    ``lms.skills.evidence.AchievementCounts``), as shares of the members counted."""
    members = len(gained.per_user) or 1
    bars = [
        Bar(skill_name(unit, locale), n / members, str(n)) for unit, n in gained.most_achieved(top)
    ]
    return row_chart(bars)


def skill_name(status: object, locale: str) -> str:
    """A unit (``SkillStatus`` or ``UnitInfo`` of ``lms.skills``) as "CODE name" in ``locale``."""
    name = getattr(status, f"name_{locale}", "") or getattr(status, "name_ko", "")
    return f"{status.code} {name}"
