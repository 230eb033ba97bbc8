"""Consent routes of API v1 (registered on ``lms.api.api_bp``): a member reads and changes
what each of their organisations may see. Each parses, calls one service, commits once."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.api.schemas import json_body, locale
from lms.consent.queries import OrgConsents, consents_of
from lms.consent.services import consent_text, parse_kinds, set_consent
from lms.db import db
from lms.orgs.services import get_org


def consents_json(state: OrgConsents) -> dict[str, Any]:
    return {
        "org": state.org.slug,
        "org_name": state.org.name(locale()),
        "kinds": {kind.value: granted for kind, granted in state.kinds.items()},
        "updated_at": state.updated_at.isoformat() if state.updated_at else None,
        # What the member agrees to, for clients that ask for consent in their own UI.
        "texts": {kind.value: consent_text(state.org, kind, locale()) for kind in state.kinds},
    }


@api_bp.get("/me/consents")
@token_required
def my_consents() -> Any:
    items = [consents_json(state) for state in consents_of(current_api_user())]
    return jsonify({"items": items})


@api_bp.put("/me/consents/<org_slug>")
@token_required
def put_consents(org_slug: str) -> Any:
    user = current_api_user()
    org = get_org(org_slug)
    set_consent(user, org, parse_kinds(json_body()), "api")
    db.session.commit()
    state = next(s for s in consents_of(user) if s.org.id == org.id)
    return jsonify(consents_json(state))
