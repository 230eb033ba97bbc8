"""Manager pages for invitations: invite one person, the list by state (resend, revoke),
the CSV import with its per-row report, and the requests to join (approve, reject)."""

from __future__ import annotations

import csv
import io

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.accounts.models import Role
from lms.db import db, utcnow
from lms.errors import DomainError
from lms.mail.settings import is_enabled as mail_enabled
from lms.orgs import csv_import, invitation_mail, invitations, services
from lms.orgs.forms import ActionForm, ImportForm, InviteForm, JoinDecisionForm
from lms.orgs.models import InvitationStatus, Organisation
from lms.orgs.views import _managed_org, bp, department_choices, org_tabs
from lms.web import label, me, show_error

STATES = [s.value for s in InvitationStatus]


def invite_link(secret: str) -> str:
    """The absolute link the invited person opens."""
    return url_for("orgs.invitation", token=secret, _external=True)


def _roles() -> list[tuple[str, str]]:
    roles = ["member", "manager"] if me().role == Role.ADMIN else ["member"]
    return [(r, label("membership_role", r)) for r in roles]


def _invite_form(org: Organisation, **kwargs) -> InviteForm:
    return InviteForm(departments=department_choices(org), roles=_roles(), **kwargs)


def _invitations_page(org: Organisation, form: InviteForm | None = None, status: int = 200):
    state = request.args.get("state") if request.args.get("state") in STATES else None
    q = (request.args.get("q") or "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    found = invitations.list_invitations(org, state, q, page)
    context = {
        "org": org,
        "tabs": org_tabs(org),
        "state": state,
        "q": q,
        "states": STATES,
        "invitations": found,
        "mails": invitation_mail.mail_states(org, [i.email for i in found]),
        "requests": invitations.pending_join_requests(org),
        "decision_form": JoinDecisionForm(departments=department_choices(org), formdata=None),
        "form": form or _invite_form(org, formdata=None),
        "action_form": ActionForm(formdata=None),
        "now": utcnow(),
    }
    return render_template("orgs/invitations.html", **context), status


@bp.get("/orgs/<slug>/invitations", endpoint="invitations")
@login_required
def invitations_page(slug: str) -> ResponseReturnValue:
    """Invitations by state, the invite form and the pending requests to join."""
    return _invitations_page(_managed_org(slug))


@bp.post("/orgs/<slug>/invitations")
@login_required
def invite(slug: str) -> ResponseReturnValue:
    """Invite one person; the e-mail is queued and the link is shown once (to copy)."""
    org = _managed_org(slug)
    form = _invite_form(org)
    if not form.validate_on_submit():
        return _invitations_page(org, form, 422)
    try:
        department = None
        if form.department.data:
            department = services.get_department(org, int(form.department.data))
        invitation, secret = invitations.invite(
            me(), org, form.email.data, form.name.data, department, form.role.data
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, fallback="email")
        return _invitations_page(org, form, error.status)
    db.session.commit()
    return _link_page(org, invitation.email, secret)


def _link_page(org: Organisation, email: str, secret: str):
    return render_template(
        "orgs/invitation_link.html",
        org=org,
        tabs=org_tabs(org),
        email=email,
        link=invite_link(secret),
        mailed=mail_enabled(),
    )


@bp.post("/orgs/<slug>/invitations/<int:invitation_id>/resend")
@login_required
def resend_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    """A new link and expiry for an invitation (the old link stops working), e-mailed again."""
    org = _managed_org(slug)
    try:
        invitation = invitations.get_invitation(org, invitation_id)
        secret = invitations.resend(me(), invitation)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("orgs.invitations", slug=org.slug))
    db.session.commit()
    return _link_page(org, invitation.email, secret)


@bp.post("/orgs/<slug>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(slug: str, invitation_id: int) -> ResponseReturnValue:
    org = _managed_org(slug)
    try:
        invitation = invitations.get_invitation(org, invitation_id)
        invitations.revoke(me(), invitation)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        flash(_("The invitation to %(email)s was withdrawn.", email=invitation.email), "success")
    return redirect(url_for("orgs.invitations", slug=org.slug))


@bp.post("/orgs/<slug>/requests/<int:request_id>/<any(approve, reject):decision>")
@login_required
def decide_request(slug: str, request_id: int, decision: str) -> ResponseReturnValue:
    """Approve (a membership starts, in the chosen department) or reject a join request."""
    org = _managed_org(slug)
    form = JoinDecisionForm(departments=department_choices(org))
    try:
        join_request = invitations.get_join_request(org, request_id)
        department = None
        if form.validate_on_submit() and form.department.data:
            department = services.get_department(org, int(form.department.data))
        invitations.decide_join_request(me(), join_request, decision == "approve", department)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        name = join_request.user.name
        message = (
            _("%(name)s is now a member.", name=name)
            if decision == "approve"
            else _("The request of %(name)s was rejected.", name=name)
        )
        flash(message, "success")
    return redirect(url_for("orgs.invitations", slug=org.slug))


def _import_page(org, form, report=None, status: int = 200):
    context = {"org": org, "tabs": org_tabs(org), "form": form, "report": report}
    context["max_rows"], context["max_mb"] = csv_import.MAX_ROWS, csv_import.MAX_BYTES // 2**20
    return render_template("orgs/import.html", **context), status


@bp.get("/orgs/<slug>/import")
@login_required
def import_members(slug: str) -> ResponseReturnValue:
    """Upload a CSV of people to invite."""
    return _import_page(_managed_org(slug), ImportForm(formdata=None))


@bp.post("/orgs/<slug>/import")
@login_required
def import_upload(slug: str) -> ResponseReturnValue:
    """Check the file; invite everyone (or the valid rows, if chosen); show the report."""
    org = _managed_org(slug)
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(org, form, status=422)
    try:
        report = csv_import.import_invitations(
            me(),
            org,
            form.file.data.read(csv_import.MAX_BYTES + 1),
            encoding=form.encoding.data,
            create_departments=form.create_departments.data,
            apply_valid=form.apply_valid.data,
            dry_run=form.dry_run.data,
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, fallback="file")
        return _import_page(org, form, status=error.status)
    db.session.commit()
    if report.applied and form.download_links.data:
        return _links_csv(org, report)
    status = 200 if report.applied or report.ok else 422
    return _import_page(org, ImportForm(formdata=None), report, status)


def _links_csv(org: Organisation, report: csv_import.ImportReport) -> Response:
    """The invitation links of an import, as a CSV (UTF-8 with BOM, so Excel reads Korean)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "link"])
    writer.writerows((email, invite_link(secret)) for email, secret in report.invited)
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    filename = f"{org.slug}-invitations.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
