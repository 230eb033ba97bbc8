"""submit(): the rules a learner's notebook must pass, each with a clear error."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.db import db, utcnow
from lms.errors import Conflict, DomainError, Forbidden, ValidationError
from lms.grading.models import GradingJob, JobStatus, Submission
from lms.grading.submission import grant_extension, submit
from lms.publishing.services import current_assignment, publish
from lms.storage import blob_store
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
def lab1(published):
    return current_assignment(published.course, LAB1)


def _count() -> int:
    return db.session.scalar(select(func.count(Submission.id)))


def test_a_submission_is_stored_with_its_job(enrolled, lab1):
    learner = enrolled()
    submission = submit(learner, lab1, solution_bytes())
    db.session.commit()
    assert submission.attempt == 1 and submission.late_factor == 1.0
    assert blob_store().get(submission.content_sha) == solution_bytes()
    assert submission.notebook_name == "python_numpy"
    assert submission.course_version_id == lab1.course_version_id
    job = submission.job
    assert job.status == JobStatus.QUEUED and job.dispatches == 0
    assert job.backend == "fake" and job.backend_job_id.startswith("lms-")


def test_only_enrolled_learners_may_submit(lab1, make_user):
    with pytest.raises(Forbidden) as info:
        submit(make_user(), lab1, solution_bytes())
    assert info.value.code == "not_enrolled"


def test_a_file_that_is_not_json_is_refused(enrolled, lab1):
    with pytest.raises(ValidationError) as info:
        submit(enrolled(), lab1, b"\x89PNG not a notebook")
    assert info.value.code == "not_a_notebook" and _count() == 0


def test_a_notebook_of_another_assignment_is_refused(enrolled, lab1, published):
    lab2 = current_assignment(published.course, "lab02-pandas-production")
    with pytest.raises(ValidationError) as info:
        submit(enrolled(), lab1, release_bytes(lab2))
    assert info.value.code == "wrong_assignment"
    assert "lab01-python-numpy" in str(info.value)


def test_a_notebook_over_the_size_limit_is_refused(app, enrolled, lab1):
    app.config["LMS_MAX_SUBMISSION_BYTES"] = 1000
    with pytest.raises(DomainError) as info:
        submit(enrolled(), lab1, solution_bytes())
    assert (info.value.code, info.value.status) == ("submission_too_large", 413)


def test_a_double_click_makes_one_submission(enrolled, lab1):
    learner = enrolled()
    first = submit(learner, lab1, solution_bytes())
    db.session.commit()
    second = submit(learner, lab1, solution_bytes())
    assert second.id == first.id and _count() == 1


def test_the_same_idempotency_key_returns_the_same_submission(enrolled, lab1):
    learner = enrolled()
    first = submit(learner, lab1, solution_bytes("a"), idempotency_key="k-1")
    db.session.commit()
    again = submit(learner, lab1, solution_bytes("b"), idempotency_key="k-1")
    assert again.id == first.id and _count() == 1


def test_identical_content_after_the_window_is_a_new_attempt(app, enrolled, lab1):
    app.config["LMS_DOUBLE_SUBMIT_WINDOW_S"] = 0
    learner = enrolled()
    submit(learner, lab1, solution_bytes())
    db.session.commit()
    assert submit(learner, lab1, solution_bytes()).attempt == 2


def test_an_assignment_that_is_not_open_yet_is_refused(enrolled, lab1):
    with pytest.raises(Forbidden) as info:
        submit(enrolled(started_days_ago=-2), lab1, solution_bytes())
    assert info.value.code == "assignment_not_open"


def test_after_the_hard_cutoff_nothing_is_stored(enrolled, lab1):
    with pytest.raises(Forbidden) as info:
        submit(enrolled(started_days_ago=30), lab1, solution_bytes())
    assert info.value.code == "past_cutoff" and _count() == 0


def test_a_late_submission_gets_the_late_factor(enrolled, lab1, published):
    learner = enrolled()
    grant_extension(None, published.course, LAB1, learner, utcnow() - timedelta(hours=25))
    submission = submit(learner, lab1, solution_bytes())
    assert submission.late_factor == pytest.approx(0.8)  # 2 started days x 10 %


def test_an_extension_reopens_a_closed_assignment(enrolled, lab1, published):
    learner = enrolled(started_days_ago=30)
    grant_extension(None, published.course, LAB1, learner, utcnow() + timedelta(days=1))
    assert submit(learner, lab1, solution_bytes()).late_factor == 1.0


def test_the_attempt_limit_is_enforced(enrolled, published, package_copy):
    publish(None, package_copy(lambda text: text.replace("max = 10", "max = 2", 1)))
    db.session.commit()
    lab1 = current_assignment(published.course, LAB1)
    learner = enrolled()
    for n in range(2):
        submit(learner, lab1, solution_bytes(f"try {n}"))
        db.session.commit()
    with pytest.raises(Conflict) as info:
        submit(learner, lab1, solution_bytes("third"))
    assert info.value.code == "attempt_limit" and "2" in str(info.value)


def test_attempts_count_across_versions_and_stay_on_their_version(
    enrolled, published, package_copy
):
    learner = enrolled()
    old = submit(learner, current_assignment(published.course, LAB1), solution_bytes("v1"))
    db.session.commit()
    publish(None, package_copy(lambda text: text.replace("max = 10", "max = 5", 1)))
    db.session.commit()
    new = submit(learner, current_assignment(published.course, LAB1), solution_bytes("v2"))
    assert new.attempt == 2 and new.course_version_id != old.course_version_id
    assert db.session.get(Submission, old.id).course_version_id == published.id


def test_every_submission_has_exactly_one_job(enrolled, lab1):
    learner = enrolled()
    for n in range(3):
        submit(learner, lab1, solution_bytes(f"n{n}"))
    db.session.commit()
    assert db.session.scalar(select(func.count(GradingJob.id))) == 3
