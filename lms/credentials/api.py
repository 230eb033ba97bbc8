"""Credential routes of API v1 (registered on ``lms.api.api_bp``): the token user's
credentials, and the verdict on one credential for anyone (HR systems check a shared link)."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.credentials import services
from lms.credentials.models import Credential
from lms.credentials.verification import verify_record


def credential_json(credential: Credential) -> dict[str, Any]:
    """The summary of one credential the API and the learner record show."""
    urls = services.urls()
    return {
        "id": credential.uuid,
        "achievement_ko": credential.achievement_ko,
        "achievement_en": credential.achievement_en,
        "recipient_name": credential.recipient_name,
        "issued_at": credential.issued_at.isoformat(),
        "status": "revoked" if credential.is_revoked else "valid",
        "public": credential.is_public,
        "revoked_at": credential.revoked_at.isoformat() if credential.revoked_at else None,
        "verification_url": urls.credential(credential.uuid),
        "credential": credential.payload,
        "jwt": credential.token,
    }


@api_bp.get("/me/credentials")
@token_required
def my_credentials() -> Any:
    items = [credential_json(c) for c in services.credentials_for(current_api_user())]
    return jsonify({"items": items})


@api_bp.get("/credentials/<uuid>/verification")
def credential_verification(uuid: str) -> Any:
    credential = services.visible_credential(current_api_user(), uuid)
    result = verify_record(credential)
    body = {
        "id": credential.uuid,
        "outcome": result.outcome.value,
        "valid": result.is_valid,
        "problems": result.problems,
        "recipient_name": credential.recipient_name,
        "achievement_ko": credential.achievement_ko,
        "achievement_en": credential.achievement_en,
        "issued_at": credential.issued_at.isoformat(),
        "revoked_at": credential.revoked_at.isoformat() if credential.revoked_at else None,
        "revocation_reason": credential.revocation_reason,
        "issuer": credential.payload.get("issuer"),
    }
    return jsonify(body)
