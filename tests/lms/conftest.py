"""Fixtures for the portal's tests.

The schema is built once per test session by running the Alembic migrations (never
``create_all``): on SQLite in a temporary folder, or on PostgreSQL in a fresh schema of
``LMS_TEST_DATABASE_URL`` that is dropped afterwards. Every test gets an app with its own
pushed app context and empty tables.

Fixtures: ``app`` (override ``app_config`` in a module to change settings), ``client``
(each request runs in its own app context and database session, as in production),
``make_user``, ``make_org``, ``make_course``, ``make_cohort``, ``make_programme``,
``make_enrollment``, ``make_token``, ``login`` and ``TEST_PASSWORD``.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.accounts.models import Role, User
from lms.accounts.services import create_token, register
from lms.catalog.models import Cohort, Course, Enrollment, Programme, ProgrammeCourse
from lms.db import db
from lms.orgs.models import MemberRole, Membership, Organisation

TEST_PASSWORD = "Correct-horse-9"
# Cheap but real argon2id parameters: the suite hashes hundreds of passwords.
FAST_HASHER = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
_seq = itertools.count(1)


def _base_config(database_url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LMS_PASSWORD_HASHER_PARAMS": FAST_HASHER,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database URL for this test session (SQLite file, or a fresh PostgreSQL schema)."""
    pg_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not pg_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'lms.sqlite3'}"
        return
    schema = f"lms_test_{secrets.token_hex(4)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # synchronous_commit=off: tests need not wait for the disk on each of their many commits.
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    url = make_url(pg_url).update_query_dict({"options": options})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """``database_url`` with the schema built by ``flask db upgrade`` (the migrations)."""
    app = create_app(_base_config(database_url))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


