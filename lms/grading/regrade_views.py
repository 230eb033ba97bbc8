"""Regrade pages for course staff: start a regrade of an assignment on the current version
(CSRF-protected POST), and see what changed per learner (old vs new automatic points and
the tests whose status changed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from lms.db import db
from lms.grading.forms import ActionForm
from lms.grading.regrade import dispatch_regrade, regrade_assignment, regrade_changes
from lms.grading.staff_views import managed_course
from lms.web import me

bp = Blueprint("regrade", __name__, template_folder="templates")


@bp.get("/teach/courses/<slug>/assignments/<name>/regrade")
@login_required
def changes(slug: str, name: str) -> ResponseReturnValue:
    """The regrade page: the button and, per regraded submission, what changed."""
    course = managed_course(slug)
    target, rows = regrade_changes(course, name)
    return render_template("grading/regrade.html", course=course, target=target, rows=rows)


@bp.post("/teach/courses/<slug>/assignments/<name>/regrade")
@login_required
def start(slug: str, name: str) -> ResponseReturnValue:
    """Queue and dispatch a job on the current version for every submission of ``name``."""
    course = managed_course(slug)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        target, jobs = regrade_assignment(me(), course, name)
        db.session.commit()
    except IntegrityError:  # a simultaneous second click made the same jobs first
        db.session.rollback()
        flash(_("This regrade is already queued."), "info")
        return redirect(url_for("regrade.changes", slug=slug, name=name))
    dispatch_regrade(jobs)
    db.session.commit()
    if jobs:
        flash(
            _(
                "%(count)d submissions queued for regrading on version %(version)d.",
                count=len(jobs),
                version=target.version.number,
            ),
            "success",
        )
    else:
        flash(_("Every submission is already graded on the current version."), "info")
    return redirect(url_for("regrade.changes", slug=slug, name=name))
