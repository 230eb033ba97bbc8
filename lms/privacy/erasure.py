"""Deletion on request: the person asks, an administrator reviews and executes it (or the
person confirms at once with their password); then ``lms.privacy.anonymise`` erases.

Every step is audited (``privacy.deletion.*``). Services flush and never commit; after the
commit that erased an account, the caller runs ``finish_erasure`` (the hub is outside the
database transaction).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.accounts.services import authenticate
from lms.audit.services import record as audit
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError
from lms.privacy.anonymise import (
    delete_notebooks,
    end_lab_access,
    erase_personal_data,
    is_anonymised,
)
from lms.privacy.models import DeletionRequest, DeletionStatus

MAX_NOTE = 2000


def pending_request(user: User) -> DeletionRequest | None:
    return db.session.scalar(
        select(DeletionRequest).where(
            DeletionRequest.user_id == user.id, DeletionRequest.status == DeletionStatus.PENDING
        )
    )


def _check_erasable(user: User) -> None:
    if is_anonymised(user):
        raise Conflict("already_erased", _l("This account has already been deleted."))
    if user.role == Role.ADMIN:
        others = db.session.scalar(
            select(func.count(User.id)).where(
                User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id
            )
        )
        if not others:
            raise Conflict(
                "last_admin",
                _l(
                    "The last administrator cannot be deleted. Make someone else an administrator first."
                ),
            )


def _note(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(
            "note_too_long", _l("Keep the note under %(n)d characters.", n=MAX_NOTE), "reason"
        )
    return text


def request_deletion(user: User, reason: str = "") -> DeletionRequest:
    """Ask for ``user``'s account to be deleted after an administrator's review. Raises
    ``Conflict`` (``deletion_pending``, ``already_erased``, ``last_admin``). Audited."""
    _check_erasable(user)
    if pending_request(user) is not None:
        raise Conflict("deletion_pending", _l("You have already asked for deletion."))
    request = DeletionRequest(user=user, method="review", reason=_note(reason))
    db.session.add(request)
    db.session.flush()
    audit("privacy.deletion.request", actor=user, obj=request)
    return request


def cancel_deletion(user: User, request_id: int) -> DeletionRequest:
    """The person withdraws their pending request (``NotFound`` for others' or decided ones)."""
    request = db.session.get(DeletionRequest, request_id)
    if request is None or request.user_id != user.id or request.status != DeletionStatus.PENDING:
        raise NotFound("deletion_not_found", _l("No pending deletion request."))
    request.status, request.decided_at = DeletionStatus.CANCELLED, utcnow()
    audit("privacy.deletion.cancel", actor=user, obj=request)
    return request


def _decidable(admin: User, request_id: int) -> DeletionRequest:
    if admin.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators review deletion requests."))
    request = db.session.get(DeletionRequest, request_id)
    if request is None:
        raise NotFound("deletion_not_found", _l("No such deletion request."))
    if request.status != DeletionStatus.PENDING:
        raise Conflict("deletion_decided", _l("This request has already been decided."))
    if request.user_id == admin.id:
        raise Forbidden("own_request", _l("Another administrator must review your own request."))
    return request


def reject_deletion(admin: User, request_id: int, note: str) -> DeletionRequest:
    """Refuse a pending request with a note the person sees (required). Audited."""
    request = _decidable(admin, request_id)
    note = _note(note)
    if not note:
        raise ValidationError(
            "note_required", _l("Say why the request is refused; the person will see it."), "note"
        )
    request.status, request.decision_note = DeletionStatus.REJECTED, note
    request.decided_by, request.decided_at = admin, utcnow()
    audit("privacy.deletion.reject", actor=admin, obj=request, details={"user_id": request.user_id})
    return request


def approve_deletion(admin: User, request_id: int) -> DeletionRequest:
    """Execute a pending request: the account is erased (``lms.privacy.anonymise``).
    Raises ``Conflict`` (``last_admin``, ``already_erased``). Audited."""
    request = _decidable(admin, request_id)
    _check_erasable(request.user)
    request.decided_by, request.decided_at = admin, utcnow()
    return _erase(admin, request)


def erase_with_password(user: User, password: str, reason: str = "") -> DeletionRequest:
    """The person deletes their own account at once, confirming with their password.
    A wrong password raises ``Unauthorized`` and counts as a failed login (the caller
    commits that). Audited."""
    _check_erasable(user)
    authenticate(user.email, password)
    request = pending_request(user) or DeletionRequest(user=user, reason=_note(reason))
    request.method = "password"
    db.session.add(request)
    db.session.flush()
    request.decided_by, request.decided_at = user, utcnow()
    return _erase(user, request)


def _erase(actor: User, request: DeletionRequest) -> DeletionRequest:
    user = request.user
    summary = erase_personal_data(user)
    request.status, request.completed_at = DeletionStatus.COMPLETED, utcnow()
    request.summary = summary
    event = audit(
        "privacy.deletion.execute",
        actor=actor,
        obj=user,
        details={"request_id": request.id, "method": request.method},
    )
    if actor.id == user.id:  # the person's own address and browser are not kept either
        event.ip = event.user_agent = None
    return request


def finish_erasure(request: DeletionRequest) -> DeletionRequest:
    """After the erasing commit: delete the person's notebooks from storage, end their lab
    access, and note both in the request's summary (the caller commits again). Safe to run
    again (``flask --app lms privacy process`` does for requests left unfinished)."""
    summary = delete_notebooks(request.summary)
    request.summary = {**summary, **end_lab_access(request.user)}
    return request


def unfinished_erasures() -> list[DeletionRequest]:
    """Completed requests whose after-commit step did not run (the process stopped)."""
    stmt = select(DeletionRequest).where(DeletionRequest.status == DeletionStatus.COMPLETED)
    return [r for r in db.session.scalars(stmt) if "blobs_to_delete" in (r.summary or {})]


def requests_of(user: User) -> list[DeletionRequest]:
    stmt = (
        select(DeletionRequest)
        .where(DeletionRequest.user_id == user.id)
        .order_by(DeletionRequest.requested_at.desc(), DeletionRequest.id.desc())
    )
    return list(db.session.scalars(stmt))


def review_queue(admin: User, status: DeletionStatus | None = DeletionStatus.PENDING) -> list:
    """Deletion requests for administrators, oldest first (all statuses with None)."""
    if admin.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators review deletion requests."))
    stmt = select(DeletionRequest).order_by(DeletionRequest.requested_at, DeletionRequest.id)
    if status is not None:
        stmt = stmt.where(DeletionRequest.status == status)
    return list(db.session.scalars(stmt))
