"""The HR API (/api/v1/orgs/{slug}/members and /progress) and organisation-scoped tokens:
a token reads only its organisation's reports, only what members share, and is logged."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.accounts.models import ApiToken
from lms.consent.models import DataKind, OrgDataAccess
from lms.db import db
from tests.lms.reporting_support import build_world, share


@pytest.fixture
def world(make_org, make_user, make_course, make_enrollment):
    return build_world(make_org, make_user, make_course, make_enrollment)


def _org_token(client, login, world, name="HR") -> str:
    login(client, world.manager)
    response = client.post(f"/orgs/{world.org.slug}/api-tokens", data={"name": name})
    assert response.status_code == 200
    match = re.search(r'data-testid="new-token">([^<]+)<', response.get_data(as_text=True))
    return match.group(1)


def test_a_manager_creates_an_org_token_on_the_org_page(client, login, world):
    secret = _org_token(client, login, world)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "HR"))
    assert token.org_id == world.org.id and token.user_id == world.manager.id
    assert secret not in client.get(f"/orgs/{world.org.slug}/api-tokens").get_data(as_text=True)


def test_members_lists_facts_and_only_shared_figures(client, login, world, bearer):
    secret = _org_token(client, login, world)
    body = client.get(f"/api/v1/orgs/{world.org.slug}/members", headers=bearer(secret)).json
    by_email = {m["email"]: m for m in body["items"]}
    assert body["total"] == 4 and world.outsider.email not in by_email
    private = by_email[world.private.email]
    assert private["shares"] == [] and "progress" not in private and "scores" not in private
    assert "scores" not in by_email[world.progress.email]
    assert by_email[world.progress.email]["progress"]["progress_percent"] == 25.0
    assert by_email[world.open_.email]["progress"]["gpu_hours"] == 2.0
    assert "scores" in by_email[world.open_.email]


def test_progress_lists_enrolments_of_members_who_share_it(client, login, world, bearer):
    secret = _org_token(client, login, world)
    body = client.get(f"/api/v1/orgs/{world.org.slug}/progress", headers=bearer(secret)).json
    users = {item["user_id"]: item for item in body["items"]}
    assert set(users) == {world.open_.id, world.progress.id}
    assert users[world.progress.id]["at_risk_reasons"] == ["overdue"]
    assert "scores" not in users[world.progress.id] and "scores" in users[world.open_.id]
    assert users[world.open_.id]["course"] == world.course.slug


def test_progress_filters_and_paging(client, login, world, bearer):
    secret = _org_token(client, login, world)
    url = f"/api/v1/orgs/{world.org.slug}/progress"
    page = client.get(url, query_string={"per_page": 1, "page": 2}, headers=bearer(secret)).json
    assert page["total"] == 2 and len(page["items"]) == 1 and page["page"] == 2
    done = client.get(url, query_string={"status": "completed"}, headers=bearer(secret)).json
    assert done["items"] == []
    bad = client.get(url, query_string={"status": "nope"}, headers=bearer(secret))
    assert bad.status_code == 422 and bad.json["error"]["field"] == "status"


def test_an_org_token_cannot_read_another_organisation(client, login, world, bearer):
    secret = _org_token(client, login, world)
    for path in ("members", "progress"):
        response = client.get(f"/api/v1/orgs/{world.other.slug}/{path}", headers=bearer(secret))
        assert response.status_code == 403


def test_an_org_token_cannot_call_personal_endpoints(client, login, world, bearer):
    secret = _org_token(client, login, world)
    for path in ("/api/v1/me", "/api/v1/me/enrollments", "/api/v1/courses"):
        response = client.get(path, headers=bearer(secret))
        assert response.status_code == 403 and response.json["error"]["code"] == "token_scope"


def test_an_org_token_stops_working_when_its_creator_stops_managing(client, login, world, bearer):
    from lms.orgs.models import Membership

    secret = _org_token(client, login, world)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == world.manager.id))
    membership.role = "member"
    db.session.commit()
    response = client.get(f"/api/v1/orgs/{world.org.slug}/members", headers=bearer(secret))
    assert response.status_code == 403


def test_a_revoked_org_token_is_refused(client, login, world, bearer):
    secret = _org_token(client, login, world)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "HR"))
    client.post(f"/orgs/{world.org.slug}/api-tokens/{token.id}/revoke")
    response = client.get(f"/api/v1/orgs/{world.org.slug}/members", headers=bearer(secret))
    assert response.status_code == 401


def test_other_managers_cannot_revoke_or_list_the_tokens(client, login, world):
    _org_token(client, login, world)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "HR"))
    login(client, world.other_manager)
    assert client.get(f"/orgs/{world.org.slug}/api-tokens").status_code == 403
    assert client.post(f"/orgs/{world.other.slug}/api-tokens/{token.id}/revoke").status_code == 404


def test_a_personal_token_of_a_learner_is_refused(client, world, make_token, bearer):
    secret = make_token(world.open_)
    response = client.get(f"/api/v1/orgs/{world.org.slug}/members", headers=bearer(secret))
    assert response.status_code == 403


def test_api_reads_are_logged_and_withdrawal_counts_at_once(client, login, world, bearer):
    secret = _org_token(client, login, world)
    url = f"/api/v1/orgs/{world.org.slug}/progress"
    assert len(client.get(url, headers=bearer(secret)).json["items"]) == 2
    assert "api" in [str(v) for v in db.session.scalars(select(OrgDataAccess.via))]
    share(world.progress, world.org, DataKind.PROGRESS, granted=False)
    assert len(client.get(url, headers=bearer(secret)).json["items"]) == 1


def test_the_openapi_document_describes_the_reporting_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/orgs/{slug}/members"]
    assert "get" in paths["/api/v1/orgs/{slug}/progress"]


def test_a_token_needs_a_name(client, login, world):
    login(client, world.manager)
    response = client.post(f"/orgs/{world.org.slug}/api-tokens", data={"name": ""})
    assert response.status_code == 422
    assert db.session.scalar(select(ApiToken).where(ApiToken.org_id == world.org.id)) is None
