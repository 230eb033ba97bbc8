"""The portal as an OAuth2/OpenID Connect provider (JupyterHub logs in through it).

``register_oidc(app)`` adds the endpoints (``lms.oidc.views``), the ``flask oidc …``
and ``flask labs …`` commands and the single-logout hook: when a user logs out of the portal, their OAuth
tokens are revoked (the hub's periodic ``refresh_user`` then fails and the hub session
ends) and the hub is asked to revoke the user's hub tokens and stop their servers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_login import user_logged_out

logger = logging.getLogger(__name__)


def register_oidc(app: Flask) -> None:
    from lms.extensions import csrf
    from lms.hub.cli import labs_cli
    from lms.oidc.cli import oidc_cli
    from lms.oidc.keys import load_signing_key
    from lms.oidc.server import init_server
    from lms.oidc.views import bp, issue_token

    app.extensions["lms_oidc_key"] = load_signing_key(app.config, Path(app.instance_path))
    init_server(app)
    app.register_blueprint(bp)
    csrf.exempt(issue_token)
    app.cli.add_command(oidc_cli)
    app.cli.add_command(labs_cli)  # the labs' other commands; the hub client has no app hook


def end_lab_session(sender: Any, user: Any = None, **_extra: Any) -> None:
    """On portal logout: revoke the user's OAuth tokens (committed at once, because the
    logout view writes nothing else), then end the hub session; hub trouble is logged and
    never blocks the logout."""
    from lms.db import db
    from lms.hub import get_hub_client, hub_settings
    from lms.hub.accounting import record_stop
    from lms.hub.errors import HubError
    from lms.oidc.claims import hub_username
    from lms.oidc.services import revoke_user_tokens

    if user is None or "lms_oidc_server" not in current_app.extensions:
        return
    revoked = revoke_user_tokens(user)
    db.session.commit()
    settings = hub_settings()
    if not settings.is_configured:
        return
    try:
        get_hub_client().end_session(hub_username(user), stop_servers=settings.stop_on_logout)
    except HubError as error:
        logger.warning("lab session of user %s not ended: %s", user.id, error.code)
        return
    if settings.stop_on_logout:
        record_stop(user, server=None)
        db.session.commit()
    logger.info("user %s logged out: %d OAuth tokens revoked, lab session ended", user.id, revoked)


user_logged_out.connect(end_lab_session)
