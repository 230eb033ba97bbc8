"""The completion API: my completions, a course's qualifications, confirm, revoke."""

from __future__ import annotations

import pytest

from lms.completion.models import Completion
from lms.completion.services import confirm_course
from lms.db import db
from tests.lms.completion_support import add_attempt, add_items, add_version, mark_done


@pytest.fixture
def setup(make_user, make_course, make_enrollment):
    teacher = make_user(role="instructor")
    course = make_course(slug="api-course", instructors=[teacher])
    items = add_items(course, 1)
    add_version(course, [("lab1", 10.0, "best")])
    ready, behind = make_user(), make_user()
    e_ready, e_behind = make_enrollment(ready, course), make_enrollment(behind, course)
    mark_done(e_ready, items)
    add_attempt(ready, course, "lab1", 10.0)
    return teacher, course, e_ready, e_behind


def test_staff_read_who_qualifies(client, make_token, bearer, setup):
    teacher, _course, e_ready, e_behind = setup
    body = client.get("/api/v1/courses/api-course/completion", headers=bearer(make_token(teacher)))
    assert body.status_code == 200
    qualified = {i["enrollment_id"]: i["qualified"] for i in body.json["items"]}
    assert qualified == {e_ready.id: True, e_behind.id: False}
    assert body.json["policy"]["default"] is True


def test_learners_cannot_read_or_confirm(client, make_token, bearer, setup):
    _teacher, _course, e_ready, _ = setup
    headers = bearer(make_token(e_ready.user))
    assert client.get("/api/v1/courses/api-course/completion", headers=headers).status_code == 403
    answer = client.post(
        "/api/v1/courses/api-course/completions",
        json={"enrollment_ids": [e_ready.id]},
        headers=headers,
    )
    assert answer.status_code == 403 and db.session.query(Completion).count() == 0


def test_confirming_through_the_api_needs_a_reason_for_the_unqualified(
    client, make_token, bearer, setup
):
    teacher, _course, e_ready, e_behind = setup
    headers = bearer(make_token(teacher))
    url = "/api/v1/courses/api-course/completions"
    answer = client.post(url, json={"enrollment_ids": [e_ready.id, e_behind.id]}, headers=headers)
    assert answer.status_code == 422
    assert answer.json["error"]["code"] == "override_reason_required"
    assert client.post(url, json={"enrollment_ids": "x"}, headers=headers).status_code == 422
    answer = client.post(
        url,
        json={"enrollment_ids": [e_ready.id, e_behind.id], "override_reason": "RPL assessment"},
        headers=headers,
    )
    assert answer.status_code == 201
    by_user = {i["user_id"]: i for i in answer.json["items"]}
    assert by_user[e_behind.user_id]["override_reason"] == "RPL assessment"
    assert by_user[e_ready.user_id]["qualified"] is True


def test_learners_list_their_completions_and_staff_revoke(client, make_token, bearer, setup):
    teacher, _course, e_ready, _ = setup
    completion = confirm_course(teacher, e_ready)
    db.session.commit()
    mine = client.get("/api/v1/me/completions", headers=bearer(make_token(e_ready.user)))
    assert [i["slug"] for i in mine.json["items"]] == ["api-course"]
    url = f"/api/v1/completions/{completion.id}/revoke"
    staff = bearer(make_token(teacher))
    assert client.post(url, json={}, headers=staff).status_code == 422
    learner = bearer(make_token(e_ready.user))
    assert client.post(url, json={"reason": "mine"}, headers=learner).status_code == 403
    answer = client.post(url, json={"reason": "graded the wrong notebook"}, headers=staff)
    assert answer.status_code == 200 and answer.json["revoked_at"]
