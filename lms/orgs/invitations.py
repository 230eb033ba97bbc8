"""Invitations into an organisation, and requests to join one. Services flush, never commit.

An invitation is addressed to an e-mail address. Its link carries a secret token of which
only the SHA-256 is stored; the invited person signs in (or signs up) with that address and
accepts, and only then becomes a member. A join request goes the other way: a person asks
(at sign-up or later) and a manager approves or rejects it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import Role, User
from lms.accounts.services import normalise_email
from lms.audit.services import record
from lms.catalog.queries import Page, paginate
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError
from lms.orgs.invitation_mail import cancel_invitation_mails, queue_invitation_mail
from lms.orgs.models import (
    Department,
    Invitation,
    InvitationStatus,
    JoinRequest,
    JoinRequestStatus,
    MemberRole,
    Organisation,
)
from lms.orgs.services import add_member, can_manage_org, current_member_ids

DEFAULT_TTL_DAYS = 14
PER_PAGE = 100


def invitation_ttl() -> timedelta:
    """How long an invitation link stays valid (``LMS_ORG_INVITATION_TTL_DAYS``, 14 days)."""
    days = DEFAULT_TTL_DAYS
    if has_app_context():
        days = int(current_app.config.get("LMS_ORG_INVITATION_TTL_DAYS", DEFAULT_TTL_DAYS))
    return timedelta(days=days)


def new_token() -> tuple[str, str]:
    """A fresh (secret, SHA-256 hex digest) pair for an invitation link."""
    secret = secrets.token_urlsafe(24)
    return secret, token_digest(secret)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _require_manager(actor: User | None, org: Organisation) -> None:
    if actor is not None and not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))


def check_role(actor: User | None, role: str | MemberRole) -> MemberRole:
    """The role, if ``actor`` may give it: managers invite members; admins (and the CLI)
    may also invite managers."""
    try:
        role = MemberRole(role or MemberRole.MEMBER)
    except ValueError:
        raise ValidationError("invalid_role", _l("Unknown role."), "role") from None
    if role == MemberRole.MANAGER and actor is not None and actor.role != Role.ADMIN:
        raise Forbidden("manager_role", _l("Only administrators can invite managers."))
    return role


def pending_emails(org: Organisation, now: datetime | None = None) -> set[str]:
    """E-mail addresses with a pending, unexpired invitation into ``org`` (one query)."""
    stmt = select(Invitation.email).where(
        Invitation.org_id == org.id,
        Invitation.status == InvitationStatus.PENDING,
        Invitation.expires_at > (now or utcnow()),
    )
    return set(db.session.scalars(stmt))


def member_emails(org: Organisation) -> set[str]:
    """E-mail addresses of the current members of ``org``."""
    ids = current_member_ids(org)
    if not ids:
        return set()
    return set(db.session.scalars(select(User.email).where(User.id.in_(ids))))


def invite(
    actor: User | None,
    org: Organisation,
    email: str,
    name: str = "",
    department: Department | None = None,
    role: str | MemberRole = MemberRole.MEMBER,
) -> tuple[Invitation, str]:
    """Invite ``email`` into ``org``; returns the invitation and its link secret (shown
    once). The invitation e-mail is queued in the same transaction (unless e-mail is off).
    Errors: ``Forbidden`` (not a manager; managers only invite members),
    ``ValidationError`` (e-mail, department), ``Conflict`` (``already_member``,
    ``already_invited``). Audited as ``org.invite``."""
    _require_manager(actor, org)
    role = check_role(actor, role)
    email = normalise_email(email)
    if department is not None and department.org_id != org.id:
        raise ValidationError("invalid_department", _l("Unknown department."), "department")
    if email in member_emails(org):
        raise Conflict("already_member", _l("This person is already a member."))
    if email in pending_emails(org):
        raise Conflict(
            "already_invited",
            _l("This address already has a pending invitation; send it again from the list."),
        )
    secret, digest = new_token()
    invitation = Invitation(
        org=org,
        email=email,
        name=(name or "").strip()[:200],
        department=department,
        role=role,
        token_sha256=digest,
        expires_at=utcnow() + invitation_ttl(),
        invited_by_id=getattr(actor, "id", None),
    )
    db.session.add(invitation)
    db.session.flush()
    queue_invitation_mail(actor, invitation, secret)
    record("org.invite", actor=actor, obj=invitation, details={"org": org.slug})
    return invitation, secret


def get_invitation(org: Organisation, invitation_id: int) -> Invitation:
    """An invitation of ``org``, else ``NotFound``."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.org_id != org.id:
        raise NotFound("invitation_not_found", _l("This invitation was not found."))
    return invitation


