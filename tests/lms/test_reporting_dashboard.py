"""The manager dashboard: figures only from members who consented, filters, charts, the
member table, the export, and the access log of every view."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms.consent.models import DataKind, OrgDataAccess
from lms.db import db
from tests.lms.reporting_support import build_world, share


@pytest.fixture
def world(make_org, make_user, make_course, make_enrollment):
    return build_world(make_org, make_user, make_course, make_enrollment)


def _page(client, world, **args):
    return client.get(f"/orgs/{world.org.slug}/dashboard", query_string=args)


def _stat(html: str, testid: str) -> str:
    marker = f'data-testid="{testid}">'
    return html.split(marker, 1)[1].split("<", 1)[0]


def test_summary_counts_only_members_who_share_their_progress(client, login, world):
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    assert _stat(html, "stat-members") == "4"  # the manager and three members
    assert _stat(html, "stat-enrolled") == "2"  # open_ and progress share; private does not
    assert _stat(html, "stat-at-risk") == "2"  # both are behind (overdue items)
    assert _stat(html, "stat-gpu") == "2.0"  # private's 5 GPU-hours are not shared
    note = html.split('data-testid="consent-note">', 1)[1].split("</p>", 1)[0]
    assert "4" in note and "2" in note  # of 4 members, 2 share progress


def test_member_table_hides_figures_of_members_who_share_nothing(client, login, world):
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    row = html.split(f'data-user="{world.private.id}"', 1)[1].split("</tr>", 1)[0]
    assert world.private.email in row  # membership facts are always visible
    assert 'data-testid="cell-progress"><span class="muted"' in row
    open_row = html.split(f'data-user="{world.open_.id}"', 1)[1].split("</tr>", 1)[0]
    assert "25.0%" in open_row  # one of four items done


def test_scores_only_for_members_who_share_scores(client, login, world):
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    row = html.split(f'data-user="{world.progress.id}"', 1)[1].split("</tr>", 1)[0]
    score_cell = row.split('data-testid="cell-score">', 1)[1].split("</td>", 1)[0]
    assert "Not shared" in score_cell or "–" in score_cell


def test_members_of_another_organisation_never_appear(client, login, world):
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    assert world.outsider.email not in html


def test_withdrawing_consent_takes_effect_at_once(client, login, world):
    login(client, world.manager)
    assert _stat(_page(client, world).get_data(as_text=True), "stat-enrolled") == "2"
    share(world.progress, world.org, DataKind.PROGRESS, granted=False)
    assert _stat(_page(client, world).get_data(as_text=True), "stat-enrolled") == "1"


def test_filters_narrow_to_a_department_and_a_status(client, login, world):
    login(client, world.manager)
    html = _page(client, world, department=world.department.id).get_data(as_text=True)
    assert _stat(html, "stat-members") == "1"
    assert world.progress.email not in html
    html = _page(client, world, status="completed").get_data(as_text=True)
    assert _stat(html, "stat-enrolled") == "0"
    assert 'data-testid="member-row"' not in html


def test_unknown_filter_values_get_a_clear_message(client, login, world, make_org):
    login(client, world.manager)
    foreign = make_org()
    from lms.orgs.models import Department

    dept = Department(org=foreign, name="외부팀")
    db.session.add(dept)
    db.session.commit()
    response = _page(client, world, department=dept.id)
    assert response.status_code == 422
    assert 'data-testid="filter-error"' in response.get_data(as_text=True)
    assert _page(client, world, course="no-such-course").status_code == 422
    assert _page(client, world, status="sleeping").status_code == 422


def test_charts_are_server_drawn_svg(client, login, world):
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    weekly = html.split('data-testid="weekly-chart"', 1)[1].split("</svg>", 1)[0]
    assert weekly.count("<rect") == 12
    assert "<script" not in html.split("<main", 1)[-1]
    assert 'data-testid="status-chart"' in html


def test_a_view_is_logged_with_exactly_the_kinds_each_member_shares(client, login, world):
    login(client, world.manager)
    _page(client, world)
    logged = {}
    rows = db.session.execute(
        select(OrgDataAccess.subject_ids, OrgDataAccess.kinds, OrgDataAccess.via)
    )
    for subject_ids, kinds, via in rows:
        for user_id in subject_ids:
            logged[user_id] = (sorted(kinds), str(via))
    assert logged[world.open_.id] == (["progress", "scores", "skills"], "page")
    assert logged[world.progress.id] == (["progress"], "page")
    assert logged[world.private.id] == ([], "page")
    assert world.outsider.id not in logged


def test_csv_export_has_empty_cells_where_nothing_is_shared(client, login, world):
    login(client, world.manager)
    response = client.get(f"/orgs/{world.org.slug}/dashboard/export.csv")
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    lines = {row["email"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(lines) == {
        u.email for u in (world.manager, world.open_, world.progress, world.private)
    }
    assert lines[world.private.email]["progress_percent"] == ""
    assert lines[world.private.email]["gpu_hours"] == ""
    assert lines[world.open_.email]["progress_percent"] == "25.0"
    assert lines[world.progress.email]["score_percent"] == ""
    assert lines[world.open_.email]["name"] == "김공개"
    via = db.session.scalars(select(OrgDataAccess.via)).all()
    assert [str(v) for v in via].count("export") >= 1


def test_xlsx_export_is_a_workbook_of_the_same_rows(client, login, world):
    from openpyxl import load_workbook

    login(client, world.manager)
    response = client.get(f"/orgs/{world.org.slug}/dashboard/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.values)
    assert values[0][0] == "email" and len(values) == 5


def test_learners_and_other_managers_are_refused(client, login, world):
    for user in (world.open_, world.other_manager):
        login(client, user)
        assert _page(client, world).status_code == 403
        assert client.get(f"/orgs/{world.org.slug}/dashboard/export.csv").status_code == 403


def test_skills_gained_count_only_members_who_share_skills(
    client, login, world, make_course, make_enrollment
):
    from lms.skills.mapping import add_mapping
    from lms.skills.models import CompetencyUnit

    db.session.add(
        CompetencyUnit(
            code="SF-TST-01",
            name_ko="공정 데이터",
            name_en="Process data",
            level=1,
            track="smart_factory",
        )
    )
    course = make_course()
    add_mapping(None, course, "SF-TST-01")
    db.session.commit()
    for user in (world.open_, world.private):
        make_enrollment(user, course, status="completed")
    login(client, world.manager)
    html = _page(client, world).get_data(as_text=True)
    chart = html.split('data-testid="skills-chart"', 1)[1].split("</svg>", 1)[0]
    assert "SF-TST-01" in chart and ">1</text>" in chart
    member = client.get(f"/orgs/{world.org.slug}/members/{world.open_.id}")
    assert "SF-TST-01" in member.get_data(as_text=True)


def test_failing_labs_put_at_risk_only_members_who_share_scores(
    client, login, world, make_course, make_enrollment
):
    from tests.lms.completion_support import add_attempt, add_version

    course = make_course()  # no catalogue items: nothing can be overdue
    add_version(course, [("lab1", 10.0, "last")])
    for user in (world.open_, world.progress):
        make_enrollment(user, course)
        add_attempt(user, course, "lab1", 2.0)  # 20 %: below the pass mark
    login(client, world.manager)
    html = _page(client, world, course=course.slug).get_data(as_text=True)
    assert _stat(html, "stat-enrolled") == "2"
    assert _stat(html, "stat-at-risk") == "1"  # open_ shares scores; progress does not
    at_risk = _page(client, world, course=course.slug, status="at_risk").get_data(as_text=True)
    assert f'data-user="{world.open_.id}"' in at_risk
    assert f'data-user="{world.progress.id}"' not in at_risk
