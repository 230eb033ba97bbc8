"""Credential routes of API v1 and their OpenAPI entries."""

from __future__ import annotations

import pytest

from lms.completion.models import Completion
from lms.completion.signals import completion_confirmed
from lms.credentials import services
from lms.credentials.models import Credential
from lms.db import db


@pytest.fixture
def issued(make_user, make_course):
    learner = make_user(name="Park Seoyeon")
    course = make_course(title_ko="스마트 헬스케어 AI", title_en="AI in smart healthcare")
    completion = Completion(user_id=learner.id, course_id=course.id, qualified=True, criteria={})
    db.session.add(completion)
    db.session.flush()
    completion_confirmed.send(completion)
    db.session.commit()
    return learner, db.session.scalars(db.select(Credential)).one()


def test_me_credentials_lists_the_token_users_credentials(client, make_token, issued):
    learner, credential = issued
    headers = {"Authorization": f"Bearer {make_token(learner)}"}
    items = client.get("/api/v1/me/credentials", headers=headers).get_json()["items"]
    assert [i["id"] for i in items] == [credential.uuid]
    assert items[0]["status"] == "valid" and items[0]["jwt"] == credential.token


def test_me_credentials_is_empty_for_someone_else(client, make_user, make_token, issued):
    headers = {"Authorization": f"Bearer {make_token(make_user())}"}
    assert client.get("/api/v1/me/credentials", headers=headers).get_json() == {"items": []}


def test_me_credentials_needs_a_token(client, app):
    assert client.get("/api/v1/me/credentials").status_code == 401


def test_anyone_can_ask_for_the_verdict(client, make_user, issued):
    _learner, credential = issued
    url = f"/api/v1/credentials/{credential.uuid}/verification"
    assert client.get(url).get_json()["outcome"] == "valid"
    services.revoke(make_user(role="admin"), credential, "duplicate")
    db.session.commit()
    body = client.get(url).get_json()
    assert body["outcome"] == "revoked" and body["revocation_reason"] == "duplicate"


def test_unknown_credential_verdict_is_404(client, app):
    assert client.get("/api/v1/credentials/nope/verification").status_code == 404


def test_the_openapi_document_describes_the_credential_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/me/credentials" in paths
    assert "/api/v1/credentials/{uuid}/verification" in paths
