"""Schedule, late-penalty and attempt rules of ``courses/README.md`` (a port of the
reference ``courses/_tools/policies.py``; the tests check both agree).

All instants are timezone-aware; naive datetimes are refused.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

_PERIOD = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def resolve_schedule(
    schedule: dict, start: dt.date | None, timezone: str = "Asia/Seoul"
) -> tuple[dt.datetime, dt.datetime]:
    """``(opens_at, due_at)`` of a schedule table. Relative form: day 0 is ``start`` (the
    cohort's start date) in ``timezone``. Raises ValueError for a relative schedule without
    a start."""
    if "opens_at" in schedule:
        opens = _aware(dt.datetime.fromisoformat(schedule["opens_at"]), "opens_at")
        return opens, _aware(dt.datetime.fromisoformat(schedule["due_at"]), "due_at")
    if start is None:
        raise ValueError("a relative schedule needs a start date")
    zone = ZoneInfo(timezone)

    def local(days: int, hhmm: str) -> dt.datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        day = start + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)

    return (
        local(schedule["opens_after_days"], schedule.get("open_time", "00:00")),
        local(schedule["due_after_days"], schedule.get("due_time", "23:59")),
    )


def late_factor(policy: dict, due_at: dt.datetime, submitted_at: dt.datetime) -> float | None:
    """The multiplier of a submission's score, or None when the hard cutoff refuses it.

    Within ``grace_minutes`` of the deadline: 1.0. Beyond it, lateness counts in started
    ``penalty_period``s from the deadline, ``penalty_percent`` each, never below
    ``floor_percent``. More than ``cutoff_after_hours`` late: None.
    """
    late = _aware(submitted_at, "submitted_at") - _aware(due_at, "due_at")
    if late <= dt.timedelta(minutes=policy["grace_minutes"]):
        return 1.0
    cutoff = policy.get("cutoff_after_hours")
    if cutoff is not None and late > dt.timedelta(hours=cutoff):
        return None
    periods = math.ceil(late / _PERIOD[policy["penalty_period"]])
    percent = max(policy["floor_percent"], 100 - periods * policy["penalty_percent"])
    return percent / 100


def counted_score(attempt_scores: list[float], counts: str) -> float | None:
    """The grade from the late-adjusted scores of the graded attempts, oldest first."""
    if not attempt_scores:
        return None
    if counts == "last":
        return attempt_scores[-1]
    if counts == "best":
        return max(attempt_scores)
    raise ValueError(f"counts must be 'last' or 'best', got {counts!r}")
