"""One member's page: exactly what the organisation may see, for its managers (logged) and
for the member themself (their preview, not logged)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.consent.models import DataKind, OrgDataAccess
from lms.db import db
from tests.lms.reporting_support import build_world, share


@pytest.fixture
def world(make_org, make_user, make_course, make_enrollment):
    return build_world(make_org, make_user, make_course, make_enrollment)


def _member(client, world, user):
    return client.get(f"/orgs/{world.org.slug}/members/{user.id}")


def _logged() -> int:
    return db.session.scalar(select(func.count()).select_from(OrgDataAccess))


def test_without_consent_a_manager_sees_only_membership_facts(client, login, world):
    login(client, world.manager)
    html = _member(client, world, world.private).get_data(as_text=True)
    assert world.private.email in html
    assert 'data-testid="progress-hidden"' in html and 'data-testid="skills-hidden"' in html
    assert "enrolment-table" not in html and "스마트팩토리" not in html


def test_progress_without_scores_hides_scores(client, login, world):
    login(client, world.manager)
    html = _member(client, world, world.progress).get_data(as_text=True)
    assert 'data-testid="enrolment-table"' in html and "스마트팩토리" in html
    assert 'data-testid="scores-hidden"' in html and 'data-testid="score"' not in html


def test_everything_shared_shows_scores_and_gpu_hours(client, login, world):
    login(client, world.manager)
    html = _member(client, world, world.open_).get_data(as_text=True)
    assert 'data-testid="score"' in html and "2.0" in html


def test_manager_views_are_logged_and_the_members_own_preview_is_not(client, login, world):
    login(client, world.manager)
    _member(client, world, world.open_)
    assert _logged() == 1
    login(client, world.open_)
    response = _member(client, world, world.open_)
    assert 'data-testid="preview-note"' in response.get_data(as_text=True)
    assert 'href="/settings/consents"' in response.get_data(as_text=True)
    assert _logged() == 1


def test_a_member_cannot_open_another_members_page(client, login, world):
    login(client, world.open_)
    assert _member(client, world, world.private).status_code == 403


def test_managers_of_another_organisation_are_refused(client, login, world):
    login(client, world.other_manager)
    assert _member(client, world, world.open_).status_code == 403


def test_non_members_are_not_found_even_for_the_manager(client, login, world):
    login(client, world.manager)
    assert _member(client, world, world.outsider).status_code == 404
    assert client.get(f"/orgs/{world.org.slug}/members/999999").status_code == 404


def test_withdrawal_hides_the_data_on_the_next_view(client, login, world):
    login(client, world.manager)
    assert 'data-testid="enrolment-table"' in _member(client, world, world.open_).get_data(
        as_text=True
    )
    share(world.open_, world.org, DataKind.PROGRESS, DataKind.SCORES, granted=False)
    html = _member(client, world, world.open_).get_data(as_text=True)
    assert 'data-testid="progress-hidden"' in html
