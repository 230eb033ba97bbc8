"""OpenAPI paths and schemas of the skills routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _S, _errors, _json, _ref

_I, _N = {"type": "integer"}, {"type": "number"}
_NS, _NN, _NI = (
    {"type": ["string", "null"]},
    {"type": ["number", "null"]},
    {"type": ["integer", "null"]},
)
_TRACKS = [
    "ai_foundations",
    "smart_factory",
    "smart_mobility",
    "semiconductors",
    "smart_healthcare",
]
_BILINGUAL = {"type": "object", "properties": {"ko": _S, "en": _S}}


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


SKILLS_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/skills": {
        "get": {
            "summary": "The competency framework: units with codes, levels and tracks",
            "security": [{}, {"bearer": []}],
            "parameters": [
                _query("track", {"type": "string", "enum": _TRACKS}, "only this track"),
                _query("level", {"type": "integer", "minimum": 1, "maximum": 4}, "only this level"),
                _query("q", _S, "code or name contains"),
            ],
            "responses": {"200": _json(_ref("SkillUnitList"), "Units")} | _errors(422),
        }
    },
    "/api/v1/me/skills": {
        "get": {
            "summary": "The caller's skill profile, built from graded evidence, with the "
            "evidence of each unit (the counted submission's cell or grade)",
            "security": [{"bearer": []}],
            "responses": {"200": _json(_ref("SkillProfile"), "Profile")} | _errors(401),
        }
    },
}

SKILLS_SCHEMAS: dict[str, Any] = {
    "SkillUnit": _obj(
        {
            "code": _S,
            "name": _BILINGUAL,
            "description": _BILINGUAL,
            "level": _I,
            "track": {"type": "string", "enum": _TRACKS},
            "parent": _NS,
        }
    ),
    "SkillUnitList": _obj({"items": {"type": "array", "items": _ref("SkillUnit")}}),
    "SkillEvidence": _obj(
        {
            "target": {"type": "string", "enum": ["course", "assignment", "cell"]},
            "course": _S,
            "assignment": _NS,
            "cell": _NS,
            "weight": _N,
            "ratio": _N,
            "earned": _NN,
            "possible": _NN,
            "at": {**_NS, "format": "date-time"},
            "submission_id": _NI,
            "submission_url": _NS,
        }
    ),
    "SkillStatus": _obj(
        {
            "code": _S,
            "name": _BILINGUAL,
            "track": _S,
            "level": _I,
            "state": {"type": "string", "enum": ["achieved", "in_progress", "not_started"]},
            "score": _N,
            "achieved_at": {**_NS, "format": "date-time"},
            "evidence": {"type": "array", "items": _ref("SkillEvidence")},
        }
    ),
    "SkillProfile": _obj({"items": {"type": "array", "items": _ref("SkillStatus")}}),
}
