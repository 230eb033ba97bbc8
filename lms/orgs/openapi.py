"""OpenAPI paths and schemas of the invitation routes, merged into the API document by
``lms.api.openapi.openapi_document``."""

from __future__ import annotations

from typing import Any

from lms.api.openapi import _I, _S, _errors, _json, _page_of, _ref

_TOKEN: list[dict[str, list[str]]] = [{"bearer": []}]
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": _S}
_NOTE = " Needs a personal token of a manager of the organisation (or an admin)."
_STATES = ["pending", "accepted", "declined", "revoked", "expired"]

ORGS_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/orgs/{slug}/invitations": {
        "get": {
            "summary": "The organisation's invitations, newest first, 100 a page." + _NOTE,
            "security": _TOKEN,
            "parameters": [
                _SLUG,
                {"name": "state", "in": "query", "schema": {"type": "string", "enum": _STATES}},
                {"name": "q", "in": "query", "schema": _S, "description": "e-mail or name"},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            ],
            "responses": {"200": _json(_page_of("Invitation"), "One page of invitations")}
            | _errors(401, 403, 404, 422),
        },
        "post": {
            "summary": "Invite one person by e-mail (the invitation e-mail is queued); the "
            "answer carries the invitation link, shown only this once. They become a member "
            "when they accept." + _NOTE,
            "security": _TOKEN,
            "parameters": [_SLUG],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("InvitationRequest")}},
            },
            "responses": {"201": _json(_ref("InvitationCreated"), "Invited")}
            | _errors(400, 401, 403, 404, 409, 415, 422),
        },
    },
    "/api/v1/orgs/{slug}/invitations/{invitation_id}/revoke": {
        "post": {
            "summary": "Withdraw a pending invitation; its link stops working." + _NOTE,
            "security": _TOKEN,
            "parameters": [
                _SLUG,
                {"name": "invitation_id", "in": "path", "required": True, "schema": _I},
            ],
            "responses": {"200": _json(_ref("Invitation"), "The withdrawn invitation")}
            | _errors(401, 403, 404, 409),
        }
    },
}

_NULLABLE = {"type": ["string", "null"]}

ORGS_SCHEMAS: dict[str, Any] = {
    "Invitation": {
        "type": "object",
        "properties": {
            "id": _I,
            "email": _S,
            "name": _S,
            "department": _NULLABLE,
            "role": {"type": "string", "enum": ["member", "manager"]},
            "state": {"type": "string", "enum": _STATES},
            "sent_at": _S,
            "expires_at": _S,
            "responded_at": _NULLABLE,
        },
    },
    "InvitationRequest": {
        "type": "object",
        "required": ["email"],
        "properties": {
            "email": _S,
            "name": _S,
            "department": {**_S, "description": "name of an existing department"},
            "role": {"type": "string", "enum": ["member", "manager"], "default": "member"},
        },
    },
    "InvitationCreated": {
        "type": "object",
        "properties": {
            "invitation": _ref("Invitation"),
            "link": _S,
            "mail_queued": {
                "type": "boolean",
                "description": "an invitation e-mail was queued (false when e-mail is off)",
            },
        },
    },
}
