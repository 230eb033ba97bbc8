"""Completion routes of API v1 (registered on ``lms.api.api_bp``): a person's completions,
a course's qualification list for its staff, confirming and revoking. Each parses, calls
one service, commits once and answers JSON."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.api.schemas import json_body, optional_str
from lms.catalog.models import Course, Enrollment
from lms.catalog.services import can_manage_course, get_course
from lms.completion import services
from lms.completion.models import Completion
from lms.completion.policies import course_policy, terms_of
from lms.completion.qualification import Qualification, course_qualifications
from lms.db import db
from lms.errors import Forbidden, ValidationError


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def completion_json(c: Completion) -> dict[str, Any]:
    target = c.course or c.programme
    return {
        "id": c.id,
        "user_id": c.user_id,
        "kind": "course" if c.course_id is not None else "programme",
        "slug": target.slug,
        "title": {"ko": target.title_ko, "en": target.title_en},
        "confirmed_at": _iso(c.confirmed_at),
        "confirmed_by_id": c.confirmed_by_id,
        "qualified": c.qualified,
        "override_reason": c.override_reason,
        "criteria": c.criteria,
        "revoked_at": _iso(c.revoked_at),
        "revoke_reason": c.revoke_reason,
    }


def _qualification_json(q: Qualification) -> dict[str, Any]:
    return {
        "enrollment_id": q.enrollment_id,
        "user_id": q.user_id,
        "qualified": q.qualified,
        "criteria": q.snapshot(),
        "at_risk_reasons": list(q.figures.at_risk_reasons) if q.figures else [],
        "completion_id": q.completion.id if q.completion is not None else None,
    }


def _managed(slug: str) -> Course:
    user = current_api_user()
    course = get_course(user, slug)
    if not can_manage_course(user, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    return course


@api_bp.get("/me/completions")
@token_required
def my_completions() -> Any:
    items = services.completions_for(current_api_user())
    return jsonify({"items": [completion_json(c) for c in items]})


@api_bp.get("/courses/<slug>/completion")
@token_required
def course_completion(slug: str) -> Any:
    course = _managed(slug)
    terms = terms_of(course_policy(course))
    policy = {
        "default": terms.is_default,
        "min_progress_percent": terms.min_progress_percent,
        "min_score_percent": terms.min_score_percent,
        "required_labs": list(terms.required_labs),
        "lab_pass_percent": terms.lab_pass_percent,
        "min_attendance_percent": terms.min_attendance_percent,
    }
    rows = course_qualifications(course)
    return jsonify({"policy": policy, "items": [_qualification_json(q) for q in rows]})


@api_bp.post("/courses/<slug>/completions")
@token_required
def confirm_completions(slug: str) -> Any:
    course = _managed(slug)
    body = json_body()
    ids = body.get("enrollment_ids")
    if not isinstance(ids, list) or not ids or not all(type(i) is int for i in ids):
        raise ValidationError(
            "invalid_field",
            _l("enrollment_ids must be a non-empty list of enrolment ids."),
            "enrollment_ids",
        )
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(ids), Enrollment.course_id == course.id)
            .options(selectinload(Enrollment.user))
        )
    )
    if len(enrollments) != len(set(ids)):
        raise ValidationError(
            "invalid_enrollment", _l("Only active learners of this course can be confirmed.")
        )
    reason = optional_str(body, "override_reason")
    done = services.confirm_many(current_api_user(), course, enrollments, reason)
    db.session.commit()
    return jsonify({"items": [completion_json(c) for c in done]}), 201


@api_bp.post("/completions/<int:completion_id>/revoke")
@token_required
def revoke_completion(completion_id: int) -> Any:
    user = current_api_user()
    completion = services.get_completion(user, completion_id)
    reason = optional_str(json_body(), "reason")
    services.revoke(user, completion, reason or "")
    db.session.commit()
    return jsonify(completion_json(completion))
