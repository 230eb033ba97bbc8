"""The consent API: a member reads and changes what their organisations may see."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.consent.models import ConsentEvent, DataKind
from lms.consent.services import consented_kinds, set_consent
from lms.db import db
from lms.orgs.models import Membership

P, S = DataKind.PROGRESS, DataKind.SCORES
ALL_OFF = {"progress": False, "scores": False, "skills": False, "submissions": False}


def _member(make_user, make_org, make_token, slug="acme"):
    org = make_org(slug=slug, name_ko="에이크미", name_en="Acme")
    user = make_user(org=org)
    return org, user, make_token(user)


def test_get_lists_every_current_organisation_with_nothing_shared_by_default(
    client, make_user, make_org, make_token, bearer
):
    org, user, token = _member(make_user, make_org, make_token)
    response = client.get("/api/v1/me/consents", headers=bearer(token))
    assert response.status_code == 200
    (item,) = response.json["items"]
    texts = item.pop("texts")
    assert item == {"org": "acme", "org_name": "에이크미", "kinds": ALL_OFF, "updated_at": None}
    assert set(texts) == set(ALL_OFF) and all(
        "에이크미" in t and "거부" in t for t in texts.values()
    )


def test_put_partial_changes_only_the_given_kinds(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    set_consent(user, org, {S: True}, "page")
    db.session.commit()
    response = client.put(
        "/api/v1/me/consents/acme", json={"progress": True}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.json["kinds"] == ALL_OFF | {"progress": True, "scores": True}
    assert response.json["updated_at"] is not None
    assert consented_kinds(org.id) == {user.id: frozenset({P, S})}
    event = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
    assert (event.kind, event.granted, event.via) == (P, True, "api")


def test_put_false_withdraws_at_once(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    client.put("/api/v1/me/consents/acme", json={"scores": True}, headers=bearer(token))
    assert consented_kinds(org.id) == {user.id: frozenset({S})}
    client.put("/api/v1/me/consents/acme", json={"scores": False}, headers=bearer(token))
    assert consented_kinds(org.id) == {}
    listed = client.get("/api/v1/me/consents", headers=bearer(token)).json
    assert listed["items"][0]["kinds"] == ALL_OFF


def test_unknown_kind_is_a_400_and_changes_nothing(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    response = client.put(
        "/api/v1/me/consents/acme",
        json={"progress": True, "salary": True},
        headers=bearer(token),
    )
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "unknown_kind" and "salary" in error["message"]
    assert "progress" in error["message"]  # says which kinds exist
    assert consented_kinds(org.id) == {}


def test_values_must_be_booleans(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    response = client.put(
        "/api/v1/me/consents/acme", json={"progress": "yes"}, headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.json["error"] == {
        "code": "invalid_choice",
        "message": "progress 값은 true 또는 false여야 합니다.",
        "field": "progress",
    }


def test_empty_body_and_non_json_are_refused(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    url = "/api/v1/me/consents/acme"
    assert client.put(url, headers=bearer(token)).status_code == 422
    response = client.put(url, data="progress=true", headers=bearer(token))
    assert response.status_code == 415
    response = client.put(url, json=["progress"], headers=bearer(token))
    assert response.status_code == 400


def test_not_a_member_is_403_and_unknown_org_404(client, make_user, make_org, make_token, bearer):
    _member(make_user, make_org, make_token)
    other = make_org(slug="other")
    stranger = make_user()
    token = make_token(stranger)
    response = client.put("/api/v1/me/consents/other", json={"scores": True}, headers=bearer(token))
    assert response.status_code == 403 and response.json["error"]["code"] == "not_member"
    response = client.put("/api/v1/me/consents/nope", json={"scores": True}, headers=bearer(token))
    assert response.status_code == 404
    assert consented_kinds(other.id) == {}


def test_a_former_member_can_no_longer_consent(client, make_user, make_org, make_token, bearer):
    org, user, token = _member(make_user, make_org, make_token)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    membership.ended_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert client.get("/api/v1/me/consents", headers=bearer(token)).json == {"items": []}
    response = client.put("/api/v1/me/consents/acme", json={"scores": True}, headers=bearer(token))
    assert response.status_code == 403


def test_the_api_needs_a_token(client, make_org):
    make_org(slug="acme")
    assert client.get("/api/v1/me/consents").status_code == 401
    assert client.put("/api/v1/me/consents/acme", json={"scores": True}).status_code == 401


def test_org_name_follows_the_language(client, make_user, make_org, make_token, bearer):
    _member(make_user, make_org, make_token)
    token = make_token(db.session.scalar(select(Membership)).user)
    headers = bearer(token) | {"Accept-Language": "en"}
    assert client.get("/api/v1/me/consents", headers=headers).json["items"][0]["org_name"] == "Acme"


def test_the_openapi_document_describes_the_consent_routes(client):
    document = client.get("/api/v1/openapi.json").json
    assert set(document["paths"]["/api/v1/me/consents"]) == {"get"}
    put = document["paths"]["/api/v1/me/consents/{org_slug}"]["put"]
    assert {"400", "403", "404"} <= set(put["responses"])
    kinds = document["components"]["schemas"]["ConsentChoices"]["properties"]
    assert set(kinds) == {k.value for k in DataKind}


def test_an_organisation_token_cannot_read_or_change_consents(client, make_user, make_org, bearer):
    tokens = pytest.importorskip("lms.reporting.tokens")
    org = make_org(slug="acme")
    manager = make_user(role="org_manager", org=org, org_role="manager")
    _token, secret = tokens.create_org_token(manager, org, "HR system")
    db.session.commit()
    put = client.put("/api/v1/me/consents/acme", json={"scores": True}, headers=bearer(secret))
    assert put.status_code == 403
    assert client.get("/api/v1/me/consents", headers=bearer(secret)).status_code == 403
    assert consented_kinds(org.id) == {}
