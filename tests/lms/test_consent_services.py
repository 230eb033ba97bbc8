"""The consent contract: what members share with organisations, and the log of views."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, insert, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.consent.models import (
    Consent,
    ConsentEvent,
    DataKind,
    OrgDataAccess,
)
from lms.consent.services import (
    consent_text,
    consented_kinds,
    parse_kinds,
    record_access,
    set_consent,
)
from lms.db import db
from lms.errors import BadRequest, Forbidden, ValidationError
from lms.orgs.models import Membership

P, S, K, SUB = DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS, DataKind.SUBMISSIONS


def test_nothing_is_shared_by_default(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    assert consented_kinds(org.id) == {}
    assert consented_kinds(org.id, [member.id]) == {}


def test_granting_shares_exactly_the_chosen_kinds(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    set_consent(member, org, {P: True, S: True, SUB: False}, "page")
    db.session.commit()
    assert consented_kinds(org.id) == {member.id: frozenset({P, S})}


def test_withdrawing_takes_effect_at_once(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    set_consent(member, org, {P: True, S: True}, "page")
    db.session.commit()
    set_consent(member, org, {S: False}, "api")
    db.session.commit()
    assert consented_kinds(org.id, [member.id]) == {member.id: frozenset({P})}
    set_consent(member, org, {P: False}, "api")
    db.session.commit()
    assert consented_kinds(org.id, [member.id]) == {}


def test_consent_is_per_organisation(make_org, make_user):
    employer, school = make_org(), make_org(kind="school")
    member = make_user(org=employer)
    db.session.add(Membership(user=member, org=school, role="member", started_on=date.today()))
    db.session.commit()
    set_consent(member, employer, {SUB: True}, "page")
    db.session.commit()
    assert consented_kinds(employer.id) == {member.id: frozenset({SUB})}
    assert consented_kinds(school.id) == {}


def test_user_ids_limit_the_answer(make_org, make_user):
    org = make_org()
    first, second = make_user(org=org), make_user(org=org)
    for user in (first, second):
        set_consent(user, org, {K: True}, "page")
    db.session.commit()
    assert set(consented_kinds(org.id)) == {first.id, second.id}
    assert consented_kinds(org.id, [second.id]) == {second.id: frozenset({K})}
    assert consented_kinds(org.id, []) == {}


def test_consented_kinds_is_one_query_for_many_members(make_org, make_user):
    org = make_org()
    members = [make_user(org=org) for _ in range(5)]
    for user in members:
        set_consent(user, org, {P: True}, "page")
    db.session.commit()
    org_id, ids = org.id, [u.id for u in members]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        shared = consented_kinds(org_id, ids + list(range(10**6, 10**6 + 3000)))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert set(shared) == set(ids)


def test_former_members_share_nothing(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    set_consent(member, org, {P: True}, "page")
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    membership.ended_on = date.today() - timedelta(days=1)
    db.session.commit()
    assert consented_kinds(org.id) == {}


def test_consent_from_an_earlier_membership_does_not_revive(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    set_consent(member, org, {P: True, S: True}, "page")
    db.session.commit()
    old = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    old.ended_on = date.today() - timedelta(days=10)
    db.session.add(Membership(user=member, org=org, role="member", started_on=date.today()))
    db.session.commit()
    assert consented_kinds(org.id) == {}
    set_consent(member, org, {P: True}, "api")  # granted again: counts; scores stays off
    db.session.commit()
    assert consented_kinds(org.id) == {member.id: frozenset({P})}


def test_only_current_members_can_consent(make_org, make_user):
    org = make_org()
    outsider = make_user()
    with pytest.raises(Forbidden) as error:
        set_consent(outsider, org, {P: True}, "page")
    assert error.value.code == "not_member"
    assert db.session.scalar(select(func.count(Consent.id))) == 0


def test_changes_are_recorded_as_events_and_audited(make_org, make_user):
    org = make_org()
    member = make_user(org=org)
    set_consent(member, org, {P: True, S: False}, "page")
    set_consent(member, org, {P: True}, "api")  # no change: no event
    set_consent(member, org, {P: False}, "api")
    db.session.commit()
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.kind, e.granted, e.via) for e in events] == [
        (P, True, "page"),
        (S, False, "page"),
        (P, False, "api"),
    ]
    audits = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consent.change").order_by(AuditEvent.id)
    ).all()
    assert [a.details["withdrawn"] for a in audits] == [["scores"], ["progress"]]
    assert all(a.actor_id == member.id for a in audits)


def test_parse_kinds_refuses_unknown_kinds_and_non_booleans():
    assert parse_kinds({"progress": True, "skills": False}) == {P: True, K: False}
    with pytest.raises(BadRequest) as error:
        parse_kinds({"salary": True})
    assert error.value.code == "unknown_kind" and "salary" in str(error.value.message)
    with pytest.raises(ValidationError) as error:
        parse_kinds({"scores": "yes"})
    assert error.value.code == "invalid_choice"
    with pytest.raises(ValidationError):
        parse_kinds({})


def _bulk_members(org, count: int) -> list[int]:
    rows = [
        {"email": f"bulk{i}@example.com", "name": f"bulk {i}", "password_hash": "x"}
        for i in range(count)
    ]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.email.like("bulk%"))).all()
    db.session.execute(
        insert(Membership),
        [
            {"user_id": i, "org_id": org.id, "role": "member", "started_on": date.today()}
            for i in ids
        ],
    )
    db.session.commit()
    return list(ids)


def test_record_access_logs_thousands_of_subjects_in_one_statement(make_org, make_user):
    org = make_org()
    manager = make_user(role="org_manager", org=org, org_role="manager")
    ids = _bulk_members(org, 2500)
    org_id, manager_id = org.id, manager.id
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        record_access(manager, org, ids + ids[:10], [S, P], "export")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.commit()
    assert len(statements) == 1
    access = db.session.scalar(select(OrgDataAccess))
    assert (access.org_id, access.viewer_id, access.via) == (org_id, manager_id, "export")
    assert access.kinds == ["progress", "scores"]
    assert access.subject_count == 2500
    assert access.subject_ids == sorted(ids)


def test_record_access_without_subjects_logs_nothing(make_org):
    org = make_org()
    record_access(None, org, [], [P], "api")
    db.session.commit()
    assert db.session.scalar(select(func.count(OrgDataAccess.id))) == 0


def test_record_access_refuses_an_unknown_channel(make_org, make_user):
    org = make_org()
    with pytest.raises(ValueError):
        record_access(None, org, [make_user(org=org).id], [P], "fax")


@pytest.mark.parametrize("locale", ["ko", "en"])
@pytest.mark.parametrize("kind", list(DataKind))
def test_consent_text_says_who_what_why_how_long_and_that_refusing_is_allowed(
    make_org, locale, kind
):
    org = make_org(name_ko="현대중공업", name_en="HD Hyundai Heavy")
    text = consent_text(org, kind, locale)
    if locale == "en":
        assert "HD Hyundai Heavy" in text
        for words in ("may see", "reskilling", "while you are a member", "Refusing is allowed"):
            assert words in text
        assert "at any time" in text
    else:
        assert "현대중공업" in text
        assert "거부" in text and "언제든지" in text


def test_the_demo_worker_shares_progress_and_scores_with_the_shipyard(app):
    from lms.demo import load_demo
    from lms.orgs.services import get_org

    load_demo()
    db.session.commit()
    org = get_org("hd-shipyard")
    learner = db.session.scalar(select(User).where(User.email == "learner@demo.local"))
    assert consented_kinds(org.id, [learner.id]) == {learner.id: frozenset({P, S})}
    mine = select(func.count(ConsentEvent.id)).where(ConsentEvent.user_id == learner.id)
    assert db.session.scalar(mine) == 4
    load_demo()  # idempotent: nothing new
    assert db.session.scalar(mine) == 4
