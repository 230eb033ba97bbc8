"""Reference semantics of the schedule, late-policy and attempts fields of ``course.toml``.

These functions are the executable form of the rules in ``courses/README.md``; the portal may
import or port them. Stdlib only. All instants are timezone-aware; naive datetimes are refused.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

__all__ = ["counted_score", "late_factor", "resolve_schedule"]

_PERIOD = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def _local(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def resolve_schedule(
    schedule: dict, cohort_start: dt.date | None = None, timezone: str = "Asia/Seoul"
) -> tuple[dt.datetime, dt.datetime]:
    """(opens_at, due_at) as aware datetimes.

    Relative form: day 0 is ``cohort_start`` (a calendar date) in ``timezone``; ``open_time``
    defaults to 00:00 and ``due_time`` to 23:59 local time. Absolute form: the RFC 3339 strings
    with their offsets. Raises ValueError when a relative schedule has no cohort start.
    """
    if "opens_at" in schedule:
        opens = _aware(dt.datetime.fromisoformat(schedule["opens_at"]), "opens_at")
        return opens, _aware(dt.datetime.fromisoformat(schedule["due_at"]), "due_at")
    if cohort_start is None:
        raise ValueError("a relative schedule needs the cohort's start date")
    zone = ZoneInfo(timezone)
    opens_day = cohort_start + dt.timedelta(days=schedule["opens_after_days"])
    due_day = cohort_start + dt.timedelta(days=schedule["due_after_days"])
    return (
        _local(opens_day, schedule.get("open_time", "00:00"), zone),
        _local(due_day, schedule.get("due_time", "23:59"), zone),
    )


def late_factor(policy: dict, due_at: dt.datetime, submitted_at: dt.datetime) -> float | None:
    """Multiplier for the raw score of a submission, or None when the hard cutoff refuses it.

    Within ``grace_minutes`` of the deadline: 1.0. Beyond it, lateness is counted in started
    ``penalty_period``s from the deadline itself, ``penalty_percent`` each, never below
    ``floor_percent``. More than ``cutoff_after_hours`` late: refused (None).
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
    """The grade from the (already late-adjusted) scores of the attempts, oldest first."""
    if not attempt_scores:
        return None
    if counts == "last":
        return attempt_scores[-1]
    if counts == "best":
        return max(attempt_scores)
    raise ValueError(f"counts must be 'last' or 'best', got {counts!r}")
