"""OB 3.0 ``Achievement.alignment``: the competency units (skills framework) that the
course's graded work evidences, so that a verifier sees which skills the credential stands for.
Read through the skills domain's mappings when that domain is installed; empty otherwise."""

from __future__ import annotations

import importlib.util
from typing import Any

from lms.credentials.document import Urls

MAX_ALIGNMENTS = 30
FRAMEWORK = {"ko": "AI 인재 양성 역량 체계", "en": "AI talent competency framework"}


def _units(courses: list[Any]) -> list[Any]:
    if importlib.util.find_spec("lms.skills.mapping") is None:
        return []
    from lms.skills.mapping import course_mappings

    units: dict[str, Any] = {}
    for course in courses:
        for mapping in course_mappings(course):
            units.setdefault(mapping.unit.code, mapping.unit)
    return [units[code] for code in sorted(units)][:MAX_ALIGNMENTS]


def alignments(courses: list[Any], urls: Urls, locale: str) -> tuple[dict[str, Any], ...]:
    """One ``Alignment`` per competency unit mapped to any of ``courses`` (sorted by code)."""
    return tuple(
        {
            "type": ["Alignment"],
            "targetType": "ceasn:Competency",
            "targetCode": unit.code,
            "targetName": unit.name(locale),
            "targetFramework": FRAMEWORK[locale],
            "targetUrl": urls.at(f"/skills/units/{unit.code}"),
        }
        for unit in _units(courses)
    )
