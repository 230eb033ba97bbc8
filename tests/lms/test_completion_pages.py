"""The completion pages: qualification list, bulk confirmation with override reasons,
revocation, the policy editor, live sessions and attendance, programmes, and who may open
them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.catalog.models import EnrollmentStatus
from lms.completion.attendance import create_session
from lms.completion.models import (
    Attendance,
    AttendanceStatus,
    CohortSession,
    Completion,
    CompletionPolicy,
)
from lms.completion.policies import PolicyTerms, set_course_policy, set_programme_policy
from lms.completion.services import confirm_course
from lms.db import db, utcnow
from tests.lms.completion_support import add_attempt, add_items, add_version, mark_done


@pytest.fixture
def course_setup(make_user, make_course, make_enrollment, make_cohort):
    teacher = make_user(role="instructor", name="Teacher")
    course = make_course(slug="ml-basics", instructors=[teacher])
    items = add_items(course, 2)
    add_version(course, [("lab1", 10.0, "best")])
    cohort = make_cohort(course, name="Spring")
    ready = make_user(name="Ready Learner", email="ready@example.com")
    behind = make_user(name="Behind Learner", email="behind@example.com")
    e_ready = make_enrollment(ready, course, cohort=cohort)
    e_behind = make_enrollment(behind, course, cohort=cohort)
    mark_done(e_ready, items)
    add_attempt(ready, course, "lab1", 9.0)
    return teacher, course, cohort, e_ready, e_behind


def test_the_course_page_lists_who_qualifies(client, login, course_setup):
    teacher, course, *_ = course_setup
    login(client, teacher)
    page = client.get("/teach/courses/ml-basics/completion")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-learner="ready@example.com" data-qualified="yes"' in html
    assert 'data-learner="behind@example.com" data-qualified="no"' in html
    assert "1 of 2 meet the policy" in html or "2명 중 1명" in html


def test_bulk_confirmation_without_a_reason_for_the_unqualified_confirms_nobody(
    client, login, course_setup
):
    teacher, _course, _cohort, e_ready, e_behind = course_setup
    login(client, teacher)
    form = {"enrollment": [str(e_ready.id), str(e_behind.id)], "override_reason": ""}
    page = client.post("/teach/courses/ml-basics/completion/confirm", data=form)
    assert page.status_code == 422
    assert "Behind Learner" in page.get_data(as_text=True)
    assert db.session.query(Completion).count() == 0

    form["override_reason"] = "Completed the equivalent company training"
    page = client.post("/teach/courses/ml-basics/completion/confirm", data=form)
    assert page.status_code == 302
    completions = {c.user_id: c for c in db.session.query(Completion)}
    assert completions[e_ready.user_id].qualified
    assert completions[e_behind.user_id].override_reason.startswith("Completed the equivalent")
    assert db.session.get(type(e_ready), e_ready.id).status == EnrollmentStatus.COMPLETED


def test_revoking_from_the_page_needs_a_reason(client, login, course_setup):
    teacher, _course, _cohort, e_ready, _ = course_setup
    completion = confirm_course(teacher, e_ready)
    db.session.commit()
    login(client, teacher)
    client.post(f"/completions/{completion.id}/revoke", data={"reason": ""})
    assert db.session.get(Completion, completion.id).revoked_at is None
    page = client.post(f"/completions/{completion.id}/revoke", data={"reason": "wrong person"})
    assert page.status_code == 302
    revoked = db.session.get(Completion, completion.id)
    assert revoked.revoked_at is not None and revoked.revoke_reason == "wrong person"


def test_the_policy_editor_saves_and_refuses_unknown_labs(client, login, course_setup):
    teacher, course, *_ = course_setup
    login(client, teacher)
    assert client.get("/teach/courses/ml-basics/completion/policy").status_code == 200
    bad = {"min_progress_percent": "90", "required_labs": "lab7", "lab_pass_percent": "60"}
    page = client.post("/teach/courses/ml-basics/completion/policy", data=bad)
    assert page.status_code == 422 and "lab7" in page.get_data(as_text=True)
    good = {**bad, "required_labs": "lab1", "min_score_percent": "", "min_attendance_percent": "50"}
    assert client.post("/teach/courses/ml-basics/completion/policy", data=good).status_code == 302
    policy = db.session.query(CompletionPolicy).one()
    assert (policy.min_progress_percent, policy.min_score_percent) == (90.0, None)
    assert policy.required_labs == ["lab1"] and policy.min_attendance_percent == 50.0


def test_taking_attendance_at_a_live_session(client, login, course_setup):
    teacher, _course, cohort, e_ready, e_behind = course_setup
    login(client, teacher)
    url = f"/teach/courses/ml-basics/cohorts/{cohort.id}/sessions"
    form = {"title": "Live lab 1", "starts_at": "2026-03-02T19:00", "duration_minutes": "90"}
    assert client.post(url, data=form).status_code == 302
    assert client.post(url, data=form).status_code == 409  # same time twice
    session = db.session.query(CohortSession).one()
    assert session.starts_at.hour == 10  # 19:00 in Seoul is 10:00 UTC
    marks = {f"status-{e_ready.user_id}": "present", f"status-{e_behind.user_id}": "absent"}
    assert client.post(f"/teach/sessions/{session.id}/attendance", data=marks).status_code == 302
    statuses = {a.user_id: a.status for a in db.session.query(Attendance)}
    assert statuses == {e_ready.user_id: AttendanceStatus.PRESENT, e_behind.user_id: "absent"}
    page = client.get(f"/teach/sessions/{session.id}/attendance")
    assert 'value="present" aria-label="Ready Learner: ' in page.get_data(as_text=True)


def test_learners_and_other_instructors_cannot_open_staff_pages(
    client, login, course_setup, make_user
):
    teacher, course, cohort, e_ready, _ = course_setup
    session = create_session(teacher, cohort, "Live", utcnow() - timedelta(hours=1), 60)
    completion = confirm_course(teacher, e_ready)
    db.session.commit()
    urls = [
        "/teach/courses/ml-basics/completion",
        "/teach/courses/ml-basics/completion/policy",
        f"/teach/courses/ml-basics/cohorts/{cohort.id}/sessions",
        f"/teach/sessions/{session.id}/attendance",
    ]
    for outsider in (e_ready.user, make_user(role="instructor")):
        login(client, outsider)
        for url in urls:
            assert client.get(url).status_code in (403, 404), url
        page = client.post(f"/completions/{completion.id}/revoke", data={"reason": "x"})
        assert page.status_code in (403, 404) or e_ready.user_id == outsider.id
    assert db.session.get(Completion, completion.id).revoked_at is None


def test_a_learner_sees_their_completions_and_where_they_stand(client, login, course_setup):
    teacher, course, _cohort, e_ready, e_behind = course_setup
    set_course_policy(teacher, course, PolicyTerms(min_progress_percent=50))
    confirm_course(teacher, e_ready)
    db.session.commit()
    login(client, e_ready.user)
    html = client.get("/completion").get_data(as_text=True)
    assert 'data-testid="my-completions"' in html and "ml-basics" in html
    login(client, e_behind.user)
    html = client.get("/completion").get_data(as_text=True)
    assert 'data-testid="standing-ml-basics"' in html
    assert 'data-criterion="progress" data-met="no"' in html


def test_programme_completion_from_the_page(
    client, login, course_setup, make_course, make_programme, make_enrollment
):
    teacher, course, _cohort, e_ready, _ = course_setup
    other = make_course(slug="ml-next", instructors=[teacher])
    programme = make_programme([course, other], slug="ml-track")
    second = make_enrollment(e_ready.user, other)
    confirm_course(teacher, e_ready)
    db.session.commit()
    login(client, teacher)
    url = "/teach/programmes/ml-track/completion"
    html = client.get(url).get_data(as_text=True)
    assert f'data-learner="{e_ready.user.email}" data-qualified="no"' in html
    assert 'data-criterion="courses" data-met="no"' in html
    page = client.post(url + "/confirm", data={"user_id": e_ready.user_id})
    assert page.status_code == 409
    confirm_course(teacher, second, "done elsewhere")
    set_programme_policy(teacher, programme, PolicyTerms(min_score_percent=95))
    db.session.commit()
    page = client.post(url + "/confirm", data={"user_id": e_ready.user_id})
    assert page.status_code == 422
    assert e_ready.user.name in page.get_data(as_text=True)
    form = {"user_id": e_ready.user_id, "override_reason": "Capstone project instead"}
    page = client.post(url + "/confirm", data=form)
    assert page.status_code == 302
    done = db.session.query(Completion).filter_by(programme_id=programme.id).one()
    assert done.user_id == e_ready.user_id and done.confirmed_by_id == teacher.id


def test_pages_are_in_korean_by_default(client, login, course_setup):
    teacher, *_ = course_setup
    login(client, teacher)
    html = client.get("/teach/courses/ml-basics/completion").get_data(as_text=True)
    assert "이수" in html
