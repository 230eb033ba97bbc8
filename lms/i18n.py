"""Locale selection.

Pages: ``session["locale"]`` (the language switch) → the logged-in user's ``locale`` →
``LMS_DEFAULT_LOCALE``. API (``/api/``): the ``Accept-Language`` header → the token user's
``locale`` → ``LMS_DEFAULT_LOCALE``.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user

from lms.config import SUPPORTED_LOCALES


def select_locale() -> str:
    """The locale of the current request: one of ``SUPPORTED_LOCALES``."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "ko")
    if not has_request_context():
        return default
    if request.path.startswith("/api/"):
        header = request.headers.get("Accept-Language")
        best = request.accept_languages.best_match(SUPPORTED_LOCALES) if header else None
        return best or _user_locale(g.get("api_user")) or default
    chosen = session.get("locale")
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return _user_locale(_session_user()) or default


def _user_locale(user: object) -> str | None:
    locale = getattr(user, "locale", None)
    return locale if locale in SUPPORTED_LOCALES else None


def _session_user() -> object | None:
    if not hasattr(current_app, "login_manager"):
        return None
    user = current_user._get_current_object()
    return user if getattr(user, "is_authenticated", False) else None
