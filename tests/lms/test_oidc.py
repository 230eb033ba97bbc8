"""The portal as an OpenID Connect provider: discovery, PKCE code flow, tokens, claims."""

from __future__ import annotations

from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from lms.db import db, utcnow
from lms.oidc.models import OAuthAuthorizationCode, OAuthToken
from tests.lms.oidc_helpers import (
    HUB_CALLBACK,
    authorize_url,
    exchange,
    get_code,
    pkce_pair,
    redirect_params,
    register_client,
)


@pytest.fixture
def learner(make_user, make_course, make_enrollment):
    user = make_user(name="김하나", email="hana@example.com")
    make_enrollment(user, make_course(slug="ml101"))
    make_enrollment(user, make_course(slug="dl201", needs_gpu=True))
    make_enrollment(user, make_course(slug="old100"), status="dropped")
    return user


def test_discovery_document_names_every_endpoint(client, app):
    doc = client.get("/.well-known/openid-configuration").get_json()
    base = app.config["LMS_BASE_URL"]
    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert doc["token_endpoint"] == f"{base}/oauth/token"
    assert doc["userinfo_endpoint"] == f"{base}/oauth/userinfo"
    assert doc["jwks_uri"] == f"{base}/oauth/jwks"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "client_secret_post" in doc["token_endpoint_auth_methods_supported"]


def test_pkce_flow_end_to_end_gives_a_verifiable_id_token(client, login, learner):
    hub = register_client()
    login(client, learner)
    code, verifier = get_code(client, hub)
    reply = exchange(client, hub, code, verifier)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    tokens = reply.get_json()
    assert tokens["token_type"].lower() == "bearer" and tokens["refresh_token"]
    keys = KeySet.import_key_set(client.get("/oauth/jwks").get_json())
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == client.application.config["LMS_BASE_URL"]
    assert claims["aud"] == ["jupyterhub"]
    assert claims["sub"] == str(learner.id)
    assert claims["nonce"] == "nonce-456"
    assert claims["preferred_username"] == f"u{learner.id}"
    assert claims["groups"] == ["course:dl201", "course:ml101", "role:learner"]


def test_userinfo_returns_the_claims_of_the_token_user(client, login, learner):
    hub = register_client()
    login(client, learner)
    access = exchange(client, hub, *get_code(client, hub)).get_json()["access_token"]
    info = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access}"}).get_json()
    assert info == {
        "sub": str(learner.id),
        "preferred_username": f"u{learner.id}",
        "name": "김하나",
        "email": "hana@example.com",
        "email_verified": False,
        "groups": ["course:dl201", "course:ml101", "role:learner"],
    }


def test_userinfo_without_a_valid_token_is_401(client):
    assert client.get("/oauth/userinfo").status_code == 401
    bad = client.get("/oauth/userinfo", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_wrong_code_verifier_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    code, _verifier = get_code(client, hub)
    reply = exchange(client, hub, code, pkce_pair()[0])
    assert reply.status_code == 400 and reply.get_json()["error"] == "invalid_grant"


def test_a_code_works_once(client, login, learner):
    hub = register_client()
    login(client, learner)
    code, verifier = get_code(client, hub)
    assert exchange(client, hub, code, verifier).status_code == 200
    again = exchange(client, hub, code, verifier)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_expired_code_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    code, verifier = get_code(client, hub)
    for item in db.session.scalars(db.select(OAuthAuthorizationCode)):
        item.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    reply = exchange(client, hub, code, verifier)
    assert reply.status_code == 400 and reply.get_json()["error"] == "invalid_grant"


def test_unknown_code_is_refused(client, login, learner):
    hub = register_client()
    reply = exchange(client, hub, "made-up-code", pkce_pair()[0])
    assert reply.status_code == 400 and reply.get_json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    code, verifier = get_code(client, hub)
    reply = exchange(client, hub, code, verifier, client_secret="wrong")
    assert reply.status_code == 401 and reply.get_json()["error"] == "invalid_client"


def test_authorization_without_pkce_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    params = redirect_params(client.get(authorize_url(hub, None)))
    assert params["error"] == "invalid_request" and "code" not in params


def test_plain_pkce_method_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    url = authorize_url(hub, "x" * 43, code_challenge_method="plain")
    assert redirect_params(client.get(url))["error"] == "invalid_request"


def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(client, login, learner):
    hub = register_client()
    hub.redirect_uri = "http://127.0.0.1:9999/steal"
    login(client, learner)
    reply = client.get(authorize_url(hub, pkce_pair()[1]))
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_anonymous_authorize_goes_to_the_login_page_and_comes_back(client):
    hub = register_client()
    reply = client.get(authorize_url(hub, pkce_pair()[1]))
    assert reply.status_code == 302
    location = reply.headers["Location"]
    assert "/login" in location and "next=%2Foauth%2Fauthorize" in location


def test_refresh_token_rotates_and_old_one_stops_working(client, login, learner):
    hub = register_client()
    login(client, learner)
    first = exchange(client, hub, *get_code(client, hub)).get_json()
    data = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
            "client_id": hub.client_id, "client_secret": hub.secret}  # fmt: skip
    second = client.post("/oauth/token", data=data)
    assert second.status_code == 200 and second.get_json()["access_token"] != first["access_token"]
    assert client.post("/oauth/token", data=data).get_json()["error"] == "invalid_grant"


def test_third_party_client_asks_for_consent_and_can_be_denied(client, login, learner):
    other = register_client("grafana", first_party=False)
    login(client, learner)
    url = authorize_url(other, pkce_pair()[1])
    page = client.get(url)
    assert page.status_code == 200 and "grafana" in page.get_data(as_text=True)
    params = redirect_params(client.post(url, data={"decision": "deny"}))
    assert params["error"] == "access_denied"


def test_deactivated_user_token_is_refused(client, login, learner):
    hub = register_client()
    login(client, learner)
    access = exchange(client, hub, *get_code(client, hub)).get_json()["access_token"]
    learner.is_active = False
    db.session.commit()
    reply = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert reply.status_code == 401


def test_tokens_are_stored_only_as_digests(client, login, learner):
    hub = register_client()
    login(client, learner)
    tokens = exchange(client, hub, *get_code(client, hub)).get_json()
    row = db.session.scalars(db.select(OAuthToken)).one()
    assert tokens["access_token"] not in (row.access_sha256, row.refresh_sha256)
    assert len(row.access_sha256) == 64
    assert HUB_CALLBACK
