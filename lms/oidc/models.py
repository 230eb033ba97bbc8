"""OAuth2/OpenID Connect provider records: clients, authorisation codes, tokens.

Secrets are never stored: client secrets, codes, access and refresh tokens are kept as
SHA-256 hex digests (they are long random strings, so a fast hash is enough). The classes
implement Authlib's model contracts (``ClientMixin``, ``AuthorizationCodeMixin``,
``TokenMixin``) by hand, with typed columns.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oidc.core import AuthorizationCodeMixin
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import db, utcnow

DEFAULT_SCOPE = "openid profile email groups"


def digest(secret: str) -> str:
    """SHA-256 hex digest of a secret (what the tables keep)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthClient(ClientMixin, db.Model):
    """A relying party (JupyterHub, …). First-party clients skip the consent page."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(String(255), default=DEFAULT_SCOPE)
    auth_method: Mapped[str] = mapped_column(String(32), default="client_secret_post")
    is_first_party: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.scope.split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.secret_sha256, digest(client_secret or ""))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}

    @property
    def id_token_signed_response_alg(self) -> str:
        return "RS256"


class OAuthAuthorizationCode(AuthorizationCodeMixin, db.Model):
    """A one-time code, valid for ``CODE_TTL_S`` seconds, bound to a PKCE challenge."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[int]
    expires_at: Mapped[datetime]

    client: Mapped[OAuthClient] = relationship()
    user: Mapped[User] = relationship()

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def is_expired(self) -> bool:
        return utcnow() >= self.expires_at


class OAuthToken(TokenMixin, db.Model):
    """An access token (short-lived) and its refresh token, both stored as digests."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    access_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_in: Mapped[int]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()
    user: Mapped[User] = relationship()

    def check_client(self, client: ClientMixin) -> bool:
        return client.get_client_id() == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return utcnow() >= self.issued_at + timedelta(seconds=self.expires_in)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None or not self.user.is_active

    def is_refresh_usable(self) -> bool:
        expired = self.refresh_expires_at is not None and utcnow() >= self.refresh_expires_at
        return self.refresh_sha256 is not None and not expired and not self.is_revoked()

    def get_user(self) -> User:
        return self.user

    def get_client(self) -> OAuthClient:
        return self.client
