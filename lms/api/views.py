"""API v1 routes. Each parses, calls one service, commits once, and answers JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import Role, User
from lms.accounts.services import get_user_by_email, revoke_token
from lms.api import api_bp
from lms.api.auth import add_www_authenticate, current_api_user, load_token_user, token_required
from lms.api.openapi import openapi_document
from lms.api.schemas import (
    course_detail_json,
    course_json,
    enrollment_json,
    json_body,
    optional_int,
    optional_str,
    programme_json,
    user_json,
)
from lms.catalog import queries
from lms.catalog.models import Enrollment
from lms.catalog.services import can_manage_course, enroll, get_cohort, get_course
from lms.db import db
from lms.errors import Forbidden, NotFound, ValidationError
from lms.orgs.services import current_memberships, get_org, managed_org_ids

api_bp.before_request(load_token_user)
api_bp.after_request(add_www_authenticate)


@api_bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


@api_bp.get("/me")
@token_required
def me() -> Any:
    user = current_api_user()
    return jsonify(user_json(user, current_memberships(user)))


@api_bp.get("/me/enrollments")
@token_required
def my_enrollments() -> Any:
    stmt = (
        select(Enrollment)
        .where(Enrollment.user_id == current_api_user().id)
        .options(
            joinedload(Enrollment.course),
            joinedload(Enrollment.cohort),
            joinedload(Enrollment.sponsor_org),
        )
        .order_by(Enrollment.id)
    )
    items = [enrollment_json(e, with_user=False) for e in db.session.scalars(stmt)]
    return jsonify({"items": items})


@api_bp.delete("/tokens/<int:token_id>")
@token_required
def delete_token(token_id: int) -> Any:
    revoke_token(current_api_user(), token_id)
    db.session.commit()
    return "", 204


@api_bp.get("/programs")
def programs() -> Any:
    filters = queries.CatalogueFilter.parse(request.args)
    return jsonify({"items": [programme_json(p) for p in queries.list_programmes(filters)]})


@api_bp.get("/courses")
def courses() -> Any:
    filters = queries.CatalogueFilter.parse(request.args)
    found = queries.list_courses(filters, _int_arg("page", 1), _int_arg("per_page", 100))
    return jsonify({"items": [course_json(c) for c in found], **_page_info(found)})


@api_bp.get("/courses/<slug>")
def course(slug: str) -> Any:
    return jsonify(course_detail_json(get_course(current_api_user(), slug)))


@api_bp.get("/courses/<slug>/enrollments")
@token_required
def course_enrollments(slug: str) -> Any:
    actor = current_api_user()
    found = get_course(actor, slug)
    page = queries.list_enrollments(
        actor, found, page=_int_arg("page", 1), per_page=_int_arg("per_page", 100)
    )
    return jsonify({"items": [enrollment_json(e) for e in page], **_page_info(page)})


@api_bp.post("/courses/<slug>/enrollments")
@token_required
def create_enrollment(slug: str) -> Any:
    actor = current_api_user()
    body = json_body()
    found = get_course(actor, slug)
    target = _target_user(actor, found, body)
    cohort_id = optional_int(body, "cohort_id")
    cohort = get_cohort(found, cohort_id) if cohort_id is not None else None
    sponsor = _sponsor_org(actor, found, target, optional_str(body, "sponsor_org"))
    enrollment = enroll(actor, target, found, cohort, sponsor_org=sponsor)
    db.session.commit()
    return jsonify(enrollment_json(enrollment)), 201


def _target_user(actor: User, course: Any, body: dict[str, Any]) -> User:
    """The user to enrol: the actor unless ``user_id``/``email`` names someone else, which
    only course managers and organisation managers may do (checked before the lookup, so
    others cannot probe which accounts exist)."""
    user_id, email = optional_int(body, "user_id"), optional_str(body, "email")
    if user_id is None and email is None:
        return actor
    if user_id == actor.id or (email is not None and email.lower() == actor.email):
        return actor
    if not (can_manage_course(actor, course) or actor.role == Role.ORG_MANAGER):
        raise Forbidden(
            "cannot_enroll_others", _l("You may not enrol other people in this course.")
        )
    user = db.session.get(User, user_id) if user_id is not None else get_user_by_email(email)
    if user is None or not user.is_active:
        raise NotFound("user_not_found", _l("No such user."))
    return user


def _sponsor_org(actor: User, course: Any, target: User, slug: str | None) -> Any:
    if slug is not None:
        return get_org(slug)
    if target.id == actor.id or can_manage_course(actor, course):
        return None
    # An organisation manager enrolling someone: sponsor by the org they share.
    for membership in current_memberships(target):
        if membership.org_id in managed_org_ids(actor):
            return membership.org
    raise Forbidden(
        "not_org_member", _l("This person is not a current member of your organisation.")
    )


def _page_info(page: queries.Page) -> dict[str, int]:
    return {"page": page.page, "per_page": page.per_page, "total": page.total}


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationError(
            "invalid_parameter", _l("%(f)s must be a positive whole number.", f=name), name
        )
    return int(raw)


__all__ = ["api_bp"]
