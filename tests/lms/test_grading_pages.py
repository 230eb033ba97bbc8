"""Learner pages: assignments, the upload form, the submission page and its JSON twin."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import io
import re

import pytest

from lms.db import db
from lms.grading.backends import get_backend
from lms.grading.models import Submission
from lms.grading.results import collect_once
from lms.grading.review import release_feedback
from tests.lms import grading_support
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    blob_dir,
    enrolled,
    fast_release,
    published,
    release_bytes,
    solution_bytes,
)

PAGE = f"/courses/ai-foundations/assignments/{LAB1}"


@pytest.fixture
def app_config(blob_dir, tmp_path):
    """The grading test config with CSRF protection on, as in production."""
    return grading_support.app_config.__wrapped__(blob_dir, tmp_path) | {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def learner(client, login, enrolled):
    user = enrolled()
    login(client, user)
    return user


def _key_and_token(html: str) -> dict[str, str]:
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html)
    assert token and key, html
    return {"csrf_token": token.group(1), "idempotency_key": key.group(1)}


def _upload(client, data: bytes, fields: dict[str, str] | None = None):
    fields = fields or _key_and_token(client.get(PAGE).get_data(as_text=True))
    body = {**fields, "notebook": (io.BytesIO(data), "python_numpy.ipynb")}
    return client.post(PAGE, data=body, content_type="multipart/form-data")


def test_assignment_page_shows_due_date_policy_attempts_and_the_form(client, learner):
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="submit-form"' in html and 'enctype="multipart/form-data"' in html
    assert 'data-testid="due"' in html and "Asia/Seoul" in html
    assert "0회 사용" in html or "0 used" in html
    assert client.get("/courses/ai-foundations/assignments").status_code == 200


def test_a_learner_submits_and_the_result_appears_in_the_status_json(client, learner):
    response = _upload(client, solution_bytes())
    assert response.status_code == 303
    submission = db.session.query(Submission).one()
    assert response.headers["Location"].endswith(f"/submissions/{submission.id}")
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert f'data-poll-url="/submissions/{submission.id}/status.json"' in page
    assert client.get(f"/submissions/{submission.id}/status.json").json["status"] == "queued"
    collect_once()
    db.session.commit()
    body = client.get(f"/submissions/{submission.id}/status.json").json
    assert body["status"] in ("graded", "needs_review") and body["final"] is True
    assert body["score"] == 10 and 'data-testid="score"' in body["html"]
    assert "feedback_html" not in body


def test_a_double_click_makes_one_submission(client, learner):
    fields = _key_and_token(client.get(PAGE).get_data(as_text=True))
    first = _upload(client, solution_bytes(), fields)
    second = _upload(client, solution_bytes("other bytes"), fields)
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Submission).count() == 1
    assert len(get_backend().dispatched) == 1


@pytest.mark.parametrize(
    ("data", "status", "ko_message"),
    [
        (b"not json", 422, "Jupyter"),
        (b'{"cells": [], "metadata": {}}', 422, LAB1),
    ],
)
def test_bad_notebooks_get_a_translated_message_and_nothing_is_stored(
    client, learner, data, status, ko_message
):
    response = _upload(client, data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html and ko_message in html
    assert db.session.query(Submission).count() == 0


def test_too_large_is_refused_with_the_limit(app, client, learner):
    app.config["LMS_MAX_SUBMISSION_BYTES"] = 1000
    response = _upload(client, solution_bytes())
    assert response.status_code == 413
    assert "MB" in response.get_data(as_text=True)
    assert db.session.query(Submission).count() == 0


def test_beyond_the_attempt_limit_is_refused(client, learner, published):
    lab1 = next(a for a in published.assignments if a.name == LAB1)
    limit = lab1.max_attempts or 0
    if not limit:
        pytest.skip("lab01 has no attempt limit")
    for n in range(limit):
        assert _upload(client, solution_bytes(f"attempt {n}")).status_code == 303
    response = _upload(client, solution_bytes("one too many"))
    assert response.status_code == 409
    assert db.session.query(Submission).count() == limit


def test_after_the_hard_cutoff_is_refused(client, login, enrolled):
    user = enrolled(started_days_ago=400)
    login(client, user)
    response = _upload(client, solution_bytes())
    assert response.status_code == 403
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert db.session.query(Submission).count() == 0


def test_a_form_without_csrf_token_is_refused(client, learner):
    body = {"notebook": (io.BytesIO(solution_bytes()), "a.ipynb"), "idempotency_key": "x"}
    response = client.post(PAGE, data=body, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.query(Submission).count() == 0


def test_hidden_tests_show_pass_fail_only_until_release(client, learner, published):
    _upload(client, solution_bytes())
    collect_once()
    db.session.commit()
    submission = db.session.query(Submission).one()
    hidden = [p for p in submission.job.result.parts if p.hidden]
    assert hidden, "lab01 has hidden tests"
    before = client.get(f"/submissions/{submission.id}/status.json").json
    shown = {t["cell_id"]: t for t in before["tests"]}
    assert set(shown[hidden[0].cell_id]) == {"cell_id", "kind", "hidden", "passed"}
    release_feedback(None, published.course, LAB1)
    db.session.commit()
    after = client.get(f"/submissions/{submission.id}/status.json").json
    assert "earned" in {t["cell_id"]: t for t in after["tests"]}[hidden[0].cell_id]


def test_the_course_page_links_an_enrolled_learner_to_the_assignments(client, learner):
    html = client.get("/courses/ai-foundations").get_data(as_text=True)
    assert 'href="/courses/ai-foundations/assignments"' in html
    listing = client.get("/courses/ai-foundations/assignments").get_data(as_text=True)
    assert f'href="{PAGE}"' in listing


def test_an_unknown_assignment_is_a_404_page(client, learner):
    assert client.get("/courses/ai-foundations/assignments/nope").status_code == 404
