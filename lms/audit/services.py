"""Recording audit events. Services call ``record``; it flushes nothing by itself."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from lms.audit.models import AuditEvent
from lms.db import db


def record(
    action: str,
    actor: Any = None,
    obj: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` (e.g. ``login.failed``) by ``actor`` on ``obj``.

    ``obj`` is a model instance (its table name and id are kept; it is flushed first when it
    has no id yet). The client address and user agent come from the current request, if any.
    Never put secrets (passwords, tokens) in ``details``. The event is added to the session;
    the caller's commit stores it.
    """
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        details=details or {},
    )
    if obj is not None:
        if getattr(obj, "id", None) is None:
            db.session.flush()
        event.object_type = obj.__tablename__
        event.object_id = str(obj.id)
    if has_request_context():
        event.ip = (request.remote_addr or "")[:45] or None
        event.user_agent = (request.user_agent.string or "")[:255] or None
    db.session.add(event)
    return event
