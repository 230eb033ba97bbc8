"""Invitation API for HR systems: list, invite, withdraw — managers' personal tokens only."""

from __future__ import annotations

import pytest

from lms.db import db
from lms.orgs import invitations, services
from lms.orgs.models import Invitation


@pytest.fixture
def org(make_org):
    return make_org(slug="hd")


@pytest.fixture
def manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager")


def test_manager_invites_lists_and_withdraws(client, bearer, make_token, manager, org):
    services.add_department(manager, org, "설계팀")
    db.session.commit()
    headers = bearer(make_token(manager))
    body = {"email": "Kim@Example.com", "name": "김민준", "department": "설계팀"}
    created = client.post("/api/v1/orgs/hd/invitations", json=body, headers=headers)
    assert created.status_code == 201, created.json
    link = created.json["link"]
    assert created.json["invitation"]["department"] == "설계팀"
    assert invitations.find_by_token(link.rsplit("/", 1)[1]).email == "kim@example.com"
    listing = client.get("/api/v1/orgs/hd/invitations?state=pending", headers=headers).json
    assert listing["total"] == 1 and listing["items"][0]["state"] == "pending"
    assert "token" not in str(listing) and link.rsplit("/", 1)[1] not in str(listing)
    invitation_id = listing["items"][0]["id"]
    revoked = client.post(f"/api/v1/orgs/hd/invitations/{invitation_id}/revoke", headers=headers)
    assert revoked.json["state"] == "revoked"


def test_bad_input_is_explained(client, bearer, make_token, manager, org, make_user):
    headers = bearer(make_token(manager))
    url = "/api/v1/orgs/hd/invitations"
    assert client.post(url, json={"email": "nope"}, headers=headers).status_code == 422
    unknown = client.post(url, json={"email": "a@example.com", "department": "x"}, headers=headers)
    assert unknown.json["error"]["code"] == "invalid_department"
    make_user(email="member@example.com", org=org)
    again = client.post(url, json={"email": "member@example.com"}, headers=headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_member"
    assert client.get(f"{url}?state=bogus", headers=headers).status_code == 422
    assert db.session.query(Invitation).count() == 0


def test_others_are_refused(client, bearer, make_token, make_user, make_org, org):
    other_manager = make_user(role="org_manager", org=make_org(), org_role="manager")
    learner = make_user(org=org)
    for user in (other_manager, learner):
        headers = bearer(make_token(user))
        assert client.get("/api/v1/orgs/hd/invitations", headers=headers).status_code == 403
        response = client.post(
            "/api/v1/orgs/hd/invitations", json={"email": "x@example.com"}, headers=headers
        )
        assert response.status_code == 403
    assert client.get("/api/v1/orgs/hd/invitations").status_code == 401
    assert db.session.query(Invitation).count() == 0


def test_organisation_tokens_cannot_invite(client, bearer, manager, org):
    from lms.reporting.tokens import create_org_token

    _token, secret = create_org_token(manager, org, "HR")
    db.session.commit()
    response = client.post(
        "/api/v1/orgs/hd/invitations", json={"email": "x@example.com"}, headers=bearer(secret)
    )
    assert response.status_code == 403 and db.session.query(Invitation).count() == 0
