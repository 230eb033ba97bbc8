"""Organisations, departments and dated memberships across the talent pipeline."""

from datetime import date, timedelta

import pytest

from lms.errors import Conflict, Forbidden, ValidationError
from lms.orgs import services
from lms.orgs.models import MemberRole


def test_create_org_validates_and_refuses_duplicates(make_user):
    admin = make_user(role="admin")
    org = services.create_org(admin, "ulsan-tech", "울산과기대", "university", "Ulsan Tech")
    assert (org.name_ko, org.name_en, org.kind) == ("울산과기대", "Ulsan Tech", "university")
    with pytest.raises(Conflict):
        services.create_org(admin, "ulsan-tech", "X", "company")
    with pytest.raises(ValidationError):
        services.create_org(admin, "Bad Slug", "X", "company")
    with pytest.raises(ValidationError):
        services.create_org(admin, "bakery", "X", "bakery")
    with pytest.raises(Forbidden):
        services.create_org(make_user(), "mine", "X", "company")


def test_one_learner_moves_through_the_pipeline(make_user, make_org):
    learner = make_user()
    school, university, employer = (make_org(kind=k) for k in ("school", "university", "company"))
    today = date.today()
    past = services.add_member(None, school, learner, started_on=today - timedelta(days=2000))
    services.end_membership(None, past, today - timedelta(days=1500))
    uni = services.add_member(None, university, learner, started_on=today - timedelta(days=1400))
    services.end_membership(None, uni, today - timedelta(days=10))
    services.add_member(None, employer, learner, started_on=today - timedelta(days=5))
    assert [m.org for m in services.current_memberships(learner)] == [employer]
    long_ago = today - timedelta(days=1600)
    assert [m.org for m in services.current_memberships(learner, long_ago)] == [school]


def test_overlapping_membership_is_refused(make_user, make_org):
    org, learner = make_org(), make_user()
    services.add_member(None, org, learner)
    with pytest.raises(Conflict):
        services.add_member(None, org, learner)


def test_membership_cannot_end_before_it_starts(make_user, make_org):
    membership = services.add_member(None, make_org(), make_user())
    with pytest.raises(ValidationError):
        services.end_membership(None, membership, date.today() - timedelta(days=1))


def test_managers_add_plain_members_to_their_own_org_only(make_user, make_org):
    org, other = make_org(), make_org()
    manager = make_user(role="org-manager", org=org, org_role="manager")
    services.add_member(manager, org, make_user())
    with pytest.raises(Forbidden):
        services.add_member(manager, org, make_user(), MemberRole.MANAGER)
    with pytest.raises(Forbidden):
        services.add_member(manager, other, make_user())
    assert services.managed_org_ids(manager) == {org.id}


def test_departments(make_user, make_org):
    org = make_org()
    manager = make_user(role="org-manager", org=org, org_role="manager")
    department = services.add_department(manager, org, "생산기술팀")
    with pytest.raises(Conflict):
        services.add_department(manager, org, "생산기술팀")
    member = services.add_member(manager, org, make_user(), department=department)
    assert member.department == department
    with pytest.raises(ValidationError):
        services.add_member(None, make_org(), make_user(), department=department)
