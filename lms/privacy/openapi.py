"""OpenAPI path and schemas of the privacy routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _errors, _json, _ref

_S, _NS = {"type": "string"}, {"type": ["string", "null"]}
_NN = {"type": ["number", "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


PRIVACY_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/record": {
        "get": {
            "summary": "The token user's learner record: learning stages, organisations "
            "(school, university, employer), enrolments with progress and grades, and, where "
            "those features are installed, completions, skills and credentials",
            "security": [{"bearer": []}],
            "responses": {"200": _json(_ref("LearnerRecord"), "The record")} | _errors(401),
        }
    },
}

_GRADE = _obj(
    {
        "assignment": _S,
        "title_ko": _S,
        "title_en": _S,
        "points": {"type": "number"},
        "grade": {**_NN, "description": "counted grade, as the course's gradebook counts it"},
        "status": _S,
        "attempts": {"type": "integer"},
    }
)

PRIVACY_SCHEMAS: dict[str, Any] = {
    "LearnerRecord": _obj(
        {
            "format": {"type": "string", "const": "lms-learner-record"},
            "version": {"type": "integer"},
            "generated_at": _S,
            "person": _obj(
                {
                    "id": {"type": "integer"},
                    "name": _S,
                    "email": _S,
                    "segment": _NS,
                    "member_since": _S,
                    "segments": _array(_obj({"segment": _S, "since": _S})),
                }
            ),
            "organisations": _array(
                _obj(
                    {
                        "org": _S,
                        "org_name_ko": _S,
                        "org_name_en": _S,
                        "kind": _S,
                        "role": _S,
                        "department": _NS,
                        "started_on": _S,
                        "ended_on": _NS,
                        "current": {"type": "boolean"},
                    }
                )
            ),
            "enrollments": _array(
                _obj(
                    {
                        "course": _S,
                        "title_ko": _S,
                        "title_en": _S,
                        "track": _S,
                        "level": _S,
                        "status": _S,
                        "cohort": _NS,
                        "sponsor_org": _NS,
                        "enrolled_at": _S,
                        "completed_at": _NS,
                        "progress_percent": _NN,
                        "score_percent": _NN,
                        "grades": _array(_GRADE),
                    }
                )
            ),
            "completions": {
                **_array(_obj({"kind": _S, "slug": _S, "confirmed_at": _S, "revoked_at": _NS})),
                "description": "present when the completion feature is installed",
            },
            "skills": {
                **_array({"type": "object"}),
                "description": "skill statuses with evidence (present with the skills feature)",
            },
            "credentials": {
                **_array({"type": "object"}),
                "description": "issued credentials without the signed document; verify_url "
                "is the public verification page (present with the credentials feature)",
            },
            "timeline": _array(_obj({"at": _S, "kind": _S})),
        },
        ["format", "version", "person", "organisations", "enrollments"],
    ),
}
