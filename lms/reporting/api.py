"""Reporting routes of API v1 for HR systems (registered on ``lms.api.api_bp``): an
organisation's members and their progress, paginated and filtered, only what each member
shares, every call logged for the members. Read with a manager's personal token or an
organisation-scoped token (``lms.reporting.tokens``)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.catalog.models import Course
from lms.consent.models import DataKind
from lms.db import db
from lms.errors import Forbidden
from lms.orgs.models import Organisation
from lms.orgs.services import get_org
from lms.reporting import queries, rows
from lms.reporting.filters import ReportFilter
from lms.reporting.services import log_view, require_reporter


def _org(slug: str) -> Organisation:
    org = get_org(slug)
    scoped = g.get("api_token_org_id")
    if scoped is not None and scoped != org.id:
        raise Forbidden("token_scope", _l("This token belongs to another organisation."))
    require_reporter(current_api_user(), org)
    return org


@api_bp.get("/orgs/<slug>/members")
@token_required
def org_members(slug: str) -> Any:
    """Current members (membership facts) with the figures each shares."""
    org = _org(slug)
    scope = queries.build_scope(org, ReportFilter.parse(request.args, org))
    page = rows.member_page(scope)
    log_view(current_api_user(), scope, [r.user.id for r in page], "api")
    items = [_member_json(r) for r in page]
    db.session.commit()
    return jsonify(
        {"items": items, "page": page.page, "per_page": page.per_page, "total": page.total}
    )


def _member_json(row: rows.MemberRow) -> dict[str, Any]:
    m = row.membership
    body: dict[str, Any] = {
        "user_id": m.user_id,
        "name": m.user.name,
        "email": m.user.email,
        "department": m.department.name if m.department else None,
        "role": str(m.role),
        "member_since": m.started_on.isoformat(),
        "shares": sorted(k.value for k in row.kinds),
    }
    if DataKind.PROGRESS in row.kinds:
        body["progress"] = {
            "enrolments": row.enrolments,
            "completed": row.completed,
            "progress_percent": row.progress_percent,
            "at_risk": row.at_risk,
            "last_activity_at": _iso(row.last_activity_at),
            "gpu_hours": row.gpu_hours,
        }
        if DataKind.SCORES in row.kinds:
            body["scores"] = {"score_percent": row.score_percent, "labs_failed": row.labs_failed}
    if DataKind.SKILLS in row.kinds:
        body["skills"] = {"count": row.skills}
    return body


@api_bp.get("/orgs/<slug>/progress")
@token_required
def org_progress(slug: str) -> Any:
    """One item per enrolment of the members who share their progress."""
    org = _org(slug)
    filters = ReportFilter.parse(request.args, org)
    scope = queries.build_scope(org, filters)
    start = (filters.page - 1) * filters.per_page
    figures, total = queries.enrolment_page(scope, start, filters.per_page)
    chosen = figures.enrolments
    figures.ensure([e[0] for e in chosen])
    log_view(current_api_user(), scope, {e[1] for e in chosen}, "api")
    people = _people(scope, {e[1] for e in chosen}, {e[2] for e in chosen})
    kinds = scope.kinds_for({e[1] for e in chosen})
    items = [_progress_json(e, figures, kinds[e[1]], people) for e in chosen]
    db.session.commit()
    return jsonify(
        {"items": items, "page": filters.page, "per_page": filters.per_page, "total": total}
    )


def _people(scope: queries.Scope, user_ids: set[int], course_ids: set[int]) -> dict[str, dict]:
    from lms.accounts.models import User

    users = db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
    courses = db.session.execute(select(Course.id, Course.slug).where(Course.id.in_(course_ids)))
    return {"users": dict(users.tuples().all()), "courses": dict(courses.tuples().all())}


def _progress_json(e: tuple, figures: queries.Figures, kinds: frozenset, people: dict) -> dict:
    enrollment_id, user_id, course_id, status = e
    f = figures.by_id.get(enrollment_id)
    body: dict[str, Any] = {
        "enrollment_id": enrollment_id,
        "user_id": user_id,
        "email": people["users"].get(user_id),
        "course": people["courses"].get(course_id),
        "status": status,
        "at_risk": enrollment_id in figures.at_risk,
    }
    if f is not None:
        body |= {
            "items_done": f.items_done,
            "items_total": f.items_total,
            "progress_percent": f.progress_percent,
            "overdue_items": f.overdue_items,
            "last_activity_at": _iso(f.last_activity_at),
            "at_risk_reasons": list(queries.risk_reasons(f, kinds)),
        }
        if DataKind.SCORES in kinds:
            body["scores"] = {
                "score_percent": f.score_percent,
                "points_earned": f.points_earned,
                "points_possible": f.points_possible,
                "labs_passed": sorted(f.labs_passed),
                "labs_failed": sorted(f.labs_failed),
            }
    return body


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
