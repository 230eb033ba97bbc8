"""Skills routes of API v1 (registered on ``lms.api.api_bp``): the competency framework
and the caller's own skill profile with its evidence. Read-only: nothing is committed."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from lms.api import api_bp
from lms.api.auth import current_api_user, token_required
from lms.catalog.models import Track
from lms.errors import ValidationError
from lms.skills.evidence import Evidence, SkillStatus, skill_profile
from lms.skills.models import MAX_LEVEL, MIN_LEVEL, CompetencyUnit
from lms.skills.services import list_units


def unit_json(unit: CompetencyUnit) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": {"ko": unit.name_ko, "en": unit.name_en},
        "description": {"ko": unit.description_ko, "en": unit.description_en},
        "level": unit.level,
        "track": str(unit.track),
        "parent": unit.parent.code if unit.parent else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    data = {
        "target": evidence.target,
        "course": evidence.course_slug,
        "assignment": evidence.assignment_name or None,
        "cell": evidence.cell_id or None,
        "weight": evidence.weight,
        "ratio": round(evidence.ratio, 4),
        "earned": evidence.earned,
        "possible": evidence.possible,
        "at": _iso(evidence.at),
        "submission_id": evidence.submission_id,
        "submission_url": None,
    }
    if evidence.submission_id is not None:
        data["submission_url"] = url_for(
            "api.read_submission", submission_id=evidence.submission_id
        )
    return data


def status_json(status: SkillStatus) -> dict[str, Any]:
    """One unit of a profile (also used by other domains' exports)."""
    return {
        "code": status.code,
        "name": {"ko": status.name_ko, "en": status.name_en},
        "track": status.track,
        "level": status.level,
        "state": status.state,
        "score": round(status.score, 4),
        "achieved_at": _iso(status.achieved_at),
        "evidence": [evidence_json(e) for e in status.evidence],
    }


def _filters() -> tuple[str | None, int | None]:
    track = request.args.get("track") or None
    if track is not None and track not in {t.value for t in Track}:
        raise ValidationError("invalid_track", _l("Unknown track."), "track")
    level = request.args.get("level") or None
    if level is not None:
        if not level.isdigit() or not MIN_LEVEL <= int(level) <= MAX_LEVEL:
            raise ValidationError(
                "invalid_level",
                _l(
                    "The level must be a whole number from %(lo)s to %(hi)s.",
                    lo=MIN_LEVEL,
                    hi=MAX_LEVEL,
                ),
                "level",
            )
        return track, int(level)
    return track, None


@api_bp.get("/skills")
def list_skill_units() -> Any:
    track, level = _filters()
    units = list_units(track, level, request.args.get("q") or None)
    return jsonify({"items": [unit_json(u) for u in units]})


@api_bp.get("/me/skills")
@token_required
def my_skills() -> Any:
    statuses = skill_profile(current_api_user())
    return jsonify({"items": [status_json(s) for s in statuses]})
