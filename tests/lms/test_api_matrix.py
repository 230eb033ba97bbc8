"""API authorisation matrix: every endpoint × every role × own/other object.

Each test builds the world once and asks the same question as every role; the assertion
compares the whole role → status table, so a failure shows every wrong cell at once.

The world: organisation ``sponsor`` (member ``learner``, manager ``manager``) and ``other``
(member ``other_learner``, manager ``other_manager``); course ``ml`` (published, no
self-enrolment) taught by ``instructor``, with ``learner`` and ``other_learner`` enrolled;
course ``open`` (self-enrolment); unpublished ``draft`` taught by ``instructor``;
``other_instructor`` teaches ``elsewhere``.
"""

from types import SimpleNamespace

import pytest

from lms.accounts.models import ApiToken
from lms.catalog.models import Enrollment
from lms.db import db

ROLES = [
    "anonymous",
    "learner",
    "other_learner",
    "instructor",
    "other_instructor",
    "manager",
    "other_manager",
    "admin",
]


@pytest.fixture
def world(make_user, make_org, make_course, make_enrollment, make_token):
    sponsor, other = make_org(slug="sponsor"), make_org(slug="other")
    users = {
        "learner": make_user(org=sponsor),
        "other_learner": make_user(org=other),
        "instructor": make_user(role="instructor"),
        "other_instructor": make_user(role="instructor"),
        "manager": make_user(role="org-manager", org=sponsor, org_role="manager"),
        "other_manager": make_user(role="org-manager", org=other, org_role="manager"),
        "admin": make_user(role="admin"),
    }
    ml = make_course(slug="ml", instructors=[users["instructor"]], self_enroll=False)
    make_course(slug="open")
    make_course(slug="draft", instructors=[users["instructor"]], is_published=False)
    make_course(slug="elsewhere", instructors=[users["other_instructor"]])
    make_course(slug="ml2", instructors=[users["instructor"]], self_enroll=False)
    make_enrollment(users["learner"], ml, sponsor_org=sponsor)
    make_enrollment(users["other_learner"], ml)
    tokens = {role: make_token(user) for role, user in users.items()}
    return SimpleNamespace(users=users, tokens=tokens)


def _call(client, world, role, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {world.tokens[role]}"} if role != "anonymous" else {}
    return client.open(path, method=method, headers=headers, **kwargs)


def _table(expected: dict[str, int]) -> dict[str, int]:
    """Expand ``{"*": default, role: status}`` into a full role → status table."""
    return {role: expected.get(role, expected.get("*")) for role in ROLES}


def _statuses(client, world, method, path, after=None, **kwargs) -> dict[str, int]:
    result = {}
    for role in ROLES:
        response = _call(client, world, role, method, path, **kwargs)
        result[role] = response.status_code
        if after is not None:
            after(role, response)
    return result


@pytest.mark.parametrize(
    "path", ["/api/v1/openapi.json", "/api/v1/programs", "/api/v1/courses", "/api/v1/courses/ml"]
)
def test_catalogue_is_public(client, world, path):
    assert _statuses(client, world, "GET", path) == _table({"*": 200})


def test_me_shows_only_the_token_user(client, world):
    def check(role, response):
        if role != "anonymous":
            assert response.json["id"] == world.users[role].id

    statuses = _statuses(client, world, "GET", "/api/v1/me", after=check)
    assert statuses == _table({"anonymous": 401, "*": 200})


def test_my_enrollments_are_only_mine(client, world):
    def check(role, response):
        if role != "anonymous":
            expected = {"ml"} if role in ("learner", "other_learner") else set()
            assert {e["course"] for e in response.json["items"]} == expected, role

    statuses = _statuses(client, world, "GET", "/api/v1/me/enrollments", after=check)
    assert statuses == _table({"anonymous": 401, "*": 200})


def test_unpublished_course_is_hidden_from_outsiders(client, world):
    statuses = _statuses(client, world, "GET", "/api/v1/courses/draft")
    assert statuses == _table({"instructor": 200, "admin": 200, "*": 404})


VISIBLE = {
    "instructor": {"learner", "other_learner"},
    "admin": {"learner", "other_learner"},
    "manager": {"learner"},
    "other_manager": {"other_learner"},
}


def test_course_enrollments_visible_by_role(client, world):
    def check(role, response):
        if response.status_code == 200:
            seen = {e["user"]["id"] for e in response.json["items"]}
            assert seen == {world.users[name].id for name in VISIBLE[role]}, role

    statuses = _statuses(client, world, "GET", "/api/v1/courses/ml/enrollments", after=check)
    expected = {"anonymous": 401, "learner": 403, "other_learner": 403, "other_instructor": 403}
    assert statuses == _table({**expected, "*": 200})


def _undo_enrolment(role, response):
    if response.status_code == 201:
        db.session.query(Enrollment).filter_by(id=response.json["id"]).delete()
        db.session.commit()


def test_enrolling_someone_else_in_a_closed_course(client, world):
    """Enrol ``learner`` (member of ``sponsor``) in ``ml2`` (no self-enrolment): the learner
    themself is refused too."""
    body = {"user_id": world.users["learner"].id}
    path = "/api/v1/courses/ml2/enrollments"
    statuses = _statuses(client, world, "POST", path, after=_undo_enrolment, json=body)
    allowed = {"instructor": 201, "manager": 201, "admin": 201, "anonymous": 401}
    assert statuses == _table({**allowed, "*": 403})


def test_self_enrolment_in_an_open_course(client, world):
    statuses = _statuses(client, world, "POST", "/api/v1/courses/open/enrollments")
    assert statuses == _table({"anonymous": 401, "*": 201})


def test_enrolling_into_an_unpublished_course(client, world):
    body = {"user_id": world.users["learner"].id}
    path = "/api/v1/courses/draft/enrollments"
    statuses = _statuses(client, world, "POST", path, after=_undo_enrolment, json=body)
    assert statuses == _table({"anonymous": 401, "instructor": 201, "admin": 201, "*": 404})


def test_revoking_the_learners_token(client, world, make_token):
    statuses, still_valid = {}, {}
    for role in ROLES:
        secret = make_token(world.users["learner"], name=f"for-{role}")
        token_id = db.session.query(ApiToken.id).order_by(ApiToken.id.desc()).limit(1).scalar()
        if role == "learner":
            world.tokens["learner"] = secret  # revoke with the token itself
        statuses[role] = _call(
            client, world, role, "DELETE", f"/api/v1/tokens/{token_id}"
        ).status_code
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        still_valid[role] = me.status_code == 200
    assert statuses == _table({"anonymous": 401, "learner": 204, "admin": 204, "*": 404})
    assert still_valid == {role: statuses[role] != 204 for role in ROLES}
