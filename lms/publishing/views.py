"""The instructors' upload form for course packages: a zip goes to ``publish_zip``; every
validation problem is listed as ``file: location: message``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import RequestEntityTooLarge

from lms.db import db
from lms.errors import DomainError
from lms.extensions import csrf
from lms.publishing.forms import PackageUploadForm
from lms.publishing.loader import PackageInvalid
from lms.publishing.upload import MAX_ARCHIVE_BYTES, publish_zip
from lms.web import has_role, me, show_error

bp = Blueprint("publishing", __name__, template_folder="templates")


def _page(form: PackageUploadForm, problems: list[str] | None = None, status: int = 200):
    context = {"form": form, "problems": problems or [], "max_mb": MAX_ARCHIVE_BYTES / 1e6}
    return render_template("publishing/upload.html", **context), status


@bp.get("/teach/publish")
@login_required
def upload() -> ResponseReturnValue:
    """The upload form (instructors and admins)."""
    if not has_role("instructor"):
        abort(403)
    return _page(PackageUploadForm(formdata=None))


@bp.post("/teach/publish")
@csrf.exempt  # the form checks its CSRF token itself, after the size limit is in place
@login_required
def publish_upload() -> ResponseReturnValue:
    """Validate and publish the uploaded package; problems re-render the form (422)."""
    if not has_role("instructor"):
        abort(403)
    request.max_content_length = MAX_ARCHIVE_BYTES + 64 * 1024
    try:
        form = PackageUploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        problem = f"(upload): (archive): larger than {MAX_ARCHIVE_BYTES} bytes"
        return _page(PackageUploadForm(formdata=None), [problem], 413)
    if not valid:
        return _page(form, status=422 if form.package.errors else 400)
    try:
        version, created = publish_zip(me(), form.package.data.stream.read(MAX_ARCHIVE_BYTES + 1))
    except PackageInvalid as error:
        db.session.rollback()
        return _page(form, error.problems, 422)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, "package")
        return _page(form, status=error.status)
    db.session.commit()
    if created:
        flash(_("Version %(n)d of the course is published.", n=version.number), "success")
    else:
        flash(_("Nothing changed: version %(n)d is current.", n=version.number), "info")
    return redirect(url_for("grading.assignments", slug=version.course.slug), 303)
