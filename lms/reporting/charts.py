"""The dashboard's charts, drawn by the server as SVG with the gradebook's chart helpers
(``lms.grading.analytics``): items completed per week, enrolments by status, skills."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Integer, Interval, cast, func, literal, select

from lms.catalog.models import Progress
from lms.completion.progress import _in_ids
from lms.db import db, utcnow
from lms.grading.analytics import Bar, Chart, column_chart, row_chart
from lms.reporting.queries import Figures, StatusCounts

WEEKS = 12


def weekly_progress(figures: Figures, weeks: int = WEEKS) -> Chart:
    """Catalogue items completed per week over the last ``weeks`` weeks by the enrolments
    in ``figures`` (one grouped statement), oldest week first."""
    start = utcnow() - timedelta(weeks=weeks)
    counts: dict[int, int] = {}
    ids = [e[0] for e in figures.enrolments]
    if ids:
        week = _week_of(Progress.completed_at, start)
        stmt = (
            select(week, func.count())
            .where(_in_ids(Progress.enrollment_id, ids), Progress.completed_at >= start)
            .group_by(week)
        )
        for w, n in db.session.execute(stmt):
            if w is not None:
                index = _index(w, start)
                counts[index] = counts.get(index, 0) + n
    bars = []
    for i in range(weeks):
        monday = (start + timedelta(weeks=i)).date()
        n = counts.get(i, 0)
        bars.append(Bar(f"{monday.month}/{monday.day}", n, str(n)))
    return column_chart(bars)


def _week_of(column, start):  # -> SQL expression: the week since ``start``
    if db.session.get_bind().dialect.name == "postgresql":
        # The week's first moment: date_bin is ~2x cheaper per row than computing an index
        # from EXTRACT(epoch …) (an interval, then numeric arithmetic).
        origin = literal(start, DateTime(timezone=True))
        return func.date_bin(literal(timedelta(weeks=1), Interval), column, origin)
    return cast((func.julianday(column) - func.julianday(start)) / 7, Integer)


def _index(week: int | datetime, start: datetime) -> int:
    """A week of ``_week_of`` as whole weeks since ``start``."""
    if isinstance(week, datetime):
        return round((week - start).total_seconds() / 604800)
    return int(week)


def status_chart(counts: StatusCounts) -> Chart:
    """Enrolments by status, as shares of all enrolments in scope."""
    total = counts.enrolled or 1
    parts = [
        (_l("Active"), counts.active),
        (_l("At risk"), counts.at_risk),
        (_l("Completed"), counts.completed),
    ]
    return row_chart([Bar(str(label), n / total, str(n)) for label, n in parts])


def skills_chart(gained: dict[int, list], locale: str, top: int = 10) -> Chart:
    """The ``top`` skills by number of members who reached them."""
    counter: Counter[str] = Counter()
    for statuses in gained.values():
        counter.update({skill_name(s, locale) for s in statuses})
    members = len(gained) or 1
    bars = [Bar(name, n / members, str(n)) for name, n in counter.most_common(top)]
    return row_chart(bars)


def skill_name(status: object, locale: str) -> str:
    """A ``lms.skills.evidence.SkillStatus`` as "CODE name" in ``locale``."""
    name = getattr(status, f"name_{locale}", "") or getattr(status, "name_ko", "")
    return f"{status.code} {name}"
