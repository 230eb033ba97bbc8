"""The dashboard's set-based figures at the service level: the weekly chart's buckets, the
per-department and per-programme counts (grouped by the database), the member table's page
cut by the database, the at-risk flag read from ``next_due_at``, and integer-array filters;
on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.catalog.deadlines import week_of
from lms.catalog.models import Enrollment, Progress, ProgressWeek
from lms.completion.progress import in_ids
from lms.consent.models import DataKind
from lms.db import db, utcnow
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


def _weekly(scope) -> list[int]:
    return [int(bar.text) for bar in charts.weekly_progress(scope).bars]


def _index(days_ago: int) -> int:
    """The bar (0..11, oldest first) of an item completed ``days_ago`` days ago."""
    now = utcnow()
    return 11 - (week_of(now) - week_of(now - timedelta(days=days_ago))).days // 7


def test_weekly_chart_buckets_items_by_week_of_sharing_members_only(world):
    complete(_enrolment(world.open_), world.items[1:2], days_ago=15)
    complete(_enrolment(world.open_), world.items[2:3], days_ago=100)  # before the chart
    complete(_enrolment(world.private), world.items[1:3], days_ago=15)  # shares nothing
    scope, _figures_ = _figures(world)
    expected = [0] * 12
    expected[_index(1)] += 2  # each member completed items[0] a day ago; two share
    expected[_index(15)] += 1
    assert _weekly(scope) == expected
    # The per-enrolment path (a course filter) counts the same items.
    by_course, _f = _figures(world, course=world.course.slug)
    assert _weekly(by_course) == expected


def test_weekly_chart_follows_a_withdrawal_at_once(world):
    share(world.progress, world.org, DataKind.PROGRESS, granted=False)
    scope, _figures_ = _figures(world)
    expected = [0] * 12
    expected[_index(1)] = 1
    assert _weekly(scope) == expected


def test_weekly_rows_follow_progress_changes(world):
    enrolment = _enrolment(world.open_)
    complete(enrolment, world.items[1:2], days_ago=30)
    weeks = dict(
        db.session.execute(
            select(ProgressWeek.week, ProgressWeek.items).where(
                ProgressWeek.user_id == world.open_.id
            )
        ).all()
    )
    assert weeks[week_of(utcnow() - timedelta(days=30))] >= 1
    assert sum(weeks.values()) == 2
    row = db.session.scalar(select(Progress).where(Progress.enrollment_id == enrolment.id))
    db.session.delete(row)
    db.session.commit()
    total = db.session.scalar(
        select(func.sum(ProgressWeek.items)).where(ProgressWeek.user_id == world.open_.id)
    )
    assert total == 1


def test_department_rows_count_members_sharing_and_enrolments(world):
    scope, _figures_ = _figures(world)
    found = {row.key: row for row in queries.overview(scope).departments}
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
    scope, _figures_ = _figures(world)
    found = {row.key: row for row in queries.overview(scope).programmes}
    assert empty.id not in found  # nobody in scope is enrolled in its course
    assert found[programme.id].members == 2
    assert (found[programme.id].counts.enrolled, found[programme.id].counts.at_risk) == (2, 2)


def test_member_table_pages_are_cut_by_name_in_the_database(world):
    scope, _figures_ = _figures(world, page=2, per_page=2)
    page = rows.member_page(scope)
    assert page.total == 4
    # 관리자 < 김공개 < 박비공개 < 이진도: the second page holds the last two.
    assert [r.user.id for r in page] == [world.private.id, world.progress.id]


def test_in_ids_matches_exactly_the_given_ids(world):
    ids = [world.open_.id, world.private.id, 10**9]
    stmt = select(Enrollment.user_id).where(in_ids(Enrollment.user_id, ids))
    assert sorted(db.session.scalars(stmt)) == sorted([world.open_.id, world.private.id])
    assert list(db.session.scalars(select(Enrollment.id).where(in_ids(Enrollment.id, [])))) == []


def test_overview_totals_agree_with_the_enrolments_listed(world):
    scope, figures = _figures(world)
    overview = queries.overview(scope)
    statuses = [e[3] for e in figures.enrolments]
    assert overview.counts.enrolled == len(figures.enrolments)
    assert overview.counts.active == statuses.count("active")
    assert overview.counts.at_risk == len(figures.at_risk)
    assert queries.enrolled_user_ids(scope) == sorted({e[1] for e in figures.enrolments})
    assert overview.members == 4 and overview.sharing == {"progress": 2, "scores": 1, "skills": 1}
    by_status = queries.overview(queries.build_scope(world.org, ReportFilter(status="at_risk")))
    assert by_status.counts.enrolled == len(figures.at_risk)


def test_at_risk_follows_the_deadline_column_as_items_are_done(world):
    """Behind schedule is ``next_due_at < now``, kept by ``lms.catalog.deadlines`` as
    progress is recorded: doing the overdue item takes the enrolment off the list."""
    enrolment = _enrolment(world.open_)
    _scope, figures = _figures(world)
    assert enrolment.id in figures.at_risk
    complete(enrolment, world.items[1:2], days_ago=0)  # the other overdue item
    _scope, figures = _figures(world)
    assert enrolment.id not in figures.at_risk
    assert _enrolment(world.progress).id in figures.at_risk
