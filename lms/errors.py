"""Domain errors raised by services. Pages and the API show their translated messages.

A ``DomainError`` has a machine ``code`` (stable, for API clients), a ``message`` (a lazy
translated string, so it renders in the request's language) and an HTTP ``status``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext
from jinja2 import TemplateNotFound
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of all errors a service may raise on purpose."""

    status = 400
    default_code = "bad_request"

    def __init__(self, code: str | None = None, message: Any = None, status: int | None = None):
        self.code = code or self.default_code
        self.message = message if message is not None else lazy_gettext("The request is invalid.")
        if status is not None:
            self.status = status
        super().__init__(self.code)

    def __str__(self) -> str:
        return str(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body the API answers with."""
        return {"error": {"code": self.code, "message": str(self.message)}}


class BadRequest(DomainError):
    """The request cannot be parsed (400)."""


class Unauthorized(DomainError):
    """No valid credentials (401)."""

    status = 401
    default_code = "unauthorized"


class Forbidden(DomainError):
    """The actor may not do this (403)."""

    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does (404)."""

    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state: duplicates, full cohorts (409)."""

    status = 409
    default_code = "conflict"


class ValidationError(DomainError):
    """The input is well-formed but invalid (422). ``field`` names the bad input."""

    status = 422
    default_code = "validation_error"

    def __init__(self, code: str | None = None, message: Any = None, field: str | None = None):
        super().__init__(code, message)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        if self.field:
            body["error"]["field"] = self.field
        return body


_HTTP_MESSAGES = {
    400: ("bad_request", lazy_gettext("The request is invalid.")),
    401: ("unauthorized", lazy_gettext("Please log in.")),
    403: ("forbidden", lazy_gettext("You are not allowed to do this.")),
    404: ("not_found", lazy_gettext("The page or object was not found.")),
    405: ("method_not_allowed", lazy_gettext("This method is not allowed here.")),
    413: ("too_large", lazy_gettext("The request is too large.")),
    415: ("unsupported_media_type", lazy_gettext("Send the body as application/json.")),
    429: ("rate_limited", lazy_gettext("Too many requests. Please wait and try again.")),
    500: ("internal_error", lazy_gettext("Something went wrong on our side.")),
}


def wants_json() -> bool:
    """API requests get JSON errors; everything else gets an HTML page."""
    return request.path.startswith("/api/")


def http_error_to_domain(exc: Any) -> DomainError:
    """Turn a werkzeug ``HTTPException`` into a ``DomainError`` with a machine code."""
    code, message = _HTTP_MESSAGES.get(exc.code or 500, _HTTP_MESSAGES[500])
    return DomainError(code, message, exc.code or 500)


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api/, HTML pages (``errors/<status>.html``) elsewhere."""
    app.register_error_handler(DomainError, _render)
    app.register_error_handler(HTTPException, lambda exc: _render(http_error_to_domain(exc), exc))
    app.register_error_handler(IntegrityError, _integrity_error)


def _integrity_error(exc: Exception) -> Any:
    """A constraint refused a write that the service checks let through: a concurrent
    request got there first (two enrolments at once). Answer 409, never a 500."""
    from lms.db import db  # lms.db is imported lazily: models import this module early

    db.session.rollback()
    logger.warning("integrity error turned into 409: %s", type(exc).__name__)
    message = lazy_gettext("This clashes with a change made at the same time. Please try again.")
    return _render(Conflict("conflict", message))


def _render(error: DomainError, http_exc: Any = None) -> Any:
    if wants_json():
        response = jsonify(error.to_dict())
    else:
        try:
            response = render_template(f"errors/{error.status}.html", error=error)
        except TemplateNotFound:
            response = str(error.message)
    if isinstance(response, str):
        response = make_response(response)
    response.status_code = error.status
    if http_exc is not None and hasattr(http_exc, "get_headers"):
        # Keep Allow / Retry-After / WWW-Authenticate from werkzeug; not its content type.
        for name, value in http_exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
    return response
