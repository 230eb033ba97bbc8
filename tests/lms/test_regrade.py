"""Regrade: after a fixed version is published, every submission of an assignment is graded
again on it — once, with new result rows, manual points kept, and a view of what changed."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.errors import Forbidden, NotFound
from lms.grading.backends import FakeBackend
from lms.grading.models import GradingJob, GradingResult, Submission
from lms.grading.regrade import dispatch_regrade, regrade_assignment, regrade_changes
from lms.grading.results import build_job, collect_once, dispatch_job, record_result
from lms.grading.review import assignment_grade, set_manual_score
from lms.grading.submission import submit
from lms.publishing.services import current_assignment, publish
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    release_bytes,
    solution_bytes,
)


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


def _grade_all() -> None:
    db.session.commit()
    for job in db.session.scalars(select(GradingJob).where(GradingJob.dispatches == 0)):
        dispatch_job(job)
    db.session.commit()
    collect_once()
    db.session.commit()


@pytest.fixture
def graded(published, enrolled):
    """Two learners: one solved (attempts 1 and 2), one blank; all graded on version 1."""
    lab1 = current_assignment(published.course, LAB1)
    solver, blank = enrolled(), enrolled()
    submissions = [
        submit(solver, lab1, solution_bytes("a")),
        submit(solver, lab1, solution_bytes("b")),
        submit(blank, lab1, release_bytes(lab1)),
    ]
    _grade_all()
    return submissions


@pytest.fixture
def version2(published, package_copy, graded):
    version, created = publish(None, package_copy(lambda t: t.replace("max = 10", "max = 9", 1)))
    db.session.commit()
    assert created and version.number == 2
    return version


def _regrade(course, actor=None) -> list[GradingJob]:
    _target, jobs = regrade_assignment(actor, course, LAB1)
    db.session.commit()
    dispatch_regrade(jobs)
    db.session.commit()
    return jobs


def test_every_submission_gets_one_job_on_the_new_version(published, version2, graded):
    jobs = _regrade(published.course)
    new_lab1 = current_assignment(published.course, LAB1)
    assert sorted(j.submission_id for j in jobs) == sorted(s.id for s in graded)
    assert {j.assignment_id for j in jobs} == {new_lab1.id}
    assert all(j.dispatches == 1 for j in jobs)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grade.regrade"))
    assert event.details["jobs"] == 3 and event.details["version_id"] == version2.id


def test_a_second_regrade_on_the_same_version_adds_no_job(published, version2, graded):
    _regrade(published.course)
    assert _regrade(published.course) == []
    assert db.session.scalar(select(func.count(GradingJob.id))) == 6


def test_regrading_without_a_new_version_does_nothing(published, graded):
    assert _regrade(published.course) == []


def test_new_results_are_added_and_old_ones_keep_their_version(published, version2, graded):
    _regrade(published.course)
    collect_once()
    db.session.commit()
    for submission in graded:
        results = db.session.scalars(
            select(GradingResult)
            .where(GradingResult.submission_id == submission.id)
            .order_by(GradingResult.id)
        ).all()
        assert [r.course_version_id for r in results] == [published.id, version2.id]


def test_manual_points_are_kept_and_still_win(published, version2, graded, instructor):
    first = graded[0]
    reflection = next(p for p in first.job.result.parts if p.kind == "manual")
    set_manual_score(instructor, reflection, 2, "좋아요")
    db.session.commit()
    _regrade(published.course)
    collect_once()
    db.session.commit()
    db.session.refresh(first)
    new = first.job.result
    kept = next(p for p in new.parts if p.kind == "manual")
    assert new.course_version_id == version2.id
    assert (kept.manual_earned, kept.manual_comment) == (2, "좋아요")
    assert new.score == 12


def _record_with_a_failing_test(job: GradingJob) -> str:
    """The fake grader's result for ``job`` with its first passing test now failing."""
    result = FakeBackend.grade(build_job(job))
    index = next(i for i, c in enumerate(result.cells) if c.kind == "test" and c.earned)
    cell = result.cells[index]
    cells = list(result.cells)
    cells[index] = dataclasses.replace(cell, earned=0.0, status="failed")
    record_result(
        job.id, dataclasses.replace(result, cells=cells, earned=result.earned - cell.earned)
    )
    db.session.commit()
    return cell.cell_id


def test_what_changed_shows_old_and_new_points_and_the_changed_test(published, version2, graded):
    jobs = _regrade(published.course)
    changed = next(j for j in jobs if j.submission_id == graded[1].id)
    cell_id = _record_with_a_failing_test(changed)
    _target, rows = regrade_changes(published.course, LAB1)
    by_submission = {row.submission.id: row for row in rows}
    row = by_submission[graded[1].id]
    assert row.old.auto_earned == 10 and row.delta < 0
    assert row.tests == [(cell_id, "passed", "failed")]
    pending = by_submission[graded[0].id]
    assert pending.status == "queued" and pending.new is None and pending.delta is None


def test_best_attempt_is_taken_from_the_regraded_results(published, version2, graded):
    solver = graded[0].user
    assert assignment_grade(solver, published.course, LAB1) == 10
    jobs = _regrade(published.course)
    for job in jobs:
        if job.submission.user_id == solver.id:
            _record_with_a_failing_test(job)
    assert assignment_grade(solver, published.course, LAB1) < 10


def test_a_learner_cannot_regrade(published, version2, graded):
    with pytest.raises(Forbidden):
        regrade_assignment(graded[0].user, published.course, LAB1)


def test_an_unknown_assignment_is_not_found(published, graded):
    with pytest.raises(NotFound):
        regrade_assignment(None, published.course, "no-such-lab")


def test_only_submissions_of_that_assignment_are_regraded(published, version2, graded):
    jobs = _regrade(published.course)
    assert {db.session.get(Submission, j.submission_id).assignment_name for j in jobs} == {LAB1}
