"""Catalogue pages: filters, course and programme pages, self-enrolment with its refusals."""

from __future__ import annotations

from sqlalchemy import select

from lms.catalog.models import Enrollment
from lms.db import db


def _slugs(response) -> list[str]:
    import re

    return re.findall(r'data-testid="course-card" data-slug="([^"]+)"', response.text)


def test_catalogue_lists_published_courses_only(client, make_course):
    make_course(slug="visible")
    make_course(slug="hidden", is_published=False)
    response = client.get("/catalogue")
    assert response.status_code == 200
    assert _slugs(response) == ["visible"]


def test_catalogue_filters_by_track_level_and_gpu(client, make_course):
    make_course(slug="factory-gpu", track="smart_factory", level="advanced", needs_gpu=True)
    make_course(slug="factory-cpu", track="smart_factory", level="beginner")
    make_course(slug="mobility", track="smart_mobility", level="advanced", needs_gpu=True)
    assert sorted(_slugs(client.get("/catalogue?track=smart_factory"))) == [
        "factory-cpu",
        "factory-gpu",
    ]
    assert _slugs(client.get("/catalogue?track=smart_factory&gpu=yes")) == ["factory-gpu"]
    assert sorted(_slugs(client.get("/catalogue?level=advanced"))) == ["factory-gpu", "mobility"]
    assert _slugs(client.get("/catalogue?gpu=no")) == ["factory-cpu"]


def test_catalogue_filters_by_segment_through_programmes(client, make_course, make_programme):
    school = make_course(slug="for-schools")
    make_course(slug="for-workers-only")
    make_programme([school], audience=["school"])
    response = client.get("/catalogue?segment=school")
    assert _slugs(response) == ["for-schools"]


def test_catalogue_search_matches_titles(client, make_course):
    make_course(slug="a", title_en="Vision Inspection", title_ko="비전 검사")
    make_course(slug="b", title_en="Sensor Data", title_ko="센서 데이터")
    assert _slugs(client.get("/catalogue?q=비전")) == ["a"]


def test_unknown_filter_value_is_explained_not_a_500(client, make_course):
    make_course(slug="any")
    response = client.get("/catalogue?track=underwater-basket-weaving")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.text
    assert _slugs(response) == ["any"]


def test_course_page_shows_bilingual_title_and_details(client, make_course, make_cohort):
    course = make_course(
        slug="vision",
        title_ko="비전 검사",
        title_en="Vision Inspection",
        needs_gpu=True,
        skills=["opencv", "cnn"],
    )
    make_cohort(course, name="봄 분반", capacity=20)
    korean = client.get("/courses/vision").text
    assert "비전 검사" in korean and "봄 분반" in korean and "opencv" in korean
    assert "badge-gpu" in korean
    client.post("/locale/en")
    assert "Vision Inspection" in client.get("/courses/vision").text


def test_unpublished_or_unknown_course_is_not_found(client, make_course):
    make_course(slug="draft", is_published=False)
    assert client.get("/courses/draft").status_code == 404
    response = client.get("/courses/nope")
    assert response.status_code == 404
    assert "nope 과정이 없습니다." in response.text


def test_learner_enrols_in_a_course(client, make_user, make_course, login):
    learner = make_user()
    course = make_course(slug="python")
    login(client, learner)
    response = client.post("/courses/python/enrol", data={"cohort": ""})
    assert response.status_code == 302
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.course_id == course.id
    page = client.get("/courses/python").text
    assert 'data-testid="enrolled"' in page


def test_enrol_into_a_chosen_cohort(client, make_user, make_course, make_cohort, login):
    learner = make_user()
    course = make_course(slug="python")
    cohort = make_cohort(course, name="A")
    login(client, learner)
    client.post("/courses/python/enrol", data={"cohort": str(cohort.id)})
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment.cohort_id == cohort.id


def test_missing_prerequisites_are_named_and_refused(client, make_user, make_course, login):
    basics = make_course(slug="basics", title_ko="파이썬 기초")
    make_course(slug="advanced", prerequisites=[basics])
    login(client, make_user())
    page = client.get("/courses/advanced").text
    assert 'data-testid="missing-prereqs"' in page
    response = client.post("/courses/advanced/enrol", data={"cohort": ""})
    assert response.status_code == 409
    assert "먼저 다음 과정을 수료하세요: 파이썬 기초" in response.text
    assert db.session.scalar(select(Enrollment)) is None


