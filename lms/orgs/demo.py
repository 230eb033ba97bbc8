"""Demo data for the members pages: pending and expired invitations, and a request to join,
so that the manager's invitation list and the learner's *My organisations* page have content."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import User
from lms.db import db, utcnow
from lms.orgs.invitations import invite, request_to_join
from lms.orgs.models import Invitation, JoinRequest, Organisation

# e-mail, name, whether the invitation has already expired
INVITATIONS = [
    ("welder.kim@demo.local", "김용접", False),
    ("designer.lee@demo.local", "이설계", False),
    ("late.park@demo.local", "박지각", True),
]


def load_members_demo(counter: list[int], org: Organisation, applicant: User) -> None:
    """Invitations into ``org`` (one expired) and ``applicant``'s request to join it.
    Idempotent; flushes."""
    department = org.departments[0] if org.departments else None
    for email, name, expired in INVITATIONS:
        exists = db.session.scalar(
            select(Invitation.id).where(Invitation.org_id == org.id, Invitation.email == email)
        )
        if exists is None:
            invitation, _secret = invite(None, org, email, name, department)
            if expired:
                invitation.expires_at = utcnow() - timedelta(days=1)
            counter[0] += 1
    asked = db.session.scalar(
        select(JoinRequest.id).where(
            JoinRequest.org_id == org.id, JoinRequest.user_id == applicant.id
        )
    )
    if asked is None:
        request_to_join(applicant, org)
        counter[0] += 1
