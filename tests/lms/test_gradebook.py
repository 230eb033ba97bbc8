"""Instructor pages: the gradebook, its exports, the sandboxed notebook frame, and who may
open which grading page."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from lms.catalog.models import CourseInstructor, Enrollment
from lms.db import db
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.publishing.services import current_assignment
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    published,
    release_bytes,
    solution_bytes,
)

BOOK = "/teach/courses/ai-foundations/gradebook"


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def graded(published, enrolled):
    """``graded(notebook=None, learner=None)`` → a submission graded by the fake backend."""

    def factory(notebook: bytes | None = None, learner=None):
        lab1 = current_assignment(published.course, LAB1)
        submission = submit(learner or enrolled(), lab1, notebook or solution_bytes())
        db.session.commit()
        dispatch_job(submission.job)
        db.session.commit()
        collect_once()
        db.session.commit()
        return submission

    return factory


def test_the_gradebook_shows_each_learner_with_grade_status_and_link(
    client, login, instructor, graded, enrolled, published
):
    good = graded()
    blank = graded(release_bytes(current_assignment(published.course, LAB1)))
    idle = enrolled()
    login(client, instructor)
    html = client.get(BOOK).get_data(as_text=True)
    assert f'href="/submissions/{good.id}">10.0</a>' in html
    assert f'href="/submissions/{blank.id}">0.0</a>' in html
    assert f'data-learner="{idle.email}"' in html and 'data-status="missing"' in html


def test_filters_by_status_and_cohort(client, login, instructor, graded, enrolled):
    done = graded()
    idle = enrolled()
    login(client, instructor)
    html = client.get(f"{BOOK}?status=graded").get_data(as_text=True)
    assert html.count("data-learner=") == 1 and done.user.email in html
    cohort_id = db.session.query(Enrollment).filter_by(user_id=idle.id).one().cohort_id
    html = client.get(f"{BOOK}?cohort={cohort_id}").get_data(as_text=True)
    assert html.count("data-learner=") == 1 and idle.email in html
    html = client.get(f"{BOOK}?status=nonsense&cohort=999999").get_data(as_text=True)
    assert html.count("data-learner=") == 2  # unknown filters are ignored, not a 500


def test_csv_and_xlsx_exports_hold_the_grades(client, login, instructor, graded):
    submission = graded()
    login(client, instructor)
    response = client.get(f"{BOOK}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["email", "name", "cohort"]
    line = next(r for r in rows if r[0] == submission.user.email)
    lab1_column = next(i for i, h in enumerate(rows[0]) if h.startswith(LAB1))
    assert float(line[lab1_column]) == 10
    book = load_workbook(io.BytesIO(client.get(f"{BOOK}.xlsx").data))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert values[0][:3] == ["email", "name", "cohort"]
    assert 10 in values[1]


def test_csv_cells_that_look_like_formulas_are_neutralised(
    client, login, instructor, graded, make_user, enrolled
):
    evil = make_user(name="=HYPERLINK(1)")
    graded(learner=enrolled(user=evil))
    login(client, instructor)
    text = client.get(f"{BOOK}.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


def test_the_notebook_frame_is_sandboxed_and_cannot_script_the_portal(
    client, login, instructor, graded
):
    notebook = json.loads(solution_bytes())
    notebook["cells"].append(
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "evil",
            "source": "<script>parent.document.title='pwned'</script>",
        }
    )
    submission = graded(json.dumps(notebook).encode())
    login(client, instructor)
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert 'sandbox=""' in page and "allow-scripts" not in page
    assert f'src="/submissions/{submission.id}/notebook"' in page
    frame = client.get(f"/submissions/{submission.id}/notebook")
    assert frame.status_code == 200
    csp = frame.headers["Content-Security-Policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    assert "script-src" not in csp and "allow-scripts" not in csp
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "to_kelvin" in frame.get_data(as_text=True)  # the learner's code is rendered


def test_an_unreadable_notebook_frame_says_so(client, login, instructor, graded, app):
    from lms.grading.staff_views import render_notebook

    with app.test_request_context():
        assert "<p>" in render_notebook(b"\xff not a notebook")


@pytest.mark.parametrize(
    ("who", "book", "submission", "frame", "status_json"),
    [
        ("owner", 403, 200, 200, 200),
        ("other_learner", 403, 404, 404, 404),
        ("instructor", 200, 200, 200, 200),
        ("other_instructor", 403, 404, 404, 404),
        ("admin", 200, 200, 200, 200),
        ("anonymous", 302, 302, 302, 302),
    ],
)
def test_authorisation_matrix(
    client,
    login,
    make_user,
    instructor,
    graded,
    enrolled,
    who,
    book,
    submission,
    frame,
    status_json,
):
    mine = graded()
    users = {
        "owner": mine.user,
        "other_learner": enrolled(),
        "instructor": instructor,
        "other_instructor": make_user(role="instructor"),
        "admin": make_user(role="admin"),
    }
    if who in users:
        login(client, users[who])
    assert client.get(BOOK).status_code == book
    assert client.get(f"{BOOK}.csv").status_code == book
    assert client.get(f"/submissions/{mine.id}").status_code == submission
    assert client.get(f"/submissions/{mine.id}/notebook").status_code == frame
    assert client.get(f"/submissions/{mine.id}/status.json").status_code == status_json
