"""Bearer-token authentication of the API (personal access tokens)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, request
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.accounts.services import authenticate_token
from lms.db import db
from lms.errors import Unauthorized


def load_token_user() -> None:
    """Before each API request: ``g.api_user`` is the token's user, or None without a header.

    A header that is present but malformed, or a revoked, expired or unknown token, is a
    401 — never silently treated as anonymous.
    """
    g.api_user = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("invalid_token", _l("Send the token as: Authorization: Bearer <token>."))
    g.api_user = authenticate_token(secret.strip())
    from lms.reporting.tokens import check_token_scope  # issue 6: org-scoped HR tokens

    g.api_token_org_id = check_token_scope(secret.strip(), request.endpoint)
    if db.session.dirty:  # last_used_at moved on; keep it even if the request fails later
        db.session.commit()


def current_api_user() -> User | None:
    return g.get("api_user")


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view needs a valid token; without one it answers 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("api_user") is None:
            raise Unauthorized("token_required", _l("This endpoint needs an API token."))
        return view(*args, **kwargs)

    return wrapper


def add_www_authenticate(response: Any) -> Any:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="lms"'
    return response
