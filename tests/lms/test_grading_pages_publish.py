"""The course package upload form: publish a zip, list every problem, refuse learners."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import io
import zipfile

import pytest

from lms.db import db
from lms.publishing.models import CourseVersion
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    PACKAGE,
    app_config,
    blob_dir,
    fast_release,
)


def _zip(edit=None, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in PACKAGE.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if edit is not None and path.name == "course.toml":
                    data = edit(data.decode()).encode()
                archive.writestr(path.relative_to(PACKAGE).as_posix(), data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _post(client, data: bytes):
    body = {"package": (io.BytesIO(data), "course.zip")}
    return client.post("/teach/publish", data=body, content_type="multipart/form-data")


@pytest.fixture
def instructor(client, login, make_user):
    user = make_user(role="instructor")
    login(client, user)
    return user


def test_an_instructor_publishes_a_zip_and_lands_on_the_assignments(client, instructor):
    assert client.get("/teach/publish").status_code == 200
    response = _post(client, _zip())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/courses/ai-foundations/assignments")
    assert db.session.query(CourseVersion).count() == 1
    again = _post(client, _zip())
    assert again.status_code == 303 and db.session.query(CourseVersion).count() == 1


def test_unsafe_entries_are_listed_by_name(client, instructor):
    response = _post(client, _zip(extra={"../evil.py": b"x", "/abs.txt": b"y"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "../evil.py: unsafe path" in html and "/abs.txt: unsafe path" in html
    assert db.session.query(CourseVersion).count() == 0


def test_metadata_problems_name_file_location_and_message(client, instructor):
    def break_points(text: str) -> str:
        return text.replace("points = 12", "points = 99", 1)

    response = _post(client, _zip(break_points))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-testid="problems"' in html and "course.toml: assignments[0]" in html
    assert db.session.query(CourseVersion).count() == 0


def test_a_file_that_is_not_a_zip_is_a_clear_problem(client, instructor):
    response = _post(client, b"plain text")
    assert response.status_code == 422 and "not a zip file" in response.get_data(as_text=True)


def test_learners_cannot_publish(client, login, make_user):
    login(client, make_user())
    assert client.get("/teach/publish").status_code == 403
    assert _post(client, _zip()).status_code == 403
