"""Rubrics for manually graded cells: staff add criteria with points, tick them for a
learner's answer, and the cell's manual points become their sum (capped), audited."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.errors import Forbidden, ValidationError
from lms.grading.models import ResultPart
from lms.grading.results import collect_once, dispatch_job
from lms.grading.rubric import add_criterion, apply_rubric, criteria_for, ticked_ids
from lms.grading.submission import submit
from lms.publishing.services import current_assignment
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    solution_bytes,
)


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


def _graded(published, learner, marker=""):
    submission = submit(learner, current_assignment(published.course, LAB1), solution_bytes(marker))
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


@pytest.fixture
def graded(published, enrolled):
    return _graded(published, enrolled())


def _part(submission, kind="manual") -> ResultPart:
    return next(p for p in submission.job.result.parts if p.kind == kind)


def test_ticked_criteria_set_the_manual_points_and_the_score(instructor, graded):
    part = _part(graded)
    first = add_criterion(instructor, part, "센서 오류와 공정 이상을 구분함", 1)
    add_criterion(instructor, part, "현장 확인 방법을 제시함", 1)
    db.session.commit()
    apply_rubric(instructor, part, [first.id], "한 가지가 빠졌습니다")
    db.session.commit()
    assert part.manual_earned == 1 and graded.job.result.score == 11
    assert ticked_ids(part) == {first.id}
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"rubric.criterion", "rubric.applied", "grade.manual"} <= actions


def test_the_rubric_is_shared_by_every_learner_of_that_cell(instructor, published, enrolled):
    one, two = _graded(published, enrolled(), "a"), _graded(published, enrolled(), "b")
    add_criterion(instructor, _part(one), "근거가 있음", 2)
    db.session.commit()
    assert [c.text for c in criteria_for(_part(two))] == ["근거가 있음"]


def test_ticking_nothing_gives_zero_and_the_sum_is_capped(instructor, graded):
    part = _part(graded)
    a = add_criterion(instructor, part, "a", 2)
    b = add_criterion(instructor, part, "b", 2)
    apply_rubric(instructor, part, [a.id, b.id])
    assert part.manual_earned == part.possible == 2
    apply_rubric(instructor, part, [])
    assert part.manual_earned == 0 and ticked_ids(part) == set()


@pytest.mark.parametrize(
    ("text", "points", "code"),
    [
        ("", 1, "invalid_text"),
        ("x" * 301, 1, "invalid_text"),
        ("ok", 0, "invalid_points"),
        ("ok", 3, "invalid_points"),
    ],
)
def test_bad_criteria_are_refused_with_the_reason(instructor, graded, text, points, code):
    with pytest.raises(ValidationError) as info:
        add_criterion(instructor, _part(graded), text, points)
    assert info.value.code == code


def test_a_duplicate_criterion_and_a_test_cell_are_refused(instructor, graded):
    add_criterion(instructor, _part(graded), "same", 1)
    with pytest.raises(ValidationError):
        add_criterion(instructor, _part(graded), "same", 1)
    with pytest.raises(ValidationError):
        add_criterion(instructor, _part(graded, "test"), "tests have no rubric", 1)


def test_a_criterion_of_another_cell_cannot_be_ticked(instructor, published, enrolled, graded):
    part = _part(graded)
    with pytest.raises(ValidationError):
        apply_rubric(instructor, part, [999999])


def test_learners_cannot_define_or_apply_rubrics(graded, instructor):
    part = _part(graded)
    with pytest.raises(Forbidden):
        add_criterion(graded.user, part, "mine", 1)
    criterion = add_criterion(instructor, part, "theirs", 1)
    with pytest.raises(Forbidden):
        apply_rubric(graded.user, part, [criterion.id])


def test_a_regrade_keeps_the_ticked_criteria_and_their_points(
    instructor, published, graded, package_copy
):
    from lms.grading.regrade import dispatch_regrade, regrade_assignment
    from lms.publishing.services import publish

    criterion = add_criterion(instructor, _part(graded), "근거가 있음", 1)
    apply_rubric(instructor, _part(graded), [criterion.id], "ok")
    db.session.commit()
    publish(None, package_copy(lambda t: t.replace("max = 10", "max = 9", 1)))
    db.session.commit()
    _target, jobs = regrade_assignment(instructor, published.course, LAB1)
    db.session.commit()
    dispatch_regrade(jobs)
    db.session.commit()
    collect_once()
    db.session.commit()
    db.session.refresh(graded)
    new_part = _part(graded)
    assert new_part.result.course_version_id != published.id
    assert ticked_ids(new_part) == {criterion.id} and new_part.manual_earned == 1
