"""API v1: tokens, catalogue, enrolment, JSON errors."""

from datetime import timedelta

import pytest

from lms.accounts.models import ApiToken
from lms.db import db, utcnow


@pytest.fixture
def learner(make_user):
    return make_user(email="learner@example.com", name="Learner One")


@pytest.fixture
def token(learner, make_token):
    return make_token(learner)


def test_me_returns_the_token_user(client, learner, token, bearer, make_org, make_user):
    org = make_org(slug="hyundai")
    make_user(email="member@example.com", org=org)
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json["email"] == "learner@example.com"
    assert response.json["memberships"] == []


def test_me_without_token_is_401_json(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer lms_unknown", "Bearer", "Basic dXNlcjpwYXNz", "lms_abc", "Bearer not-even-ours"],
)
def test_malformed_or_unknown_token_is_401(client, header, make_course):
    make_course(slug="public-course")
    for path in ("/api/v1/me", "/api/v1/courses"):
        response = client.get(path, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json["error"]["code"] == "invalid_token"


def test_revoked_token_is_401(client, learner, token, bearer):
    token_row = db.session.query(ApiToken).one()
    assert client.delete(f"/api/v1/tokens/{token_row.id}", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_expired_token_is_401(client, learner, token, bearer):
    db.session.query(ApiToken).one().expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).json["error"]["code"] == "invalid_token"


def test_error_messages_follow_accept_language(client):
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"}).json["error"]
    assert english["message"] == "This endpoint needs an API token."
    korean = client.get("/api/v1/me", headers={"Accept-Language": "ko"}).json["error"]
    assert korean["code"] == english["code"]


def test_catalogue_lists_published_courses_with_filters(client, make_course):
    make_course(slug="ml-basics", track="ai_foundations", level="beginner")
    make_course(slug="factory-vision", track="smart_factory", level="advanced", needs_gpu=True)
    make_course(slug="draft", is_published=False)
    slugs = [c["slug"] for c in client.get("/api/v1/courses").json["items"]]
    assert sorted(slugs) == ["factory-vision", "ml-basics"]
    gpu = client.get("/api/v1/courses?gpu=true&track=smart_factory").json["items"]
    assert [c["slug"] for c in gpu] == ["factory-vision"]


def test_bad_filter_is_422(client):
    response = client.get("/api/v1/courses?track=cooking")
    assert response.status_code == 422
    assert response.json["error"] == {
        "code": "invalid_filter",
        "message": response.json["error"]["message"],
        "field": "track",
    }


def test_programmes_filter_by_segment(client, make_course, make_programme):
    course = make_course(slug="intro")
    make_programme([course], slug="school-path", audience=["school"])
    make_programme([course], slug="work-path", audience=["worker"])
    items = client.get("/api/v1/programs?segment=school").json["items"]
    assert [(p["slug"], p["courses"]) for p in items] == [("school-path", ["intro"])]
    segment_courses = client.get("/api/v1/courses?segment=school").json["items"]
    assert [c["slug"] for c in segment_courses] == ["intro"]


def test_unknown_and_unpublished_courses_are_404(client, make_course):
    make_course(slug="draft", is_published=False)
    for slug in ("nope", "draft"):
        response = client.get(f"/api/v1/courses/{slug}")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "course_not_found"


def test_course_detail_lists_prerequisites_and_cohorts(client, make_course, make_cohort):
    basics = make_course(slug="basics")
    course = make_course(slug="deep", prerequisites=[basics])
    make_cohort(course, name="2026-spring")
    body = client.get("/api/v1/courses/deep").json
    assert body["prerequisites"] == ["basics"]
    assert [c["name"] for c in body["cohorts"]] == ["2026-spring"]


def test_self_enrolment_then_duplicate_is_409(client, token, bearer, make_course):
    make_course(slug="ml")
    first = client.post("/api/v1/courses/ml/enrollments", headers=bearer(token))
    assert first.status_code == 201
    assert first.json["status"] == "active"
    second = client.post("/api/v1/courses/ml/enrollments", headers=bearer(token))
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_enrolled"


def test_enrolment_without_prerequisites_names_them(client, token, bearer, make_course):
    basics = make_course(slug="basics", title_en="Python Basics")
    make_course(slug="deep", prerequisites=[basics])
    response = client.post(
        "/api/v1/courses/deep/enrollments", headers={**bearer(token), "Accept-Language": "en"}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "prerequisites_missing"
    assert "Python Basics" in response.json["error"]["message"]


def test_full_cohort_is_409(
    client, token, bearer, make_course, make_cohort, make_user, make_enrollment
):
    course = make_course(slug="ml")
    cohort = make_cohort(course, capacity=1)
    make_enrollment(make_user(), course, cohort=cohort)
    response = client.post(
        "/api/v1/courses/ml/enrollments", json={"cohort_id": cohort.id}, headers=bearer(token)
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "cohort_full"


def test_malformed_json_is_400(client, token, bearer, make_course):
    make_course(slug="ml")
    response = client.post(
        "/api/v1/courses/ml/enrollments",
        data="{not json",
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_wrong_field_type_is_422(client, token, bearer, make_course):
    make_course(slug="ml")
    response = client.post(
        "/api/v1/courses/ml/enrollments", json={"cohort_id": "one"}, headers=bearer(token)
    )
    assert response.status_code == 422
    assert response.json["error"]["field"] == "cohort_id"


def test_cohort_of_another_course_is_422(client, token, bearer, make_course, make_cohort):
    make_course(slug="ml")
    other = make_cohort(make_course(slug="other"))
    response = client.post(
        "/api/v1/courses/ml/enrollments", json={"cohort_id": other.id}, headers=bearer(token)
    )
    assert response.status_code == 422


def test_unknown_route_and_method_are_json(client):
    assert client.get("/api/v1/nothing").json["error"]["code"] == "not_found"
    response = client.put("/api/v1/courses")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_instructor_enrols_a_learner_by_email(client, make_user, make_token, bearer, make_course):
    teacher = make_user(role="instructor")
    make_course(slug="ml", instructors=[teacher], self_enroll=False)
    make_user(email="student@example.com")
    response = client.post(
        "/api/v1/courses/ml/enrollments",
        json={"email": "student@example.com"},
        headers=bearer(make_token(teacher)),
    )
    assert response.status_code == 201
    assert response.json["user"]["email"] == "student@example.com"
    listing = client.get("/api/v1/courses/ml/enrollments", headers=bearer(make_token(teacher)))
    assert [e["user"]["email"] for e in listing.json["items"]] == ["student@example.com"]


def test_org_manager_sponsors_own_member_only(
    client, make_user, make_org, make_token, bearer, make_course
):
    org = make_org(slug="hyundai")
    manager = make_user(role="org-manager", org=org, org_role="manager")
    member = make_user(org=org)
    outsider = make_user()
    make_course(slug="ml", self_enroll=False)
    headers = bearer(make_token(manager))
    ok = client.post("/api/v1/courses/ml/enrollments", json={"user_id": member.id}, headers=headers)
    assert ok.status_code == 201
    assert ok.json["sponsor_org"] == "hyundai"
    refused = client.post(
        "/api/v1/courses/ml/enrollments", json={"user_id": outsider.id}, headers=headers
    )
    assert refused.status_code == 403
    listing = client.get("/api/v1/courses/ml/enrollments", headers=headers).json["items"]
    assert [e["user"]["id"] for e in listing] == [member.id]


def test_error_language_falls_back_to_the_token_users_locale(client, make_user, make_token):
    english_user = make_user(locale="en")
    headers = {"Authorization": f"Bearer {make_token(english_user)}"}
    response = client.get("/api/v1/courses/nope", headers=headers)
    assert response.json["error"]["message"] == "No course is called nope."
    korean = client.get("/api/v1/courses/nope", headers={**headers, "Accept-Language": "ko"})
    assert korean.json["error"]["message"] != "No course is called nope."


def test_courses_are_paged(client, make_course):
    for _ in range(3):
        make_course()
    first = client.get("/api/v1/courses?per_page=2").json
    second = client.get("/api/v1/courses?per_page=2&page=2").json
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert client.get("/api/v1/courses?page=0").status_code == 422


def test_a_constraint_violation_at_commit_is_409_not_500(
    app, client, token, bearer, make_course, monkeypatch
):
    """Two simultaneous enrolments pass the service's duplicate check; the unique
    constraint refuses the second at commit."""
    from lms.api import views

    make_course(slug="ml")
    real_enroll = views.enroll

    def racing_enroll(actor, user, course, *args, **kwargs):
        first = real_enroll(actor, user, course, *args, **kwargs)
        db.session.add(type(first)(user_id=user.id, course_id=course.id))  # the "other" one
        return first

    monkeypatch.setattr(views, "enroll", racing_enroll)
    response = client.post("/api/v1/courses/ml/enrollments", headers=bearer(token))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
