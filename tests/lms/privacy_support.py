"""Shared fixtures of the privacy tests: a learner with a history worth erasing or exporting
(two organisations, a graded submission, a token, a consent where that domain exists)."""

# ruff: noqa: F811

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.accounts.models import SegmentChange
from lms.db import db, utcnow
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.orgs.models import MemberRole, Membership
from lms.privacy.record import optional_module
from lms.publishing.services import current_assignment
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    blob_dir,
    enrolled,
    fast_release,
    published,
    solution_bytes,
)
from tests.lms.grading_support import app_config as grading_config


@pytest.fixture
def app_config(blob_dir, tmp_path):
    base = grading_config.__wrapped__(blob_dir, tmp_path)
    return base | {"LMS_HUB_BACKEND": "fake", "LMS_PRIVACY_EXPORT_DIR": str(tmp_path / "exports")}


def graded_submission(published, learner, notebook: bytes | None = None):
    """A submission of lab01 by ``learner`` graded by the fake backend (committed)."""
    lab1 = current_assignment(published.course, LAB1)
    submission = submit(learner, lab1, notebook or solution_bytes(f"by {learner.id}"))
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


@pytest.fixture
def history(published, enrolled, make_user, make_org):
    """``history()`` → a learner who was at a school (ended), works at a company (current),
    changed learning stage, and has a graded submission of ai-foundations."""

    def factory():
        school = make_org(kind="school", name_ko="울산고등학교", name_en="Ulsan High School")
        company = make_org(kind="company", name_ko="현대중공업", name_en="HD Hyundai Heavy")
        learner = enrolled(user=make_user(segment="school", name="김민지"))
        today = date.today()
        db.session.add_all(
            [
                Membership(
                    user=learner,
                    org=school,
                    role=MemberRole.MEMBER,
                    started_on=today - timedelta(days=900),
                    ended_on=today - timedelta(days=400),
                ),
                Membership(
                    user=learner,
                    org=company,
                    role=MemberRole.MEMBER,
                    started_on=today - timedelta(days=100),
                ),
                SegmentChange(user=learner, segment="worker", since=utcnow()),
            ]
        )
        db.session.commit()
        submission = graded_submission(published, learner)
        return learner, company, submission

    return factory


def grant_consent(user, org) -> bool:
    """Give ``org`` the progress consent of ``user`` when the consent domain exists."""
    models = optional_module("lms.consent.models")
    if models is None:
        return False
    db.session.add(
        models.Consent(user_id=user.id, org_id=org.id, kind=models.DataKind.PROGRESS, granted=True)
    )
    db.session.commit()
    return True
