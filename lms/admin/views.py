"""Administration pages: users (search, role, deactivate), organisations and departments,
courses and programmes (create and edit the basics). Admins only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.accounts import services as account_services
from lms.accounts.models import Role, User
from lms.admin import services as admin_services
from lms.admin.forms import DepartmentForm, OrganisationForm, RoleForm, UserSearchForm
from lms.db import db
from lms.errors import DomainError
from lms.orgs import services as org_services
from lms.web import has_role, me, show_error

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")
PAGE_SIZE = 50


@bp.before_request
@login_required
def require_admin() -> None:
    """Every page here is for administrators only."""
    if not has_role("admin"):
        abort(403)


@bp.get("/users")
def users() -> ResponseReturnValue:
    """Search users by name or e-mail and role, a page at a time."""
    form = UserSearchForm(request.args)
    form.validate()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found, total = admin_services.list_users(
        me(),
        form.q.data if not form.q.errors else None,
        form.role.data if form.role.data and not form.role.errors else None,
        page,
        PAGE_SIZE,
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template(
        "admin/users.html", form=form, users=found, total=total, page=page, pages=pages
    )


def _user_or_404(user_id: int) -> User:
    return admin_services.get_user(me(), user_id)


def _user_page(user: User, form: RoleForm | None = None, status: int = 200):
    form = form or RoleForm(formdata=None, role=user.role.value)
    memberships = org_services.current_memberships(user)
    return (
        render_template("admin/user.html", user=user, form=form, memberships=memberships),
        status,
    )


@bp.get("/users/<int:user_id>")
def user(user_id: int) -> ResponseReturnValue:
    """One user's details with the role and activation controls."""
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int) -> ResponseReturnValue:
    """Change a user's role (an admin cannot demote themself)."""
    target = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(target, form, 422)
    if target.id == me().id and form.role.data != Role.ADMIN.value:
        form.role.errors = [_("You cannot take the administrator role away from yourself.")]
        return _user_page(target, form, 422)
    account_services.set_role(me(), target, Role(form.role.data))
    db.session.commit()
    flash(_("The role was changed."), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/active")
def set_active(user_id: int) -> ResponseReturnValue:
    """Deactivate or reactivate an account (not one's own)."""
    target = _user_or_404(user_id)
    activate = request.form.get("active") == "1"
    if target.id == me().id and not activate:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    account_services.set_active(me(), target, activate)
    db.session.commit()
    flash(
        _("The account was activated.") if activate else _("The account was deactivated."),
        "success",
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/orgs", methods=["GET", "POST"])
def orgs() -> ResponseReturnValue:
    """List organisations; POST creates one."""
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = org_services.create_org(
                me(), form.slug.data, form.name_ko.data, form.kind.data, form.name_en.data
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The organisation was created."), "success")
            return redirect(url_for("admin.org", slug=org.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/orgs.html", form=form, orgs=org_services.list_orgs()), status


@bp.route("/orgs/<slug>", methods=["GET", "POST"])
def org(slug: str) -> ResponseReturnValue:
    """One organisation with its departments; POST adds a department."""
    found = org_services.get_org(slug)
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            org_services.add_department(me(), found, form.name.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The department was added."), "success")
            return redirect(url_for("admin.org", slug=found.slug))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/org.html", org=found, form=form), status


@bp.get("/audit")
def audit() -> ResponseReturnValue:
    """The latest security- and grade-relevant events."""
    return render_template("admin/audit.html", events=admin_services.recent_audit_events(me()))
