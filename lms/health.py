"""``GET /healthz``: liveness and readiness for the runner, load balancers and probes.

Answers 200 ``{"status": "ok"}`` when the database answers, 503 with the reason otherwise.
No authentication and no personal data, so it is safe to expose to a probe.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db

health_bp = Blueprint("health", __name__)


@health_bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=type(exc).__name__), 503
    return jsonify(status="ok")
