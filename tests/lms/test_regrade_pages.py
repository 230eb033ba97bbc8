"""Regrade pages and command: course staff start a regrade (CSRF form) and see what changed;
learners cannot; ``flask grading regrade COURSE ASSIGNMENT`` does the same from a shell."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.grading.models import GradingJob
from lms.grading.results import collect_once, dispatch_job
from lms.grading.submission import submit
from lms.publishing.services import current_assignment, publish
from tests.lms import grading_support
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    solution_bytes,
)


@pytest.fixture
def app_config(blob_dir, tmp_path):
    return grading_support.app_config.__wrapped__(blob_dir, tmp_path) | {"WTF_CSRF_ENABLED": True}


def _post(client, url, page_url=None):
    """POST the regrade form with the CSRF token of the rendered page (or of ``page_url``)."""
    page = client.get(page_url or url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(url, data={"csrf_token": token})


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def fixed(published, enrolled, package_copy):
    """One graded submission on version 1, then version 2 published."""
    learner = enrolled()
    submission = submit(learner, current_assignment(published.course, LAB1), solution_bytes())
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    publish(None, package_copy(lambda t: t.replace("max = 10", "max = 9", 1)))
    db.session.commit()
    return submission


def _url(course) -> str:
    return f"/teach/courses/{course.slug}/assignments/{LAB1}/regrade"


def _jobs() -> int:
    return db.session.scalar(select(func.count(GradingJob.id)))


def test_the_instructor_regrades_and_sees_the_result_row(client, login, instructor, fixed):
    login(client, instructor)
    url = _url(fixed.assignment.version.course)
    assert 'data-testid="regrade-start"' in client.get(url).get_data(as_text=True)
    assert _post(client, url).status_code == 302
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f'data-testid="regrade-row-{fixed.id}"' in page
    assert _jobs() == 2
    collect_once()
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "+0.00" in page  # same notebook, same tests: nothing changed


def test_a_double_click_makes_one_set_of_jobs(client, login, instructor, fixed):
    login(client, instructor)
    url = _url(fixed.assignment.version.course)
    _post(client, url)
    _post(client, url)
    assert _jobs() == 2


def test_a_post_without_the_csrf_token_is_refused(client, login, instructor, fixed):
    login(client, instructor)
    assert client.post(_url(fixed.assignment.version.course)).status_code == 400
    assert _jobs() == 1


def test_the_analytics_page_links_the_regrade_page(client, login, instructor, fixed):
    login(client, instructor)
    course = fixed.assignment.version.course
    page = client.get(f"/teach/courses/{course.slug}/assignments/{LAB1}/analytics")
    assert _url(course) in page.get_data(as_text=True)


def test_learners_can_neither_see_nor_start_a_regrade(client, login, fixed):
    login(client, fixed.user)
    url = _url(fixed.assignment.version.course)
    assert client.get(url).status_code == 403
    own_page = f"/courses/{fixed.assignment.version.course.slug}/assignments/{LAB1}"
    assert _post(client, url, own_page).status_code == 403
    assert _jobs() == 1


def test_an_unknown_assignment_is_a_404_page(client, login, instructor, fixed):
    login(client, instructor)
    slug = fixed.assignment.version.course.slug
    assert client.get(f"/teach/courses/{slug}/assignments/nope/regrade").status_code == 404


def test_the_command_regrades_and_says_how_many(app, fixed):
    course = fixed.assignment.version.course
    result = app.test_cli_runner().invoke(args=["grading", "regrade", course.slug, LAB1])
    assert result.exit_code == 0, result.output
    assert "1 job(s) queued on version 2, 1 dispatched" in result.output
    again = app.test_cli_runner().invoke(args=["grading", "regrade", course.slug, LAB1])
    assert "0 job(s) queued" in again.output


def test_the_command_names_an_unknown_course_or_assignment(app, fixed):
    runner = app.test_cli_runner()
    assert "no course" in runner.invoke(args=["grading", "regrade", "nope", LAB1]).output
    slug = fixed.assignment.version.course.slug
    bad = runner.invoke(args=["grading", "regrade", slug, "nope"])
    assert bad.exit_code == 1 and "nope" in bad.output
