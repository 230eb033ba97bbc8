"""The HTML side of the portal: page blueprints, security headers and template helpers.

`create_app` calls :func:`register_web` once. Everything a page needs that is not a domain
service lives here: the language switch, the headers every response carries, and the small
helpers templates use (localised field, dates in the viewer's time zone, role checks).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from lms.db import db

logger = logging.getLogger(__name__)

SUPPORTED_LOCALES = ("ko", "en")
DEFAULT_TIMEZONE = "Asia/Seoul"

#: Page blueprints, by module; each module exposes ``bp``.
PAGE_MODULES = (
    "lms.accounts.views",
    "lms.catalog.views",
    "lms.dashboard.views",
    "lms.orgs.views",
    "lms.orgs.invitation_views",
    "lms.orgs.sponsor_views",
    "lms.orgs.member_views",
    "lms.admin.views",
    "lms.admin.catalog_views",
    "lms.grading.views",
    "lms.grading.staff_views",
    "lms.grading.review_views",
    "lms.grading.regrade_views",
    "lms.grading.similarity_views",
    "lms.grading.rubric_views",
    "lms.publishing.views",
    "lms.hub.views",
    "lms.hub.staff_views",
    "lms.skills.views",
    "lms.skills.course_views",
    "lms.consent.views",
    "lms.reporting.views",
    "lms.privacy.views",
    "lms.privacy.admin_views",
    "lms.credentials.views",
    "lms.credentials.admin_views",
    "lms.completion.views",
    "lms.completion.attendance_views",
    "lms.completion.programme_views",
)

#: Sent on every response. No inline script or style anywhere, so 'self' is enough.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
# No form-action: browsers apply it to the redirect after a POST too, which would block the
# OIDC consent form (POST /oauth/authorize) from sending the user back to JupyterHub.
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

#: Translated names of the enum values that pages show.
LABELS: dict[str, dict[str, Any]] = {
    "track": {
        "ai_foundations": _l("AI foundations"),
        "smart_factory": _l("Smart factory"),
        "smart_mobility": _l("Smart mobility"),
        "semiconductors": _l("Next-generation semiconductors"),
        "smart_healthcare": _l("Smart healthcare"),
    },
    "level": {
        "beginner": _l("Beginner"),
        "intermediate": _l("Intermediate"),
        "advanced": _l("Advanced"),
    },
    "segment": {
        "school": _l("School student"),
        "university": _l("University student"),
        "graduate": _l("Graduate student"),
        "worker": _l("Worker"),
    },
    "role": {
        "learner": _l("Learner"),
        "instructor": _l("Instructor"),
        "org_manager": _l("Organisation manager"),
        "admin": _l("Administrator"),
    },
    "org_kind": {
        "company": _l("Company"),
        "school": _l("School"),
        "university": _l("University"),
        "agency": _l("Public agency"),
    },
    "enrollment_status": {
        "active": _l("Active"),
        "completed": _l("Completed"),
        "dropped": _l("Dropped"),
    },
    "membership_role": {"member": _l("Member"), "manager": _l("Manager")},
    "invitation_status": {
        "pending": _l("Pending"),
        "accepted": _l("Accepted"),
        "declined": _l("Declined"),
        "revoked": _l("Withdrawn"),
        "expired": _l("Expired"),
    },
    "join_request_status": {
        "pending": _l("Waiting for approval"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
        "withdrawn": _l("Withdrawn"),
    },
}

core = Blueprint("core", __name__)


def register_web(app: Flask) -> None:
    """Register every page blueprint, the security headers and the template helpers."""
    app.register_blueprint(core)
    blueprints = {import_module(name).bp for name in PAGE_MODULES}
    for blueprint in sorted(blueprints, key=lambda b: b.name):
        app.register_blueprint(blueprint)
    app.register_error_handler(CSRFError, csrf_error)
    login_manager = app.login_manager
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    app.after_request(add_security_headers)
    app.context_processor(template_helpers)
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(localdate, "localdate")


def add_security_headers(response: Response) -> Response:
    """Add the security headers to ``response`` unless a view already set its own."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        # Browsers ignore it over plain HTTP, so it is only sent over HTTPS.
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages show personal data: never keep them in a shared cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def csrf_error(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: the 400 page, saying what to do."""
    message = _l(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    return render_template("errors/400.html", message=message), 400


@core.get("/")
def index() -> Response:
    """Signed-in people land on their dashboard, everyone else on the catalogue."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.learner"))
    return redirect(url_for("catalog.catalogue"))


