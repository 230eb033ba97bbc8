"""The reference semantics of schedules, late penalties and attempts (courses/README.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from check_courses import COURSES, load_course
from policies import counted_score, late_factor, resolve_schedule

KST = dt.timezone(dt.timedelta(hours=9))
DUE = dt.datetime(2027, 3, 12, 23, 59, tzinfo=KST)
README_POLICY = {
    "grace_minutes": 15,
    "penalty_percent": 10,
    "penalty_period": "day",
    "floor_percent": 50,
    "cutoff_after_hours": 168,
}


@pytest.mark.parametrize(
    ("late", "factor"),
    [
        (dt.timedelta(minutes=-30), 1.0),
        (dt.timedelta(minutes=10), 1.0),
        (dt.timedelta(minutes=15), 1.0),
        (dt.timedelta(minutes=16), 0.9),
        (dt.timedelta(days=2, hours=1), 0.7),
        (dt.timedelta(days=6), 0.5),
        (dt.timedelta(days=7), 0.5),
        (dt.timedelta(days=8), None),
    ],
)
def test_readme_late_penalty_examples(late, factor):
    assert late_factor(README_POLICY, DUE, DUE + late) == factor


def test_hourly_penalty_counts_started_hours_and_no_cutoff_accepts_late_work():
    policy = {
        "grace_minutes": 0,
        "penalty_percent": 2,
        "penalty_period": "hour",
        "floor_percent": 40,
    }
    assert late_factor(policy, DUE, DUE + dt.timedelta(minutes=61)) == 0.96
    assert late_factor(policy, DUE, DUE + dt.timedelta(days=400)) == 0.4


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        late_factor(README_POLICY, DUE.replace(tzinfo=None), DUE)


def test_relative_schedule_resolves_in_the_cohort_time_zone():
    schedule = {"opens_after_days": 7, "due_after_days": 14, "open_time": "09:00"}
    opens, due = resolve_schedule(schedule, dt.date(2027, 3, 2), "Asia/Seoul")
    assert opens == dt.datetime(2027, 3, 9, 9, 0, tzinfo=KST)
    assert due == dt.datetime(2027, 3, 16, 23, 59, tzinfo=KST)
    assert due.astimezone(dt.UTC) == dt.datetime(2027, 3, 16, 14, 59, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="cohort"):
        resolve_schedule(schedule)


def test_every_starter_schedule_resolves_with_due_after_opens():
    for course_dir in sorted(p for p in COURSES.iterdir() if (p / "course.toml").is_file()):
        for assignment in load_course(course_dir)["assignments"]:
            opens, due = resolve_schedule(assignment["schedule"], dt.date(2027, 3, 2))
            assert due > opens, (course_dir.name, assignment["name"])


def test_counted_attempt_is_last_or_best():
    assert counted_score([6.0, 9.0, 7.0], "last") == 7.0
    assert counted_score([6.0, 9.0, 7.0], "best") == 9.0
    assert counted_score([], "best") is None
    with pytest.raises(ValueError):
        counted_score([1.0], "first")
