"""Administration pages: users, organisations, courses and programmes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.accounts.models import Role
from lms.audit.models import AuditEvent
from lms.catalog.models import Course, Programme
from lms.db import db
from lms.orgs.models import Organisation


@pytest.fixture
def admin(client, make_user, login):
    user = make_user(role="admin", name="관리자")
    login(client, user)
    return user


def test_admin_searches_users(client, admin, make_user):
    make_user(name="Kim Minsu", email="minsu@example.com")
    make_user(name="Lee Jiwoo", email="jiwoo@example.com", role="instructor")
    page = client.get("/admin/users?q=minsu").text
    assert "minsu@example.com" in page and "jiwoo@example.com" not in page
    page = client.get("/admin/users?role=instructor").text
    assert "jiwoo@example.com" in page and "minsu@example.com" not in page


def test_admin_changes_a_role(client, admin, make_user):
    user = make_user()
    assert (
        client.post(f"/admin/users/{user.id}/role", data={"role": "instructor"}).status_code == 302
    )
    db.session.refresh(user)
    assert user.role == Role.INSTRUCTOR


def test_admin_cannot_demote_themself(client, admin):
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "learner"})
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


def test_admin_deactivates_and_reactivates(client, admin, make_user):
    user = make_user()
    client.post(f"/admin/users/{user.id}/active", data={"active": "0"})
    db.session.refresh(user)
    assert not user.is_active
    client.post(f"/admin/users/{user.id}/active", data={"active": "1"})
    db.session.refresh(user)
    assert user.is_active


def test_deactivated_user_is_logged_out(client, make_user, login):
    user = make_user()
    login(client, user)
    assert client.get("/settings").status_code == 200
    user.is_active = False
    db.session.commit()
    assert client.get("/settings").status_code == 302


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404


def test_admin_creates_an_organisation_and_a_department(client, admin):
    data = {
        "slug": "ulsan-motors",
        "name_ko": "울산모터스",
        "name_en": "Ulsan Motors",
        "kind": "company",
    }
    assert client.post("/admin/orgs", data=data).status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.slug == "ulsan-motors"))
    assert org.name_en == "Ulsan Motors"
    assert client.post("/admin/orgs/ulsan-motors", data={"name": "품질팀"}).status_code == 302
    db.session.refresh(org)
    assert [d.name for d in org.departments] == ["품질팀"]
    duplicate = client.post("/admin/orgs", data=data)
    assert duplicate.status_code == 422
    assert "이 짧은 이름(slug)을 쓰는 기관이 이미 있습니다." in duplicate.text


def test_bad_slug_is_refused_next_to_the_field(client, admin):
    data = {"slug": "Bad Slug!", "name_ko": "가", "name_en": "A", "kind": "company"}
    response = client.post("/admin/orgs", data=data)
    assert response.status_code == 422 and 'aria-invalid="true"' in response.text


def _course_form(**overrides):
    data = {
        "slug": "robotics-101",
        "title_ko": "로봇공학 입문",
        "title_en": "Robotics 101",
        "description_ko": "설명",
        "description_en": "About",
        "track": "smart_factory",
        "level": "beginner",
        "skills": "ros, control, ros",
        "capacity": "",
        "self_enroll": "y",
        "is_published": "y",
    }
    data.update(overrides)
    return data


def test_admin_creates_and_edits_a_course(client, admin, make_course):
    basics = make_course(slug="basics")
    data = _course_form(prerequisites=["basics"])
    assert client.post("/admin/courses/new", data=data).status_code == 302
    course = db.session.scalar(select(Course).where(Course.slug == "robotics-101"))
    assert course.skills == ["ros", "control"] and course.prerequisites == [basics]
    assert course.is_published and not course.needs_gpu
    edit = _course_form(title_en="Robotics Basics", needs_gpu="y", level="intermediate")
    assert client.post("/admin/courses/robotics-101", data=edit).status_code == 302
    db.session.refresh(course)
    assert (course.title_en, course.needs_gpu, course.prerequisites) == (
        "Robotics Basics",
        True,
        [],
    )


def test_editing_a_course_into_a_prerequisite_cycle_is_refused(client, admin, make_course):
    client.post("/admin/courses/new", data=_course_form(slug="basics", title_en="Basics"))
    client.post("/admin/courses/new", data=_course_form(prerequisites=["basics"]))
    cycle = _course_form(slug="basics", title_en="Basics", prerequisites=["robotics-101"])
    response = client.post("/admin/courses/basics", data=cycle)
    assert response.status_code == 422
    basics = db.session.scalar(select(Course).where(Course.slug == "basics"))
    assert basics.prerequisites == []
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "course.update"))
    assert list(events) == []


def test_course_slug_must_be_unique(client, admin, make_course):
    make_course(slug="robotics-101")
    response = client.post("/admin/courses/new", data=_course_form())
    assert response.status_code == 422
    assert "이 짧은 이름(slug)을 쓰는 과정이 이미 있습니다." in response.text
    assert len(db.session.scalars(select(Course)).all()) == 1


def test_admin_creates_and_reorders_a_programme(client, admin, make_course):
    make_course(slug="one")
    make_course(slug="two")
    data = {
        "slug": "path",
        "title_ko": "경로",
        "title_en": "Path",
        "track": "ai_foundations",
        "audience": ["worker", "graduate"],
        "courses": "one, two",
        "is_published": "y",
    }
    assert client.post("/admin/programmes/new", data=data).status_code == 302
    programme = db.session.scalar(select(Programme).where(Programme.slug == "path"))
    assert [e.course.slug for e in programme.entries] == ["one", "two"]
    assert programme.audience == ["worker", "graduate"]
    data["courses"] = "two, one"
    assert client.post("/admin/programmes/path", data=data).status_code == 302
    db.session.expire_all()
    assert [e.course.slug for e in programme.entries] == ["two", "one"]
    data["courses"] = "two, nowhere"
    response = client.post("/admin/programmes/path", data=data)
    assert response.status_code == 422 and "nowhere" in response.text


def test_admin_sees_the_audit_log(client, admin, make_user):
    user = make_user()
    client.post(f"/admin/users/{user.id}/role", data={"role": "instructor"})
    assert "user.role" in client.get("/admin/audit").text
