"""OAuth client registration and token revocation. Services flush, never commit."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from lms.accounts.models import User
from lms.db import db, utcnow
from lms.errors import Conflict, ValidationError
from lms.oidc.models import OAuthAuthorizationCode, OAuthClient, OAuthToken, digest

HUB_CLIENT_ID = "jupyterhub"
HUB_SECRET_FILE = "hub_oauth_client_secret"
CLIENT_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")


def check_redirect_uri(uri: str) -> str:
    """A redirect URI must be absolute http(s) without a fragment; http only on loopback."""
    parts = urlsplit(uri)
    loopback = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.fragment:
        raise ValidationError(
            "invalid_redirect_uri",
            _l("A redirect URI must be an absolute https:// URL."),
            "redirect_uri",
        )
    if parts.scheme == "http" and not loopback:
        raise ValidationError(
            "insecure_redirect_uri",
            _l("Plain http:// redirect URIs are only allowed on this machine (127.0.0.1)."),
            "redirect_uri",
        )
    return uri


def create_client(
    client_id: str, name: str, redirect_uris: list[str], first_party: bool = True
) -> tuple[OAuthClient, str]:
    """Register a client; returns it and its secret (shown once; only its hash is kept).

    Raises ``ValidationError`` (bad id or redirect URI) or ``Conflict`` (id taken).
    """
    if not CLIENT_ID_RE.fullmatch(client_id):
        raise ValidationError(
            "invalid_client_id",
            _l("A client id is 2-63 lower-case letters, digits, dots, dashes or underscores."),
            "client_id",
        )
    if not redirect_uris:
        raise ValidationError("redirect_uri_required", _l("Give at least one redirect URI."))
    uris = [check_redirect_uri(u) for u in redirect_uris]
    if get_client(client_id) is not None:
        raise Conflict("client_exists", _l("An OAuth client with this id already exists."))
    secret = secrets.token_urlsafe(32)
    client = OAuthClient(
        client_id=client_id,
        name=name,
        secret_sha256=digest(secret),
        redirect_uris=uris,
        is_first_party=first_party,
    )
    db.session.add(client)
    db.session.flush()
    return client, secret


def get_client(client_id: str) -> OAuthClient | None:
    return db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))


def active_client(client_id: str) -> OAuthClient | None:
    """The client with this id unless it is revoked (Authlib's ``query_client``)."""
    client = get_client(client_id)
    return client if client is not None and client.revoked_at is None else None


def ensure_hub_client(instance_path: Path, redirect_uri: str) -> tuple[OAuthClient, bool]:
    """Make sure the ``jupyterhub`` client exists with ``redirect_uri`` and that its secret is
    in ``<instance>/hub_oauth_client_secret`` (mode 0600). Safe to repeat: an existing
    matching secret is kept; a missing or mismatching file gets a fresh secret.
    Returns the client and whether the secret was (re)written.
    """
    check_redirect_uri(redirect_uri)
    path = instance_path / HUB_SECRET_FILE
    stored = path.read_text().strip() if path.exists() else ""
    client = get_client(HUB_CLIENT_ID)
    if client is None:
        client, secret = create_client(HUB_CLIENT_ID, "JupyterHub", [redirect_uri])
    else:
        client.redirect_uris = [redirect_uri]
        client.revoked_at = None
        if stored and client.check_client_secret(stored):
            db.session.flush()
            return client, False
        secret = secrets.token_urlsafe(32)
        client.secret_sha256 = digest(secret)
        db.session.flush()
    write_secret_file(path, secret)
    return client, True


def write_secret_file(path: Path, secret: str) -> None:
    """Write ``secret`` to ``path`` with mode 0600 (replacing it atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    os.replace(tmp, path)


def revoke_user_tokens(user: User) -> int:
    """Revoke every live OAuth token of ``user`` and drop their unused codes, so relying
    parties (the hub's ``refresh_user``) lose access. Returns how many tokens were revoked."""
    db.session.execute(
        delete(OAuthAuthorizationCode).where(OAuthAuthorizationCode.user_id == user.id)
    )
    result = db.session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user.id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.flush()
    return result.rowcount or 0


def ensure_hub_api_token(instance_path: Path) -> bool:
    """Create ``<instance>/hub_api_token`` (0600), the portal service's hub token, unless it
    exists. Both the portal and the dev hub read it when ``LMS_HUB_API_TOKEN`` is unset.
    Returns whether it was created."""
    path = instance_path / "hub_api_token"
    if path.exists():
        return False
    write_secret_file(path, secrets.token_hex(32))
    return True
