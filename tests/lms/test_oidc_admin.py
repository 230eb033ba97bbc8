"""OIDC provider administration: signing keys, client registration CLI, the hub client,
CSRF on the endpoints, and single logout (portal logout ends the lab session)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from joserfc.jwk import RSAKey

from lms import create_app
from lms.db import db
from lms.hub import get_hub_client
from lms.hub.accounting import record_start
from lms.hub.models import LabSession
from lms.oidc import services
from lms.oidc.keys import KEY_FILE, KeyConfigError, load_key_text, parse_private_key
from lms.oidc.models import OAuthClient, OAuthToken, digest
from tests.lms.oidc_helpers import authorize_url, exchange, get_code, pkce_pair, register_client


@pytest.fixture
def app_config():
    return {"LMS_HUB_BACKEND": "fake"}


def test_signing_key_is_generated_once_with_private_permissions(tmp_path):
    first = load_key_text(None, tmp_path)
    assert load_key_text(None, tmp_path) == first
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_configured_private_key_is_used_as_pem_or_path(tmp_path):
    pem = RSAKey.generate_key(2048, private=True).as_pem(private=True).decode()
    (tmp_path / "k.pem").write_text(pem)
    by_text = parse_private_key(load_key_text(pem, tmp_path / "unused"))
    by_path = parse_private_key(load_key_text(str(tmp_path / "k.pem"), tmp_path / "unused"))
    assert by_text.kid == by_path.kid
    assert not (tmp_path / "unused").exists()


def test_bad_private_key_setting_is_a_clear_error(tmp_path):
    with pytest.raises(KeyConfigError, match="LMS_OIDC_PRIVATE_KEY"):
        load_key_text(str(tmp_path / "missing.pem"), tmp_path)
    public = RSAKey.generate_key(2048, private=True).as_pem(private=False)
    with pytest.raises(KeyConfigError, match="private"):
        parse_private_key(public)


def test_jwks_never_shows_the_private_parts(client):
    key = client.get("/oauth/jwks").get_json()["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_create_client_command_prints_the_secret_once_and_stores_a_hash(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["oidc", "create-client", "grafana", "--redirect-uri", "https://grafana.example/cb"]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    stored = db.session.scalar(db.select(OAuthClient).where(OAuthClient.client_id == "grafana"))
    assert stored.secret_sha256 == digest(secret) and secret not in stored.secret_sha256
    again = runner.invoke(
        args=["oidc", "create-client", "grafana", "--redirect-uri", "https://grafana.example/cb"]
    )
    assert again.exit_code == 1 and "OAuth client" in again.output  # translated (ko)


@pytest.mark.parametrize(
    "uri", ["ftp://x.example/cb", "http://hub.example/cb", "https://x.example/cb#frag", "/relative"]
)
def test_unsafe_redirect_uris_are_refused(app, uri):
    result = app.test_cli_runner().invoke(
        args=["oidc", "create-client", "x1", "--redirect-uri", uri]
    )
    assert result.exit_code == 1 and "Error:" in result.output
    assert db.session.scalar(db.select(OAuthClient)) is None


def test_ensure_hub_client_is_idempotent_and_keeps_the_secret_private(app):
    runner = app.test_cli_runner()
    instance = app.instance_path
    first = runner.invoke(args=["oidc", "ensure-hub-client"])
    assert first.exit_code == 0, first.output
    secret_file = Path(instance) / services.HUB_SECRET_FILE
    secret = secret_file.read_text().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    second = runner.invoke(args=["oidc", "ensure-hub-client"])
    assert second.exit_code == 0 and "unchanged" in second.output
    assert secret_file.read_text().strip() == secret
    client = services.get_client("jupyterhub")
    assert client.check_client_secret(secret)
    assert client.redirect_uris == ["http://127.0.0.1:8000/hub/oauth_callback"]


def test_ensure_hub_client_rotates_a_lost_secret(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["oidc", "ensure-hub-client"])
    path = Path(app.instance_path) / services.HUB_SECRET_FILE
    path.write_text("stale\n")
    assert runner.invoke(args=["oidc", "ensure-hub-client"]).exit_code == 0
    assert services.get_client("jupyterhub").check_client_secret(path.read_text().strip())


def test_token_endpoint_is_csrf_exempt_but_authorize_consent_is_not(
    migrated_database, make_user, login
):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": migrated_database,
                      "SECRET_KEY": "x", "WTF_CSRF_ENABLED": True})  # fmt: skip
    with app.app_context():
        client = app.test_client()
        hub = register_client("csrf-hub", first_party=False)
        reply = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x",
                                                  "client_id": hub.client_id, "client_secret": hub.secret})  # fmt: skip
        assert reply.status_code == 400 and reply.get_json()["error"] == "invalid_grant"
        login(client, make_user())
        url = authorize_url(hub, pkce_pair()[1])
        refused = client.post(url, data={"decision": "allow"})  # no CSRF token
        assert refused.status_code == 400 and "Location" not in refused.headers


def test_portal_logout_revokes_tokens_and_ends_the_lab_session(client, login, make_user):
    user = make_user()
    hub = register_client()
    login(client, user)
    access = exchange(client, hub, *get_code(client, hub)).get_json()["access_token"]
    fake = get_hub_client()
    fake.ensure_user(f"u{user.id}", {})
    list(fake.start_server(f"u{user.id}", "cpu-small"))
    record_start(user, None, "cpu-small")
    db.session.commit()
    client.post("/logout")
    assert db.session.scalars(db.select(OAuthToken)).one().revoked_at is not None
    reply = client.get("/oauth/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert reply.status_code == 401
    assert fake.revoked_sessions == [f"u{user.id}"]
    assert fake.server_status(f"u{user.id}").state == "stopped"
    assert db.session.scalars(db.select(LabSession)).one().stopped_at is not None


def test_logout_still_works_when_the_hub_is_down(client, login, make_user):
    user = make_user()
    get_hub_client().is_down = True
    login(client, user)
    assert client.post("/logout").status_code == 302
    assert client.get("/settings").status_code == 302  # logged out


def test_hub_logout_landing_offers_the_portal_logout_as_a_form(client, login, make_user):
    assert "portal-logout" not in client.get("/oauth/logout").get_data(as_text=True)
    login(client, make_user())
    page = client.get("/oauth/logout").get_data(as_text=True)
    assert 'data-testid="portal-logout"' in page and 'method="post"' in page
