"""The Authlib authorisation server: code grant with PKCE (S256 only) + OpenID Connect,
refresh tokens, and the resource protector for ``/oauth/userinfo``."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, current_app
from sqlalchemy import select

from lms.db import db, utcnow
from lms.oidc.claims import user_claims
from lms.oidc.keys import signing_key
from lms.oidc.models import OAuthAuthorizationCode, OAuthClient, OAuthToken, digest
from lms.oidc.services import active_client

CODE_TTL_S = 120
ACCESS_TOKEN_TTL_S = 600
REFRESH_TOKEN_TTL_S = 86400
ID_TOKEN_TTL_S = 600
TOKEN_AUTH_METHODS = ["client_secret_post", "client_secret_basic"]


def issuer() -> str:
    return current_app.config["LMS_BASE_URL"].rstrip("/")


class S256Only(CodeChallenge):
    """PKCE is required, and only with S256 (``plain`` adds nothing against interception)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        # Authlib demands PKCE of public clients only; the portal demands it of every client.
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge (S256)")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def save_authorization_code(self, code: str, request: Any) -> OAuthAuthorizationCode:
        payload = request.payload
        item = OAuthAuthorizationCode(
            code_sha256=digest(code),
            client=request.client,
            user=request.user,
            redirect_uri=payload.redirect_uri or request.client.get_default_redirect_uri(),
            scope=payload.scope or "",
            nonce=payload.data.get("nonce"),
            code_challenge=payload.data.get("code_challenge"),
            code_challenge_method=payload.data.get("code_challenge_method") or "S256",
            auth_time=int(time.time()),
            expires_at=utcnow() + timedelta(seconds=CODE_TTL_S),
        )
        db.session.add(item)
        db.session.flush()  # the authorize view commits before answering with the redirect
        return item

    def query_authorization_code(self, code: str, client: OAuthClient) -> Any:
        item = db.session.scalar(
            select(OAuthAuthorizationCode).where(
                OAuthAuthorizationCode.code_sha256 == digest(code),
                OAuthAuthorizationCode.client_pk == client.id,
            )
        )
        if item is not None and not item.is_expired() and item.user.is_active:
            return item
        return None

    def delete_authorization_code(self, authorization_code: OAuthAuthorizationCode) -> None:
        db.session.delete(authorization_code)
        db.session.flush()

    def authenticate_user(self, authorization_code: OAuthAuthorizationCode) -> Any:
        return authorization_code.user


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        token = db.session.scalar(
            select(OAuthToken).where(OAuthToken.refresh_sha256 == digest(refresh_token))
        )
        return token if token is not None and token.is_refresh_usable() else None

    def authenticate_user(self, refresh_token: OAuthToken) -> Any:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        refresh_token.revoked_at = utcnow()
        db.session.flush()


class PortalOpenIDCode(OpenIDCode):
    """ID tokens signed with the portal's RS256 key; claims from ``user_claims``."""

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        found = db.session.scalar(
            select(OAuthAuthorizationCode.id).where(
                OAuthAuthorizationCode.client_pk == request.client.id,
                OAuthAuthorizationCode.nonce == nonce,
            )
        )
        return found is not None

    def resolve_client_private_key(self, client: OAuthClient) -> Any:
        return signing_key()

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        return {"alg": "RS256", "kid": signing_key().kid}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": issuer(), "aud": [client.client_id], "iat": now, "exp": now + ID_TOKEN_TTL_S}

    def generate_user_info(self, user: Any, scope: str) -> UserInfo:
        return UserInfo(user_claims(user, scope))


def save_token(token: dict[str, Any], request: Any) -> None:
    refresh = token.get("refresh_token")
    db.session.add(
        OAuthToken(
            client=request.client,
            user=request.user,
            access_sha256=digest(token["access_token"]),
            refresh_sha256=digest(refresh) if refresh else None,
            scope=token.get("scope", ""),
            expires_in=int(token.get("expires_in", ACCESS_TOKEN_TTL_S)),
            refresh_expires_at=utcnow() + timedelta(seconds=REFRESH_TOKEN_TTL_S)
            if refresh
            else None,
        )
    )
    db.session.flush()


class PortalTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        return db.session.scalar(
            select(OAuthToken).where(OAuthToken.access_sha256 == digest(token_string))
        )


require_oauth = ResourceProtector()
require_oauth.register_token_validator(PortalTokenValidator())


def init_server(app: Flask) -> AuthorizationServer:
    """An authorisation server bound to ``app`` with the grants above (one per app)."""
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN",
        {"authorization_code": ACCESS_TOKEN_TTL_S, "refresh_token": ACCESS_TOKEN_TTL_S},
    )
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    server = AuthorizationServer(app, query_client=active_client, save_token=save_token)
    server.register_grant(CodeGrant, [S256Only(required=True), PortalOpenIDCode()])
    server.register_grant(RefreshGrant)
    app.extensions["lms_oidc_server"] = server
    return server


def authorization_server() -> AuthorizationServer:
    return current_app.extensions["lms_oidc_server"]
