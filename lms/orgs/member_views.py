"""The member's side: my organisations (leave), invitations addressed to me (accept,
decline, also through the emailed link ``/invitations/<token>``) and my requests to join."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.db import db, utcnow
from lms.errors import DomainError, NotFound
from lms.orgs import invitations, services
from lms.orgs.forms import ActionForm, JoinRequestForm
from lms.orgs.models import Invitation, Membership
from lms.orgs.views import bp
from lms.web import current_locale, me


def _join_form(**kwargs) -> JoinRequestForm:
    mine = {m.org_id for m in services.current_memberships(me())}
    orgs = [(o.slug, o.name(current_locale())) for o in services.list_orgs() if o.id not in mine]
    return JoinRequestForm(orgs=orgs, **kwargs)


@bp.get("/me/organisations")
@login_required
def mine() -> ResponseReturnValue:
    """My current memberships, invitations waiting for me, and my requests to join."""
    context = {
        "memberships": services.current_memberships(me()),
        "invitations": invitations.invitations_for(me()),
        "requests": invitations.join_requests_of(me()),
        "join_form": _join_form(formdata=None),
        "action_form": ActionForm(formdata=None),
    }
    return render_template("orgs/mine.html", **context)


def _done(message: str, ok: bool = True) -> ResponseReturnValue:
    flash(message, "success" if ok else "error")
    return redirect(url_for("orgs.mine"))


@bp.post("/me/organisations/join")
@login_required
def request_join() -> ResponseReturnValue:
    """Ask to join an organisation; its managers decide."""
    form = _join_form()
    if not form.validate_on_submit():
        return _done(_("Choose an organisation."), ok=False)
    try:
        org = services.get_org(form.organisation.data)
        invitations.request_to_join(me(), org)
    except DomainError as error:
        db.session.rollback()
        return _done(str(error.message), ok=False)
    db.session.commit()
    return _done(
        _("Your request was sent to the managers of %(org)s.", org=org.name(current_locale()))
    )


@bp.post("/me/requests/<int:request_id>/withdraw")
@login_required
def withdraw_request(request_id: int) -> ResponseReturnValue:
    from lms.orgs.models import JoinRequest

    join_request = db.session.get(JoinRequest, request_id)
    try:
        if join_request is None:
            raise NotFound("request_not_found", _("This request was not found."))
        invitations.withdraw_join_request(me(), join_request)
    except DomainError as error:
        db.session.rollback()
        return _done(str(error.message), ok=False)
    db.session.commit()
    return _done(_("Your request was withdrawn."))


@bp.post("/me/memberships/<int:membership_id>/leave")
@login_required
def leave(membership_id: int) -> ResponseReturnValue:
    """End my own membership today; the organisation keeps the history."""
    membership = db.session.get(Membership, membership_id)
    try:
        if membership is None:
            raise NotFound("membership_not_found", _("This membership was not found."))
        services.leave_org(me(), membership)
    except DomainError as error:
        db.session.rollback()
        return _done(str(error.message), ok=False)
    db.session.commit()
    return _done(_("You left %(org)s.", org=membership.org.name(current_locale())))


def _respond(invitation: Invitation, decision: str) -> ResponseReturnValue:
    try:
        if decision == "accept":
            invitations.accept(me(), invitation)
        else:
            invitations.decline(me(), invitation)
    except DomainError as error:
        db.session.rollback()
        return _done(str(error.message), ok=False)
    db.session.commit()
    org = invitation.org.name(current_locale())
    if decision == "accept":
        return _done(_("Welcome! You are now a member of %(org)s.", org=org))
    return _done(_("You declined the invitation of %(org)s.", org=org))


@bp.post("/me/invitations/<int:invitation_id>/<any(accept, decline):decision>")
@login_required
def respond(invitation_id: int, decision: str) -> ResponseReturnValue:
    """Accept or decline an invitation addressed to my e-mail (from my organisations page)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.email != me().email:
        abort(404)
    return _respond(invitation, decision)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> ResponseReturnValue:
    """The invitation link: who invites, and accept/decline once signed in with the invited
    address. Without an account: sign up with that address, or log in, and come back."""
    try:
        found = invitations.find_by_token(token)
    except NotFound as error:
        return render_template("orgs/invitation.html", error=error.message, invitation=None), 404
    if request.method == "POST":
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=request.path))
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        return _respond(found, "accept" if request.form.get("decision") == "accept" else "decline")
    context = {
        "invitation": found,
        "state": found.state(utcnow()).value,
        "action_form": ActionForm(formdata=None),
        "wrong_account": current_user.is_authenticated and me().email != found.email,
    }
    return render_template("orgs/invitation.html", **context)
