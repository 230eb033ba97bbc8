"""The page authorisation matrix: every page × every role × own/other object.

Each row is (page, {actor: expected status}); actors not named get ``default``. A learner
never sees another learner's data: their pages have no id to change, and the pages that do
take an id (tokens, admin users) refuse others.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

ACTORS = (
    "anonymous",
    "learner",
    "other_learner",
    "instructor",
    "other_instructor",
    "manager",
    "other_manager",
    "admin",
)
LOGIN = 302  # anonymous visitors are sent to the login page


@pytest.fixture
def world(make_user, make_org, make_course, make_cohort, make_programme, make_enrollment):
    org, other_org = make_org(slug="own-org"), make_org(slug="other-org")
    people = SimpleNamespace(
        learner=make_user(name="학습자A", email="a@example.com", org=org),
        other_learner=make_user(name="학습자B", email="b@example.com"),
        instructor=make_user(role="instructor"),
        other_instructor=make_user(role="instructor"),
        manager=make_user(role="org_manager", org=org, org_role="manager"),
        other_manager=make_user(role="org_manager", org=other_org, org_role="manager"),
        admin=make_user(role="admin"),
    )
    course = make_course(slug="own-course", instructors=[people.instructor])
    make_course(slug="draft", instructors=[people.instructor], is_published=False)
    make_course(slug="secret-b", title_ko="B만 듣는 과정")
    make_cohort(course, name="A반")
    make_programme([course], slug="path")
    make_enrollment(people.learner, course)
    make_enrollment(people.other_learner, make_course(slug="b-course", title_ko="B의 과정"))
    return people


EVERYONE_OK = {a: 200 for a in ACTORS}
SIGNED_IN = {**EVERYONE_OK, "anonymous": LOGIN}
INSTRUCTORS = {a: 403 for a in ACTORS} | {"anonymous": LOGIN, "instructor": 200}
INSTRUCTORS |= {"other_instructor": 200, "admin": 200}
OWN_COURSE = {a: 403 for a in ACTORS} | {"anonymous": LOGIN, "instructor": 200, "admin": 200}
MANAGERS = {a: 403 for a in ACTORS} | {"anonymous": LOGIN}
ADMINS = {a: 403 for a in ACTORS} | {"anonymous": LOGIN, "admin": 200}

MATRIX = [
    ("/catalogue", EVERYONE_OK),
    ("/courses/own-course", EVERYONE_OK),
    ("/programmes/path", EVERYONE_OK),
    ("/courses/draft", {a: 404 for a in ACTORS} | {"instructor": 200, "admin": 200}),
    ("/dashboard", SIGNED_IN),
    ("/settings", SIGNED_IN),
    ("/teach", INSTRUCTORS),
    ("/teach/courses/own-course", OWN_COURSE),
    # A draft course does not exist for those who may not manage it.
    (
        "/teach/courses/draft",
        {a: 404 for a in ACTORS} | {"anonymous": LOGIN, "instructor": 200, "admin": 200},
    ),
    ("/org", MANAGERS | {"manager": 302, "other_manager": 302, "admin": 200}),
    ("/orgs/own-org", MANAGERS | {"manager": 200, "admin": 200}),
    ("/orgs/other-org", MANAGERS | {"other_manager": 200, "admin": 200}),
    ("/admin/users", ADMINS),
    ("/admin/users/<other_learner>", ADMINS),
    ("/admin/orgs", ADMINS),
    ("/admin/orgs/own-org", ADMINS),
    ("/admin/courses", ADMINS),
    ("/admin/courses/own-course", ADMINS),
    ("/admin/programmes", ADMINS),
    ("/admin/programmes/path", ADMINS),
    ("/admin/audit", ADMINS),
]


@pytest.mark.parametrize("actor", ACTORS)
def test_page_access(client, app, login, world, actor):
    """Every page of the matrix for one actor (one world per actor keeps this fast)."""
    if actor != "anonymous":
        login(client, getattr(world, actor))
    wrong = []
    for path, expected in MATRIX:
        path = path.replace("<other_learner>", str(world.other_learner.id))
        status = client.get(path).status_code
        if status != expected[actor]:
            wrong.append(f"{path}: {status}, expected {expected[actor]}")
    assert not wrong, f"{actor}:\n" + "\n".join(wrong)


def test_learners_see_only_their_own_dashboard_and_settings(client, login, world):
    login(client, world.learner)
    dashboard = client.get("/dashboard").text
    assert "own-course" in dashboard and "B의 과정" not in dashboard
    settings = client.get("/settings").text
    assert "a@example.com" in settings and "b@example.com" not in settings


def test_instructor_roster_shows_only_their_course(client, login, world):
    login(client, world.instructor)
    roster = client.get("/teach/courses/own-course").text
    assert "학습자A" in roster and "학습자B" not in roster


@pytest.mark.parametrize(
    ("actor", "path", "data"),
    [
        ("learner", "/teach/courses/own-course/enrollments", {"email": "b@example.com"}),
        ("other_instructor", "/teach/courses/own-course/enrollments", {"email": "b@example.com"}),
        ("learner", "/teach/courses/own-course/cohorts", {"name": "X"}),
        ("other_manager", "/orgs/own-org/sponsor", {"course": "own-course"}),
        ("learner", "/orgs/own-org/sponsor", {"course": "own-course"}),
        ("manager", "/admin/orgs", {"slug": "x-org", "name_ko": "X", "name_en": "X"}),
        ("instructor", "/admin/courses/new", {"slug": "x"}),
    ],
)
def test_actions_of_others_are_refused(client, login, world, actor, path, data):
    login(client, getattr(world, actor))
    assert client.post(path, data=data).status_code == 403


def test_learner_cannot_change_roles_or_deactivate(client, login, world):
    login(client, world.learner)
    target = world.other_learner.id
    assert client.post(f"/admin/users/{target}/role", data={"role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{target}/active", data={"active": "0"}).status_code == 403
    assert world.learner.role.value == "learner" and world.other_learner.is_active
