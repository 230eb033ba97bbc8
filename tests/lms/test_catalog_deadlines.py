"""``enrollments.next_due_at`` (``lms.catalog.deadlines``): the earliest due date among the
course's items an enrolment has not done, kept right by every ORM change that moves it —
progress recorded or removed, items added, re-dated or removed, enrolments created — and by
``refresh_next_due`` after bulk loads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from lms.catalog.deadlines import next_due_expression, refresh_next_due
from lms.catalog.models import CourseItem, Enrollment, ItemKind, Progress
from lms.db import db, utcnow
from tests.lms.reporting_support import add_items, complete


def _next_due(enrollment: Enrollment):
    return db.session.scalar(select(Enrollment.next_due_at).where(Enrollment.id == enrollment.id))


def _close(a, b) -> bool:
    return a is not None and b is not None and abs((a - b).total_seconds()) < 1


def _item(course, position: int, due) -> CourseItem:
    item = CourseItem(
        course=course,
        position=position,
        kind=ItemKind.LAB,
        title_ko=f"실습 {position}",
        title_en=f"Lab {position}",
        due_at=due,
    )
    db.session.add(item)
    db.session.commit()
    return item


def test_a_new_enrolment_starts_with_the_course_first_deadline(
    make_user, make_course, make_enrollment
):
    course = make_course()
    items = add_items(course, 3, overdue=2)
    enrollment = make_enrollment(make_user(), course)
    assert _close(_next_due(enrollment), items[0].due_at)


def test_progress_moves_the_deadline_on_and_clears_it(make_user, make_course, make_enrollment):
    course = make_course()
    later = _item(course, 1, utcnow() + timedelta(days=7))
    sooner = _item(course, 2, utcnow() - timedelta(days=1))
    _item(course, 3, None)  # no deadline: never counts
    enrollment = make_enrollment(make_user(), course)
    assert _close(_next_due(enrollment), sooner.due_at)
    complete(enrollment, [sooner])
    assert _close(_next_due(enrollment), later.due_at)
    complete(enrollment, [later])
    assert _next_due(enrollment) is None
    db.session.delete(db.session.scalar(select(Progress).where(Progress.item_id == later.id)))
    db.session.commit()
    assert _close(_next_due(enrollment), later.due_at)


def test_items_added_redated_or_removed_update_every_enrolment(
    make_user, make_course, make_enrollment
):
    course = make_course()
    first = _item(course, 1, utcnow() + timedelta(days=3))
    a = make_enrollment(make_user(), course)
    b = make_enrollment(make_user(), course)
    complete(b, [first])
    assert _next_due(b) is None
    overdue = _item(course, 2, utcnow() - timedelta(hours=2))
    assert _close(_next_due(a), overdue.due_at) and _close(_next_due(b), overdue.due_at)
    overdue.due_at = utcnow() + timedelta(days=10)
    db.session.commit()
    assert _close(_next_due(a), first.due_at)
    assert _close(_next_due(b), overdue.due_at)
    db.session.delete(overdue)
    db.session.commit()
    assert _next_due(b) is None and _close(_next_due(a), first.due_at)


def test_refresh_after_a_bulk_change_recomputes_every_enrolment(
    make_user, make_course, make_enrollment
):
    course = make_course()
    item = _item(course, 1, utcnow() - timedelta(days=1))
    enrollment = make_enrollment(make_user(), course)
    # A bulk statement bypasses the ORM hook: the column is stale until refreshed.
    db.session.execute(update(Enrollment).values(next_due_at=None))
    db.session.commit()
    assert _next_due(enrollment) is None
    refresh_next_due(db.session.connection())
    db.session.commit()
    assert _close(_next_due(enrollment), item.due_at)
    expected = db.session.scalar(
        select(next_due_expression()).where(Enrollment.__table__.c.id == enrollment.id)
    )
    assert _close(expected, item.due_at)
