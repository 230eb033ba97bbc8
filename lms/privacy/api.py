"""Privacy routes of API v1 (registered on ``lms.api.api_bp``): the token user's own
learner record."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.privacy.record import learner_record


@api_bp.get("/me/record")
@token_required
def my_record() -> Any:
    """The learner record of the token's user (nobody else's is reachable)."""
    return jsonify(learner_record(current_api_user()))
