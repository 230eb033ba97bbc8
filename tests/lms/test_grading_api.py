"""Grading API: submit through multipart, read results with the right visibility."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import io

import pytest

from lms.db import db
from lms.grading.backends import get_backend
from lms.grading.models import FeedbackRelease, Submission
from lms.grading.results import collect_once
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

URL = f"/api/v1/courses/ai-foundations/assignments/{LAB1}/submissions"


@pytest.fixture
def post(client, make_token, bearer):
    """``post(user, data, **headers)`` → the response to a notebook upload."""

    def do(user, data: bytes, field: str = "notebook", **headers):
        body = {field: (io.BytesIO(data), "python_numpy.ipynb")}
        return client.post(URL, data=body, headers=bearer(make_token(user)) | headers)

    return do


def test_submit_answers_202_and_dispatches_after_commit(enrolled, post):
    response = post(enrolled(), solution_bytes())
    assert response.status_code == 202, response.json
    body = response.json
    assert body["attempt"] == 1 and body["status"] == "queued"
    assert body["url"] == f"/api/v1/submissions/{body['id']}"
    submission = db.session.get(Submission, body["id"])
    assert submission.job.dispatches == 1
    assert submission.job.backend_job_id in get_backend().pending


def test_a_double_click_through_the_api_is_one_submission(enrolled, post):
    learner = enrolled()
    first = post(learner, solution_bytes(), **{"Idempotency-Key": "abc"}).json
    second = post(learner, solution_bytes("changed"), **{"Idempotency-Key": "abc"}).json
    assert first["id"] == second["id"]
    assert get_backend().dispatched == {
        db.session.get(Submission, first["id"]).job.backend_job_id: 1
    }


@pytest.mark.parametrize(
    ("data", "field", "status", "code"),
    [
        (b"not json at all", "notebook", 422, "not_a_notebook"),
        (b"{}", "file", 422, "notebook_missing"),
        (b"", "notebook", 422, "notebook_empty"),
    ],
)
def test_bad_uploads_get_clear_json_errors(enrolled, post, data, field, status, code):
    response = post(enrolled(), data, field=field)
    assert response.status_code == status
    assert response.json["error"]["code"] == code and response.json["error"]["message"]


def test_too_large_is_413(app, enrolled, post):
    app.config["LMS_MAX_SUBMISSION_BYTES"] = 100
    response = post(enrolled(), solution_bytes())
    assert response.status_code == 413
    assert response.json["error"]["code"] == "submission_too_large"


def test_json_body_is_415(client, enrolled, make_token, bearer):
    response = client.post(URL, json={"notebook": "x"}, headers=bearer(make_token(enrolled())))
    assert response.status_code == 415


def test_not_enrolled_is_403_and_a_bad_token_401(client, published, make_user, post):
    assert post(make_user(), solution_bytes()).status_code == 403
    assert client.post(URL, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_unknown_assignment_is_404(client, enrolled, make_token, bearer):
    url = "/api/v1/courses/ai-foundations/assignments/nope/submissions"
    body = {"notebook": (io.BytesIO(solution_bytes()), "x.ipynb")}
    response = client.post(url, data=body, headers=bearer(make_token(enrolled())))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "assignment_not_found"


def _graded_submission(enrolled, post, notebook: bytes) -> tuple:
    learner = enrolled()
    sid = post(learner, notebook).json["id"]
    collect_once()
    db.session.commit()
    return learner, sid


def test_before_release_hidden_tests_show_only_pass_or_fail(
    client, enrolled, post, make_token, bearer
):
    learner, sid = _graded_submission(enrolled, post, solution_bytes())
    body = client.get(f"/api/v1/submissions/{sid}", headers=bearer(make_token(learner))).json
    assert body["status"] == "graded" and body["score"] == 10.0 and body["possible"] == 12.0
    hidden = [t for t in body["tests"] if t["hidden"]]
    visible = [t for t in body["tests"] if not t["hidden"] and t["kind"] == "test"]
    assert hidden and visible
    assert all(set(t) == {"cell_id", "kind", "hidden", "passed"} for t in hidden)
    assert all(t["passed"] is True for t in hidden)
    assert all({"earned", "possible", "status"} <= set(t) for t in visible)
    assert "feedback_html" not in body and body["feedback_released"] is False


def test_after_release_the_learner_sees_everything(
    client, enrolled, post, make_token, bearer, published
):
    learner, sid = _graded_submission(enrolled, post, solution_bytes())
    db.session.add(FeedbackRelease(course_id=published.course_id, assignment_name=LAB1))
    db.session.commit()
    body = client.get(f"/api/v1/submissions/{sid}", headers=bearer(make_token(learner))).json
    assert body["feedback_released"] is True and "feedback_html" in body
    assert all("earned" in t for t in body["tests"])


def test_instructors_see_everything_and_others_get_404(
    client, enrolled, post, make_token, bearer, make_user, published
):
    _learner, sid = _graded_submission(enrolled, post, solution_bytes())
    instructor = make_user(role="instructor")
    published.course.instructors.append(instructor)
    db.session.commit()
    url = f"/api/v1/submissions/{sid}"
    staff = client.get(url, headers=bearer(make_token(instructor))).json
    assert all("earned" in t for t in staff["tests"]) and staff["job"]["status"] == "graded"
    assert client.get(url, headers=bearer(make_token(make_user()))).status_code == 404
    other_instructor = make_user(role="instructor")
    assert client.get(url, headers=bearer(make_token(other_instructor))).status_code == 404
    admin = make_user(role="admin")
    assert client.get(url, headers=bearer(make_token(admin))).status_code == 200


def test_a_blank_notebook_scores_zero_through_the_api(
    client, enrolled, post, make_token, bearer, published
):
    blank = release_bytes(current_assignment(published.course, LAB1))
    learner, sid = _graded_submission(enrolled, post, blank)
    body = client.get(f"/api/v1/submissions/{sid}", headers=bearer(make_token(learner))).json
    assert body["score"] == 0.0
    assert all(t["passed"] is False for t in body["tests"] if t["kind"] == "test")


def test_list_assignments_shows_deadlines_and_attempts(client, enrolled, post, make_token, bearer):
    learner = enrolled()
    post(learner, solution_bytes())
    body = client.get(
        "/api/v1/courses/ai-foundations/assignments", headers=bearer(make_token(learner))
    ).json
    assert body["version"] == 1
    lab1 = body["items"][0]
    assert lab1["name"] == LAB1 and lab1["attempts_used"] == 1 and lab1["due_at"]
    anonymous = client.get("/api/v1/courses/ai-foundations/assignments").json
    assert anonymous["items"][0]["due_at"] is None  # relative schedule: per cohort


def test_a_huge_body_is_refused_before_it_is_parsed(app, enrolled, post):
    app.config["LMS_MAX_SUBMISSION_BYTES"] = 1000
    response = post(enrolled(), b"x" * 200_000)
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_two_simultaneous_clicks_make_one_submission(app, enrolled, make_token, bearer):
    from concurrent.futures import ThreadPoolExecutor

    headers = bearer(make_token(enrolled()))

    def click(_: int) -> dict:
        body = {"notebook": (io.BytesIO(solution_bytes()), "python_numpy.ipynb")}
        with app.app_context():  # a thread of its own, like a second server worker
            response = app.test_client().post(URL, data=body, headers=headers)
        assert response.status_code == 202, response.json
        return response.json

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(click, range(4)))
    assert len({a["id"] for a in answers}) == 1
    assert db.session.query(Submission).count() == 1
