"""Organisation manager pages: members grouped by department, departments, removing and
moving members, and sponsoring one enrolment. Invitations, imports, bulk sponsoring and the
member's own pages live in the sibling ``*_views`` modules on the same blueprint."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from lms.catalog import queries as catalog_queries
from lms.catalog import services as catalog_services
from lms.catalog.models import Enrollment
from lms.db import db
from lms.errors import DomainError, ValidationError
from lms.orgs import queries, services
from lms.orgs.forms import DepartmentForm, MoveForm, SponsorForm
from lms.orgs.models import Department, Membership, Organisation
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


def sponsored_enrollments(org: Organisation, limit: int | None = None) -> list[Enrollment]:
    """Enrolments that ``org`` sponsored, newest first (the latest ``limit`` if given)."""
    stmt = (
        select(Enrollment)
        .where(Enrollment.sponsor_org_id == org.id)
        .options(selectinload(Enrollment.user), selectinload(Enrollment.course))
        .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def _count_sponsored(org: Organisation) -> int:
    stmt = select(func.count()).select_from(Enrollment).where(Enrollment.sponsor_org_id == org.id)
    return db.session.scalar(stmt) or 0


def _managed_org(slug: str) -> Organisation:
    org = services.get_org(slug)
    if not services.can_manage_org(me(), org):
        abort(403)
    return org


def _sponsor_form(members: list[Membership], **kwargs: object) -> SponsorForm:
    """The sponsor form offering ``members`` (the page shown) and the published courses."""
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


def department_choices(org: Organisation) -> list[tuple[str, str]]:
    return [(str(d.id), d.name) for d in org.departments]


def org_tabs(org: Organisation) -> list[tuple[str, str, str]]:
    """(endpoint, url, label) of the organisation's manager pages, for the tab bar."""
    tabs = [
        ("orgs.detail", _("Members")),
        ("orgs.invitations", _("Invitations")),
        ("orgs.import_members", _("Import CSV")),
        ("orgs.departments", _("Departments")),
        ("orgs.bulk_sponsor", _("Sponsor enrolments")),
        ("reporting.dashboard", _("Dashboard")),
        ("reporting.api_tokens", _("API tokens")),
    ]
    return [
        (endpoint, url_for(endpoint, slug=org.slug), text)
        for endpoint, text in tabs
        if endpoint in current_app.view_functions
    ]


def _group_by_department(members: list[Membership]) -> list[tuple[Department | None, list]]:
    groups: dict[int | None, list[Membership]] = {}
    for m in members:
        groups.setdefault(m.department_id, []).append(m)
    ordered = sorted(
        groups.values(),
        key=lambda g: (g[0].department is None, g[0].department.name if g[0].department else ""),
    )
    return [(g[0].department, g) for g in ordered]


def _member_listing(org: Organisation) -> dict:
    """The page of members asked for by ``?department=&q=&page=``, grouped by department."""
    department_id = request.args.get("department", type=int)
    q = (request.args.get("q") or "").strip()[:100]
    page = queries.member_page(org, department_id, q, max(request.args.get("page", 1, type=int), 1))
    args = {k: v for k, v in {"department": department_id, "q": q}.items() if v}
    return {
        "members": page,
        "groups": _group_by_department(page),
        "department_id": department_id,
        "q": q,
        "page_args": args,
    }


def _detail_page(org: Organisation, form: SponsorForm | None = None, status: int = 200):
    listing = _member_listing(org)
    counts = queries.department_counts(org)
    context = {
        "org": org,
        "tabs": org_tabs(org),
        **listing,
        "member_count": sum(counts.values()),
        "enrollments": sponsored_enrollments(org, limit=50),
        "enrollment_count": _count_sponsored(org),
        "former": queries.former_members(org),
        "form": form or _sponsor_form(listing["members"], formdata=None),
        "move_form": MoveForm(departments=department_choices(org), formdata=None),
        "pending_requests": len(_pending_requests(org)),
    }
    return render_template("orgs/detail.html", **context), status


def _pending_requests(org: Organisation) -> list:
    from lms.orgs.invitations import pending_join_requests

    return pending_join_requests(org)


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
    member_id = request.form.get("member", type=int)
    chosen = member_id if member_id in services.current_member_ids(org) else None
    members = [services.current_membership(org, chosen)] if chosen else []
    form = _sponsor_form(members)
    if not form.validate_on_submit():
        return _detail_page(org, form, 422)
    member = members[0].user
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


@bp.post("/orgs/<slug>/memberships/<int:membership_id>/end")
@login_required
def remove_member(slug: str, membership_id: int) -> ResponseReturnValue:
    """A manager ends a member's membership (history kept)."""
    org = _managed_org(slug)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.org_id != org.id:
        abort(404)
    try:
        services.remove_member(me(), org, membership)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("orgs.detail", slug=org.slug))
    db.session.commit()
    flash(_("%(name)s is no longer a member.", name=membership.user.name), "success")
    return redirect(url_for("orgs.detail", slug=org.slug))


@bp.post("/orgs/<slug>/members/move")
@login_required
def move_members(slug: str) -> ResponseReturnValue:
    """Put the checked members into a department (or none)."""
    org = _managed_org(slug)
    form = MoveForm(departments=department_choices(org))
    if not form.validate_on_submit():
        abort(400)
    try:
        department = None
        if form.department.data:
            department = services.get_department(org, int(form.department.data))
        user_ids = [int(v) for v in request.form.getlist("members") if v.isdigit()]
        moved = services.move_members(me(), org, user_ids, department)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("orgs.detail", slug=org.slug))
    db.session.commit()
    flash(_("%(count)s members moved.", count=moved), "success")
    return redirect(url_for("orgs.detail", slug=org.slug))


def _departments_page(org: Organisation, form: DepartmentForm | None = None, status: int = 200):
    context = {
        "org": org,
        "tabs": org_tabs(org),
        "counts": queries.department_counts(org),
        "form": form or DepartmentForm(formdata=None),
    }
    return render_template("orgs/departments.html", **context), status


@bp.get("/orgs/<slug>/departments")
@login_required
def departments(slug: str) -> ResponseReturnValue:
    """Departments of the organisation with their member counts; create and rename."""
    return _departments_page(_managed_org(slug))


@bp.post("/orgs/<slug>/departments")
@login_required
def create_department(slug: str) -> ResponseReturnValue:
    org = _managed_org(slug)
    form = DepartmentForm()
    if not form.validate_on_submit():
        return _departments_page(org, form, 422)
    try:
        services.add_department(me(), org, form.name.data)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, fallback="name")
        return _departments_page(org, form, error.status)
    db.session.commit()
    flash(_("Department %(name)s created.", name=form.name.data), "success")
    return redirect(url_for("orgs.departments", slug=org.slug))


@bp.post("/orgs/<slug>/departments/<int:department_id>")
@login_required
def rename_department(slug: str, department_id: int) -> ResponseReturnValue:
    org = _managed_org(slug)
    form = DepartmentForm()
    try:
        department = services.get_department(org, department_id)
        if not form.validate_on_submit():
            raise ValidationError("invalid_name", _l("Enter a name."), "name")
        services.rename_department(me(), department, form.name.data)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("orgs.departments", slug=org.slug))
    db.session.commit()
    flash(_("Department renamed to %(name)s.", name=form.name.data), "success")
    return redirect(url_for("orgs.departments", slug=org.slug))
