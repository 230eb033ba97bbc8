"""Helpers shared by the OIDC tests: a registered client and a scripted PKCE login."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from lms.db import db
from lms.oidc import services

HUB_CALLBACK = "http://127.0.0.1:8000/hub/oauth_callback"
SCOPE = "openid profile email groups"


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_uri: str = HUB_CALLBACK


def register_client(client_id: str = "jupyterhub", first_party: bool = True) -> Client:
    client, secret = services.create_client(client_id, client_id, [HUB_CALLBACK], first_party)
    db.session.commit()
    return Client(client.client_id, secret)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


def authorize_url(client: Client, challenge: str | None, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": SCOPE,
        "state": "state-123",
        "nonce": "nonce-456",
    }
    if challenge is not None:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return "/oauth/authorize?" + urlencode(params)


def redirect_params(response: Any) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {k: v[0] for k, v in query.items()}


def get_code(http: Any, client: Client) -> tuple[str, str]:
    """Authorize as the logged-in test client; returns (code, verifier)."""
    verifier, challenge = pkce_pair()
    params = redirect_params(http.get(authorize_url(client, challenge)))
    assert params["state"] == "state-123"
    return params["code"], verifier


def exchange(http: Any, client: Client, code: str, verifier: str, **override: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "client_id": client.client_id,
        "client_secret": client.secret,
        "code_verifier": verifier,
    }
    data.update(override)
    return http.post("/oauth/token", data=data)
