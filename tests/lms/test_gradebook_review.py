"""Manual grading on the submission page: points for manual cells, overrides with a reason,
mark reviewed, feedback release per learner and per assignment — all audited."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.grading.models import FeedbackRelease, ResultPart
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
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
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def graded(published, enrolled):
    lab1 = current_assignment(published.course, LAB1)
    submission = submit(enrolled(), lab1, solution_bytes())
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


def _part(submission, kind: str) -> ResultPart:
    return next(p for p in submission.job.result.parts if p.kind == kind)


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_instructor_grades_the_reflection_and_the_score_rises(
    client, login, instructor, graded
):
    login(client, instructor)
    page = client.get(f"/submissions/{graded.id}").get_data(as_text=True)
    assert 'data-testid="review"' in page and 'data-testid="score-reflection"' in page
    part = _part(graded, "manual")
    url = f"/submissions/{graded.id}/parts/{part.id}"
    data = {f"part{part.id}-points": "2", f"part{part.id}-comment": "잘 썼습니다"}
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(graded.job.result)
    assert graded.job.result.score == 12
    assert _actions("grade.manual")[0].details["new"] == 2


def test_points_beyond_the_maximum_are_refused_with_the_limit(client, login, instructor, graded):
    login(client, instructor)
    part = _part(graded, "manual")
    response = client.post(
        f"/submissions/{graded.id}/parts/{part.id}", data={f"part{part.id}-points": "5"}
    )
    assert response.status_code == 422 and "2" in response.get_data(as_text=True)
    db.session.refresh(part)
    assert part.manual_earned is None and not _actions("grade.manual")


def test_an_override_of_an_autograded_cell_needs_a_reason(client, login, instructor, graded):
    login(client, instructor)
    part = _part(graded, "test")
    url = f"/submissions/{graded.id}/parts/{part.id}"
    refused = client.post(url, data={f"part{part.id}-points": "0"})
    assert refused.status_code == 422
    db.session.refresh(part)
    assert part.manual_earned is None
    ok = client.post(url, data={f"part{part.id}-points": "0", f"part{part.id}-comment": "copied"})
    assert ok.status_code == 302
    db.session.refresh(graded.job.result)
    assert graded.job.result.score == 10 - part.possible


def test_a_learner_cannot_grade_even_their_own_submission(client, login, graded):
    login(client, graded.user)
    part = _part(graded, "manual")
    response = client.post(
        f"/submissions/{graded.id}/parts/{part.id}", data={f"part{part.id}-points": "2"}
    )
    assert response.status_code == 403
    assert 'data-testid="review"' not in client.get(f"/submissions/{graded.id}").get_data(
        as_text=True
    )


def test_a_part_of_another_submission_is_404(
    client, login, instructor, graded, published, enrolled
):
    other = submit(enrolled(), current_assignment(published.course, LAB1), solution_bytes("x"))
    db.session.commit()
    login(client, instructor)
    part = _part(graded, "manual")
    assert client.post(f"/submissions/{other.id}/parts/{part.id}").status_code == 404


def test_release_to_one_learner_then_to_all(client, login, instructor, graded, published):
    login(client, instructor)
    assert client.post(f"/submissions/{graded.id}/release").status_code == 302
    release = db.session.scalars(select(FeedbackRelease)).one()
    assert release.user_id == graded.user_id
    url = f"/teach/courses/ai-foundations/assignments/{LAB1}/release"
    assert client.post(url).status_code == 302
    assert db.session.scalar(select(FeedbackRelease).where(FeedbackRelease.user_id.is_(None)))
    assert len(_actions("feedback.release")) == 2
    client.get("/logout")
    login(client, graded.user)
    hidden = next(p for p in graded.job.result.parts if p.hidden)
    tests = client.get(f"/submissions/{graded.id}/status.json").json["tests"]
    assert "earned" in next(t for t in tests if t["cell_id"] == hidden.cell_id)


def test_mark_reviewed_clears_the_flag(client, login, instructor, graded):
    graded.job.result.needs_review = True
    db.session.commit()
    login(client, instructor)
    assert 'data-testid="mark-reviewed"' in client.get(f"/submissions/{graded.id}").get_data(
        as_text=True
    )
    assert client.post(f"/submissions/{graded.id}/reviewed").status_code == 302
    db.session.refresh(graded.job.result)
    assert graded.job.result.needs_review is False and _actions("grade.reviewed")


def test_an_extension_is_entered_in_the_instructors_time_zone(
    client, login, instructor, published, enrolled
):
    from datetime import UTC, datetime

    from lms.grading.models import Extension

    learner = enrolled()
    login(client, instructor)
    assert 'data-testid="extension-box"' in client.get(
        "/teach/courses/ai-foundations/gradebook"
    ).get_data(as_text=True)
    data = {
        "assignment": LAB1,
        "email": learner.email,
        "due_at": "2026-12-24T18:00",
        "reason": "병가",
    }
    assert client.post("/teach/courses/ai-foundations/extensions", data=data).status_code == 302
    extension = db.session.scalars(select(Extension)).one()
    due = extension.due_at if extension.due_at.tzinfo else extension.due_at.replace(tzinfo=UTC)
    assert due == datetime(2026, 12, 24, 9, 0, tzinfo=UTC)  # 18:00 in Seoul
    assert _actions("assignment.extension")


def test_an_extension_for_someone_not_enrolled_is_refused(client, login, instructor, make_user):
    login(client, instructor)
    data = {"assignment": LAB1, "email": make_user().email, "due_at": "2026-12-24T18:00"}
    response = client.post("/teach/courses/ai-foundations/extensions", data=data)
    assert response.status_code == 422 and 'class="field-error"' in response.get_data(as_text=True)
    bad_date = client.post(
        "/teach/courses/ai-foundations/extensions", data=data | {"due_at": "tomorrow"}
    )
    assert bad_date.status_code == 422
