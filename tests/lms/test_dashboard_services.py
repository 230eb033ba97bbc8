"""Dashboard and catalogue queries: right content, and a number of SQL statements that does
not grow with the data (counted with a SQLAlchemy event listener)."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from lms.accounts.models import User
from lms.admin.services import add_course_item
from lms.catalog.models import Course, Progress
from lms.catalog.queries import CatalogueFilter, list_courses, list_programmes
from lms.dashboard.queries import course_roster, instructor_dashboard, learner_dashboard
from lms.db import db, utcnow


@contextmanager
def count_statements():
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def _fresh(model, obj_id):
    """Start from an empty session, as a new request would."""
    db.session.remove()
    return db.session.get(model, obj_id)


@pytest.fixture
def fill(make_user, make_course, make_enrollment, make_programme, make_cohort):
    """``fill(n)``: a learner enrolled in n courses (half completed), each course with three
    items (one due next week), progress on the first item, and a programme of all of them.
    Returns (learner id, instructor id, first course id)."""

    def build(n: int):
        learner, teacher = make_user(), make_user(role="instructor")
        courses = []
        for i in range(n):
            course = make_course(instructors=[teacher])
            cohort = make_cohort(course)
            items = [
                add_course_item(None, course, "lesson", "수업", "Lesson"),
                add_course_item(None, course, "lab", "실습", "Lab"),
                add_course_item(
                    None,
                    course,
                    "assignment",
                    "과제",
                    "Assignment",
                    due_at=utcnow() + timedelta(days=7 + i),
                ),
            ]
            status = "completed" if i % 2 else "active"
            enrollment = make_enrollment(learner, course, status=status, cohort=cohort)
            make_enrollment(make_user(), course)
            db.session.add(Progress(enrollment_id=enrollment.id, item_id=items[0].id))
            courses.append(course)
        make_programme(courses)
        db.session.commit()
        return learner.id, teacher.id, courses[0].id

    return build


def _learner_count(learner_id):
    user = _fresh(User, learner_id)
    with count_statements() as statements:
        board = learner_dashboard(user)
    return board, len(statements)


def test_learner_dashboard_shows_progress_programmes_and_deadlines(fill):
    learner_id, _teacher, _course = fill(4)
    board, _count = _learner_count(learner_id)
    assert len(board.courses) == 4
    assert all((c.done, c.total) == (1, 3) for c in board.courses)
    assert [round(c.percent) for c in board.courses] == [33] * 4
    assert [(p.completed, p.total) for p in board.programmes] == [(2, 4)]
    # Deadlines only from active enrolments, soonest first.
    assert len(board.deadlines) == 2
    assert board.deadlines[0].due_at < board.deadlines[1].due_at


def test_learner_dashboard_query_count_does_not_grow(fill):
    small_id, *_ = fill(1)
    large_id, *_ = fill(12)
    _board, small = _learner_count(small_id)
    board, large = _learner_count(large_id)
    assert len(board.courses) == 12
    assert small == large <= 6


def test_empty_learner_dashboard(make_user):
    board, count = _learner_count(make_user().id)
    assert board.courses == [] and board.programmes == [] and board.deadlines == []
    assert count <= 2


def test_instructor_dashboard_counts_and_query_count(fill):
    _l1, small_teacher, _c1 = fill(1)
    _l2, large_teacher, _c2 = fill(8)
    teacher = _fresh(User, small_teacher)
    with count_statements() as small:
        instructor_dashboard(teacher)
    teacher = _fresh(User, large_teacher)
    with count_statements() as large:
        taught = instructor_dashboard(teacher)
    assert len(taught) == 8 and all(t.enrolled == 2 for t in taught)
    assert all(len(t.course.cohorts) == 1 for t in taught)
    assert len(small) == len(large) <= 3


def test_course_roster_query_count_does_not_grow(make_user, make_course, make_enrollment):
    teacher = make_user(role="instructor")
    small_course = make_course(instructors=[teacher])
    large_course = make_course(instructors=[teacher])
    add_course_item(None, large_course, "lesson", "수업", "Lesson")
    make_enrollment(make_user(), small_course)
    for _ in range(15):
        make_enrollment(make_user(), large_course)
    db.session.commit()
    counts = []
    for course_id in (small_course.id, large_course.id):
        teacher_now = _fresh(User, teacher.id)
        course = db.session.get(Course, course_id)
        with count_statements() as statements:
            roster = course_roster(teacher_now, course)
            [r.enrollment.user.email for r in roster]
            [r.enrollment.cohort for r in roster]
        counts.append(len(statements))
    assert len(roster) == 15 and all(r.total == 1 for r in roster)
    assert counts[0] == counts[1] <= 5


def test_catalogue_query_count_does_not_grow(make_course, make_programme):
    make_programme([make_course()], audience=["worker"])
    db.session.remove()
    with count_statements() as small:
        list_courses(CatalogueFilter(segment="worker"))
        [len(p.entries) for p in list_programmes()]
    make_programme([make_course() for _ in range(10)], audience=["worker"])
    db.session.remove()
    with count_statements() as large:
        courses = list_courses(CatalogueFilter(segment="worker"))
        [[e.course.slug for e in p.entries] for p in list_programmes()]
    assert len(courses) == 11
    assert len(small) == len(large) <= 8
