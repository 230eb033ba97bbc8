"""Analytics per assignment: score distribution and per-test failure shares as SVG."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import re

import pytest

from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.grading.analytics import Bar, column_chart, row_chart
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

URL = f"/teach/courses/ai-foundations/assignments/{LAB1}/analytics"


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


def _grade(published, learner, notebook: bytes) -> None:
    submission = submit(learner, current_assignment(published.course, LAB1), notebook)
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()


def test_one_solved_and_one_blank_notebook_give_two_bars_and_half_failing(
    client, login, instructor, published, enrolled
):
    lab1 = current_assignment(published.course, LAB1)
    _grade(published, enrolled(), solution_bytes())
    _grade(published, enrolled(), release_bytes(lab1))
    enrolled()  # a learner without a submission counts as enrolled, not graded
    login(client, instructor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="histogram"' in html and 'data-testid="failures"' in html
    summary = re.search(r'data-testid="summary">([^<]*)<', html).group(1)
    assert "3명 중 2명" in summary and "5.0 / 12.0" in summary  # mean of 10 and 0
    table = html[html.index('data-testid="failure-table"') :]
    assert table.count("<td>50%</td>") >= 1
    assert "style=" not in html  # the CSP forbids inline styles


def test_charts_scale_to_the_largest_value():
    chart = column_chart([Bar("a", 1, "1"), Bar("b", 4, "4")], width=200, height=140)
    assert chart.bars[1].height == 100 and chart.bars[0].height == 25
    rows = row_chart([Bar("t", 0.5, "50%"), Bar("u", 1.0, "100%")], width=450)
    assert rows.bars[0].width == pytest.approx(rows.bars[1].width / 2)


def test_learners_cannot_open_analytics(client, login, enrolled):
    login(client, enrolled())
    assert client.get(URL).status_code == 403
