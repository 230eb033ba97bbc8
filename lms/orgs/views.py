"""Organisation manager pages: the members of an organisation, and sponsoring an enrolment."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lms.catalog import queries as catalog_queries
from lms.catalog import services as catalog_services
from lms.catalog.models import Enrollment
from lms.db import db
from lms.errors import DomainError
from lms.orgs import services
from lms.orgs.forms import SponsorForm
from lms.orgs.models import Membership, Organisation
from lms.web import current_locale, has_role, me, show_error

bp = Blueprint("orgs", __name__, template_folder="templates")


def current_members(org: Organisation, today: date | None = None) -> list[Membership]:
    """Open memberships of ``org`` with their users and departments (one query + loads)."""
    today = today or date.today()
    stmt = (
        select(Membership)
        .where(Membership.org_id == org.id, Membership.started_on <= today)
        .where(or_(Membership.ended_on.is_(None), Membership.ended_on >= today))
        .options(selectinload(Membership.user), selectinload(Membership.department))
        .order_by(Membership.started_on, Membership.id)
    )
    return list(db.session.scalars(stmt))


def sponsored_enrollments(org: Organisation) -> list[Enrollment]:
    """Enrolments that ``org`` sponsored, newest first."""
    stmt = (
        select(Enrollment)
        .where(Enrollment.sponsor_org_id == org.id)
        .options(selectinload(Enrollment.user), selectinload(Enrollment.course))
        .order_by(Enrollment.created_at.desc())
    )
    return list(db.session.scalars(stmt))


def _managed_org(slug: str) -> Organisation:
    org = services.get_org(slug)
    if not services.can_manage_org(me(), org):
        abort(403)
    return org


def _sponsor_form(members: list[Membership], **kwargs: object) -> SponsorForm:
    """The sponsor form offering the current members and the published courses."""
    courses = catalog_queries.list_courses(per_page=catalog_queries.MAX_PER_PAGE)
    return SponsorForm(
        members=[(str(m.user.id), f"{m.user.name} <{m.user.email}>") for m in members],
        courses=sorted(((c.slug, c.title(current_locale())) for c in courses), key=lambda c: c[1]),
        **kwargs,
    )


@bp.get("/org")
@login_required
def index() -> ResponseReturnValue:
    """The organisations the signed-in person manages; straight to it when there is one."""
    if not has_role("org_manager"):
        abort(403)
    orgs = [o for o in services.list_orgs() if services.can_manage_org(me(), o)]
    if len(orgs) == 1:
        return redirect(url_for("orgs.detail", slug=orgs[0].slug))
    return render_template("orgs/index.html", orgs=orgs)


def _detail_page(org: Organisation, form: SponsorForm | None = None, status: int = 200):
    members = current_members(org)
    context = {
        "org": org,
        "members": members,
        "enrollments": sponsored_enrollments(org),
        "form": form or _sponsor_form(members, formdata=None),
    }
    return render_template("orgs/detail.html", **context), status


@bp.get("/orgs/<slug>")
@login_required
def detail(slug: str) -> ResponseReturnValue:
    """Members and sponsored enrolments of an organisation the user manages."""
    return _detail_page(_managed_org(slug))


@bp.post("/orgs/<slug>/sponsor")
@login_required
def sponsor(slug: str) -> ResponseReturnValue:
    """Enrol a current member in a course, sponsored by the organisation."""
    org = _managed_org(slug)
    members = current_members(org)
    form = _sponsor_form(members)
    if not form.validate_on_submit():
        return _detail_page(org, form, 422)
    member = next(m.user for m in members if str(m.user.id) == form.member.data)
    try:
        course = catalog_services.get_course(me(), form.course.data)
        catalog_services.sponsor_enrollment(me(), member, course, org)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _detail_page(org, form, error.status)
    db.session.commit()
    flash(
        _("%(name)s is now enrolled, sponsored by your organisation.", name=member.name), "success"
    )
    return redirect(url_for("orgs.detail", slug=org.slug))
