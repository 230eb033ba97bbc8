"""``flask --app lms consent prune-log``: the access log is kept only as long as needed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.consent.models import DataKind, OrgDataAccess
from lms.consent.services import record_access
from lms.db import db, utcnow


@pytest.fixture
def log_entries(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    record_access(None, org, [member.id], [DataKind.PROGRESS], "api")
    record_access(None, org, [member.id], [DataKind.SCORES], "page")
    old = db.session.scalars(select(OrgDataAccess).order_by(OrgDataAccess.id)).first()
    old.at = utcnow() - timedelta(days=800)
    db.session.commit()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_prune_log_deletes_only_old_entries_and_their_subjects(app, log_entries):
    result = app.test_cli_runner().invoke(args=["consent", "prune-log"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 access log entries" in result.output
    db.session.expire_all()
    assert _count(OrgDataAccess) == 1
    remaining = db.session.scalar(select(OrgDataAccess))
    assert remaining.kinds == ["scores"] and len(remaining.subject_ids) == 1


def test_prune_log_dry_run_deletes_nothing(app, log_entries):
    result = app.test_cli_runner().invoke(args=["consent", "prune-log", "--dry-run"])
    assert result.exit_code == 0 and "1 access log entries are older" in result.output
    db.session.expire_all()
    assert _count(OrgDataAccess) == 2


def test_prune_log_refuses_a_too_short_retention(app, log_entries):
    result = app.test_cli_runner().invoke(args=["consent", "prune-log", "--older-than-days", "1"])
    assert result.exit_code != 0
    assert _count(OrgDataAccess) == 2
