"""Administrators' credential pages: every issued credential (search, status), and
revocation with a reason. Same blueprint as ``lms.credentials.views``."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from lms.credentials import services
from lms.credentials.forms import RevokeForm, SearchForm
from lms.credentials.models import Credential
from lms.credentials.verification import verify_record
from lms.credentials.views import bp
from lms.db import db
from lms.errors import DomainError
from lms.web import me, show_error

PAGE_SIZE = 50


def _require_admin() -> None:
    if not current_user.is_authenticated or current_user.role.value != "admin":
        abort(403)


@bp.get("/admin/credentials")
@login_required
def admin_list() -> ResponseReturnValue:
    """Issued credentials, newest first; search by recipient, achievement or id."""
    _require_admin()
    form = SearchForm(request.args)
    query = select(Credential)
    if form.validate() and form.q.data:
        like = f"%{form.q.data.strip()}%"
        query = query.where(
            or_(
                Credential.recipient_name.ilike(like),
                Credential.achievement_ko.ilike(like),
                Credential.achievement_en.ilike(like),
                Credential.uuid.ilike(like),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows = db.session.scalars(
        query.order_by(Credential.issued_at.desc(), Credential.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "credentials/admin.html",
        form=form,
        credentials=list(rows),
        total=total,
        page=page,
        pages=pages,
    )


@bp.post("/credentials/<uuid>/revoke")
@login_required
def revoke(uuid: str) -> ResponseReturnValue:
    """Revoke one credential with a reason (administrators); verifiers see it at once."""
    _require_admin()
    credential = services.get_credential(uuid)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke(me(), credential, form.reason.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "reason")
        else:
            db.session.commit()
            flash(_("The credential was revoked."), "success")
            return redirect(url_for("credentials.show", uuid=credential.uuid))
    page = render_template(
        "credentials/show.html",
        credential=credential,
        result=verify_record(credential),
        can_manage=True,
        share_url=services.urls().credential(credential.uuid),
        revoke_form=form,
    )
    return page, 422
