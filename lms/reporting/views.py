"""Reporting pages: the manager dashboard, its member export, one member's detail (also the
member's own preview) and the organisation's API tokens for HR systems."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from lms.catalog.models import Course, Programme
from lms.completion.progress import AT_RISK_REASONS
from lms.consent.models import DataKind
from lms.db import db
from lms.errors import ValidationError
from lms.orgs.models import Organisation
from lms.orgs.services import get_org
from lms.reporting import charts, export, services, tokens
from lms.reporting.filters import STATUSES, ReportFilter
from lms.reporting.forms import OrgTokenForm
from lms.reporting.member import member_detail
from lms.web import current_locale, me

bp = Blueprint("reporting", __name__, template_folder="templates")

STATUS_LABELS = {
    "active": _l("Active"),
    "at_risk": _l("At risk"),
    "completed": _l("Completed"),
    "dropped": _l("Dropped"),
}
KIND_LABELS = {
    DataKind.PROGRESS: _l("Enrolments and progress"),
    DataKind.SCORES: _l("Scores"),
    DataKind.SKILLS: _l("Skills"),
    DataKind.SUBMISSIONS: _l("Submissions' content"),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reported_org(slug: str) -> Organisation:
    org = get_org(slug)
    services.require_reporter(me(), org)
    return org


@bp.get("/orgs/<slug>/dashboard")
@login_required
def dashboard(slug: str) -> ResponseReturnValue:
    """Enrolment, progress, risk, skills and GPU figures of the organisation's members."""
    org = _reported_org(slug)
    error, status = None, 200
    try:
        filters = ReportFilter.parse(request.args, org)
    except ValidationError as exc:
        error, status, filters = str(exc.message), 422, ReportFilter()
    board = services.dashboard(me(), org, filters, current_locale())
    context = {"org": org, "board": board, "filters": filters, "error": error, "tabs": _tabs(org)}
    html = render_template("reporting/dashboard.html", **context, **_choices())
    db.session.commit()  # the access log; after rendering, which a commit would make reload
    return html, status


def _tabs(org: Organisation) -> list:
    from lms.orgs.views import org_tabs  # the organisation's manager pages, one tab bar

    return org_tabs(org)


def _choices() -> dict[str, object]:
    courses = db.session.scalars(select(Course).order_by(Course.slug)).all()
    programmes = db.session.scalars(select(Programme).order_by(Programme.slug)).all()
    programme_titles = {p.id: p for p in programmes}
    return {
        "courses": courses,
        "programmes": programmes,
        "programme_by_id": programme_titles,
        "statuses": STATUSES,
        "status_labels": STATUS_LABELS,
        "risk_labels": AT_RISK_REASONS,
    }


@bp.get("/orgs/<slug>/dashboard/export.<fmt>")
@login_required
def export_members(slug: str, fmt: str) -> Response:
    """The filtered member list as CSV or XLSX (logged as an export)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    org = _reported_org(slug)
    found = services.export_rows(me(), org, ReportFilter.parse(request.args, org))
    body = export.to_csv(found) if fmt == "csv" else export.to_xlsx(found)
    db.session.commit()  # the access log, once the file is built
    mimetype = "text/csv; charset=utf-8" if fmt == "csv" else XLSX
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{org.slug}-members.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/orgs/<slug>/members/<int:user_id>")
@login_required
def member(slug: str, user_id: int) -> ResponseReturnValue:
    """What the organisation may see of one member; the member sees their own."""
    detail = member_detail(me(), get_org(slug), user_id)
    locale = current_locale()
    html = render_template(
        "reporting/member.html",
        d=detail,
        risk_labels=AT_RISK_REASONS,
        kind_labels=KIND_LABELS,
        skill_name=lambda status: charts.skill_name(status, locale),
    )
    db.session.commit()  # the access log
    return html


@bp.get("/orgs/<slug>/api-tokens")
@login_required
def api_tokens(slug: str) -> ResponseReturnValue:
    """The organisation's tokens for HR systems, and a form to create one."""
    org = _reported_org(slug)
    return _tokens_page(org, OrgTokenForm(formdata=None))


def _tokens_page(org: Organisation, form: OrgTokenForm, secret: str | None = None, status=200):
    found = tokens.list_org_tokens(me(), org)
    context = {"org": org, "tokens": found, "form": form, "secret": secret, "tabs": _tabs(org)}
    return render_template("reporting/tokens.html", **context), status


@bp.post("/orgs/<slug>/api-tokens")
@login_required
def create_api_token(slug: str) -> ResponseReturnValue:
    org = _reported_org(slug)
    form = OrgTokenForm()
    if not form.validate_on_submit():
        return _tokens_page(org, form, status=422)
    _token, secret = tokens.create_org_token(me(), org, form.name.data)
    db.session.commit()
    flash(_("Token created. Copy it now: it is shown only once."), "success")
    return _tokens_page(org, OrgTokenForm(formdata=None), secret=secret)


@bp.post("/orgs/<slug>/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(slug: str, token_id: int) -> ResponseReturnValue:
    org = _reported_org(slug)
    tokens.revoke_org_token(me(), org, token_id)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("reporting.api_tokens", slug=org.slug))
