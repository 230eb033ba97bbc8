"""OpenAPI paths and schemas of the consent routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _S, _errors, _json, _ref
from lms.consent.models import DataKind

_B = {"type": "boolean"}
_KINDS = {kind.value: _B for kind in DataKind}
_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
_ORG = {"name": "org_slug", "in": "path", "required": True, "schema": _S}

CONSENT_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/consents": {
        "get": {
            "summary": "What each of your current organisations may see about you, per kind "
            "of data (default: nothing)",
            "security": _TOKEN,
            "responses": {"200": _json(_ref("ConsentList"), "Your consents")} | _errors(401),
        }
    },
    "/api/v1/me/consents/{org_slug}": {
        "put": {
            "summary": "Share (true) or stop sharing (false) kinds of data with an "
            "organisation you are a member of; kinds left out keep their decision; "
            "withdrawing takes effect at once",
            "security": _TOKEN,
            "parameters": [_ORG],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("ConsentChoices")}},
            },
            "responses": {"200": _json(_ref("OrgConsents"), "The consents now")}
            | _errors(400, 401, 403, 404, 415, 422),
        }
    },
}

CONSENT_SCHEMAS: dict[str, Any] = {
    "ConsentChoices": {
        "type": "object",
        "properties": _KINDS,
        "additionalProperties": False,
        "minProperties": 1,
        "description": "an unknown kind is refused with 400 unknown_kind",
    },
    "OrgConsents": {
        "type": "object",
        "properties": {
            "org": {**_S, "description": "organisation slug"},
            "org_name": _S,
            "kinds": {"type": "object", "properties": _KINDS, "required": list(_KINDS)},
            "updated_at": {"type": ["string", "null"], "description": "latest decision"},
            "texts": {
                "type": "object",
                "properties": {kind.value: _S for kind in DataKind},
                "description": "the consent text per kind (Accept-Language): who receives "
                "what, why, for how long, and that refusing is allowed",
            },
        },
        "required": ["org", "org_name", "kinds", "updated_at"],
    },
    "ConsentList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _ref("OrgConsents")}},
    },
}
