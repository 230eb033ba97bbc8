"""``lms.completion.failing``: ``failing_select`` (one statement) and the stored
``enrollments.labs_failing`` answer exactly what ``lms.completion.progress.progress_for``
says about failing labs, on varied data: last and best policies, a newer version that drops
or re-weights a lab, regrades whose latest job failed, ungraded attempts, a course pass
mark, dropped enrolments, several courses — the column kept by the ORM hook as the data was
written, and after ``refresh_labs_failing``."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.completion.failing import failing_select, refresh_labs_failing
from lms.completion.models import CompletionPolicy
from lms.completion.progress import progress_for
from lms.db import db
from lms.grading.models import JobStatus, Submission
from lms.publishing.models import Assignment
from tests.lms.completion_support import add_attempt, add_job, add_version


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_failing_ids_agree_with_progress_for(seed, make_user, make_course, make_enrollment):
    rng = random.Random(seed)
    courses = [make_course() for _ in range(3)]
    add_version(courses[0], [("lab1", 10.0, "last"), ("lab2", 5.0, "best")])
    first = add_version(courses[1], [("a", 8.0, "best"), ("b", 4.0, "last")])
    add_version(courses[1], [("a", 8.0, "last")], number=2)  # b dropped, a now "last"
    add_version(courses[2], [("x", 12.0, "best")])
    db.session.add(CompletionPolicy(course_id=courses[2].id, lab_pass_percent=80.0))
    db.session.commit()
    labs = {courses[0].id: ["lab1", "lab2"], courses[1].id: ["a", "b"], courses[2].id: ["x"]}
    points = {"lab1": 10.0, "lab2": 5.0, "a": 8.0, "b": 4.0, "x": 12.0}
    users = [make_user() for _ in range(12)]
    for user in users:
        for course in rng.sample(courses, rng.randint(1, 3)):
            enrollment = make_enrollment(user, course)
            if rng.random() < 0.15:
                enrollment.status = EnrollmentStatus.DROPPED
            for name in labs[course.id]:
                for _attempt in range(rng.randint(0, 3)):
                    status = rng.choice([JobStatus.GRADED] * 4 + [JobStatus.FAILED])
                    score = round(rng.uniform(0, points[name]), 2)
                    version = first if name == "b" else None  # b is only in version 1
                    add_attempt(user, course, name, score, status=status, version=version)
    # Regrades against version 2 (a job per submission and assignment): a newer job that
    # failed hides the attempt's earlier grade; a newer graded one replaces it.
    second = max(
        db.session.scalars(
            select(Assignment).where(Assignment.course_id == courses[1].id, Assignment.name == "a")
        ),
        key=lambda a: a.course_version_id,
    )
    # Version-1 attempts of "a" (submitted before version 2 existed), regraded against it.
    for user in users[:6]:
        if db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == user.id, Enrollment.course_id == courses[1].id
            )
        ):
            add_attempt(user, courses[1], "a", round(rng.uniform(0, 8), 2), version=first)
    regraded = select(Submission).where(Submission.assignment_id != second.id)
    regraded = regraded.where(
        Submission.course_id == courses[1].id, Submission.assignment_name == "a"
    )
    for submission in db.session.scalars(regraded).all():
        roll = rng.random()
        if roll < 0.3:
            add_job(submission, second, JobStatus.FAILED)
        elif roll < 0.5:
            add_job(submission, second, JobStatus.GRADED, score=rng.uniform(0, 3))
    db.session.commit()
    expected = {
        eid
        for eid, f in progress_for(db.session.scalars(select(Enrollment.id))).items()
        if f.labs_failed  # any status: the column does not look at it (at risk does)
    }
    assert expected  # the data has failing labs
    stored = set(db.session.scalars(select(Enrollment.id).where(Enrollment.labs_failing)))
    assert stored == expected  # kept by the ORM hook through every write above
    assert set(db.session.scalars(failing_select())) == expected
    one = courses[0].id
    in_one = {e for e in expected if db.session.get(Enrollment, e).course_id == one}
    assert set(db.session.scalars(failing_select(None, {one}))) == in_one
    first_user = select(User.id).where(User.id == users[0].id)
    assert set(db.session.scalars(failing_select(first_user))) == {
        e for e in expected if db.session.get(Enrollment, e).user_id == users[0].id
    }
    db.session.execute(Enrollment.__table__.update().values(labs_failing=False))
    refresh_labs_failing(db.session.connection())
    db.session.commit()
    stored = set(db.session.scalars(select(Enrollment.id).where(Enrollment.labs_failing)))
    assert stored == expected


def test_a_new_pass_mark_updates_the_course_enrolments(make_user, make_course, make_enrollment):
    course = make_course()
    add_version(course, [("lab1", 10.0, "last")])
    user = make_user()
    enrollment = make_enrollment(user, course)
    add_attempt(user, course, "lab1", 7.0)  # 70 %: passes the default 60 %
    assert not db.session.get(Enrollment, enrollment.id).labs_failing
    db.session.add(CompletionPolicy(course_id=course.id, lab_pass_percent=80.0))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Enrollment, enrollment.id).labs_failing
    add_attempt(user, course, "lab1", 9.0)  # the last attempt counts: 90 %
    db.session.expire_all()
    assert not db.session.get(Enrollment, enrollment.id).labs_failing
