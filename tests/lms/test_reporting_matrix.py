"""Authorisation matrix of every reporting page, export and API route: who may read, and
that no response ever carries members of another organisation."""

from __future__ import annotations

import pytest

from tests.lms.reporting_support import build_world

PAGES = (
    "/orgs/{org}/dashboard",
    "/orgs/{org}/dashboard/export.csv",
    "/orgs/{org}/dashboard/export.xlsx",
    "/orgs/{org}/members/{member}",
    "/orgs/{org}/api-tokens",
)
API = ("/api/v1/orgs/{org}/members", "/api/v1/orgs/{org}/progress")
# actor -> expected status on pages and on the API (the member page is the exception below)
EXPECTED = {"admin": 200, "manager": 200, "other_manager": 403, "member": 403}


@pytest.fixture
def world(make_org, make_user, make_course, make_enrollment):
    return build_world(make_org, make_user, make_course, make_enrollment)


def _actor(world, make_user, name):
    if name == "admin":
        return make_user("admin")
    return {"manager": world.manager, "other_manager": world.other_manager}.get(name, world.private)


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_pages_and_exports(client, login, world, make_user, who):
    login(client, _actor(world, make_user, who))
    for template in PAGES:
        url = template.format(org=world.org.slug, member=world.open_.id)
        response = client.get(url)
        assert response.status_code == EXPECTED[who], (who, url)
        assert world.outsider.email.encode() not in response.get_data()


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_api_with_personal_tokens(client, world, make_user, make_token, bearer, who):
    secret = make_token(_actor(world, make_user, who))
    for template in API:
        response = client.get(template.format(org=world.org.slug), headers=bearer(secret))
        assert response.status_code == EXPECTED[who], (who, template)
        assert world.outsider.email.encode() not in response.get_data()


def test_anonymous_visitors_are_sent_to_log_in_or_refused(client, world):
    for template in PAGES:
        response = client.get(template.format(org=world.org.slug, member=world.open_.id))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for template in API:
        assert client.get(template.format(org=world.org.slug)).status_code == 401


def test_a_member_opens_only_their_own_member_page(client, login, world):
    login(client, world.private)
    assert client.get(f"/orgs/{world.org.slug}/members/{world.private.id}").status_code == 200
    assert client.get(f"/orgs/{world.org.slug}/members/{world.open_.id}").status_code == 403
    assert client.get(f"/orgs/{world.other.slug}/members/{world.private.id}").status_code == 404


def test_unknown_organisations_are_not_found(client, login, world):
    login(client, world.manager)
    assert client.get("/orgs/no-such-org/dashboard").status_code == 404
