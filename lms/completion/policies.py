"""Completion policies of courses and programmes: who may edit them, what they require.

A course or programme without a stored policy follows ``DEFAULT_TERMS`` (the platform's
example policy: 80 % progress, 60 % of the points). Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.models import Course, Programme
from lms.catalog.services import can_manage_course
from lms.completion.models import CompletionPolicy
from lms.db import db, utcnow
from lms.errors import Forbidden, ValidationError

MAX_REQUIRED_LABS = 50


@dataclass(frozen=True)
class PolicyTerms:
    """What a completion requires; None = that criterion is not required."""

    min_progress_percent: float | None = 80.0
    min_score_percent: float | None = 60.0
    required_labs: tuple[str, ...] = ()
    lab_pass_percent: float = 60.0
    min_attendance_percent: float | None = None
    is_default: bool = False


DEFAULT_TERMS = PolicyTerms(is_default=True)


def terms_of(policy: CompletionPolicy | None) -> PolicyTerms:
    """The terms of a stored policy, or ``DEFAULT_TERMS`` when there is none."""
    if policy is None:
        return DEFAULT_TERMS
    return PolicyTerms(
        policy.min_progress_percent,
        policy.min_score_percent,
        tuple(policy.required_labs or ()),
        policy.lab_pass_percent,
        policy.min_attendance_percent,
    )


def can_manage_programme(actor: User | None, programme: Programme) -> bool:
    """Admins, and instructors of at least one course of the programme."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.role == Role.ADMIN:
        return True
    return any(can_manage_course(actor, entry.course) for entry in programme.entries)


def course_policy(course: Course) -> CompletionPolicy | None:
    return db.session.scalar(
        select(CompletionPolicy).where(CompletionPolicy.course_id == course.id)
    )


def programme_policy(programme: Programme) -> CompletionPolicy | None:
    return db.session.scalar(
        select(CompletionPolicy).where(CompletionPolicy.programme_id == programme.id)
    )


def course_terms(course_ids: Collection[int]) -> dict[int, PolicyTerms]:
    """The terms of each course (one query); courses without a policy get the default."""
    stored = {}
    if course_ids:
        rows = db.session.scalars(
            select(CompletionPolicy).where(CompletionPolicy.course_id.in_(list(course_ids)))
        )
        stored = {p.course_id: terms_of(p) for p in rows}
    return {cid: stored.get(cid, DEFAULT_TERMS) for cid in course_ids}


def set_course_policy(actor: User | None, course: Course, terms: PolicyTerms) -> CompletionPolicy:
    """Create or replace ``course``'s policy (course managers; ``actor=None`` for the CLI and
    demo). Required labs must be assignment names of the course's current version
    (``ValidationError`` ``unknown_labs``); percentages 0..100. Audited."""
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("Only the course's instructors can change its policy."))
    _check_terms(terms, _course_lab_names(course))
    policy = course_policy(course) or CompletionPolicy(course_id=course.id)
    return _store(actor, policy, terms, {"course": course.slug})


def set_programme_policy(
    actor: User | None, programme: Programme, terms: PolicyTerms
) -> CompletionPolicy:
    """Create or replace ``programme``'s policy (``can_manage_programme``). Its required
    labs are written ``course-slug/assignment-name``. Audited."""
    if actor is not None and not can_manage_programme(actor, programme):
        raise Forbidden("forbidden", _l("Only the programme's instructors can change its policy."))
    known = {
        f"{entry.course.slug}/{name}"
        for entry in programme.entries
        for name in _course_lab_names(entry.course)
    }
    _check_terms(terms, known)
    policy = programme_policy(programme) or CompletionPolicy(programme_id=programme.id)
    return _store(actor, policy, terms, {"programme": programme.slug})


def _store(actor, policy: CompletionPolicy, terms: PolicyTerms, where: dict) -> CompletionPolicy:
    old = None if policy.id is None else _as_dict(terms_of(policy))
    policy.min_progress_percent = terms.min_progress_percent
    policy.min_score_percent = terms.min_score_percent
    policy.required_labs = list(terms.required_labs)
    policy.lab_pass_percent = terms.lab_pass_percent
    policy.min_attendance_percent = terms.min_attendance_percent
    policy.updated_at, policy.updated_by_id = utcnow(), getattr(actor, "id", None)
    db.session.add(policy)
    db.session.flush()
    details = {**where, "old": old, "new": _as_dict(terms)}
    record("completion.policy", actor=actor, obj=policy, details=details)
    return policy


def _as_dict(terms: PolicyTerms) -> dict:
    return {
        "min_progress_percent": terms.min_progress_percent,
        "min_score_percent": terms.min_score_percent,
        "required_labs": list(terms.required_labs),
        "lab_pass_percent": terms.lab_pass_percent,
        "min_attendance_percent": terms.min_attendance_percent,
    }


def _check_terms(terms: PolicyTerms, known_labs: Collection[str]) -> None:
    percents = {
        "min_progress_percent": terms.min_progress_percent,
        "min_score_percent": terms.min_score_percent,
        "min_attendance_percent": terms.min_attendance_percent,
    }
    for name, value in percents.items():
        if value is not None and not 0 <= value <= 100:
            raise ValidationError(
                "invalid_percent", _l("Enter a percentage between 0 and 100."), name
            )
    if not 0 < terms.lab_pass_percent <= 100:
        raise ValidationError(
            "invalid_percent",
            _l("The pass mark must be more than 0 and at most 100."),
            "lab_pass_percent",
        )
    _check_labs(terms.required_labs, known_labs)


def _check_labs(labs: Sequence[str], known: Collection[str]) -> None:
    if len(labs) > MAX_REQUIRED_LABS or len(set(labs)) != len(labs):
        raise ValidationError(
            "invalid_labs",
            _l("List each required lab once (at most %(n)s).", n=MAX_REQUIRED_LABS),
            "required_labs",
        )
    unknown = sorted(set(labs) - set(known))
    if unknown:
        raise ValidationError(
            "unknown_labs",
            _l(
                "These labs do not exist: %(names)s. Choose among: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(sorted(known)) or "—",
            ),
            "required_labs",
        )


def _course_lab_names(course: Course) -> list[str]:
    from lms.publishing.services import current_version

    version = current_version(course)
    return [a.name for a in version.assignments] if version else []


def parse_labs(text: str) -> tuple[str, ...]:
    """Lab names from a comma- or line-separated text, in order, blanks dropped."""
    parts = text.replace("\n", ",").split(",")
    return tuple(p.strip() for p in parts if p.strip())
