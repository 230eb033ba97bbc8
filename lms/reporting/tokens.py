"""Organisation-scoped API tokens for HR systems.

A token with ``org_id`` set reads only that organisation's reporting endpoints, and only
while the person who created it still manages the organisation. Services flush, never commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import ApiToken, User
from lms.accounts.services import _token_digest, create_token
from lms.audit.services import record
from lms.db import db, utcnow
from lms.errors import Forbidden, NotFound
from lms.orgs.models import Organisation

#: The API endpoints an organisation-scoped token may call.
ORG_ENDPOINTS = frozenset({"api.org_members", "api.org_progress", "api.openapi"})


def check_token_scope(secret: str, endpoint: str | None) -> int | None:
    """The organisation id a (valid) token is scoped to, or None for a personal token.

    Raises ``Forbidden`` (``token_scope``) when an organisation-scoped token calls any
    endpoint outside :data:`ORG_ENDPOINTS`."""
    org_id = db.session.scalar(
        select(ApiToken.org_id).where(ApiToken.token_sha256 == _token_digest(secret))
    )
    if org_id is not None and endpoint not in ORG_ENDPOINTS:
        raise Forbidden(
            "token_scope",
            _l("This organisation token can only read its organisation's reports."),
        )
    return org_id


def create_org_token(actor: User, org: Organisation, name: str) -> tuple[ApiToken, str]:
    """A new token of ``actor`` scoped to ``org`` (its managers and admins); returns it with
    the secret, shown once. ``Forbidden`` for others. Audited."""
    _require_manager(actor, org)
    token, secret = create_token(actor, actor, name)
    token.org_id = org.id
    db.session.flush()
    record("org.token_create", actor=actor, obj=token, details={"org_id": org.id})
    return token, secret


def list_org_tokens(actor: User, org: Organisation) -> list[ApiToken]:
    """The organisation's tokens, newest first (its managers and admins)."""
    _require_manager(actor, org)
    stmt = select(ApiToken).where(ApiToken.org_id == org.id).order_by(ApiToken.id.desc())
    return list(db.session.scalars(stmt))


def revoke_org_token(actor: User, org: Organisation, token_id: int) -> ApiToken:
    """Revoke one of the organisation's tokens; ``NotFound`` for other tokens. Audited."""
    _require_manager(actor, org)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.org_id != org.id:
        raise NotFound("token_not_found", _l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("org.token_revoke", actor=actor, obj=token, details={"org_id": org.id})
    return token


def _require_manager(actor: User, org: Organisation) -> None:
    from lms.orgs.services import can_manage_org

    if not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
