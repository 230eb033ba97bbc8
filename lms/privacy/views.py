"""The person's privacy pages: their learner record (page, print view, JSON download), and
``/settings/privacy`` with data exports and deletion of the account. Each view parses,
checks access (everything here is about the signed-in person only), calls one service,
commits once."""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, flash, redirect, render_template, send_file, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required, logout_user

from lms.db import db, utcnow
from lms.errors import DomainError
from lms.privacy import erasure, export
from lms.privacy.background import build_in_background
from lms.privacy.forms import DeletionConfirmForm, DeletionRequestForm, ExportForm
from lms.privacy.record import learner_record
from lms.web import localdate, localtime, me, show_error, user_timezone

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.get("/record")
@login_required
def record() -> ResponseReturnValue:
    """The signed-in person's learner record."""
    return render_template("privacy/record.html", record=learner_record(me()))


@bp.get("/record/print")
@login_required
def record_print() -> ResponseReturnValue:
    """The record as a plain, printable page."""
    return render_template("privacy/record_print.html", record=learner_record(me()))


@bp.get("/record.json")
@login_required
def record_json() -> ResponseReturnValue:
    """The record as a JSON file to keep or give to another institution."""
    body = json.dumps(learner_record(me()), ensure_ascii=False, indent=2)
    name = f"learner-record-{utcnow():%Y%m%d}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _settings_page(status: int = 200, **forms) -> ResponseReturnValue:
    user = me()
    context = {
        "exports": export.list_exports(user),
        "requests": erasure.requests_of(user),
        "export_form": ExportForm(formdata=None),
        "request_form": DeletionRequestForm(formdata=None),
        "confirm_form": DeletionConfirmForm(formdata=None),
        "now": utcnow(),
    }
    context.update(forms)
    context["pending"] = next((r for r in context["requests"] if r.status == "pending"), None)
    return render_template("privacy/settings.html", **context), status


@bp.get("/settings/privacy")
@login_required
def settings() -> ResponseReturnValue:
    """Exports and account deletion."""
    return _settings_page()


@bp.post("/settings/privacy/exports")
@login_required
def request_export() -> ResponseReturnValue:
    """Ask for a zip of one's data: made now when small, else in the background."""
    if not ExportForm().validate_on_submit():
        return _settings_page(400)
    try:
        item = export.request_export(me())
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("privacy.settings"))
    db.session.commit()
    if export.is_small(me()):
        export.build_export(item)
        db.session.commit()
        flash(_("Your data export is ready to download."), "success")
    else:
        build_in_background(item.id)
        flash(_("Your data export is being prepared. Reload this page in a few minutes."), "info")
    return redirect(url_for("privacy.settings"))


@bp.get("/settings/privacy/exports/<int:export_id>/download")
@login_required
def download_export(export_id: int) -> ResponseReturnValue:
    """The zip, for its owner only (404 for anyone else, 410 once expired)."""
    item, path = export.export_file(me(), export_id)
    db.session.commit()  # the download's audit event
    name = f"my-data-{item.requested_at:%Y%m%d}-{item.id}.zip"
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)


@bp.post("/settings/privacy/deletion")
@login_required
def request_deletion() -> ResponseReturnValue:
    """Ask an administrator to delete the account."""
    form = DeletionRequestForm()
    if not form.validate_on_submit():
        return _settings_page(422, request_form=form)
    try:
        erasure.request_deletion(me(), form.reason.data)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _settings_page(error.status, request_form=form)
    db.session.commit()
    flash(_("Your request was sent. An administrator will review it."), "success")
    return redirect(url_for("privacy.settings"))


@bp.post("/settings/privacy/deletion/<int:request_id>/cancel")
@login_required
def cancel_deletion(request_id: int) -> ResponseReturnValue:
    """Withdraw one's pending deletion request."""
    erasure.cancel_deletion(me(), request_id)
    db.session.commit()
    flash(_("Your deletion request was withdrawn."), "success")
    return redirect(url_for("privacy.settings"))


@bp.post("/settings/privacy/deletion/confirm")
@login_required
def confirm_deletion() -> ResponseReturnValue:
    """Delete the account now, confirmed with the password; then log out."""
    form = DeletionConfirmForm()
    if not form.validate_on_submit():
        return _settings_page(422, confirm_form=form)
    try:
        request = erasure.erase_with_password(me(), form.password.data)
    except DomainError as error:
        db.session.commit()  # a wrong password counts as a failed login, like at login
        if error.code == "invalid_credentials":
            form.password.errors = [_("The password is wrong.")]
        else:
            show_error(form, error)
        return _settings_page(error.status, confirm_form=form)
    db.session.commit()
    erasure.finish_erasure(request)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Your account was deleted. Thank you for learning with us."), "success")
    return redirect(url_for("catalog.catalogue"))


@bp.app_template_filter("isodate")
def isodate(value: str | None, date_only: bool = False) -> str:
    """An ISO 8601 date or time from the record, in the viewer's language and time zone."""
    if not value:
        return ""
    if len(value) == 10:  # a calendar date (memberships)
        return localdate(date.fromisoformat(value))
    moment = datetime.fromisoformat(value)
    if date_only:  # the day it was where the viewer is, not in UTC
        return localdate(moment.astimezone(user_timezone()).date())
    return localtime(moment, "short")
