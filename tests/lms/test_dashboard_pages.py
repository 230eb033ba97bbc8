"""Dashboards: the learner's progress and deadlines, the instructor's courses and tools."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from lms.admin.services import add_course_item
from lms.catalog.models import Cohort, Enrollment
from lms.catalog.services import complete_item
from lms.db import db


def _items(course, due_at=None, n=4):
    items = [add_course_item(None, course, "lab", f"실습 {i}", f"Lab {i}") for i in range(n - 1)]
    items.append(add_course_item(None, course, "assignment", "과제", "Assignment", due_at=due_at))
    db.session.commit()
    return items


def test_learner_sees_courses_with_progress(client, make_user, make_course, make_enrollment, login):
    learner = make_user()
    course = make_course(slug="python", title_ko="파이썬 기초")
    items = _items(course)
    enrollment = make_enrollment(learner, course)
    complete_item(learner, enrollment, items[0])
    db.session.commit()
    login(client, learner)
    page = client.get("/dashboard").text
    assert "파이썬 기초" in page
    assert 'value="25"' in page  # 1 of 4 items


def test_learner_sees_programme_progress(
    client, make_user, make_course, make_programme, make_enrollment, login
):
    learner = make_user()
    first, second = make_course(), make_course()
    make_programme([first, second], slug="path")
    make_enrollment(learner, first, status="completed")
    login(client, learner)
    page = client.get("/dashboard").text
    assert "2개 과정 중 1개 수료" in page


def test_deadlines_are_shown_in_the_users_timezone(
    client, make_user, make_course, make_enrollment, login
):
    learner = make_user()
    learner.timezone = "America/New_York"
    db.session.commit()
    course = make_course()
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    due = due.replace(hour=15, minute=30)
    _items(course, due_at=due)
    make_enrollment(learner, course)
    login(client, learner)
    page = client.get("/dashboard").text
    local = due.astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") in page and "America/New_York" in page
    assert due.isoformat() in page  # machine-readable <time datetime>


def test_past_and_completed_deadlines_are_hidden(
    client, make_user, make_course, make_enrollment, login
):
    learner = make_user()
    course = make_course()
    past = _items(course, due_at=datetime.now(UTC) - timedelta(days=1), n=1)
    done = add_course_item(
        None, course, "assignment", "끝낸 과제", "Done", datetime.now(UTC) + timedelta(days=2)
    )
    db.session.commit()
    enrollment = make_enrollment(learner, course)
    complete_item(learner, enrollment, done)
    db.session.commit()
    login(client, learner)
    page = client.get("/dashboard").text
    assert "끝낸 과제" not in page and past[0].title_ko not in page
    assert "곧 마감되는 항목이 없습니다." in page


def test_empty_dashboard_points_to_the_catalogue(client, make_user, login):
    login(client, make_user())
    page = client.get("/dashboard").text
    assert "아직 수강 중인 과정이 없습니다." in page and 'href="/catalogue"' in page


def test_instructor_sees_their_courses_only(client, make_user, make_course, login):
    teacher = make_user(role="instructor")
    make_course(slug="mine", title_ko="내 과정", instructors=[teacher])
    make_course(slug="theirs", title_ko="남의 과정")
    login(client, teacher)
    page = client.get("/teach").text
    assert "내 과정" in page and "남의 과정" not in page


def test_learner_cannot_open_the_teaching_pages(client, make_user, make_course, login):
    make_course(slug="python")
    login(client, make_user())
    assert client.get("/teach").status_code == 403
    assert client.get("/teach/courses/python").status_code == 403


def test_instructor_enrols_a_learner_by_email(client, make_user, make_course, make_cohort, login):
    teacher = make_user(role="instructor")
    course = make_course(slug="closed", self_enroll=False, instructors=[teacher])
    cohort = make_cohort(course)
    learner = make_user(email="someone@example.com", name="누군가")
    login(client, teacher)
    data = {"email": "SOMEONE@example.com", "cohort": str(cohort.id)}
    response = client.post("/teach/courses/closed/enrollments", data=data)
    assert response.status_code == 302
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.cohort_id == cohort.id and enrollment.enrolled_by_id == teacher.id
    assert "누군가" in client.get("/teach/courses/closed").text


def test_enrolling_an_unknown_email_says_so(client, make_user, make_course, login):
    teacher = make_user(role="instructor")
    make_course(slug="c", instructors=[teacher])
    login(client, teacher)
    response = client.post("/teach/courses/c/enrollments", data={"email": "ghost@example.com"})
    assert response.status_code == 404
    assert "이 이메일 주소로 가입한 계정이 없습니다." in response.text


def test_instructor_creates_a_cohort(client, make_user, make_course, login):
    teacher = make_user(role="instructor")
    course = make_course(slug="c", instructors=[teacher])
    login(client, teacher)
    start = date.today()
    data = {
        "name": "겨울 분반",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(weeks=6)).isoformat(),
        "capacity": "25",
    }
    assert client.post("/teach/courses/c/cohorts", data=data).status_code == 302
    cohort = db.session.scalar(select(Cohort).where(Cohort.course_id == course.id))
    assert (cohort.name, cohort.capacity) == ("겨울 분반", 25)
    assert teacher in cohort.instructors


def test_cohort_with_reversed_dates_is_refused(client, make_user, make_course, login):
    teacher = make_user(role="instructor")
    make_course(slug="c", instructors=[teacher])
    login(client, teacher)
    data = {"name": "X", "starts_on": "2026-05-01", "ends_on": "2026-04-01", "capacity": ""}
    response = client.post("/teach/courses/c/cohorts", data=data)
    assert response.status_code == 422
    assert "종료일은 시작일보다 빠를 수 없습니다." in response.text
    assert db.session.scalar(select(Cohort)) is None


def test_completion_goes_through_the_confirmation_which_opens_the_next_course(
    client, make_user, make_course, make_enrollment, login
):
    from lms.completion.services import confirm_course

    teacher = make_user(role="instructor")
    learner = make_user()
    basics = make_course(slug="basics", instructors=[teacher])
    make_course(slug="advanced", prerequisites=[basics])
    enrollment = make_enrollment(learner, basics)
    login(client, teacher)
    roster = client.get("/teach/courses/basics").get_data(as_text=True)
    assert "/teach/courses/basics/completion" in roster
    path = f"/teach/courses/basics/enrollments/{enrollment.id}/status"
    refused = client.post(path, data={"status": "completed"}, follow_redirects=True)
    assert "이수 페이지" in refused.get_data(as_text=True)
    db.session.refresh(enrollment)
    assert enrollment.status.value == "active" and enrollment.completed_at is None
    confirm_course(teacher, enrollment, override_reason="finished the capstone in class")
    db.session.commit()
    login(client, learner)
    assert client.post("/courses/advanced/enrol", data={"cohort": ""}).status_code == 302


def test_status_of_another_courses_enrolment_cannot_be_changed(
    client, make_user, make_course, make_enrollment, login
):
    teacher = make_user(role="instructor")
    own = make_enrollment(make_user(), make_course(slug="mine", instructors=[teacher]))
    theirs = make_enrollment(make_user(), make_course(slug="theirs"))
    login(client, teacher)
    path = f"/teach/courses/mine/enrollments/{theirs.id}/status"
    assert client.post(path, data={"status": "dropped"}).status_code == 404
    assert client.post(f"/teach/courses/theirs/enrollments/{theirs.id}/status").status_code == 403
    bad = client.post(f"/teach/courses/mine/enrollments/{own.id}/status", data={"status": "x"})
    assert bad.status_code == 400
    db.session.refresh(theirs)
    assert theirs.status.value == "active"
