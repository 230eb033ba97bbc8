"""The rubric page: linked from the submission's grading forms, staff add criteria and tick
them (CSRF forms); bad input re-renders with the reason; learners get 404/403."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import re

import pytest

from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.grading.models import RubricCriterion
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.publishing.services import current_assignment
from tests.lms import grading_support
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    blob_dir,
    enrolled,
    fast_release,
    published,
    solution_bytes,
)


@pytest.fixture
def app_config(blob_dir, tmp_path):
    return grading_support.app_config.__wrapped__(blob_dir, tmp_path) | {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def graded(published, enrolled):
    submission = submit(enrolled(), current_assignment(published.course, LAB1), solution_bytes())
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


def _url(submission) -> str:
    part = next(p for p in submission.job.result.parts if p.kind == "manual")
    return f"/submissions/{submission.id}/parts/{part.id}/rubric"


def _token(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_instructor_adds_criteria_ticks_one_and_the_points_follow(
    client, login, instructor, graded
):
    login(client, instructor)
    url = _url(graded)
    assert url in client.get(f"/submissions/{graded.id}").get_data(as_text=True)
    for text in ("근거 <b>제시</b>", "대안 제시"):
        token = _token(client, url)
        data = {"csrf_token": token, "text": text, "points": "1"}
        assert client.post(url + "/criteria", data=data).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "근거 &lt;b&gt;제시&lt;/b&gt;" in page
    first = db.session.scalars(db.select(RubricCriterion).order_by(RubricCriterion.id)).first()
    data = {"csrf_token": _token(client, url), "criterion": [str(first.id)], "comment": "좋아요"}
    assert client.post(url, data=data).status_code == 302
    assert "1.0 / 2.0" in client.get(url).get_data(as_text=True)
    db.session.refresh(graded.job.result)
    assert graded.job.result.score == 11


def test_bad_points_re_render_with_the_limit(client, login, instructor, graded):
    login(client, instructor)
    url = _url(graded)
    data = {"csrf_token": _token(client, url), "text": "too much", "points": "5"}
    response = client.post(url + "/criteria", data=data)
    assert response.status_code == 422 and "2" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(RubricCriterion.id))) == 0


def test_a_post_without_the_token_is_refused(client, login, instructor, graded):
    login(client, instructor)
    response = client.post(_url(graded) + "/criteria", data={"text": "x", "points": "1"})
    assert response.status_code == 400


def test_the_learner_cannot_open_the_rubric(client, login, graded):
    login(client, graded.user)
    assert client.get(_url(graded)).status_code == 403