def test_completed_prerequisite_lets_the_learner_in(
    client, make_user, make_course, make_enrollment, login
):
    learner = make_user()
    basics = make_course(slug="basics")
    make_course(slug="advanced", prerequisites=[basics])
    make_enrollment(learner, basics, status="completed")
    login(client, learner)
    assert client.post("/courses/advanced/enrol", data={"cohort": ""}).status_code == 302


def test_full_cohort_is_refused_with_a_message(
    client, make_user, make_course, make_cohort, make_enrollment, login
):
    course = make_course(slug="popular")
    cohort = make_cohort(course, name="작은 분반", capacity=1)
    make_enrollment(make_user(), course, cohort=cohort)
    login(client, make_user())
    page = client.get("/courses/popular").text
    assert "badge-danger" in page  # marked full
    response = client.post("/courses/popular/enrol", data={"cohort": str(cohort.id)})
    assert response.status_code == 409
    assert "작은 분반 분반은 정원이 찼습니다." in response.text


def test_cohort_of_another_course_is_refused(client, make_user, make_course, make_cohort, login):
    make_course(slug="mine")
    other = make_cohort(make_course(slug="other"))
    login(client, make_user())
    response = client.post("/courses/mine/enrol", data={"cohort": str(other.id)})
    assert response.status_code == 422
    assert db.session.scalar(select(Enrollment)) is None


def test_enrolling_twice_is_refused(client, make_user, make_course, make_enrollment, login):
    learner = make_user(name="민지")
    course = make_course(slug="python")
    make_enrollment(learner, course)
    login(client, learner)
    page = client.get("/courses/python").text
    assert 'data-testid="enrolled"' in page
    response = client.post("/courses/python/enrol", data={"cohort": ""})
    assert response.status_code == 409
    assert "이미 이 과정을 수강하고 있습니다" in response.text


def test_closed_self_enrolment_shows_no_button_and_refuses(client, make_user, make_course, login):
    make_course(slug="closed", self_enroll=False)
    login(client, make_user())
    assert 'data-testid="enrol-button"' not in client.get("/courses/closed").text
    assert client.post("/courses/closed/enrol", data={"cohort": ""}).status_code == 403


def test_anonymous_visitor_is_sent_to_log_in_to_enrol(client, make_course):
    make_course(slug="python")
    assert "/login?next=" in client.get("/courses/python").text
    response = client.post("/courses/python/enrol", data={})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_programme_page_lists_courses_in_order(client, make_course, make_programme):
    first = make_course(slug="first", title_ko="첫째")
    second = make_course(slug="second", title_ko="둘째")
    make_programme([second, first], slug="path", audience=["worker"])
    page = client.get("/programmes/path").text
    assert page.index("둘째") < page.index("첫째")
    assert "재직자" in page
    assert client.get("/programmes/unknown").status_code == 404


def test_garbage_cohort_id_is_a_clear_error(client, make_user, make_course, login):
    make_course(slug="python")
    login(client, make_user())
    response = client.post("/courses/python/enrol", data={"cohort": "abc"})
    assert response.status_code == 422
    assert "요청이 올바르지 않습니다." in response.text
    assert db.session.scalar(select(Enrollment)) is None


def test_catalogue_pages_keep_the_filters(client, make_course):
    for i in range(25):
        make_course(slug=f"c{i:02d}", track="smart_factory")
    make_course(slug="other-track", track="smart_mobility")
    first = client.get("/catalogue?track=smart_factory")
    assert len(_slugs(first)) == 24
    assert 'href="/catalogue?page=2&amp;track=smart_factory"' in first.text
    second = client.get("/catalogue?track=smart_factory&page=2")
    assert _slugs(second) == ["c24"] and 'rel="next"' not in second.text


def test_instructors_find_the_management_page_from_the_course(
    client, make_user, make_course, login
):
    teacher = make_user(role="instructor")
    make_course(slug="mine", instructors=[teacher])
    assert 'href="/teach/courses/mine"' not in client.get("/courses/mine").text
    login(client, teacher)
    assert 'href="/teach/courses/mine"' in client.get("/courses/mine").text


def test_learner_leaves_a_course_and_can_come_back(
    client, make_user, make_course, make_enrollment, login
):
    learner = make_user()
    course = make_course(slug="python")
    enrollment = make_enrollment(learner, course)
    login(client, learner)
    assert client.post("/courses/python/drop").status_code == 302
    db.session.refresh(enrollment)
    assert enrollment.status.value == "dropped"
    assert 'data-testid="enrol-button"' in client.get("/courses/python").text
    assert client.post("/courses/python/drop").status_code == 404  # nothing left to leave
    assert client.post("/courses/python/enrol", data={"cohort": ""}).status_code == 302
    db.session.refresh(enrollment)
    assert enrollment.status.value == "active"
