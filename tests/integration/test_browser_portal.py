"""The portal in a real browser: headless Debian Chromium through Playwright.

The app runs with a real HTTP server on a free loopback port, on a SQLite database built by
the migrations and filled with the demo data. The story: log in (Korean by default), switch
to English, filter the catalogue, enrol in a course. Screenshots at phone and desktop width
go to ``$LMS_SCREENSHOT_DIR`` (default: the test's tmp folder) for a human to look at.
"""

# ruff: noqa: F811  (the fixtures imported from browser_support are parameters below)

from __future__ import annotations

from collections.abc import Iterator

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
    with served_demo_portal(tmp_path_factory.mktemp("browser")) as (url, _app):
        yield url


def _page(browser, viewport, console_errors: list[str]):
    context = browser.new_context(viewport=viewport, locale="ko-KR")
    page = context.new_page()
    # A CSP violation (inline script or style) or a missing asset shows up as a console error.
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    return page


def _login(page, base: str) -> None:
    from lms.demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_role("heading", name="로그인").is_visible()
    page.get_by_label("이메일").fill("learner@demo.local")
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{base}/dashboard")


def test_learner_logs_in_switches_language_filters_and_enrols(browser, portal_url, shots):
    errors: list[str] = []
    page = _page(browser, DESKTOP, errors)
    _login(page, portal_url)
    assert page.get_by_role("heading", name="김학습 님, 안녕하세요").is_visible()
    page.screenshot(path=str(shots / "dashboard-desktop-ko.png"), full_page=True)

    page.get_by_test_id("locale-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Hello, 김학습").is_visible()

    page.get_by_role("link", name="Catalogue", exact=True).click()
    page.get_by_label("Track").select_option("smart_healthcare")
    page.get_by_test_id("filter-submit").click()
    page.wait_for_url("**/catalogue?*track=smart_healthcare*")
    titles = page.locator("[data-testid=course-card] h3").all_inner_texts()
    assert sorted(titles) == ["AI for Medical Imaging", "Medical Data Basics"]
    page.screenshot(path=str(shots / "catalogue-desktop-en.png"), full_page=True)

    page.get_by_role("link", name="AI for Medical Imaging").click()
    assert "Complete these courses first" in page.get_by_test_id("missing-prereqs").inner_text()
    page.go_back()
    page.get_by_role("link", name="Medical Data Basics").click()
    page.get_by_test_id("enrol-button").click()
    page.get_by_test_id("enrolled").wait_for(state="visible")
    assert page.get_by_text("You are enrolled. Good luck!").is_visible()

    page.get_by_role("link", name="My learning", exact=True).click()
    slugs = page.locator("[data-testid=my-course]").evaluate_all(
        "cards => cards.map(c => c.dataset.slug)"
    )
    assert "medical-data" in slugs
    assert errors == []


def test_pages_fit_a_phone_screen(browser, portal_url, shots):
    errors: list[str] = []
    page = _page(browser, PHONE, errors)
    _login(page, portal_url)
    page.get_by_test_id("locale-ko").click()  # the learner may have chosen English before
    page.wait_for_load_state()
    for name, path in [
        ("dashboard", "/dashboard"),
        ("catalogue", "/catalogue?track=smart_factory"),
        ("course", "/courses/factory-vision"),
    ]:
        page.goto(portal_url + path)
        # Nothing may stick out sideways: the page is as wide as the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width}px wide"
        page.screenshot(path=str(shots / f"{name}-phone-ko.png"), full_page=True)
    assert errors == []


def test_keyboard_users_can_skip_to_the_content(browser, portal_url):
    page = _page(browser, DESKTOP, [])
    page.goto(f"{portal_url}/catalogue")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
