"""Invitation routes of API v1 (registered on ``lms.api.api_bp``): an HR system lists the
organisation's invitations, invites new people and withdraws invitations, with a manager's
personal token (organisation-scoped tokens only read reports). Each parses, checks access,
calls one service and commits once."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.api.schemas import json_body
from lms.db import db, utcnow
from lms.errors import ValidationError
from lms.mail.settings import is_enabled as mail_enabled
from lms.orgs import invitations
from lms.orgs.models import Department, Invitation, InvitationStatus, Organisation
from lms.orgs.services import can_manage_org, get_org

STATES = {s.value for s in InvitationStatus}


def _managed(slug: str) -> Organisation:
    org = get_org(slug)
    if not can_manage_org(current_api_user(), org):
        abort(403)
    return org


def invitation_json(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "email": invitation.email,
        "name": invitation.name,
        "department": invitation.department.name if invitation.department else None,
        "role": str(invitation.role),
        "state": invitation.state(utcnow()).value,
        "sent_at": invitation.sent_at.isoformat(),
        "expires_at": invitation.expires_at.isoformat(),
        "responded_at": invitation.responded_at.isoformat() if invitation.responded_at else None,
    }


@api_bp.get("/orgs/<slug>/invitations")
@token_required
def org_invitations(slug: str) -> Any:
    """Invitations, newest first, 100 a page; ``state`` and ``q`` filter."""
    org = _managed(slug)
    state = request.args.get("state")
    if state and state not in STATES:
        raise ValidationError("invalid_state", _l("Unknown state."), "state")
    page = invitations.list_invitations(
        org, state, request.args.get("q"), max(request.args.get("page", 1, type=int), 1)
    )
    items = [invitation_json(i) for i in page]
    return jsonify(
        {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}
    )


def _department(org: Organisation, name: Any) -> Department | None:
    if name in (None, ""):
        return None
    found = db.session.scalar(
        select(Department).where(Department.org_id == org.id, Department.name == str(name).strip())
    )
    if found is None:
        raise ValidationError("invalid_department", _l("Unknown department."), "department")
    return found


@api_bp.post("/orgs/<slug>/invitations")
@token_required
def create_invitation(slug: str) -> Any:
    """Invite one person (the invitation e-mail is queued); the answer carries the link, the
    only time it is shown, and whether an e-mail was queued."""
    org = _managed(slug)
    body = json_body()
    if not isinstance(body.get("email"), str):
        raise ValidationError("invalid_email", _l("Enter a valid e-mail address."), "email")
    invitation, secret = invitations.invite(
        current_api_user(),
        org,
        body["email"],
        str(body.get("name") or ""),
        _department(org, body.get("department")),
        str(body.get("role") or "member"),
    )
    db.session.commit()
    link = url_for("orgs.invitation", token=secret, _external=True)
    body = {"invitation": invitation_json(invitation), "link": link, "mail_queued": mail_enabled()}
    return jsonify(body), 201


@api_bp.post("/orgs/<slug>/invitations/<int:invitation_id>/revoke")
@token_required
def revoke_invitation(slug: str, invitation_id: int) -> Any:
    """Withdraw a pending invitation; its link stops working."""
    org = _managed(slug)
    invitation = invitations.get_invitation(org, invitation_id)
    invitations.revoke(current_api_user(), invitation)
    db.session.commit()
    return jsonify(invitation_json(invitation))
