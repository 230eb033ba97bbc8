"""Demo consents: the demo worker shares progress and scores (not skills or submissions)
with the shipyard that sponsors them, so the manager's dashboard shows both cases."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import User
from lms.consent.models import Consent, DataKind
from lms.consent.services import set_consent
from lms.db import db
from lms.orgs.models import Organisation

DEMO_CHOICES = {
    DataKind.PROGRESS: True,
    DataKind.SCORES: True,
    DataKind.SKILLS: False,
    DataKind.SUBMISSIONS: False,
}


def load_consent_demo(counter: list[int], learner: User, org: Organisation) -> None:
    """Record the demo learner's choices for ``org`` once (idempotent). Flushes."""
    decided = db.session.scalar(
        select(Consent.id).where(Consent.user_id == learner.id, Consent.org_id == org.id)
    )
    if decided is None:
        set_consent(learner, org, DEMO_CHOICES, "page")
        counter[0] += 1
