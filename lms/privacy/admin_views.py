"""Administrators review deletion requests: execute (the account is erased) or refuse with
a note the person sees."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.db import db
from lms.errors import DomainError
from lms.privacy import erasure
from lms.privacy.anonymise import ERASURE_POLICY
from lms.privacy.forms import ExportForm, RejectForm
from lms.privacy.models import DeletionStatus
from lms.web import has_role, me, show_error

bp = Blueprint("privacy_admin", __name__, url_prefix="/admin/privacy", template_folder="templates")


@bp.before_request
@login_required
def require_admin() -> None:
    """Administrators only."""
    if not has_role("admin"):
        abort(403)


def _queue_page(status: int = 200, forms: dict | None = None) -> ResponseReturnValue:
    wanted = request.args.get("status", "pending")
    filter_status = None if wanted == "all" else DeletionStatus(wanted)
    context = {
        "items": erasure.review_queue(me(), filter_status),
        "wanted": wanted,
        "statuses": [s.value for s in DeletionStatus],
        "approve_form": ExportForm(formdata=None),
        "reject_forms": forms or {},
        "policy": ERASURE_POLICY,
    }
    return render_template("privacy/admin_deletions.html", **context), status


@bp.get("/deletions")
def deletions() -> ResponseReturnValue:
    """Deletion requests (pending first; ``?status=all`` for every one)."""
    if request.args.get("status", "pending") not in {"all", *DeletionStatus}:
        abort(404)
    return _queue_page()


@bp.post("/deletions/<int:request_id>/approve")
def approve(request_id: int) -> ResponseReturnValue:
    """Execute the request: the account is erased now."""
    if not ExportForm().validate_on_submit():
        abort(400)
    try:
        item = erasure.approve_deletion(me(), request_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("privacy_admin.deletions"))
    db.session.commit()
    erasure.finish_erasure(item)
    db.session.commit()
    flash(_("The account was deleted."), "success")
    return redirect(url_for("privacy_admin.deletions"))


@bp.post("/deletions/<int:request_id>/reject")
def reject(request_id: int) -> ResponseReturnValue:
    """Refuse the request with a note for the person."""
    form = RejectForm(prefix=f"r{request_id}")
    if not form.validate_on_submit():
        return _queue_page(422, {request_id: form})
    try:
        erasure.reject_deletion(me(), request_id, form.note.data)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _queue_page(error.status, {request_id: form})
    db.session.commit()
    flash(_("The request was refused."), "success")
    return redirect(url_for("privacy_admin.deletions"))
