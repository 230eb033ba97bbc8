"""The OpenAPI 3.1 description of API v1, written as data (a test checks it against the
routes both ways)."""

from __future__ import annotations

from typing import Any

from flask import current_app

_S, _I, _B = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": _ref(name)}}}


def _page_of(name: str) -> dict[str, Any]:
    schema = _list_of(name)
    schema["properties"] |= {"page": _I, "per_page": _I, "total": _I}
    return schema


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_FILTERS = [
    {"name": "track", "in": "query", "schema": _ref("Track")},
    {"name": "segment", "in": "query", "schema": _ref("Segment")},
]
_PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100},
    },
]
_COURSE_FILTERS = [
    *_FILTERS,
    {"name": "level", "in": "query", "schema": _ref("Level")},
    {"name": "gpu", "in": "query", "schema": {"type": "boolean"}},
    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "title contains"},
    *_PAGING,
]
_PUBLIC: list[dict[str, list[str]]] = [{}, {"bearer": []}]
_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]

PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "security": [{}],
            "responses": {"200": {"description": "OpenAPI 3.1 document"}},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "The token's user, with current organisation memberships",
            "security": _TOKEN,
            "responses": {"200": _json(_ref("Me"), "The user")} | _errors(401),
        }
    },
    "/api/v1/me/enrollments": {
        "get": {
            "summary": "The token user's own enrolments",
            "security": _TOKEN,
            "responses": {"200": _json(_list_of("Enrollment"), "Enrolments")} | _errors(401),
        }
    },
    "/api/v1/tokens/{token_id}": {
        "delete": {
            "summary": "Revoke a personal token (own tokens; admins any)",
            "security": _TOKEN,
            "parameters": [
                {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {"204": {"description": "Revoked"}} | _errors(401, 404),
        }
    },
    "/api/v1/programs": {
        "get": {
            "summary": "Published programmes (learning paths) with their ordered courses",
            "security": _PUBLIC,
            "parameters": _FILTERS,
            "responses": {"200": _json(_list_of("Programme"), "Programmes")} | _errors(401, 422),
        }
    },
    "/api/v1/courses": {
        "get": {
            "summary": "Published courses of the catalogue",
            "security": _PUBLIC,
            "parameters": _COURSE_FILTERS,
            "responses": {"200": _json(_page_of("Course"), "Courses")} | _errors(401, 422),
        }
    },
    "/api/v1/courses/{slug}": {
        "get": {
            "summary": "One course with prerequisites, cohorts and instructors",
            "security": _PUBLIC,
            "parameters": [_SLUG],
            "responses": {"200": _json(_ref("CourseDetail"), "The course")} | _errors(401, 404),
        }
    },
    "/api/v1/courses/{slug}/enrollments": {
        "get": {
            "summary": "Enrolments of a course (its instructors and admins; organisation "
            "managers see their current members only)",
            "security": _TOKEN,
            "parameters": [_SLUG, *_PAGING],
            "responses": {"200": _json(_page_of("Enrollment"), "Enrolments")}
            | _errors(401, 403, 404, 422),
        },
        "post": {
            "summary": "Enrol yourself, or (instructors, admins, organisation managers) "
            "another user",
            "security": _TOKEN,
            "parameters": [_SLUG],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": _ref("EnrollmentRequest")}},
            },
            "responses": {"201": _json(_ref("Enrollment"), "Created")}
            | _errors(400, 401, 403, 404, 409, 415, 422),
        },
    },
}

_ENUMS = {
    "Track": [
        "ai_foundations",
        "smart_factory",
        "smart_mobility",
        "semiconductors",
        "smart_healthcare",
    ],
    "Level": ["beginner", "intermediate", "advanced"],
    "Segment": ["school", "university", "graduate", "worker"],
}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


_NS, _NI = {"type": ["string", "null"]}, {"type": ["integer", "null"]}

