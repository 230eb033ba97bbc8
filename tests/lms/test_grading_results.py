"""Dispatch, record_result (idempotent), collect and the sweeper."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from autograder.contract import Result
from autograder.dispatch.common import not_gradable
from lms.db import db, utcnow
from lms.grading.backends import BACKENDS, FakeBackend, get_backend
from lms.grading.models import GradingResult, JobStatus, ResultPart
from lms.grading.results import collect_once, dispatch_job, recompute, record_result, sweep
from lms.grading.submission import grant_extension, submit
from lms.publishing.services import current_assignment
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    published,
    release_bytes,
    solution_bytes,
)


@pytest.fixture
def queued(enrolled, published):
    """``queued(notebook=None)`` → a committed submission whose job was dispatched."""

    def factory(notebook: bytes | None = None, learner=None):
        lab1 = current_assignment(published.course, LAB1)
        submission = submit(learner or enrolled(), lab1, notebook or solution_bytes())
        db.session.commit()
        assert dispatch_job(submission.job)
        db.session.commit()
        return submission

    return factory


def _graded(submission) -> Result:
    return FakeBackend.grade(get_backend().pending[submission.job.backend_job_id])


def test_backends_are_registered_by_name():
    assert set(BACKENDS) == {"local", "celery", "fake"}


def test_dispatch_sets_the_lease_and_queued_time(queued):
    job = queued().job
    assert job.dispatches == 1 and job.queued_at is not None
    assert job.lease_expires_at > utcnow() + timedelta(minutes=10)


def test_a_correct_and_a_blank_notebook_get_their_scores(queued, published):
    lab1 = current_assignment(published.course, LAB1)
    right, blank = queued(), queued(release_bytes(lab1))
    assert collect_once() == 2
    db.session.commit()
    assert right.job.status == JobStatus.GRADED and blank.job.status == JobStatus.GRADED
    assert right.job.result.score == 10.0  # every test; the 2-point reflection is manual
    assert blank.job.result.score == 0.0
    assert right.job.finished_at is not None and right.job.lease_expires_at is None


def test_recording_the_same_result_twice_counts_once(queued):
    submission = queued()
    result = _graded(submission)
    first = record_result(submission.job.id, result)
    again = record_result(submission.job.id, result.to_json())
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(select(func.count(GradingResult.id))) == 1
    assert db.session.scalar(select(func.count(ResultPart.id))) == len(result.cells)


def test_a_malformed_result_is_refused_and_changes_nothing(queued):
    submission = queued()
    with pytest.raises(ValueError, match="result"):
        record_result(submission.job.id, '{"job_id": "x"}')
    with pytest.raises(ValueError, match="given for job"):
        record_result(submission.job.id, not_gradable("lms-other", "x"))
    assert submission.job.status == JobStatus.QUEUED


def test_not_gradable_is_never_a_zero(queued):
    submission = queued()
    row = record_result(submission.job.id, not_gradable(submission.job.backend_job_id, "sandbox"))
    db.session.commit()
    assert submission.job.status == JobStatus.NOT_GRADABLE and submission.job.reason == "sandbox"
    assert row.score is None and row.earned is None


def test_the_late_factor_applies_to_the_score(enrolled, published):
    learner = enrolled()
    grant_extension(None, published.course, LAB1, learner, utcnow() - timedelta(hours=25))
    submission = submit(learner, current_assignment(published.course, LAB1), solution_bytes())
    db.session.commit()
    dispatch_job(submission.job)
    collect_once()
    assert submission.job.result.score == pytest.approx(8.0)


def test_manual_points_win_over_automatic_ones(queued):
    submission = queued()
    collect_once()
    row = submission.job.result
    reflection = next(p for p in row.parts if p.kind == "manual")
    test = next(p for p in row.parts if p.kind == "test")
    reflection.manual_earned, test.manual_earned = 2.0, 0.0
    recompute(row)
    assert row.earned == 10.0 - test.auto_earned + 2.0


def test_running_jobs_are_marked_when_the_backend_says_so(queued, monkeypatch):
    submission = queued()
    backend = get_backend()
    backend.hold = True
    monkeypatch.setattr(backend, "running", lambda ids: set(ids))
    collect_once()
    assert submission.job.status == JobStatus.RUNNING and submission.job.started_at


def test_the_sweeper_dispatches_again_after_a_lost_lease(queued):
    submission = queued()
    backend = get_backend()
    backend.hold = True  # the worker died: no result comes
    assert collect_once() == 0
    assert sweep() == 0  # lease still valid
    later = utcnow() + timedelta(hours=1)
    assert sweep(now=later) == 1
    assert submission.job.dispatches == 2
    assert backend.dispatched[submission.job.backend_job_id] == 2
    backend.hold = False
    assert collect_once() == 1
    assert submission.job.status == JobStatus.GRADED


def test_a_job_without_result_after_max_dispatches_fails(app, queued):
    app.config["LMS_GRADING_MAX_DISPATCHES"] = 2
    submission = queued()
    get_backend().hold = True
    sweep(now=utcnow() + timedelta(hours=1))
    sweep(now=utcnow() + timedelta(hours=2))
    assert submission.job.status == JobStatus.FAILED
    assert "2 dispatches" in submission.job.reason


def test_a_failed_dispatch_is_retried_by_the_sweeper(enrolled, published):
    submission = submit(enrolled(), current_assignment(published.course, LAB1), solution_bytes())
    db.session.commit()
    backend = get_backend()
    backend.fail_dispatch = True
    assert dispatch_job(submission.job) is False
    assert submission.job.dispatches == 0 and submission.job.status == JobStatus.QUEUED
    backend.fail_dispatch = False
    assert sweep(now=utcnow() + timedelta(minutes=1)) == 1
    assert collect_once() == 1


def test_an_instructor_sets_manual_points_and_it_is_audited(queued, published, make_user):
    from lms.audit.models import AuditEvent
    from lms.grading.review import set_manual_score

    submission = queued()
    collect_once()
    row = submission.job.result
    reflection = next(p for p in row.parts if p.kind == "manual")
    instructor = make_user(role="instructor")
    published.course.instructors.append(instructor)
    set_manual_score(instructor, reflection, 2.0, "clear argument")
    db.session.commit()
    assert row.earned == 12.0 and row.score == 12.0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grade.manual"))
    assert event.actor_id == instructor.id and event.details["new"] == 2.0


def test_manual_points_are_checked_and_only_course_staff_may_set_them(queued, make_user):
    from lms.errors import Forbidden, ValidationError
    from lms.grading.review import set_manual_score

    submission = queued()
    collect_once()
    reflection = next(p for p in submission.job.result.parts if p.kind == "manual")
    with pytest.raises(ValidationError):
        set_manual_score(None, reflection, 99.0)
    with pytest.raises(Forbidden):
        set_manual_score(make_user(role="instructor"), reflection, 1.0)


def test_the_counted_grade_is_the_best_attempt(app, enrolled, published):
    from lms.grading.review import assignment_grade

    app.config["LMS_DOUBLE_SUBMIT_WINDOW_S"] = 0
    learner = enrolled()
    lab1 = current_assignment(published.course, LAB1)
    for notebook in (solution_bytes(), release_bytes(lab1)):
        submission = submit(learner, lab1, notebook)
        db.session.commit()
        dispatch_job(submission.job)
    collect_once()
    assert assignment_grade(learner, published.course, LAB1) == 10.0  # counts = "best"


def test_feedback_release_is_idempotent(published, make_user):
    from lms.grading.review import release_feedback

    first = release_feedback(None, published.course, LAB1)
    assert release_feedback(None, published.course, LAB1).id == first.id
    from lms.errors import Forbidden

    with pytest.raises(Forbidden):
        release_feedback(make_user(), published.course, LAB1)


def test_an_unknown_backend_is_named_in_the_error(app):
    app.config["LMS_GRADING_BACKEND"] = "carrier-pigeon"
    app.extensions.pop("lms_grading_backend", None)
    result = app.test_cli_runner().invoke(args=["grading", "collect", "--once"])
    assert result.exit_code == 1
    assert "LMS_GRADING_BACKEND must be one of celery, fake, local" in result.output


def test_collect_once_from_the_command_line_records_results(app, queued):
    submission = queued()
    result = app.test_cli_runner().invoke(args=["grading", "collect", "--once"])
    assert result.exit_code == 0 and "recorded 1 result(s)" in result.output
    db.session.expire_all()
    assert submission.job.status == JobStatus.GRADED
