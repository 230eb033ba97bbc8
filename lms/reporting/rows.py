"""One row per member: the membership facts everybody sees, and the figures the member
shares (progress, scores, skills). Used by the dashboard table, the export and the API."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.catalog.models import EnrollmentStatus
from lms.catalog.queries import Page
from lms.completion.progress import in_ids
from lms.consent.models import DataKind
from lms.db import db
from lms.orgs.models import Membership
from lms.reporting import queries
from lms.reporting.queries import Figures, Scope


@dataclass(frozen=True)
class MemberRow:
    """A member's line. A figure is None when the member does not share its kind."""

    membership: Membership
    kinds: frozenset[DataKind]
    enrolments: int | None = None
    completed: int | None = None
    progress_percent: float | None = None
    at_risk: bool | None = None
    last_activity_at: datetime | None = None
    gpu_hours: float | None = None
    score_percent: float | None = None
    labs_failed: int | None = None
    skills: int | None = None

    @property
    def user(self) -> User:
        return self.membership.user


def listed_user_ids(scope: Scope, enrolled_users: Collection[int] | None = None) -> list[int]:
    """Members the table lists: all in scope, or those with an enrolment matching the
    course/programme/status filters (who necessarily share their progress);
    ``enrolled_users`` are the latter when the caller knows them already."""
    if scope.filters.narrows_enrolments:
        if enrolled_users is None:
            enrolled_users = queries.enrolled_user_ids(scope)
        return sorted(enrolled_users)
    return sorted(scope.departments)


def member_rows(scope: Scope, figures: Figures, user_ids: list[int]) -> list[MemberRow]:
    """Rows of ``user_ids`` (members in scope) ordered by name (a fixed number of
    statements)."""
    memberships = _memberships(scope, user_ids)
    ids = [m.user_id for m in memberships]
    kinds = scope.kinds_for(ids)
    figures.ensure([e[0] for uid in ids for e in figures.of_user(uid)])
    hours = queries.gpu_hours(scope.org, {u for u in ids if DataKind.PROGRESS in kinds[u]})
    skills = queries.skill_counts([u for u in ids if DataKind.SKILLS in kinds[u]]).per_user
    return [_row(m, kinds[m.user_id], figures, hours, skills) for m in memberships]


def member_page(scope: Scope) -> Page:
    """One page of rows, as the filters ask, paged by name in the database (the figures of
    that page's enrolments only)."""
    f = scope.filters
    if f.narrows_enrolments:
        listed = queries.enrolled_select(scope)
    else:
        m = scope.members()
        listed = select(m.c.user_id)
    if f.narrows_enrolments:
        total = db.session.scalar(select(func.count()).select_from(listed.subquery()))
    else:
        total = len(scope.departments)  # read already by the dashboard's overview
    stmt = select(User.id).where(User.id.in_(listed)).order_by(User.name, User.id)
    chosen = list(db.session.scalars(stmt.offset((f.page - 1) * f.per_page).limit(f.per_page)))
    figures = queries.enrolment_figures(scope, chosen)
    return Page(member_rows(scope, figures, chosen), f.page, f.per_page, total or 0)


def _memberships(scope: Scope, user_ids: list[int]) -> list[Membership]:
    if not user_ids:
        return []
    today_ids, today = set(user_ids), scope.today
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.org_id == scope.org.id, in_ids(Membership.user_id, sorted(today_ids)))
        .where(Membership.started_on <= today)
        .where(Membership.ended_on.is_(None) | (Membership.ended_on >= today))
        .options(joinedload(Membership.user), joinedload(Membership.department))
        .order_by(User.name, User.id, Membership.started_on)
    )
    seen, result = set(), []
    for m in db.session.scalars(stmt).unique():
        if m.user_id not in seen:  # two open memberships: the earliest speaks for both
            seen.add(m.user_id)
            result.append(m)
    return result


def _row(
    m: Membership, kinds: frozenset[DataKind], figures: Figures, hours: dict, skills: dict
) -> MemberRow:
    values: dict = {}
    if DataKind.PROGRESS in kinds:
        mine = figures.of_user(m.user_id)
        found = [figures.by_id[e[0]] for e in mine if e[0] in figures.by_id]
        values |= {
            "enrolments": len(mine),
            "completed": sum(1 for e in mine if e[3] == EnrollmentStatus.COMPLETED.value),
            "progress_percent": _mean([f.progress_percent for f in found]),
            "at_risk": any(e[0] in figures.at_risk for e in mine),
            "last_activity_at": queries.last_activity(figures, m.user_id),
            "gpu_hours": round(hours.get(m.user_id, 0.0), 2),
        }
        if DataKind.SCORES in kinds:
            values["score_percent"] = _mean(
                [f.score_percent for f in found if f.score_percent is not None]
            )
            values["labs_failed"] = sum(len(f.labs_failed) for f in found)
    if DataKind.SKILLS in kinds:
        values["skills"] = skills.get(m.user_id, 0)
    return MemberRow(m, kinds, **values)


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None
