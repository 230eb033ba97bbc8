"""Sponsored enrolments in bulk: selected members (or a whole department) into a course or
into every course of a programme, with one outcome per member and course.

Each enrolment goes through ``lms.catalog.services.sponsor_enrollment`` (access,
prerequisites, capacity, duplicates). That service makes every check before it writes
anything, so a refusal leaves nothing behind and the loop goes on without savepoints (on
SQLite a savepoint outside a transaction commits on release, and costs a disk sync per
member). Services flush, never commit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course, Programme
from lms.catalog.services import sponsor_enrollment
from lms.db import db
from lms.errors import DomainError, Forbidden, NotFound, ValidationError
from lms.orgs.models import Organisation
from lms.orgs.services import can_manage_org, current_member_ids

MAX_MEMBERS = 2000

#: Outcome codes the report groups by; anything else is "refused".
OUTCOMES = ("enrolled", "already_enrolled", "prerequisites_missing", "full", "refused")


@dataclass
class SponsorOutcome:
    user: User
    course: Course
    outcome: str
    message: str = ""


def programme_courses(programme: Programme) -> list[Course]:
    """The courses of ``programme`` in their order."""
    return [entry.course for entry in programme.entries]


def get_programme(slug: str) -> Programme:
    """The published programme with this slug, else ``NotFound``."""
    programme = db.session.scalar(select(Programme).where(Programme.slug == slug))
    if programme is None or not programme.is_published:
        raise NotFound("programme_not_found", _l("No programme is called %(slug)s.", slug=slug))
    return programme


def select_members(
    org: Organisation, user_ids: Collection[int] = (), department_id: int | None = None
) -> list[User]:
    """The current members chosen: ``user_ids``, plus everyone in ``department_id``.
    ``ValidationError`` when none, when some are not members, or more than ``MAX_MEMBERS``."""
    members = current_member_ids(org)
    wanted = set(user_ids)
    if wanted - members:
        raise ValidationError(
            "not_org_member", _l("Some selected people are not current members."), "members"
        )
    if department_id is not None:
        wanted |= current_member_ids(org, department_id)
    if not wanted:
        raise ValidationError(
            "no_members", _l("Select members or a department with members."), "members"
        )
    if len(wanted) > MAX_MEMBERS:
        raise ValidationError(
            "too_many_members",
            _l("At most %(max)s members at once; choose a department.", max=MAX_MEMBERS),
            "members",
        )
    stmt = select(User).where(User.id.in_(wanted)).order_by(User.name, User.id)
    return list(db.session.scalars(stmt))


def _outcome_code(error: DomainError) -> str:
    if error.code in {"cohort_full", "course_full"}:
        return "full"
    if error.code in OUTCOMES:
        return error.code
    return "refused"


def sponsor_many(
    actor: User, org: Organisation, members: list[User], courses: list[Course]
) -> list[SponsorOutcome]:
    """Enrol each member in each course (in order), sponsored by ``org``. Returns one
    outcome per (member, course): enrolled, already_enrolled, prerequisites_missing, full
    or refused, with the reason. ``Forbidden`` when ``actor`` does not manage ``org``."""
    if not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    if not courses:
        raise ValidationError("no_courses", _l("The programme has no courses."), "target")
    outcomes = []
    for member in members:
        for course in courses:
            try:
                sponsor_enrollment(actor, member, course, org)
            except DomainError as error:
                outcomes.append(
                    SponsorOutcome(member, course, _outcome_code(error), str(error.message))
                )
            else:
                outcomes.append(SponsorOutcome(member, course, "enrolled"))
    enrolled = sum(o.outcome == "enrolled" for o in outcomes)
    details = {"members": len(members), "courses": [c.slug for c in courses], "enrolled": enrolled}
    record("org.sponsor_bulk", actor=actor, obj=org, details=details)
    return outcomes


def summarise(outcomes: list[SponsorOutcome]) -> dict[str, int]:
    """How many outcomes of each kind (every kind present, zero included)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    return counts
