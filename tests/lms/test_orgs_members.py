"""Members of an organisation: departments, moving, removing and leaving (history kept),
bulk sponsored enrolments with a per-member report, and the contract helpers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.catalog.models import Enrollment
from lms.db import db
from lms.errors import Conflict, Forbidden, ValidationError
from lms.orgs import services, sponsoring
from lms.orgs.models import Department, Membership
from lms.orgs.views import current_members


@pytest.fixture
def org(make_org):
    return make_org(slug="hd", name_ko="HD 조선")


@pytest.fixture
def manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager")


def _membership(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def test_current_member_ids_is_one_query_per_org_and_department(manager, org, make_user, make_org):
    team = services.add_department(manager, org, "품질팀")
    inside = make_user(org=org)
    services.move_members(manager, org, [inside.id], team)
    make_user(org=make_org())  # another organisation's member
    left = make_user(org=org)
    services.leave_org(left, _membership(left))
    db.session.commit()
    assert services.current_member_ids(org) == {manager.id, inside.id}
    assert services.current_member_ids(org, team.id) == {inside.id}
    assert {m.user_id for m in current_members(org)} == {manager.id, inside.id}


def test_leaving_ends_the_membership_at_once_and_keeps_history(manager, org, make_user):
    member = make_user(org=org)
    membership = services.leave_org(member, _membership(member))
    db.session.commit()
    assert membership.end_reason == "left" and membership.ended_on == date.today() - timedelta(1)
    assert member.id not in services.current_member_ids(org)
    assert db.session.get(Membership, membership.id) is not None
    with pytest.raises(Conflict):
        services.leave_org(member, membership)


def test_joined_and_left_the_same_day_still_ends_at_once(org, make_user):
    member = make_user()
    membership = services.add_member(None, org, member)
    services.leave_org(member, membership)
    assert membership.started_on <= membership.ended_on < date.today()
    assert member.id not in services.current_member_ids(org)


def test_managers_remove_members_of_their_own_org_only(manager, org, make_user, make_org):
    member = make_user(org=org)
    other_org = make_org()
    outsider = make_user(org=other_org)
    with pytest.raises(Forbidden):
        services.remove_member(manager, other_org, _membership(outsider))
    with pytest.raises(Conflict):
        services.remove_member(manager, org, _membership(manager))
    membership = services.remove_member(manager, org, _membership(member))
    assert membership.end_reason == "removed"
    assert member.id not in services.current_member_ids(org)


def test_departments_are_created_renamed_and_members_moved(client, login, manager, org, make_user):
    first, second = make_user(name="가나다", org=org), make_user(name="라마바", org=org)
    login(client, manager)
    client.post("/orgs/hd/departments", data={"name": "생산팀"})
    department = db.session.scalar(select(Department))
    client.post(f"/orgs/hd/departments/{department.id}", data={"name": "생산기술팀"})
    assert db.session.get(Department, department.id).name == "생산기술팀"
    data = {"department": str(department.id), "members": [str(first.id), str(second.id)]}
    assert client.post("/orgs/hd/members/move", data=data).status_code == 302
    assert services.current_member_ids(org, department.id) == {first.id, second.id}
    page = client.get(f"/orgs/hd?department={department.id}").text
    listed = page.split('id="members-title"')[1].split('id="sponsored-title"')[0]
    assert "가나다" in listed and "라마바" in listed and manager.name not in listed


def test_moving_a_stranger_is_refused(manager, org, make_user):
    department = services.add_department(manager, org, "팀")
    with pytest.raises(ValidationError):
        services.move_members(manager, org, [make_user().id], department)


def test_remove_and_leave_pages(client, login, manager, org, make_user):
    member, leaver = make_user(org=org), make_user(org=org)
    login(client, manager)
    response = client.post(f"/orgs/hd/memberships/{_membership(member).id}/end")
    assert response.status_code == 302 and member.id not in services.current_member_ids(org)
    login(client, leaver)
    assert client.post(f"/me/memberships/{_membership(manager).id}/leave").status_code == 302
    assert manager.id in services.current_member_ids(org)  # not theirs to end
    client.post(f"/me/memberships/{_membership(leaver).id}/leave")
    assert leaver.id not in services.current_member_ids(org)
    login(client, manager)
    former = client.get("/orgs/hd").text.split('id="former-title"')[1]
    assert member.name in former and leaver.name in former
    assert "관리자가 내보냄" in former and "본인 탈퇴" in former


def test_bulk_sponsor_a_department_into_a_programme_reports_each_member(
    client, login, manager, org, make_user, make_course, make_programme, make_enrollment
):
    team = services.add_department(manager, org, "설계팀")
    first, second = make_user(name="첫째", org=org), make_user(name="둘째", org=org)
    services.move_members(manager, org, [first.id, second.id], team)
    db.session.commit()
    basics = make_course(slug="basics", title_ko="기초")
    advanced = make_course(slug="advanced", prerequisites=[basics])
    full = make_course(slug="full", capacity=1)
    make_enrollment(make_user(), full)
    make_enrollment(first, basics)
    make_programme([basics, advanced, full], slug="path")
    login(client, manager)
    response = client.post(
        "/orgs/hd/sponsor/bulk", data={"department": str(team.id), "target": "programme:path"}
    )
    assert response.status_code == 200
    outcomes = {
        (e.user_id, e.course_id)
        for e in db.session.scalars(select(Enrollment).where(Enrollment.sponsor_org_id == org.id))
    }
    assert outcomes == {(second.id, basics.id)}
    assert "이미 등록됨" in response.text and "먼저 다음 과정을 수료하세요" in response.text


def test_sponsor_many_outcomes(manager, org, make_user, make_course, make_cohort):
    members = [make_user(org=org), make_user(org=org)]
    course = make_course(slug="one", capacity=1)
    outcomes = sponsoring.sponsor_many(manager, org, members, [course])
    assert [o.outcome for o in outcomes] == ["enrolled", "full"]
    assert sponsoring.summarise(outcomes)["full"] == 1


def test_bulk_sponsor_refuses_strangers_and_other_orgs(
    client, login, manager, org, make_user, make_org, make_course
):
    make_course(slug="python")
    stranger = make_user()
    login(client, manager)
    data = {"members": [str(stranger.id)], "target": "course:python"}
    response = client.post("/orgs/hd/sponsor/bulk", data=data)
    assert response.status_code == 422 and db.session.scalar(select(Enrollment)) is None
    other = make_org(slug="other")
    assert client.post("/orgs/other/sponsor/bulk", data=data).status_code == 403
    with pytest.raises(Forbidden):
        sponsoring.sponsor_many(manager, other, [stranger], [])


def test_manager_pages_render_in_korean_and_english(client, login, manager, org):
    login(client, manager)
    for path in (
        "/orgs/hd",
        "/orgs/hd/invitations",
        "/orgs/hd/import",
        "/orgs/hd/departments",
        "/orgs/hd/sponsor/bulk",
        "/me/organisations",
    ):
        assert client.get(path).status_code == 200, path
    assert "부서" in client.get("/orgs/hd/departments").text
    client.post("/locale/en")
    assert "Departments" in client.get("/orgs/hd/departments").text


def test_member_list_is_paged_and_searchable(client, login, manager, org):
    from datetime import date

    from sqlalchemy import insert

    from lms.accounts.models import User

    rows = [
        {"email": f"w{i:03}@example.com", "name": f"직원{i:03}", "password_hash": "x"}
        for i in range(150)
    ]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.email.like("w%"))).all()
    db.session.execute(
        insert(Membership),
        [
            {"user_id": i, "org_id": org.id, "role": "member", "started_on": date(2026, 1, 1)}
            for i in ids
        ],
    )
    db.session.commit()
    login(client, manager)
    first, second = client.get("/orgs/hd").text, client.get("/orgs/hd?page=2").text
    assert "직원000" in first and "직원149" not in first and "직원149" in second
    assert "구성원 151명" in first
    found = client.get("/orgs/hd?q=w042").text
    assert "직원042" in found and "직원041" not in found
