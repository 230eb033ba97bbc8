"""``progress_for``: the set-based progress figures reporting and completion rely on."""

from __future__ import annotations

import pytest

from lms.completion.models import CompletionPolicy
from lms.completion.progress import progress_for
from lms.db import db
from lms.grading.gradebook import build_gradebook
from lms.grading.models import JobStatus
from tests.lms.completion_support import (
    add_attempt,
    add_items,
    add_version,
    count_queries,
    mark_done,
)


@pytest.fixture
def course_with_labs(make_course):
    course = make_course()
    add_version(course, [("lab1", 10.0, "last"), ("lab2", 20.0, "best")])
    return course


def test_items_done_give_progress_and_overdue_items_make_the_learner_at_risk(
    make_course, make_user, make_enrollment
):
    course = make_course()
    past = add_items(course, 2, due_days_ago=3)
    future = add_items(course, 2, due_days_ago=-10)
    enrollment = make_enrollment(make_user(), course)
    mark_done(enrollment, [past[0], future[0]])

    figures = progress_for([enrollment.id])[enrollment.id]

    assert (figures.items_done, figures.items_total) == (2, 4)
    assert figures.progress_percent == 50.0
    assert figures.overdue_items == 1
    assert figures.at_risk and figures.at_risk_reasons == ("overdue",)
    assert figures.last_activity_at is not None
    assert figures.score_percent is None


def test_the_counted_grade_follows_last_or_best_and_only_graded_latest_jobs(
    course_with_labs, make_user, make_enrollment
):
    learner = make_user()
    enrollment = make_enrollment(learner, course_with_labs)
    add_attempt(learner, course_with_labs, "lab1", 9.0)
    add_attempt(learner, course_with_labs, "lab1", 4.0)  # "last" counts: 4
    add_attempt(learner, course_with_labs, "lab2", 18.0)
    add_attempt(learner, course_with_labs, "lab2", 10.0)  # "best" counts: 18
    add_attempt(learner, course_with_labs, "lab2", 0, status=JobStatus.QUEUED)

    figures = progress_for([enrollment.id])[enrollment.id]

    assert figures.points_earned == 22.0
    assert figures.points_possible == 30.0
    assert figures.score_percent == pytest.approx(73.33, abs=0.01)
    assert figures.labs_passed == {"lab2"}
    assert figures.labs_failed == {"lab1"}
    assert figures.at_risk_reasons == ("failing_labs",)


def test_figures_agree_with_the_gradebook(course_with_labs, make_user, make_enrollment):
    learners = [make_user() for _ in range(3)]
    enrollments = [make_enrollment(u, course_with_labs) for u in learners]
    add_attempt(learners[0], course_with_labs, "lab1", 7.0)
    add_attempt(learners[0], course_with_labs, "lab1", 3.0)
    add_attempt(learners[1], course_with_labs, "lab2", 12.0)
    add_attempt(learners[1], course_with_labs, "lab2", 19.5)
    add_attempt(learners[1], course_with_labs, "lab2", 1.0, status=JobStatus.FAILED)

    figures = progress_for([e.id for e in enrollments])
    book = build_gradebook(course_with_labs)

    for row in book.rows:
        mine = figures[row.enrollment.id]
        expected = sum(c.grade or 0.0 for c in row.cells.values())
        assert mine.points_earned == pytest.approx(expected)
        graded = {name for name, c in row.cells.items() if c.grade is not None}
        assert mine.labs_passed | mine.labs_failed == graded


def test_a_course_pass_mark_decides_which_labs_are_passed(
    course_with_labs, make_user, make_enrollment
):
    learner = make_user()
    enrollment = make_enrollment(learner, course_with_labs)
    add_attempt(learner, course_with_labs, "lab1", 7.0)
    assert progress_for([enrollment.id])[enrollment.id].labs_passed == {"lab1"}

    db.session.add(CompletionPolicy(course_id=course_with_labs.id, lab_pass_percent=80.0))
    db.session.commit()

    assert progress_for([enrollment.id])[enrollment.id].labs_failed == {"lab1"}


def test_a_course_without_items_counts_its_submitted_assignments(
    course_with_labs, make_user, make_enrollment
):
    learner = make_user()
    enrollment = make_enrollment(learner, course_with_labs)
    add_attempt(learner, course_with_labs, "lab2", 0, status=JobStatus.RUNNING)

    figures = progress_for([enrollment.id])[enrollment.id]

    assert (figures.items_done, figures.items_total) == (1, 2)
    assert figures.score_percent is None
    assert figures.last_activity_at is not None


def test_completed_enrolments_are_never_at_risk(make_course, make_user, make_enrollment):
    course = make_course()
    add_items(course, 1, due_days_ago=2)
    enrollment = make_enrollment(make_user(), course, status="completed")

    figures = progress_for([enrollment.id])[enrollment.id]

    assert figures.overdue_items == 1 and not figures.at_risk


def test_unknown_ids_are_left_out_and_nothing_asked_is_free(make_course):
    with count_queries() as statements:
        assert progress_for([]) == {}
    assert statements == []
    assert progress_for([987654]) == {}


def test_the_query_count_does_not_grow_with_the_number_of_enrolments(
    make_course, make_user, make_enrollment
):
    def measure(n_courses: int, n_learners: int) -> int:
        ids = []
        for _ in range(n_courses):
            course = make_course()
            add_version(course, [("lab1", 10.0, "best")])
            items = add_items(course, 3, due_days_ago=1)
            for _ in range(n_learners):
                user = make_user()
                enrollment = make_enrollment(user, course)
                mark_done(enrollment, items[:1])
                add_attempt(user, course, "lab1", 5.0)
                ids.append(enrollment.id)
        db.session.expire_all()
        with count_queries() as statements:
            figures = progress_for(ids)
        assert len(figures) == len(ids)
        return len(statements)

    assert measure(1, 1) == measure(3, 4)
