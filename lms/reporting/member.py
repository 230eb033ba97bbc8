"""One member as their organisation sees them: membership facts always, and the enrolments,
progress, scores, skills and GPU-hours they share. The member themself sees the same page
(their preview of what the organisation sees)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.catalog.models import Enrollment
from lms.completion.progress import EnrollmentFigures, progress_for
from lms.consent.models import DataKind
from lms.consent.services import consented_kinds
from lms.db import db
from lms.errors import NotFound
from lms.orgs.models import Membership, Organisation
from lms.reporting import queries
from lms.reporting.filters import ReportFilter
from lms.reporting.services import log_view, require_reporter


@dataclass(frozen=True)
class EnrolmentLine:
    enrollment: Enrollment
    figures: EnrollmentFigures | None
    risk_reasons: tuple[str, ...]


@dataclass
class MemberDetail:
    org: Organisation
    membership: Membership
    kinds: frozenset[DataKind]
    is_self: bool
    enrolments: list[EnrolmentLine] | None  # None: progress not shared
    gpu_hours: float | None
    skills: list | None  # None: skills not shared

    @property
    def shows_scores(self) -> bool:
        return DataKind.SCORES in self.kinds


def member_detail(actor: User, org: Organisation, user_id: int) -> MemberDetail:
    """What ``org`` may see of member ``user_id``, for a manager of ``org`` (the view is
    logged) or the member themself (not logged). ``Forbidden`` for anyone else;
    ``NotFound`` when ``user_id`` is not a current member of ``org``."""
    from lms.orgs.services import current_memberships

    is_self = actor.id == user_id
    if not is_self:
        require_reporter(actor, org)
    subject = db.session.get(User, user_id)
    mine = [m for m in current_memberships(subject) if m.org_id == org.id] if subject else []
    if not mine:
        raise NotFound("member_not_found", _l("This person is not a member of the organisation."))
    kinds = consented_kinds(org.id, [user_id]).get(user_id, frozenset())
    detail = MemberDetail(org, mine[0], kinds, is_self, None, None, None)
    if DataKind.PROGRESS in kinds:
        detail.enrolments = _enrolments(user_id, kinds)
        detail.gpu_hours = round(queries.gpu_hours(org, {user_id}).get(user_id, 0.0), 2)
    if DataKind.SKILLS in kinds:
        detail.skills = queries.skills_gained({user_id}).get(user_id, [])
    if not is_self:
        scope = queries.Scope(
            org, ReportFilter(), {user_id: mine[0].department_id}, {user_id: kinds}
        )
        log_view(actor, scope, [user_id], "page")
    return detail


def _enrolments(user_id: int, kinds: frozenset[DataKind]) -> list[EnrolmentLine]:
    found = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user_id)
            .options(joinedload(Enrollment.course))
            .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
        )
    )
    figures = progress_for([e.id for e in found])
    lines = []
    for e in found:
        f = figures.get(e.id)
        lines.append(EnrolmentLine(e, f, queries.risk_reasons(f, kinds) if f else ()))
    return lines
