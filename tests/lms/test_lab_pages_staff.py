"""The instructors' lab page: running labs with Stop (CSRF, audited), GPU-hours per learner,
course and organisation, and quota editing by admins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.hub import get_hub_client
from lms.hub.models import GpuQuota, LabSession
from lms.hub.services import start_lab


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "LMS_HUB_BACKEND": "fake"}


@pytest.fixture
def setup(app, make_user, make_course, make_enrollment, make_org):
    instructor = make_user(role="instructor", locale="en")
    course = make_course(slug="dl201", needs_gpu=True, instructors=[instructor])
    org = make_org(slug="acme", name_ko="애크미", name_en="Acme")
    learner = make_user(locale="en")
    make_enrollment(learner, course, sponsor_org=org)
    hub = get_hub_client(app)
    start_lab(hub, learner, course, "gpu-mig-1g")
    session = db.session.scalars(db.select(LabSession)).one()
    session.started_at = utcnow() - timedelta(hours=7)
    db.session.commit()
    return {"instructor": instructor, "course": course, "org": org, "learner": learner, "hub": hub}


URL = "/teach/courses/dl201/labs"


def _token(client) -> str:
    html = client.get(URL).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_instructor_sees_running_labs_and_gpu_hours(client, login, setup):
    login(client, setup["instructor"])
    page = client.get(URL)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert setup["learner"].email in html and "gpu-mig-1g" in html
    assert f'data-testid="stop-lab-{setup["learner"].id}"' in html
    assert "1.00" in html  # 7 hours of a 1/7 slice, for the learner, course and organisation
    assert 'name="gpu_hours"' not in html  # quotas are for admins


def test_stop_is_csrf_protected_audited_and_closes_the_record(client, login, setup):
    login(client, setup["instructor"])
    url = f"{URL}/{setup['learner'].id}/stop"
    assert client.post(url).status_code == 400
    response = client.post(url, data={"csrf_token": _token(client)})
    assert response.status_code == 303
    assert setup["hub"].servers == {}
    assert db.session.scalars(db.select(LabSession)).one().stopped_at is not None
    assert db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "lab.stop")).one()
    assert "No lab of this course is running" in client.get(URL).get_data(as_text=True)


def test_hub_down_still_shows_the_page_and_stop_says_why(client, login, setup):
    login(client, setup["instructor"])
    token = _token(client)
    setup["hub"].is_down = True
    assert "not reachable" in client.get(URL).get_data(as_text=True)
    answer = client.post(
        f"{URL}/{setup['learner'].id}/stop", data={"csrf_token": token}, follow_redirects=True
    )
    assert "not reachable" in answer.get_data(as_text=True)
    assert db.session.scalars(db.select(LabSession)).one().stopped_at is None


def test_learners_and_other_instructors_are_refused(client, login, setup, make_user):
    login(client, setup["learner"])
    assert client.get(URL).status_code == 403
    login(client, make_user(role="instructor"))
    assert client.get(URL).status_code == 403


def test_admin_sets_course_and_organisation_quotas(client, login, setup, make_user):
    login(client, make_user(role="admin", locale="en"))
    html = client.get(URL).get_data(as_text=True)
    assert html.count('name="gpu_hours"') == 2
    token = _token(client)
    client.post(f"{URL}/quota", data={"csrf_token": token, "gpu_hours": "12.5"})
    org_id = setup["org"].id
    client.post(f"{URL}/quota", data={"csrf_token": token, "gpu_hours": "3", "org_id": org_id})
    bad = client.post(
        f"{URL}/quota", data={"csrf_token": token, "gpu_hours": "-1"}, follow_redirects=True
    )
    assert "0 or more" in bad.get_data(as_text=True)
    quotas = {(q.course_id, q.org_id): q.gpu_hours for q in db.session.scalars(db.select(GpuQuota))}
    assert quotas == {(setup["course"].id, None): 12.5, (None, org_id): 3.0}
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert actions.count("lab.gpu_quota_set") == 2


def test_instructors_may_not_set_quotas(client, login, setup):
    login(client, setup["instructor"])
    answer = client.post(f"{URL}/quota", data={"csrf_token": _token(client), "gpu_hours": "9"})
    assert answer.status_code == 403
    assert db.session.scalars(db.select(GpuQuota)).all() == []


def test_admin_usage_page_lists_courses_and_organisations_and_sets_quotas(
    client, login, setup, make_user
):
    login(client, make_user(role="admin", locale="en"))
    page = client.get("/admin/labs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="course_id-usage"' in html and 'data-testid="org_id-usage"' in html
    assert html.count("1.00") >= 2  # the course and its sponsoring organisation
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    org_id = setup["org"].id
    saved = client.post("/admin/labs/quota", data={"csrf_token": token, "org_id": org_id,
                                                   "gpu_hours": "4"})  # fmt: skip
    assert saved.status_code == 303
    assert db.session.scalars(db.select(GpuQuota.gpu_hours)).one() == 4.0
    bad = client.post("/admin/labs/quota", data={"csrf_token": token, "org_id": org_id,
                                                 "gpu_hours": "lots"}, follow_redirects=True)  # fmt: skip
    assert "0 or more" in bad.get_data(as_text=True)
    missing = client.post("/admin/labs/quota", data={"csrf_token": token, "gpu_hours": "1"})
    assert missing.status_code == 404


def test_admin_usage_page_is_for_admins_only(client, login, setup):
    login(client, setup["instructor"])
    assert client.get("/admin/labs").status_code == 403
    assert client.post("/admin/labs/quota", data={"gpu_hours": "1"}).status_code in {400, 403}
