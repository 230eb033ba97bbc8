"""What a member sees about their own consents: the state per organisation, the history of
their decisions and the log of the organisations' views of their data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.consent.models import (
    Consent,
    ConsentEvent,
    DataKind,
    OrgDataAccess,
    about_subject,
)
from lms.consent.services import consented_kinds
from lms.db import db
from lms.orgs.models import Membership
from lms.orgs.services import current_memberships


@dataclass(frozen=True)
class OrgConsents:
    """A member's consent state for one organisation they currently belong to."""

    membership: Membership
    kinds: dict[DataKind, bool]  # every kind, True = shared now
    updated_at: datetime | None  # the latest decision of this membership

    @property
    def org(self):  # -> Organisation
        return self.membership.org


def consents_of(user: User, today: date | None = None) -> list[OrgConsents]:
    """``user``'s consents per current organisation (the same answer ``consented_kinds``
    gives the organisation), in membership order."""
    memberships = current_memberships(user, today)
    latest = dict(
        db.session.execute(
            select(Consent.membership_id, func.max(Consent.updated_at))
            .where(Consent.user_id == user.id)
            .group_by(Consent.membership_id)
        ).all()
    )
    states, seen = [], set()
    for membership in memberships:
        if membership.org_id in seen:
            continue
        seen.add(membership.org_id)
        shared = consented_kinds(membership.org_id, [user.id]).get(user.id, frozenset())
        updated_at = latest.get(membership.id)  # decisions of earlier memberships: none
        kinds = {kind: kind in shared for kind in DataKind}
        states.append(OrgConsents(membership, kinds, updated_at))
    return states


def consent_history(user: User, org_id: int, limit: int = 20) -> list[ConsentEvent]:
    """``user``'s latest consent changes for organisation ``org_id``, newest first."""
    stmt = (
        select(ConsentEvent)
        .where(ConsentEvent.user_id == user.id, ConsentEvent.org_id == org_id)
        .order_by(ConsentEvent.at.desc(), ConsentEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def access_log(user: User, org_id: int | None = None, limit: int = 20) -> list[OrgDataAccess]:
    """The latest views of ``user``'s data by organisations (or by ``org_id``), newest
    first, with the organisation and the viewer loaded."""
    stmt = (
        select(OrgDataAccess)
        .where(about_subject(user.id, db.session.get_bind().dialect.name))
        .options(selectinload(OrgDataAccess.org), selectinload(OrgDataAccess.viewer))
        .order_by(OrgDataAccess.at.desc(), OrgDataAccess.id.desc())
        .limit(limit)
    )
    if org_id is not None:
        stmt = stmt.where(OrgDataAccess.org_id == org_id)
    return list(db.session.scalars(stmt))