def find_by_token(secret: str) -> Invitation:
    """The invitation whose link carries ``secret``, else ``NotFound``."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_sha256 == token_digest(secret or ""))
    )
    if invitation is None:
        raise NotFound(
            "invitation_not_found",
            _l("This invitation link is not valid. It may have been replaced by a newer one."),
        )
    return invitation


def resend(actor: User | None, invitation: Invitation) -> str:
    """Invite again: a new link (the old one stops working) and a new expiry, e-mailed again
    (an unsent older e-mail is cancelled). For pending, expired, declined or revoked
    invitations; ``Conflict`` once accepted or a member."""
    _require_manager(actor, invitation.org)
    if invitation.status == InvitationStatus.ACCEPTED:
        raise Conflict("invitation_accepted", _l("This invitation was already accepted."))
    if invitation.email in member_emails(invitation.org):
        raise Conflict("already_member", _l("This person is already a member."))
    secret, invitation.token_sha256 = new_token()
    invitation.status = InvitationStatus.PENDING
    invitation.expires_at = utcnow() + invitation_ttl()
    invitation.sent_at, invitation.responded_at = utcnow(), None
    queue_invitation_mail(actor, invitation, secret)
    record("org.invite_resend", actor=actor, obj=invitation)
    return secret


def revoke(actor: User | None, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation; its link stops working. ``Conflict`` otherwise."""
    _require_manager(actor, invitation.org)
    _require_pending(invitation)
    invitation.status, invitation.responded_at = InvitationStatus.REVOKED, utcnow()
    _cancel_mail(invitation, "the invitation was withdrawn")
    record("org.invite_revoke", actor=actor, obj=invitation)
    return invitation


def _cancel_mail(invitation: Invitation, reason: str) -> None:
    # An invitation e-mail still waiting to go out would only carry a dead link now.
    cancel_invitation_mails(invitation.org, [invitation.email], reason)


_STATE_ERRORS = {
    InvitationStatus.ACCEPTED: _l("This invitation was already accepted."),
    InvitationStatus.DECLINED: _l("This invitation was declined."),
    InvitationStatus.REVOKED: _l("This invitation was withdrawn by the organisation."),
    InvitationStatus.EXPIRED: _l(
        "This invitation has expired. Ask the organisation for a new one."
    ),
}


def _require_pending(invitation: Invitation) -> None:
    state = invitation.state(utcnow())
    if state != InvitationStatus.PENDING:
        raise Conflict(f"invitation_{state.value}", _STATE_ERRORS[state])


def _require_addressee(user: User, invitation: Invitation) -> None:
    if user.email != invitation.email:
        raise Forbidden(
            "wrong_account",
            _l(
                "This invitation was sent to another e-mail address. "
                "Sign in with the address it was sent to."
            ),
        )


def accept(user: User, invitation: Invitation):
    """``user`` (whose e-mail is the invited address) accepts: a membership starts today in
    the invited department and role. Errors: ``Forbidden`` (another address), ``Conflict``
    (not pending: accepted, declined, revoked, expired; already a member)."""
    _require_pending(invitation)
    _require_addressee(user, invitation)
    membership = add_member(
        None, invitation.org, user, invitation.role, department=invitation.department
    )
    invitation.status, invitation.responded_at = InvitationStatus.ACCEPTED, utcnow()
    invitation.user_id = user.id
    _cancel_mail(invitation, "the invitation was answered")
    record("org.invite_accept", actor=user, obj=invitation)
    return membership


def decline(user: User, invitation: Invitation) -> Invitation:
    """``user`` declines a pending invitation addressed to them."""
    _require_pending(invitation)
    _require_addressee(user, invitation)
    invitation.status, invitation.responded_at = InvitationStatus.DECLINED, utcnow()
    invitation.user_id = user.id
    _cancel_mail(invitation, "the invitation was answered")
    record("org.invite_decline", actor=user, obj=invitation)
    return invitation


