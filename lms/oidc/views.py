"""OpenID Connect endpoints: discovery, JWKS, authorize, token, userinfo, hub logout landing.

``/oauth/token`` is the only CSRF-exempt endpoint (clients authenticate with their secret).
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_oauth2 import current_token
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.db import db
from lms.oidc.claims import user_claims
from lms.oidc.keys import public_jwks
from lms.oidc.server import TOKEN_AUTH_METHODS, authorization_server, issuer, require_oauth

bp = Blueprint("oidc", __name__, template_folder="templates")

SCOPES = ["openid", "profile", "email", "groups"]
CLAIMS = ["sub", "name", "preferred_username", "email", "email_verified", "locale", "groups"]


def discovery_document() -> dict[str, Any]:
    """The provider metadata (OpenID Connect Discovery 1.0)."""
    base = issuer()
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/oauth/userinfo",
        "jwks_uri": f"{base}/oauth/jwks",
        "end_session_endpoint": f"{base}/oauth/logout",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": SCOPES,
        "claims_supported": CLAIMS,
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
    }


@bp.get("/.well-known/openid-configuration")
def discovery() -> ResponseReturnValue:
    return jsonify(discovery_document())


@bp.get("/oauth/jwks")
def jwks() -> ResponseReturnValue:
    return jsonify(public_jwks())


def _bad_authorize_request(error: OAuth2Error) -> ResponseReturnValue:
    # Never redirect to an unverified redirect_uri: show the error here instead.
    message = _l(
        "The lab sign-in request is invalid: %(reason)s", reason=error.description or error.error
    )
    return render_template("errors/400.html", message=message), 400


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize() -> ResponseReturnValue:
    """Grant a code at once to first-party clients; others get a consent page (POST = yes)."""
    server = authorization_server()
    user = current_user._get_current_object()
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):  # set once client and redirect_uri are valid
            return server.handle_error_response(server.create_oauth2_request(None), error)
        return _bad_authorize_request(error)
    if request.method == "GET" and not grant.client.is_first_party:
        return render_template(
            "oidc/consent.html", client=grant.client, scopes=grant.request.payload.scope
        )
    granted = request.method == "GET" or request.form.get("decision") == "allow"
    response = server.create_authorization_response(
        grant_user=user if granted else None, grant=grant
    )
    db.session.commit()
    return response


@bp.post("/oauth/token")
def issue_token() -> ResponseReturnValue:
    response = authorization_server().create_token_response()
    db.session.commit()
    return response


@bp.route("/oauth/userinfo", methods=["GET", "POST"])
@require_oauth("openid")
def userinfo() -> ResponseReturnValue:
    return jsonify(user_claims(current_token.user, current_token.scope))


@bp.get("/oauth/logout")
def lab_logged_out() -> ResponseReturnValue:
    """Where the hub sends people after its own logout: offers the portal logout (a POST
    form, so a third-party page cannot log anyone out)."""
    return render_template("oidc/logged_out.html", signed_in=current_user.is_authenticated)
