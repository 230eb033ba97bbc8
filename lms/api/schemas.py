"""JSON shapes of API objects, and parsing of request bodies."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.catalog.models import Cohort, Course, Enrollment, Programme
from lms.errors import BadRequest, DomainError, ValidationError
from lms.orgs.models import Membership


def locale() -> str:
    return str(get_locale() or "ko")


def json_body() -> dict[str, Any]:
    """The request body as a JSON object ({} when empty). 400 ``invalid_json`` when it is
    not JSON or not an object; 415 when sent with another content type."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    if not request.is_json:
        raise DomainError("unsupported_media_type", _l("Send the body as application/json."), 415)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("invalid_json", _l("The request body is not valid JSON.")) from None
    if not isinstance(body, dict):
        raise BadRequest("invalid_json", _l("The request body must be a JSON object."))
    return body


def optional_int(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("invalid_field", _l("%(f)s must be a whole number.", f=key), key)
    return value


def optional_str(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("invalid_field", _l("%(f)s must be a non-empty text.", f=key), key)
    return value.strip()


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def user_json(user: User, memberships: list[Membership] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": str(user.role),
        "locale": user.locale,
        "timezone": user.timezone,
        "segment": str(user.segment) if user.segment else None,
    }
    if memberships is not None:
        data["memberships"] = [
            {
                "org": m.org.slug,
                "org_name": m.org.name(locale()),
                "role": str(m.role),
                "department": m.department.name if m.department else None,
                "started_on": _iso(m.started_on),
                "ended_on": _iso(m.ended_on),
            }
            for m in memberships
        ]
    return data


def course_json(course: Course) -> dict[str, Any]:
    loc = locale()
    return {
        "slug": course.slug,
        "title": course.title(loc),
        "title_ko": course.title_ko,
        "title_en": course.title_en,
        "description": course.description(loc),
        "level": str(course.level),
        "track": str(course.track),
        "skills": list(course.skills or []),
        "needs_gpu": course.needs_gpu,
        "self_enroll": course.self_enroll,
        "capacity": course.capacity,
        "is_published": course.is_published,
    }


def cohort_json(cohort: Cohort) -> dict[str, Any]:
    return {
        "id": cohort.id,
        "name": cohort.name,
        "starts_on": _iso(cohort.starts_on),
        "ends_on": _iso(cohort.ends_on),
        "capacity": cohort.capacity,
    }


def course_detail_json(course: Course) -> dict[str, Any]:
    data = course_json(course)
    data["prerequisites"] = [c.slug for c in course.prerequisites]
    data["cohorts"] = [cohort_json(c) for c in course.cohorts]
    data["instructors"] = [u.name for u in course.instructors]
    return data


def programme_json(programme: Programme) -> dict[str, Any]:
    loc = locale()
    return {
        "slug": programme.slug,
        "title": programme.title(loc),
        "title_ko": programme.title_ko,
        "title_en": programme.title_en,
        "description": programme.description(loc),
        "track": str(programme.track),
        "audience": list(programme.audience or []),
        "courses": [e.course.slug for e in programme.entries],
    }


def enrollment_json(enrollment: Enrollment, with_user: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": enrollment.id,
        "course": enrollment.course.slug,
        "status": str(enrollment.status),
        "cohort": cohort_json(enrollment.cohort) if enrollment.cohort else None,
        "sponsor_org": enrollment.sponsor_org.slug if enrollment.sponsor_org else None,
        "created_at": _iso(enrollment.created_at),
        "completed_at": _iso(enrollment.completed_at),
    }
    if with_user:
        user = enrollment.user
        data["user"] = {"id": user.id, "name": user.name, "email": user.email}
    return data