def invitations_for(user: User) -> list[Invitation]:
    """Pending, unexpired invitations addressed to ``user``'s e-mail, newest first."""
    stmt = (
        select(Invitation)
        .where(Invitation.email == user.email, Invitation.status == InvitationStatus.PENDING)
        .where(Invitation.expires_at > utcnow())
        .order_by(Invitation.sent_at.desc())
    )
    return list(db.session.scalars(stmt))


def list_invitations(
    org: Organisation, state: str | None = None, q: str | None = None, page: int = 1
) -> Page:
    """One page (100) of ``org``'s invitations, newest first; ``state`` filters (expired is
    computed), ``q`` searches e-mail and name. Two statements."""
    stmt = select(Invitation).where(Invitation.org_id == org.id)
    now = utcnow()
    if state == InvitationStatus.EXPIRED:
        stmt = stmt.where(
            Invitation.status == InvitationStatus.PENDING, Invitation.expires_at <= now
        )
    elif state == InvitationStatus.PENDING:
        stmt = stmt.where(Invitation.status == state, Invitation.expires_at > now)
    elif state:
        stmt = stmt.where(Invitation.status == InvitationStatus(state))
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            or_(Invitation.email.like(pattern), Invitation.name.like(f"%{q.strip()}%"))
        )
    stmt = stmt.options(selectinload(Invitation.department))
    return paginate(stmt.order_by(Invitation.sent_at.desc(), Invitation.id), page, PER_PAGE)


def request_to_join(user: User, org: Organisation) -> JoinRequest:
    """``user`` asks to join ``org``; a manager decides. ``Conflict`` when already a member
    or a request is pending. Audited as ``org.join_request``."""
    if user.id in current_member_ids(org):
        raise Conflict("already_member", _l("You are already a member of this organisation."))
    pending = db.session.scalar(
        select(JoinRequest.id).where(
            JoinRequest.org_id == org.id,
            JoinRequest.user_id == user.id,
            JoinRequest.status == JoinRequestStatus.PENDING,
        )
    )
    if pending:
        raise Conflict("request_pending", _l("You have already asked to join; please wait."))
    request = JoinRequest(org=org, user=user)
    db.session.add(request)
    db.session.flush()
    record("org.join_request", actor=user, obj=request, details={"org": org.slug})
    return request


def get_join_request(org: Organisation, request_id: int) -> JoinRequest:
    request = db.session.get(JoinRequest, request_id)
    if request is None or request.org_id != org.id:
        raise NotFound("request_not_found", _l("This request was not found."))
    return request


def decide_join_request(
    actor: User, request: JoinRequest, approve: bool, department: Department | None = None
) -> JoinRequest:
    """A manager approves (a membership starts today, in ``department``) or rejects a
    pending request. ``Conflict`` when it is no longer pending."""
    _require_manager(actor, request.org)
    if request.status != JoinRequestStatus.PENDING:
        raise Conflict("request_decided", _l("This request was already answered."))
    if approve:
        add_member(actor, request.org, request.user, department=department)
    request.status = JoinRequestStatus.APPROVED if approve else JoinRequestStatus.REJECTED
    request.decided_at, request.decided_by_id = utcnow(), actor.id
    record("org.join_decide", actor=actor, obj=request, details={"approved": approve})
    return request


def withdraw_join_request(user: User, request: JoinRequest) -> JoinRequest:
    """``user`` withdraws their own pending request."""
    if request.user_id != user.id:
        raise NotFound("request_not_found", _l("This request was not found."))
    if request.status != JoinRequestStatus.PENDING:
        raise Conflict("request_decided", _l("This request was already answered."))
    request.status, request.decided_at = JoinRequestStatus.WITHDRAWN, utcnow()
    record("org.join_withdraw", actor=user, obj=request)
    return request


def pending_join_requests(org: Organisation) -> list[JoinRequest]:
    """Pending requests to join ``org``, oldest first."""
    stmt = select(JoinRequest).where(
        JoinRequest.org_id == org.id, JoinRequest.status == JoinRequestStatus.PENDING
    )
    return list(db.session.scalars(stmt.order_by(JoinRequest.created_at, JoinRequest.id)))


def join_requests_of(user: User) -> list[JoinRequest]:
    """All of ``user``'s requests to join organisations, newest first."""
    stmt = select(JoinRequest).where(JoinRequest.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(JoinRequest.created_at.desc())))
