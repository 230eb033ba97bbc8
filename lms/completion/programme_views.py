"""Programme completion pages: who completed every course, confirmation, the policy."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Programme
from lms.completion import services
from lms.completion.forms import ConfirmForm, PolicyForm, RevokeForm
from lms.completion.policies import (
    can_manage_programme,
    programme_policy,
    set_programme_policy,
    terms_of,
)
from lms.completion.qualification import evaluate_programme
from lms.db import db
from lms.errors import DomainError
from lms.web import me, show_error

bp = Blueprint("programme_completion", __name__, template_folder="templates")


def managed_programme(slug: str) -> Programme:
    """The programme ``slug`` if the signed-in user may confirm its completions."""
    programme = db.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None:
        abort(404)
    if not can_manage_programme(me(), programme):
        abort(403)
    return programme


@bp.get("/teach/programmes/<slug>/completion")
@login_required
def programme(slug: str) -> ResponseReturnValue:
    """Learners of the programme's courses, each course's confirmation, and the programme
    policy's criteria."""
    return programme_page(managed_programme(slug))


def programme_page(programme: Programme, form: ConfirmForm | None = None, status: int = 200):
    rows = evaluate_programme(programme)
    ids = {r.user_id for r in rows}
    users = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    )
    page = render_template(
        "completion/programme.html",
        programme=programme,
        rows=rows,
        users=users,
        terms=terms_of(programme_policy(programme)),
        form=form or ConfirmForm(formdata=None),
        failed_user=request.form.get("user_id", type=int) if form is not None else None,
        revoke_form=RevokeForm(formdata=None),
    )
    return page, status


@bp.post("/teach/programmes/<slug>/completion/confirm")
@login_required
def confirm(slug: str) -> ResponseReturnValue:
    """Confirm one learner's programme completion."""
    programme = managed_programme(slug)
    form = ConfirmForm()
    user = db.session.get(User, request.form.get("user_id", type=int) or 0)
    if user is None:
        abort(400)
    if not form.validate_on_submit():
        return programme_page(programme, form, 422)
    try:
        services.confirm_programme(me(), programme, user, form.override_reason.data)
    except DomainError as error:
        show_error(form, error, "override_reason")
        return programme_page(programme, form, error.status)
    db.session.commit()
    flash(_("Programme completion confirmed for %(name)s.", name=user.name), "success")
    return redirect(url_for("programme_completion.programme", slug=programme.slug))


@bp.route("/teach/programmes/<slug>/completion/policy", methods=["GET", "POST"])
@login_required
def policy(slug: str) -> ResponseReturnValue:
    """Edit the programme's completion policy (labs as course-slug/assignment)."""
    programme = managed_programme(slug)
    form = PolicyForm()
    if request.method == "GET":
        form.fill(terms_of(programme_policy(programme)))
    elif form.validate_on_submit():
        try:
            set_programme_policy(me(), programme, form.terms())
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Completion policy saved."), "success")
            return redirect(url_for("programme_completion.programme", slug=programme.slug))
    status = 422 if form.errors or form.form_errors else 200
    back = url_for("programme_completion.programme", slug=programme.slug)
    return render_template(
        "completion/policy.html", form=form, target=programme, labs=_labs(programme), back=back
    ), status


def _labs(programme: Programme) -> list[str]:
    from lms.publishing.services import current_version

    names = []
    for entry in programme.entries:
        version = current_version(entry.course)
        names += [f"{entry.course.slug}/{a.name}" for a in version.assignments] if version else []
    return names
