"""The portal: ``create_app`` builds a configured Flask application."""

from __future__ import annotations

import gc
import importlib.util
import logging
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the portal from ``LMS_*`` settings, overridden by ``config`` (Flask keys).

    Refuses to start (``SchemaNotCurrentError``) when the database schema is behind the
    migrations, except for the ``flask db …`` commands and when ``TESTING`` or
    ``LMS_SKIP_SCHEMA_CHECK`` is set (tests build the schema themselves).
    """
    from lms import cli, errors
    from lms.config import Settings
    from lms.db import check_schema_current, enforce_sqlite_foreign_keys
    from lms.extensions import babel, csrf, db, limiter, load_models, login_manager, migrate
    from lms.i18n import select_locale

    settings = Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(settings.flask_config())
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Korean stays readable in API responses
    app.json.sort_keys = False  # keep the documented field order
    logging.getLogger("lms").setLevel(app.config["LMS_LOG_LEVEL"])

    load_models()
    db.init_app(app)
    with app.app_context():
        enforce_sqlite_foreign_keys(db.engine)
    migrate.init_app(app, db)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    with app.app_context():
        from lms.mail.settings import check_settings

        check_settings()  # a wrong LMS_MAIL_* / LMS_SMTP_* value stops start-up, named

    from lms.accounts.services import load_session_user
    from lms.api import api_bp

    login_manager.user_loader(load_session_user)
    from lms.health import health_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)
    csrf.exempt(health_bp)
    csrf.exempt(api_bp)
    errors.register_error_handlers(app)
    cli.register_cli(app)
    importlib.import_module("lms.oidc").register_oidc(app)  # OIDC provider for the labs
    if importlib.util.find_spec("lms.web") is not None:
        importlib.import_module("lms.web").register_web(app)

    skip = app.config.get("TESTING") or app.config.get("LMS_SKIP_SCHEMA_CHECK")
    if not skip and not cli.is_db_command():
        with app.app_context():
            check_schema_current(db.engine)
    if not app.config.get("TESTING"):
        # What start-up made (modules, models, templates: ~500,000 objects) lives as long as
        # the process: out of the collector's way, a full collection during a request walks
        # only that request's objects (tens of ms less at the p95 of big report pages).
        gc.collect()
        gc.freeze()
    return app