@pytest.fixture(scope="session", autouse=True)
def _instance_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Never write a secret key or a database into the checkout from a test.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LMS_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
        yield


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Extra Flask config for ``app``; override this fixture in a test module."""
    return {}


class IsolatedClient(FlaskClient):
    """A test client whose requests each get a fresh app context (and database session),
    like real requests; afterwards the test's own session re-reads what changed."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(migrated_database: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The portal on the migrated test database, inside an app context; tables are emptied
    after the test."""
    config = {**_base_config(migrated_database), **app_config}
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def _empty_tables() -> None:
    # DELETE, not TRUNCATE: on PostgreSQL it is much faster for a few rows per table.
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """``make_user(role="learner", email=None, password=TEST_PASSWORD, name=None,
    segment=None, org=None, org_role="member", locale=None, is_active=True)`` → committed
    User. ``role`` accepts ``org-manager``/``org_manager``; ``org`` adds a current
    membership (``org_role="manager"`` for a manager of that org)."""

    def factory(
        role: str | Role = Role.LEARNER,
        email: str | None = None,
        password: str = TEST_PASSWORD,
        name: str | None = None,
        segment: str | None = None,
        org: Organisation | None = None,
        org_role: str = "member",
        locale: str | None = None,
        is_active: bool = True,
    ) -> User:
        role = Role(str(role).replace("-", "_"))
        email = email or f"{_unique(role.value)}@example.com"
        user = register(email, name or email.split("@")[0], password, role, segment, locale)
        user.is_active = is_active
        if org is not None:
            db.session.add(
                Membership(
                    user=user,
                    org=org,
                    role=MemberRole(org_role),
                    started_on=date.today() - timedelta(days=30),
                )
            )
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    """``make_org(slug=None, kind="company", name_ko=None, name_en=None)`` → committed org."""

    def factory(slug: str | None = None, kind: str = "company", name_ko=None, name_en=None):
        slug = slug or _unique("org-")
        org = Organisation(
            slug=slug, kind=kind, name_ko=name_ko or f"{slug} 기관", name_en=name_en or slug
        )
        db.session.add(org)
        db.session.commit()
        return org

    return factory


@pytest.fixture
def make_course(app: Flask) -> Callable[..., Course]:
    """``make_course(slug=None, track="ai_foundations", level="beginner", instructors=(),
    prerequisites=(), self_enroll=True, capacity=None, is_published=True, needs_gpu=False,
    skills=None, title_ko=None, title_en=None)`` → committed Course."""

    def factory(
        slug: str | None = None,
        track: str = "ai_foundations",
        level: str = "beginner",
        instructors: tuple[User, ...] | list[User] = (),
        prerequisites: tuple[Course, ...] | list[Course] = (),
        self_enroll: bool = True,
        capacity: int | None = None,
        is_published: bool = True,
        needs_gpu: bool = False,
        skills: list[str] | None = None,
        title_ko: str | None = None,
        title_en: str | None = None,
    ) -> Course:
        slug = slug or _unique("course-")
        course = Course(
            slug=slug,
            title_ko=title_ko or f"{slug} 과정",
            title_en=title_en or f"Course {slug}",
            description_ko="설명",
            description_en="Description",
            track=track,
            level=level,
            self_enroll=self_enroll,
            capacity=capacity,
            is_published=is_published,
            needs_gpu=needs_gpu,
            skills=skills or ["python"],
        )
        course.instructors = list(instructors)
        course.prerequisites = list(prerequisites)
        db.session.add(course)
        db.session.commit()
        return course

    return factory


@pytest.fixture
def make_cohort(app: Flask) -> Callable[..., Cohort]:
    """``make_cohort(course, name=None, capacity=None, instructors=(), starts_on=None,
    ends_on=None)`` → committed Cohort (default: started a week ago, 8 weeks long)."""

    def factory(course, name=None, capacity=None, instructors=(), starts_on=None, ends_on=None):
        starts_on = starts_on or date.today() - timedelta(days=7)
        cohort = Cohort(
            course=course,
            name=name or _unique("cohort-"),
            capacity=capacity,
            starts_on=starts_on,
            ends_on=ends_on or starts_on + timedelta(weeks=8),
        )
        cohort.instructors = list(instructors)
        db.session.add(cohort)
        db.session.commit()
        return cohort

    return factory


@pytest.fixture
def make_programme(app: Flask) -> Callable[..., Programme]:
    """``make_programme(courses=(), slug=None, track="ai_foundations", audience=None,
    is_published=True)`` → committed Programme with the courses in order."""

    def factory(courses=(), slug=None, track="ai_foundations", audience=None, is_published=True):
        slug = slug or _unique("programme-")
        programme = Programme(
            slug=slug,
            title_ko=f"{slug} 프로그램",
            title_en=f"Programme {slug}",
            description_ko="",
            description_en="",
            track=track,
            audience=audience if audience is not None else ["university", "worker"],
            is_published=is_published,
        )
        programme.entries = [
            ProgrammeCourse(course=c, position=i) for i, c in enumerate(courses, start=1)
        ]
        db.session.add(programme)
        db.session.commit()
        return programme

    return factory


@pytest.fixture
def make_enrollment(app: Flask) -> Callable[..., Enrollment]:
    """``make_enrollment(user, course, status="active", cohort=None, sponsor_org=None)`` →
    committed Enrollment, inserted directly (no access or prerequisite checks)."""

    def factory(user, course, status="active", cohort=None, sponsor_org=None) -> Enrollment:
        enrollment = Enrollment(
            user=user, course=course, status=status, cohort=cohort, sponsor_org=sponsor_org
        )
        db.session.add(enrollment)
        db.session.commit()
        return enrollment

    return factory


@pytest.fixture
def make_token(app: Flask) -> Callable[[User], str]:
    """``make_token(user)`` → the secret of a new personal API token (committed)."""

    def factory(user: User, name: str = "test") -> str:
        _token, secret = create_token(user, user, name)
        db.session.commit()
        return secret

    return factory


@pytest.fixture
def login() -> Callable[[FlaskClient, User], None]:
    """``login(client, user)``: the client's next requests are made as ``user`` (a
    Flask-Login session, without going through the login page)."""

    def do_login(client: FlaskClient, user: User) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    return do_login


def bearer(secret: str) -> dict[str, str]:
    """Authorization header for an API token secret."""
    return {"Authorization": f"Bearer {quote(secret, safe='_-')}"}


@pytest.fixture
def password() -> str:
    """The password ``make_user`` gives everyone (TEST_PASSWORD)."""
    return TEST_PASSWORD


@pytest.fixture(name="bearer")
def bearer_fixture() -> Callable[[str], dict[str, str]]:
    """``bearer(secret)`` → the Authorization header for an API token."""
    return bearer
