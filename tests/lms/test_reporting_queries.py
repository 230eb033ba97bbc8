"""The dashboard's set-based figures at the service level: the weekly chart's buckets, the
per-department and per-programme counts (one pass), the member table's page cut by the
database, and integer-array filters; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.catalog.models import Enrollment
from lms.completion.progress import in_ids
from lms.consent.models import DataKind
from lms.db import db
from lms.reporting import charts, queries, rows
from lms.reporting.filters import ReportFilter
from tests.lms.reporting_support import build_world, complete, share


@pytest.fixture
def world(make_org, make_user, make_course, make_enrollment):
    return build_world(make_org, make_user, make_course, make_enrollment)


def _enrolment(user) -> Enrollment:
    return db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()


def _figures(world, **filters):
    scope = queries.build_scope(world.org, ReportFilter(**filters))
    return scope, queries.enrolment_figures(scope)


def test_weekly_chart_buckets_items_by_week_of_sharing_members_only(world):
    complete(_enrolment(world.open_), world.items[1:2], days_ago=15)  # 9 weeks after start
    complete(_enrolment(world.open_), world.items[2:3], days_ago=100)  # before the chart
    complete(_enrolment(world.private), world.items[1:3], days_ago=15)  # shares nothing
    _scope, figures = _figures(world)
    counts = [int(bar.text) for bar in charts.weekly_progress(figures).bars]
    # Each member completed items[0] a day ago (week 11); only open_ and progress share.
    assert counts == [0] * 9 + [1, 0, 2]


def test_weekly_chart_follows_a_withdrawal_at_once(world):
    share(world.progress, world.org, DataKind.PROGRESS, granted=False)
    _scope, figures = _figures(world)
    counts = [int(bar.text) for bar in charts.weekly_progress(figures).bars]
    assert counts == [0] * 11 + [1]


def test_department_rows_count_members_sharing_and_enrolments(world):
    scope, figures = _figures(world)
    found = {row.key: row for row in queries.by_department(scope, figures)}
    department = found[world.department.id]
    assert (department.members, department.sharing) == (1, 1)  # open_
    assert (department.counts.enrolled, department.counts.at_risk) == (1, 1)
    rest = found[None]  # the manager, progress, private
    assert (rest.members, rest.sharing) == (3, 1)
    assert (rest.counts.members, rest.counts.enrolled, rest.counts.active) == (1, 1, 1)
    assert rest.counts.at_risk == 1 and rest.counts.completed == 0


def test_programme_rows_count_only_their_courses(world, make_programme, make_course):
    other = make_course(title_ko="다른 과정", title_en="Other course")
    programme = make_programme(courses=[world.course])
    empty = make_programme(courses=[other])
    _scope, figures = _figures(world)
    found = {row.key: row for row in queries.by_programme(figures)}
    assert empty.id not in found  # nobody in scope is enrolled in its course
    assert found[programme.id].members == 2
    assert (found[programme.id].counts.enrolled, found[programme.id].counts.at_risk) == (2, 2)


def test_member_table_pages_are_cut_by_name_in_the_database(world):
    scope, figures = _figures(world, page=2, per_page=2)
    page = rows.member_page(scope, figures)
    assert page.total == 4
    # 관리자 < 김공개 < 박비공개 < 이진도: the second page holds the last two.
    assert [r.user.id for r in page] == [world.private.id, world.progress.id]


def test_in_ids_matches_exactly_the_given_ids(world):
    ids = [world.open_.id, world.private.id, 10**9]
    stmt = select(Enrollment.user_id).where(in_ids(Enrollment.user_id, ids))
    assert sorted(db.session.scalars(stmt)) == sorted([world.open_.id, world.private.id])
    assert list(db.session.scalars(select(Enrollment.id).where(in_ids(Enrollment.id, [])))) == []
