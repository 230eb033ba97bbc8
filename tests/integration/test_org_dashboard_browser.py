"""The organisation manager's dashboard in a real browser (headless Chromium, Playwright).

The app runs on a real HTTP server with the demo data (a shipyard with a manager and a dozen
workers who share different kinds of data). The story: the manager logs in (Korean), opens
the dashboard, sees the consent note, the figures, the SVG charts and the member table;
filters by department and status; opens a member who shares nothing (membership facts
only); downloads the CSV export; and the page fits a phone screen. No console errors (a CSP
violation would be one). Screenshots go to ``$LMS_SCREENSHOT_DIR`` or the test's tmp folder.
"""

# ruff: noqa: F811  (the fixtures imported from browser_support are parameters below)

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.browser_support import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    browser,
    served_demo_portal,
    shots,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the portal served in a thread, with migrated demo data."""
    with served_demo_portal(
        tmp_path_factory.mktemp("org-dashboard"),
        lambda: _make_the_second_item_overdue("data-analysis"),
    ) as (url, _app):
        yield url


def _make_the_second_item_overdue(slug: str) -> None:
    """The demo's deadlines all lie ahead; one past deadline puts workers at risk."""
    from datetime import timedelta

    from sqlalchemy import select

    from lms.catalog.models import Course, CourseItem
    from lms.db import db, utcnow

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    item = db.session.scalar(
        select(CourseItem).where(CourseItem.course_id == course.id, CourseItem.position == 2)
    )
    item.due_at = utcnow() - timedelta(days=1)


def _manager_page(browser, base: str, viewport: dict, errors: list[str]):
    from lms.demo import DEMO_PASSWORD

    context = browser.new_context(viewport=viewport, locale="ko-KR", accept_downloads=True)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.get_by_label("이메일").fill("manager@demo.local")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()
    return page


def _number(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).inner_text())


def test_manager_reads_filters_and_exports_the_dashboard(browser, portal_url, shots):
    errors: list[str] = []
    page = _manager_page(browser, portal_url, DESKTOP, errors)
    page.goto(f"{portal_url}/orgs/hd-shipyard/dashboard")
    assert page.get_by_role("heading", name="재교육 대시보드").is_visible()
    assert "동의한 구성원만" in page.get_by_test_id("consent-note").inner_text()
    members, enrolled = _number(page, "stat-members"), _number(page, "stat-enrolled")
    assert members >= 14 and 0 < enrolled < members  # workers who share nothing are left out
    for chart in ("weekly-chart", "status-chart"):
        assert page.get_by_test_id(chart).locator("rect").count() > 0
    rows = page.get_by_test_id("member-row")
    assert rows.count() == members
    page.screenshot(path=str(shots / "org-dashboard-desktop-ko.png"), full_page=True)

    page.get_by_label("부서", exact=True).select_option(label="생산기술팀")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**/dashboard?*department=*")
    assert _number(page, "stat-members") == 6
    page.get_by_label("상태", exact=True).select_option("at_risk")
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url("**status=at_risk*")
    risky = page.get_by_test_id("member-row")
    assert risky.count() > 0 and _number(page, "stat-at-risk") > 0
    for i in range(risky.count()):
        assert risky.nth(i).get_by_test_id("cell-risk").inner_text() == "위험"

    page.goto(f"{portal_url}/orgs/hd-shipyard/dashboard")
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    text = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert len(exported) == members
    private = [r for r in exported if r["shares"] == "" and r["email"].startswith("worker")]
    assert private and all(r["progress_percent"] == "" for r in private)

    row = page.locator("[data-testid=member-row]", has_text=private[0]["email"])
    row.get_by_role("link").first.click()
    page.wait_for_url("**/orgs/hd-shipyard/members/*")
    assert page.get_by_test_id("preview-note").count() == 0  # the manager, not the member
    assert page.get_by_test_id("progress-hidden").is_visible()
    assert page.get_by_test_id("skills-hidden").is_visible()
    assert private[0]["email"] in page.get_by_test_id("membership").inner_text()
    page.screenshot(path=str(shots / "org-member-private-ko.png"), full_page=True)
    assert errors == []


def test_dashboard_fits_a_phone_screen(browser, portal_url, shots):
    errors: list[str] = []
    page = _manager_page(browser, portal_url, PHONE, errors)
    page.goto(f"{portal_url}/orgs/hd-shipyard/dashboard")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard is {width}px wide"
    page.screenshot(path=str(shots / "org-dashboard-phone-ko.png"), full_page=True)
    assert errors == []
