"""Administration services: courses, programmes, users, audit log."""

import pytest

from lms.admin import services
from lms.errors import Conflict, Forbidden, ValidationError


@pytest.fixture
def admin(make_user):
    return make_user(role="admin")


def test_create_course_validates(admin):
    course = services.create_course(
        admin, "ml", "머신러닝", "ML", "ai_foundations", "beginner", skills=[" python ", ""]
    )
    assert course.skills == ["python"] and course.is_published is False
    with pytest.raises(Conflict):
        services.create_course(admin, "ml", "X", "X", "ai_foundations", "beginner")
    with pytest.raises(ValidationError) as err:
        services.create_course(admin, "cook", "X", "X", "cooking", "beginner")
    assert err.value.field == "track"
    with pytest.raises(ValidationError):
        services.create_course(admin, "empty", " ", "X", "ai_foundations", "beginner")


def test_only_admins_manage_the_catalogue(make_user):
    teacher = make_user(role="instructor")
    with pytest.raises(Forbidden):
        services.create_course(teacher, "ml", "X", "X", "ai_foundations", "beginner")


def test_update_course_keeps_slugs_unique(admin, make_course):
    make_course(slug="taken")
    course = make_course(slug="mine")
    services.update_course(admin, course, title_en="New title", capacity=30)
    assert (course.title_en, course.capacity) == ("New title", 30)
    with pytest.raises(Conflict):
        services.update_course(admin, course, slug="taken")
    with pytest.raises(ValidationError):
        services.update_course(admin, course, capacity=0)


def test_prerequisite_cycles_are_refused(admin, make_course):
    a = make_course()
    b = make_course(prerequisites=[a])
    c = make_course(prerequisites=[b])
    with pytest.raises(ValidationError) as err:
        services.update_course(admin, a, prerequisites=[c])
    assert err.value.code == "prerequisite_cycle"
    with pytest.raises(ValidationError):
        services.update_course(admin, a, prerequisites=[a])
    services.update_course(admin, c, prerequisites=[a, b])
    assert c.prerequisites == sorted([a, b], key=lambda x: x.slug)


def test_programme_courses_are_reordered_densely(admin, make_course):
    a, b, c = make_course(), make_course(), make_course()
    programme = services.create_programme(
        admin, "path", "경로", "Path", "ai_foundations", [a, b], audience=["worker"]
    )
    services.update_programme(admin, programme, courses=[c, a], title_en="Path 2")
    assert [(e.course, e.position) for e in programme.entries] == [(c, 1), (a, 2)]
    assert programme.title_en == "Path 2"
    with pytest.raises(ValidationError):
        services.update_programme(admin, programme, courses=[a, a])
    with pytest.raises(ValidationError):
        services.update_programme(admin, programme, audience=["retired"])


def test_list_users_searches_and_pages(admin, make_user):
    for i in range(3):
        make_user(email=f"kim{i}@example.com", name=f"Kim {i}")
    make_user(email="lee@example.com", name="Lee", role="instructor")
    found, total = services.list_users(admin, q="KIM", per_page=2)
    assert total == 3 and len(found) == 2
    instructors, _ = services.list_users(admin, role="instructor")
    assert [u.email for u in instructors] == ["lee@example.com"]
    with pytest.raises(Forbidden):
        services.list_users(make_user())


def test_audit_log_is_newest_first_and_admin_only(admin, make_user):
    services.create_course(admin, "ml", "X", "X", "ai_foundations", "beginner")
    events = services.recent_audit_events(admin)
    assert events[0].action == "course.create"
    with pytest.raises(Forbidden):
        services.recent_audit_events(make_user())
