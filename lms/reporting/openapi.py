"""OpenAPI paths and schemas of the organisation reporting routes (HR systems), merged into
the API document by ``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _I, _S, _errors, _json, _ref

_NUM = {"type": ["number", "null"]}
_INT = {"type": ["integer", "null"]}
_STRN = {"type": ["string", "null"]}
_BOOL = {"type": ["boolean", "null"]}
_STRS = {"type": "array", "items": _S}
_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _S}
_QUERY = [
    {"name": "department", "in": "query", "schema": _I, "description": "department id"},
    {"name": "programme", "in": "query", "schema": _S, "description": "programme slug"},
    {"name": "course", "in": "query", "schema": _S, "description": "course slug"},
    {
        "name": "status",
        "in": "query",
        "schema": {"type": "string", "enum": ["active", "at_risk", "completed", "dropped"]},
    },
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {
        "name": "per_page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
]
_SCOPE_NOTE = (
    " Needs a manager's token or an organisation token of this organisation (created on "
    "/orgs/{slug}/api-tokens). Only members' data they agreed to share; each call is logged "
    "in the members' access log."
)


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _page(name: str) -> dict[str, Any]:
    items = {"type": "array", "items": _ref(name)}
    return _obj({"items": items, "page": _I, "per_page": _I, "total": _I})


REPORTING_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/orgs/{slug}/members": {
        "get": {
            "summary": "Current members of the organisation: membership facts, what each "
            "shares, and the shared figures." + _SCOPE_NOTE,
            "security": _TOKEN,
            "parameters": [_SLUG, *_QUERY],
            "responses": {"200": _json(_page("OrgMember"), "One page of members")}
            | _errors(401, 403, 404, 422),
        }
    },
    "/api/v1/orgs/{slug}/progress": {
        "get": {
            "summary": "Enrolments and progress of the members who share their progress "
            "(scores only for those who share scores)." + _SCOPE_NOTE,
            "security": _TOKEN,
            "parameters": [_SLUG, *_QUERY],
            "responses": {"200": _json(_page("OrgProgress"), "One page of enrolments")}
            | _errors(401, 403, 404, 422),
        }
    },
}

REPORTING_SCHEMAS: dict[str, Any] = {
    "OrgMember": _obj(
        {
            "user_id": _I,
            "name": _S,
            "email": _S,
            "department": _STRN,
            "role": {"type": "string", "enum": ["member", "manager"]},
            "member_since": {"type": "string", "format": "date"},
            "shares": _STRS,
            "progress": _obj(
                {
                    "enrolments": _I,
                    "completed": _I,
                    "progress_percent": _NUM,
                    "at_risk": _BOOL,
                    "last_activity_at": _STRN,
                    "gpu_hours": _NUM,
                }
            ),
            "scores": _obj({"score_percent": _NUM, "labs_failed": _INT}),
            "skills": _obj({"count": _INT}),
        },
        ["user_id", "name", "email", "member_since", "shares"],
    ),
    "OrgProgress": _obj(
        {
            "enrollment_id": _I,
            "user_id": _I,
            "email": _S,
            "course": _S,
            "status": {"type": "string", "enum": ["active", "completed", "dropped"]},
            "at_risk": {"type": "boolean"},
            "at_risk_reasons": _STRS,
            "items_done": _I,
            "items_total": _I,
            "progress_percent": {"type": "number"},
            "overdue_items": _I,
            "last_activity_at": _STRN,
            "scores": _obj(
                {
                    "score_percent": _NUM,
                    "points_earned": {"type": "number"},
                    "points_possible": {"type": "number"},
                    "labs_passed": _STRS,
                    "labs_failed": _STRS,
                }
            ),
        },
        ["enrollment_id", "user_id", "course", "status", "at_risk"],
    ),
}
