"""OpenAPI paths and schemas of the credential routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _errors, _json, _ref

_S, _NS, _B = {"type": "string"}, {"type": ["string", "null"]}, {"type": "boolean"}
_UUID = {"name": "uuid", "in": "path", "required": True, "schema": _S}


def _obj(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_SUMMARY = {
    "id": {**_S, "description": "public id: the verification page is /credentials/{id}"},
    "achievement_ko": _S,
    "achievement_en": _S,
    "recipient_name": _S,
    "issued_at": {**_S, "format": "date-time"},
    "status": {"enum": ["valid", "revoked"]},
    "revoked_at": _NS,
    "public": {**_B, "description": "whether the public verification page is open"},
}

CREDENTIALS_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/credentials": {
        "get": {
            "summary": "The token user's credentials (Open Badges 3.0): summary, the "
            "credential JSON and its signed form (VC-JWT)",
            "security": [{"bearer": []}],
            "responses": {"200": _json(_ref("CredentialList"), "Credentials")} | _errors(401),
        }
    },
    "/api/v1/credentials/{uuid}/verification": {
        "get": {
            "summary": "Verify one issued credential (signature, content, revocation); no "
            "token needed (404 when its recipient closed its public page)",
            "security": [{}],
            "parameters": [_UUID],
            "responses": {"200": _json(_ref("CredentialVerification"), "The verdict")}
            | _errors(404),
        }
    },
}

CREDENTIALS_SCHEMAS: dict[str, Any] = {
    "Credential": _obj(
        {
            **_SUMMARY,
            "verification_url": _S,
            "credential": {"type": "object", "description": "the OpenBadgeCredential"},
            "jwt": {**_S, "description": "compact JWS, RS256 (OB 3.0 JWT proof format)"},
        }
    ),
    "CredentialList": _obj({"items": {"type": "array", "items": _ref("Credential")}}),
    "CredentialVerification": _obj(
        {
            "id": _S,
            "outcome": {"enum": ["valid", "revoked", "tampered", "unknown_key", "invalid"]},
            "valid": _B,
            "problems": {"type": "array", "items": _S},
            "recipient_name": _S,
            "achievement_ko": _S,
            "achievement_en": _S,
            "issued_at": _S,
            "revoked_at": _NS,
            "revocation_reason": _NS,
            "issuer": {"type": "object"},
        }
    ),
}
