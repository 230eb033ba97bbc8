"""Bulk sponsored enrolments: checked members and/or a whole department into a course or a
whole programme, answered with a per-member report."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from lms.catalog import queries as catalog_queries
from lms.catalog import services as catalog_services
from lms.catalog.models import Programme
from lms.db import db
from lms.errors import DomainError, ValidationError
from lms.orgs import sponsoring
from lms.orgs.forms import BulkSponsorForm
from lms.orgs.models import Organisation
from lms.orgs.views import _managed_org, _member_listing, bp, department_choices, org_tabs
from lms.web import current_locale, me, show_error


def _targets() -> list[tuple[str, str]]:
    """``course:slug`` and ``programme:slug`` choices, programmes first."""
    locale = current_locale()
    programmes = db.session.scalars(
        select(Programme).where(Programme.is_published).order_by(Programme.slug)
    )
    courses = catalog_queries.list_courses(per_page=catalog_queries.MAX_PER_PAGE)
    return [
        *(
            (f"programme:{p.slug}", _("Programme: %(title)s", title=p.title(locale)))
            for p in programmes
        ),
        *sorted(((f"course:{c.slug}", c.title(locale)) for c in courses), key=lambda c: c[1]),
    ]


def _form(org: Organisation, **kwargs) -> BulkSponsorForm:
    return BulkSponsorForm(departments=department_choices(org), targets=_targets(), **kwargs)


def _page(org, form, outcomes=None, status: int = 200):
    context = {
        "org": org,
        "tabs": org_tabs(org),
        "form": form,
        **_member_listing(org),
        "checked": set(request.form.getlist("members")) if request.method == "POST" else set(),
        "outcomes": outcomes,
        "summary": sponsoring.summarise(outcomes) if outcomes is not None else None,
    }
    return render_template("orgs/sponsor_bulk.html", **context), status


@bp.get("/orgs/<slug>/sponsor/bulk")
@login_required
def bulk_sponsor(slug: str) -> ResponseReturnValue:
    """Choose members (or a department) and a course or programme."""
    org = _managed_org(slug)
    return _page(org, _form(org, formdata=None))


def _courses(target: str):
    kind, _sep, slug = target.partition(":")
    if kind == "programme":
        return sponsoring.programme_courses(sponsoring.get_programme(slug))
    if kind == "course":
        return [catalog_services.get_course(me(), slug)]
    raise ValidationError("invalid_target", _("Choose a course or a programme."), "target")


@bp.post("/orgs/<slug>/sponsor/bulk")
@login_required
def bulk_sponsor_post(slug: str) -> ResponseReturnValue:
    """Enrol every chosen member in every course of the target; one outcome each."""
    org = _managed_org(slug)
    form = _form(org)
    if not form.validate_on_submit():
        return _page(org, form, status=422)
    try:
        department_id = int(form.department.data) if form.department.data else None
        user_ids = [int(v) for v in request.form.getlist("members") if v.isdigit()]
        members = sponsoring.select_members(org, user_ids, department_id)
        outcomes = sponsoring.sponsor_many(me(), org, members, _courses(form.target.data))
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, fallback="target")
        return _page(org, form, status=error.status)
    db.session.commit()
    return _page(org, _form(org, formdata=None), outcomes)
