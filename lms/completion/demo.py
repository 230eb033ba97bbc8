"""Demo data: a completion policy with an attendance criterion on one course, and live
sessions of its cohort with the demo learner's attendance (idempotent; flushes)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.completion.attendance import cohort_sessions, create_session, record_attendance
from lms.completion.models import AttendanceStatus
from lms.completion.policies import PolicyTerms, course_policy, set_course_policy

DEMO_TERMS = PolicyTerms(
    min_progress_percent=80.0,
    min_score_percent=60.0,
    lab_pass_percent=60.0,
    min_attendance_percent=75.0,
)


def load_completion_demo(counter: list[int], course: Course, learner: User) -> None:
    """Give ``course`` the demo policy and its first cohort three weekly live sessions (two
    held: the learner attended one, was late to none, absent from the other)."""
    if course_policy(course) is None:
        set_course_policy(None, course, DEMO_TERMS)
        counter[0] += 1
    if not course.cohorts or cohort_sessions(course.cohorts[0]):
        return
    cohort = course.cohorts[0]
    start = datetime.combine(cohort.starts_on, time(10, 0), UTC)  # 19:00 in Seoul
    sessions = [
        create_session(None, cohort, f"{week}주차 실시간 실습 (Live lab, week {week})", at, 90)
        for week, at in ((1, start + timedelta(days=2)), (2, start + timedelta(days=9)))
    ]
    create_session(
        None, cohort, "3주차 실시간 실습 (Live lab, week 3)", start + timedelta(days=16), 90
    )
    marks = (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT)
    for session, mark in zip(sessions, marks, strict=True):
        record_attendance(None, session, {learner.id: mark})
    counter[0] += 3