SCHEMAS: dict[str, Any] = {
    **{name: {"type": "string", "enum": values} for name, values in _ENUMS.items()},
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {**_S, "description": "machine-readable, stable"},
                    "message": {**_S, "description": "translated (Accept-Language)"},
                    "field": _S,
                },
                ["code", "message"],
            )
        },
        ["error"],
    ),
    "Me": _obj(
        {
            "id": _I,
            "email": _S,
            "name": _S,
            "role": _S,
            "locale": _NS,
            "timezone": _NS,
            "segment": _NS,
            "memberships": {
                "type": "array",
                "items": _obj(
                    {
                        "org": _S,
                        "org_name": _S,
                        "role": _S,
                        "department": _NS,
                        "started_on": _S,
                        "ended_on": _NS,
                    }
                ),
            },
        },
        ["id", "email", "name", "role"],
    ),
    "Course": _obj(
        {
            "slug": _S,
            "title": _S,
            "title_ko": _S,
            "title_en": _S,
            "description": _S,
            "level": _ref("Level"),
            "track": _ref("Track"),
            "skills": {"type": "array", "items": _S},
            "needs_gpu": _B,
            "self_enroll": _B,
            "capacity": _NI,
            "is_published": _B,
        },
        ["slug", "title", "level", "track"],
    ),
    "Cohort": _obj({"id": _I, "name": _S, "starts_on": _S, "ends_on": _S, "capacity": _NI}),
    "Programme": _obj(
        {
            "slug": _S,
            "title": _S,
            "title_ko": _S,
            "title_en": _S,
            "description": _S,
            "track": _ref("Track"),
            "audience": {"type": "array", "items": _ref("Segment")},
            "courses": {"type": "array", "items": _S, "description": "course slugs, in order"},
        }
    ),
    "Enrollment": _obj(
        {
            "id": _I,
            "course": _S,
            "status": {"type": "string", "enum": ["active", "completed", "dropped"]},
            "cohort": {"oneOf": [_ref("Cohort"), {"type": "null"}]},
            "sponsor_org": _NS,
            "created_at": _S,
            "completed_at": _NS,
            "user": _obj({"id": _I, "name": _S, "email": _S}),
        }
    ),
    "EnrollmentRequest": _obj(
        {
            "user_id": {**_I, "description": "someone else (instructors, managers)"},
            "email": {**_S, "description": "someone else, by e-mail"},
            "cohort_id": _I,
            "sponsor_org": {**_S, "description": "organisation slug (organisation managers)"},
        }
    ),
}
SCHEMAS["CourseDetail"] = {
    "allOf": [
        _ref("Course"),
        _obj(
            {
                "prerequisites": {"type": "array", "items": _S},
                "cohorts": {"type": "array", "items": _ref("Cohort")},
                "instructors": {"type": "array", "items": _S},
            }
        ),
    ]
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/v1/openapi.json."""
    from lms.completion.openapi import COMPLETION_PATHS, COMPLETION_SCHEMAS  # issue 6
    from lms.consent.openapi import CONSENT_PATHS, CONSENT_SCHEMAS  # issue 6 routes
    from lms.credentials.openapi import CREDENTIALS_PATHS, CREDENTIALS_SCHEMAS  # issue 6
    from lms.grading.openapi import GRADING_PATHS, GRADING_SCHEMAS  # issue 4 routes
    from lms.orgs.openapi import ORGS_PATHS, ORGS_SCHEMAS  # issue 6 routes
    from lms.privacy.openapi import PRIVACY_PATHS, PRIVACY_SCHEMAS  # issue 6 routes
    from lms.reporting.openapi import REPORTING_PATHS, REPORTING_SCHEMAS  # issue 6 routes
    from lms.skills.openapi import SKILLS_PATHS, SKILLS_SCHEMAS  # issue 6 routes

    descriptions = {
        400: "Malformed request or JSON body",
        401: "Missing, malformed, expired or revoked token",
        403: "Not allowed for this user",
        404: "No such object (or not visible to this user)",
        409: "Conflict: already enrolled, prerequisites missing, cohort or course full",
        415: "Body is not application/json",
        422: "Invalid field or parameter",
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AI talent LMS API",
            "version": "1",
            "description": "Personal access tokens: `flask --app lms tokens create EMAIL`.",
        },
        "servers": [{"url": current_app.config.get("LMS_BASE_URL", "")}],
        "paths": PATHS
        | GRADING_PATHS
        | ORGS_PATHS
        | REPORTING_PATHS
        | PRIVACY_PATHS
        | CONSENT_PATHS
        | SKILLS_PATHS
        | CREDENTIALS_PATHS
        | COMPLETION_PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS
            | GRADING_SCHEMAS
            | ORGS_SCHEMAS
            | REPORTING_SCHEMAS
            | PRIVACY_SCHEMAS
            | CONSENT_SCHEMAS
            | SKILLS_SCHEMAS
            | CREDENTIALS_SCHEMAS
            | COMPLETION_SCHEMAS,
            "responses": {
                f"E{code}": _json(_ref("Error"), text) for code, text in descriptions.items()
            },
        },
    }
