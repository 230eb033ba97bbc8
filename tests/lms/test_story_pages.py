"""A learner's first visit, end to end through the pages, with CSRF protection on:
register, log out, log in, browse with a filter, enrol, see the course on the dashboard."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).text).group(1)


def test_a_new_learner_registers_browses_enrols_and_sees_the_dashboard(
    client, make_course, make_org
):
    make_org(slug="ulsan-motors", kind="company", name_ko="울산모터스")
    make_course(slug="vehicle-sensors", track="smart_mobility", title_ko="차량 센서 데이터")
    make_course(slug="chip-basics", track="semiconductors", title_ko="반도체 공정 기초")
    password = "Sensor-fusion-7"
    form = {
        "csrf_token": _token(client, "/register"),
        "name": "정하나",
        "email": "hana@example.com",
        "password": password,
        "password_confirm": password,
        "segment": "worker",
        "organisation": "ulsan-motors",
    }
    assert client.post("/register", data=form).status_code == 302
    assert (
        client.post("/logout", data={"csrf_token": _token(client, "/dashboard")}).status_code == 302
    )

    login = {
        "csrf_token": _token(client, "/login"),
        "email": "hana@example.com",
        "password": password,
    }
    assert client.post("/login", data=login).headers["Location"].endswith("/dashboard")

    catalogue = client.get("/catalogue?track=smart_mobility").text
    assert "차량 센서 데이터" in catalogue and "반도체 공정 기초" not in catalogue

    enrol = {"csrf_token": _token(client, "/courses/vehicle-sensors"), "cohort": ""}
    response = client.post("/courses/vehicle-sensors/enrol", data=enrol, follow_redirects=True)
    assert "수강 신청이 완료되었습니다." in response.text

    dashboard = client.get("/dashboard").text
    assert "정하나 님, 안녕하세요" in dashboard and "차량 센서 데이터" in dashboard
