"""The learner record: one person's whole history on the platform, across organisations
(school, university, employer) — learning stages, memberships, enrolments with progress and
grades, and, where those domains are installed, completions, skills and credentials.

``learner_record(user)`` returns plain JSON-ready data; the page, the print view, the JSON
download and ``GET /api/v1/me/record`` all show this one structure. Completion, skills and
credentials are read through their domains' contracts, imported lazily: a section appears
when its domain exists and is left out (not empty) when it does not.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections import defaultdict
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.catalog.models import Enrollment
from lms.db import db, utcnow
from lms.grading.gradebook import _cell as gradebook_cell  # the gradebook's counted grade
from lms.grading.models import GradingJob, Submission
from lms.orgs.models import Membership
from lms.privacy.plain import plain
from lms.publishing.services import current_version

logger = logging.getLogger(__name__)

RECORD_FORMAT = "lms-learner-record"
RECORD_VERSION = 1


def optional_module(name: str) -> ModuleType | None:
    """The module ``name`` if its domain is installed, else None (never raises ImportError)."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
        return importlib.import_module(name)
    except ImportError:
        return None


def learner_record(user: User) -> dict[str, Any]:
    """The record of ``user`` as plain data (see the module docstring). Reads only; the
    caller checks that the viewer is ``user`` (nobody else sees a record here)."""
    enrollments = _enrollments(user)
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "generated_at": utcnow().isoformat(),
        "person": _person(user),
        "organisations": _memberships(user),
        "enrollments": enrollments,
    }
    for key, section in (
        ("completions", _completions),
        ("skills", _skills),
        ("credentials", _credentials),
    ):
        value = section(user)
        if value is not None:
            record[key] = value
    record["timeline"] = _timeline(record)
    return record


def _person(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "segment": plain(user.segment),
        "member_since": user.created_at.isoformat(),
        "segments": [
            {"segment": change.segment.value, "since": change.since.isoformat()}
            for change in user.segments
        ],
    }


def _memberships(user: User) -> list[dict[str, Any]]:
    today = utcnow().date()
    rows = db.session.scalars(
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(joinedload(Membership.org), joinedload(Membership.department))
        .order_by(Membership.started_on, Membership.id)
    )
    return [
        {
            "org": m.org.slug,
            "org_name_ko": m.org.name_ko,
            "org_name_en": m.org.name_en,
            "kind": m.org.kind.value,
            "role": m.role.value,
            "department": m.department.name if m.department else None,
            "started_on": m.started_on.isoformat(),
            "ended_on": m.ended_on.isoformat() if m.ended_on else None,
            "current": m.is_current(today),
        }
        for m in rows
    ]


def _enrollments(user: User) -> list[dict[str, Any]]:
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user.id)
            .options(
                joinedload(Enrollment.course),
                joinedload(Enrollment.cohort),
                joinedload(Enrollment.sponsor_org),
            )
            .order_by(Enrollment.created_at, Enrollment.id)
        ).unique()
    )
    figures = _progress([e.id for e in enrollments])
    grades = _grades(user, enrollments)
    return [_enrollment(e, figures.get(e.id), grades.get(e.course_id, [])) for e in enrollments]


