"""Organisation manager pages: members and sponsored enrolments."""

from __future__ import annotations

from sqlalchemy import select

from lms.catalog.models import Enrollment
from lms.db import db


def _manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager")


def test_manager_lands_on_their_organisation(client, make_user, make_org, login):
    org = make_org(slug="hd", name_ko="HD 조선")
    login(client, _manager(make_user, org))
    response = client.get("/org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/orgs/hd")


def test_manager_sees_current_members(client, make_user, make_org, login):
    org = make_org(slug="hd")
    make_user(name="구성원갑", org=org)
    make_user(name="외부인")
    login(client, _manager(make_user, org))
    page = client.get("/orgs/hd").text
    assert "구성원갑" in page and "외부인" not in page


def test_manager_sponsors_a_member(client, make_user, make_org, make_course, login):
    org = make_org(slug="hd")
    member = make_user(name="구성원", org=org)
    course = make_course(slug="python")
    login(client, _manager(make_user, org))
    response = client.post("/orgs/hd/sponsor", data={"member": str(member.id), "course": "python"})
    assert response.status_code == 302
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == member.id))
    assert (enrollment.course_id, enrollment.sponsor_org_id) == (course.id, org.id)
    assert "구성원" in client.get("/orgs/hd").text


def test_manager_cannot_sponsor_a_stranger(client, make_user, make_org, make_course, login):
    org = make_org(slug="hd")
    stranger = make_user()
    make_course(slug="python")
    login(client, _manager(make_user, org))
    data = {"member": str(stranger.id), "course": "python"}
    assert client.post("/orgs/hd/sponsor", data=data).status_code == 422
    assert db.session.scalar(select(Enrollment)) is None


def test_sponsoring_without_prerequisites_is_refused(
    client, make_user, make_org, make_course, login
):
    org = make_org(slug="hd")
    member = make_user(org=org)
    basics = make_course(slug="basics", title_ko="기초")
    make_course(slug="advanced", prerequisites=[basics])
    login(client, _manager(make_user, org))
    response = client.post(
        "/orgs/hd/sponsor", data={"member": str(member.id), "course": "advanced"}
    )
    assert response.status_code == 409
    assert "먼저 다음 과정을 수료하세요: 기초" in response.text


def test_manager_of_another_org_is_refused(client, make_user, make_org, login):
    mine, other = make_org(slug="mine"), make_org(slug="other")
    make_user(name="남의 직원", org=other)
    login(client, _manager(make_user, mine))
    response = client.get("/orgs/other")
    assert response.status_code == 403
    assert "남의 직원" not in response.text
    assert client.post("/orgs/other/sponsor", data={}).status_code == 403
