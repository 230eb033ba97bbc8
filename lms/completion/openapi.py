"""OpenAPI paths and schemas of the completion routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _S, _errors, _json, _ref

_I, _B, _N = {"type": "integer"}, {"type": "boolean"}, {"type": ["number", "null"]}
_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _S}
_ID = {"name": "completion_id", "in": "path", "required": True, "schema": _I}
_NULL_S = {"type": ["string", "null"]}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


COMPLETION_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/completions": {
        "get": {
            "summary": "Your confirmed completions of courses and programmes, newest first "
            "(revoked ones included, with revoked_at)",
            "security": _TOKEN,
            "responses": {"200": _json(_ref("CompletionList"), "Your completions")} | _errors(401),
        }
    },
    "/api/v1/courses/{slug}/completion": {
        "get": {
            "summary": "The course's completion policy and, per active or completed "
            "enrolment, whether the learner qualifies (course staff)",
            "security": _TOKEN,
            "parameters": [_SLUG],
            "responses": {"200": _json(_ref("CourseQualifications"), "Who qualifies")}
            | _errors(401, 403, 404),
        }
    },
    "/api/v1/courses/{slug}/completions": {
        "post": {
            "summary": "Confirm the completion of enrolments, all or none; learners who do "
            "not meet the policy need override_reason (course staff)",
            "security": _TOKEN,
            "parameters": [_SLUG],
            "requestBody": _body("ConfirmRequest"),
            "responses": {"201": _json(_ref("CompletionList"), "The new completions")}
            | _errors(400, 401, 403, 404, 409, 415, 422),
        }
    },
    "/api/v1/completions/{completion_id}/revoke": {
        "post": {
            "summary": "Revoke a completion with a reason; kept as history (course or "
            "programme staff)",
            "security": _TOKEN,
            "parameters": [_ID],
            "requestBody": _body("RevokeRequest"),
            "responses": {"200": _json(_ref("Completion"), "The revoked completion")}
            | _errors(400, 401, 403, 404, 409, 415, 422),
        }
    },
}

COMPLETION_SCHEMAS: dict[str, Any] = {
    "Completion": {
        "type": "object",
        "properties": {
            "id": _I,
            "user_id": _I,
            "kind": {"enum": ["course", "programme"]},
            "slug": _S,
            "title": {"type": "object", "properties": {"ko": _S, "en": _S}},
            "confirmed_at": _S,
            "confirmed_by_id": {"type": ["integer", "null"]},
            "qualified": _B,
            "override_reason": _NULL_S,
            "criteria": {"type": "object", "description": "criterion code → figures"},
            "revoked_at": _NULL_S,
            "revoke_reason": _NULL_S,
        },
        "required": ["id", "user_id", "kind", "slug", "confirmed_at", "qualified"],
    },
    "CompletionList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _ref("Completion")}},
        "required": ["items"],
    },
    "CourseQualifications": {
        "type": "object",
        "properties": {
            "policy": {
                "type": "object",
                "properties": {
                    "default": _B,
                    "min_progress_percent": _N,
                    "min_score_percent": _N,
                    "required_labs": {"type": "array", "items": _S},
                    "lab_pass_percent": {"type": "number"},
                    "min_attendance_percent": _N,
                },
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "enrollment_id": _I,
                        "user_id": _I,
                        "qualified": _B,
                        "criteria": {"type": "object"},
                        "at_risk_reasons": {"type": "array", "items": _S},
                        "completion_id": {"type": ["integer", "null"]},
                    },
                },
            },
        },
        "required": ["policy", "items"],
    },
    "ConfirmRequest": {
        "type": "object",
        "properties": {
            "enrollment_ids": {"type": "array", "items": _I, "minItems": 1},
            "override_reason": _S,
        },
        "required": ["enrollment_ids"],
    },
    "RevokeRequest": {
        "type": "object",
        "properties": {"reason": _S},
        "required": ["reason"],
    },
}
