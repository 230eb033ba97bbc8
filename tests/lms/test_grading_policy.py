"""The portal's policy rules agree with the reference in courses/_tools/policies.py."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from lms.grading import policy

_REF = Path(__file__).resolve().parents[2] / "courses" / "_tools" / "policies.py"
_spec = importlib.util.spec_from_file_location("reference_policies", _REF)
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)

DUE = dt.datetime(2027, 3, 9, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))
POLICIES = [
    {"grace_minutes": 15, "penalty_percent": 10, "penalty_period": "day", "floor_percent": 50,
     "cutoff_after_hours": 168},
    {"grace_minutes": 0, "penalty_percent": 5, "penalty_period": "hour", "floor_percent": 0},
    {"grace_minutes": 60, "penalty_percent": 0, "penalty_period": "day", "floor_percent": 60,
     "cutoff_after_hours": 48},
]  # fmt: skip
LATENESS_MIN = [-60, 0, 10, 15, 16, 61, 60 * 25, 60 * 49, 60 * 24 * 6, 60 * 24 * 8, 60 * 24 * 30]


@pytest.mark.parametrize("rules", POLICIES)
@pytest.mark.parametrize("minutes", LATENESS_MIN)
def test_late_factor_matches_the_reference(rules, minutes):
    submitted = DUE + dt.timedelta(minutes=minutes)
    assert policy.late_factor(rules, DUE, submitted) == reference.late_factor(rules, DUE, submitted)


def test_the_readme_example():
    rules = POLICIES[0]
    assert policy.late_factor(rules, DUE, DUE + dt.timedelta(minutes=10)) == 1.0
    assert policy.late_factor(rules, DUE, DUE + dt.timedelta(minutes=16)) == 0.9
    assert policy.late_factor(rules, DUE, DUE + dt.timedelta(days=2, hours=1)) == 0.7
    assert policy.late_factor(rules, DUE, DUE + dt.timedelta(days=6)) == 0.5
    assert policy.late_factor(rules, DUE, DUE + dt.timedelta(days=8)) is None


@pytest.mark.parametrize(
    "schedule",
    [
        {"opens_after_days": 0, "due_after_days": 7, "open_time": "09:00", "due_time": "23:59"},
        {"opens_after_days": 3, "due_after_days": 10},
        {"opens_at": "2027-03-02T09:00:00+09:00", "due_at": "2027-03-09T23:59:00+09:00"},
    ],
)
def test_schedules_match_the_reference(schedule):
    start = dt.date(2027, 3, 2)
    assert policy.resolve_schedule(schedule, start) == reference.resolve_schedule(schedule, start)


def test_naive_datetimes_and_missing_start_are_refused():
    with pytest.raises(ValueError):
        policy.late_factor(POLICIES[0], DUE.replace(tzinfo=None), DUE)
    with pytest.raises(ValueError):
        policy.resolve_schedule({"opens_after_days": 0, "due_after_days": 1}, None)


def test_counted_score_last_or_best():
    assert policy.counted_score([3.0, 9.0, 5.0], "last") == 5.0
    assert policy.counted_score([3.0, 9.0, 5.0], "best") == 9.0
    assert policy.counted_score([], "best") is None
