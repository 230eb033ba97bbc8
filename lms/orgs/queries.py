"""Read-only listings of an organisation's members for the manager pages, sized for
organisations of thousands: one page of members at a time, counts in one GROUP BY."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from lms.accounts.models import User
from lms.catalog.queries import Page, paginate
from lms.db import db
from lms.orgs.models import Department, Membership, Organisation

PER_PAGE = 100


def _current(stmt, today: date):
    return stmt.where(Membership.started_on <= today).where(
        or_(Membership.ended_on.is_(None), Membership.ended_on >= today)
    )


def member_page(
    org: Organisation,
    department_id: int | None = None,
    q: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of ``org``'s current memberships (with user and department), by department
    then name; ``department_id`` and ``q`` (name or e-mail) filter. Two statements."""
    stmt = (
        select(Membership)
        .join(Membership.user)
        .outerjoin(Membership.department)
        .where(Membership.org_id == org.id)
        .options(contains_eager(Membership.user), contains_eager(Membership.department))
        .order_by(Department.name.is_(None), Department.name, User.name, User.id)
    )
    stmt = _current(stmt, date.today())
    if department_id is not None:
        stmt = stmt.where(Membership.department_id == department_id)
    if q:
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.name.like(pattern), User.email.like(pattern.lower())))
    return paginate(stmt, page, per_page)


def department_counts(org: Organisation) -> dict[int | None, int]:
    """Current members per department id (None: no department); one statement."""
    stmt = _current(
        select(Membership.department_id, func.count())
        .where(Membership.org_id == org.id)
        .group_by(Membership.department_id),
        date.today(),
    )
    return dict(db.session.execute(stmt).tuples().all())


def former_members(org: Organisation, limit: int = 50) -> list[Membership]:
    """The latest ``limit`` memberships of ``org`` that ended (left or removed), newest first."""
    stmt = (
        select(Membership)
        .where(Membership.org_id == org.id, Membership.ended_on < date.today())
        .options(selectinload(Membership.user), selectinload(Membership.department))
        .order_by(Membership.ended_on.desc(), Membership.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