@core.post("/locale/<code>")
def set_locale(code: str) -> Response:
    """Switch the interface language for this session (and the signed-in user's preference).

    POST only, under CSRF protection, because it writes the user's saved preference.
    """
    if code not in SUPPORTED_LOCALES:
        abort(404)
    session["locale"] = code
    if current_user.is_authenticated and getattr(current_user, "locale", code) != code:
        current_user.locale = code
        db.session.commit()
    return redirect(safe_next(request.form.get("next") or request.args.get("next")))


def safe_next(target: str | None, default: str = "/") -> str:
    """Return ``target`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def me() -> Any:
    """The signed-in user object itself (not the proxy), to hand to services."""
    return current_user._get_current_object()


def show_error(form: Any, error: Any, fallback: str | None = None) -> None:
    """Put a service's domain error on ``form``: under the field it names (else under
    ``fallback``), else above the form."""
    message = str(error.message)
    field = getattr(form, getattr(error, "field", None) or fallback or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def current_locale() -> str:
    """The language of this request ('ko' or 'en')."""
    return str(get_locale() or "ko")


def user_timezone() -> ZoneInfo:
    """The viewer's time zone: their setting when signed in, else LMS_DEFAULT_TIMEZONE."""
    name = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    default = current_app.config.get("LMS_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


#: Date-time patterns per language: 24-hour clock, unambiguous for deadlines.
DATETIME_PATTERNS = {
    "ko": {"short": "y. M. d. HH:mm", "medium": "y. M. d. (E) HH:mm"},
    "en": {"short": "d MMM y, HH:mm", "medium": "EEE d MMM y, HH:mm"},
}


def localtime(value: datetime | None, style: str = "medium") -> str:
    """Format an aware UTC datetime in the viewer's time zone and language (24-hour clock)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    locale = current_locale()
    pattern = DATETIME_PATTERNS.get(locale, DATETIME_PATTERNS["ko"]).get(style, style)
    return format_datetime(value, pattern, tzinfo=user_timezone(), locale=locale)


def localdate(value: date | None, style: str = "medium") -> str:
    """Format a calendar date in the viewer's language."""
    if value is None:
        return ""
    return format_date(value, style, locale=current_locale())


def localized(obj: Any, field: str) -> str:
    """``obj.<field>_<locale>``, falling back to the other language when that one is empty."""
    first, second = ("en", "ko") if current_locale() == "en" else ("ko", "en")
    return getattr(obj, f"{field}_{first}", None) or getattr(obj, f"{field}_{second}", None) or ""


def enum_value(value: Any) -> str:
    """The plain string of an enum member (or the string itself)."""
    return str(getattr(value, "value", value) or "")


def has_role(*roles: str) -> bool:
    """True when the signed-in user has one of ``roles`` (admins pass every check)."""
    if not current_user.is_authenticated:
        return False
    role = enum_value(getattr(current_user, "role", ""))
    return role == "admin" or role in roles


def template_helpers() -> dict[str, Any]:
    """Names every template can use."""
    return {
        "current_locale": current_locale,
        "supported_locales": SUPPORTED_LOCALES,
        "localized": localized,
        "enum_value": enum_value,
        "has_role": has_role,
        "user_timezone": user_timezone,
        "label": label,
    }


def label(kind: str, value: Any) -> str:
    """The translated name of an enum value, e.g. ``label("track", "smart_factory")``."""
    key = enum_value(value)
    return str(LABELS.get(kind, {}).get(key, key))