def _enrollment(e: Enrollment, figures: Any, grades: list[dict[str, Any]]) -> dict[str, Any]:
    course = e.course
    return {
        "course": course.slug,
        "title_ko": course.title_ko,
        "title_en": course.title_en,
        "track": course.track.value,
        "level": course.level.value,
        "status": e.status.value,
        "cohort": e.cohort.name if e.cohort else None,
        "sponsor_org": e.sponsor_org.slug if e.sponsor_org else None,
        "sponsor_org_name_ko": e.sponsor_org.name_ko if e.sponsor_org else None,
        "sponsor_org_name_en": e.sponsor_org.name_en if e.sponsor_org else None,
        "enrolled_at": e.created_at.isoformat(),
        "completed_at": e.completed_at.isoformat() if e.completed_at else None,
        "progress_percent": round(figures.progress_percent, 1) if figures else None,
        "score_percent": _round(figures.score_percent) if figures else None,
        "grades": grades,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _progress(enrollment_ids: list[int]) -> dict[int, Any]:
    """COMPLETION's figures per enrolment (``progress_for``), when that domain exists."""
    progress = optional_module("lms.completion.progress")
    if progress is None or not enrollment_ids:
        return {}
    return progress.progress_for(enrollment_ids)


def _grades(user: User, enrollments: list[Enrollment]) -> dict[int, list[dict[str, Any]]]:
    """Per course: each assignment of the current version with the counted grade, exactly as
    the course's gradebook counts it."""
    submissions = db.session.scalars(
        select(Submission)
        .where(Submission.user_id == user.id)
        .options(selectinload(Submission.jobs).selectinload(GradingJob.result))
        .order_by(Submission.attempt)
    ).all()
    attempts: dict[tuple[int, str], list[Submission]] = defaultdict(list)
    for submission in submissions:
        attempts[(submission.course_id, submission.assignment_name)].append(submission)
    grades: dict[int, list[dict[str, Any]]] = {}
    for enrollment in enrollments:
        version = current_version(enrollment.course)
        rows = []
        for a in version.assignments if version else []:
            cell = gradebook_cell(attempts.get((enrollment.course_id, a.name), []), a.counts)
            rows.append(
                {
                    "assignment": a.name,
                    "title_ko": a.title_ko,
                    "title_en": a.title_en,
                    "points": a.points,
                    "grade": _round(cell.grade),
                    "status": cell.status,
                    "attempts": cell.attempts,
                }
            )
        grades[enrollment.course_id] = rows
    return grades


def _completions(user: User) -> list[dict[str, Any]] | None:
    services = optional_module("lms.completion.services")
    if services is None or not hasattr(services, "completions_for"):
        return None
    rows = []
    for c in services.completions_for(user):
        target = c.course if c.course_id else c.programme
        rows.append(
            {
                "kind": "course" if c.course_id else "programme",
                "slug": getattr(target, "slug", None),
                "title_ko": getattr(target, "title_ko", None),
                "title_en": getattr(target, "title_en", None),
                "confirmed_at": plain(c.confirmed_at),
                "qualified": c.qualified,
                "revoked_at": plain(c.revoked_at),
            }
        )
    return rows


def _skills(user: User) -> list[dict[str, Any]] | None:
    for name in ("lms.skills.services", "lms.skills.evidence"):
        module = optional_module(name)
        if module is not None and hasattr(module, "skill_profile"):
            return [plain(status) for status in module.skill_profile(user)]
    return None


def _credentials(user: User) -> list[dict[str, Any]] | None:
    services = optional_module("lms.credentials.services")
    if services is None or not hasattr(services, "credentials_for"):
        return None
    return [credential_summary(c) for c in services.credentials_for(user)]


def credential_summary(credential: Any) -> dict[str, Any]:
    """The plain columns of a credential row, without its (long) signed document."""
    data = plain(credential)
    if isinstance(data, dict):
        for bulky in ("document", "jwt", "token", "payload", "proof"):
            data.pop(bulky, None)
        if data.get("uuid"):
            data["verify_url"] = f"/credentials/{data['uuid']}"
    return data


def _timeline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Dated events of the record, oldest first (for the page)."""
    events = [
        {"at": s["since"], "kind": "segment", "segment": s["segment"]}
        for s in record["person"]["segments"]
    ]
    for m in record["organisations"]:
        names = {"org": m["org"], "name_ko": m["org_name_ko"], "name_en": m["org_name_en"]}
        events.append({"at": m["started_on"], "kind": "joined", **names})
        if m["ended_on"]:
            events.append({"at": m["ended_on"], "kind": "left", **names})
    for e in record["enrollments"]:
        names = {"course": e["course"], "name_ko": e["title_ko"], "name_en": e["title_en"]}
        events.append({"at": e["enrolled_at"], "kind": "enrolled", **names})
        if e["completed_at"]:
            events.append({"at": e["completed_at"], "kind": "completed", **names})
    return sorted(events, key=lambda ev: ev["at"])
