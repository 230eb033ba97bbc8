"""Grading pages in a real browser: headless Debian Chromium through Playwright.

The portal runs in a thread (werkzeug) on a migrated SQLite database with the demo data and
the ai-foundations package published for real; grading uses the registered ``fake`` backend,
whose results the test collects (``collect_once``) while the learner's page is open. The
story: a learner uploads a notebook and sees the result appear without a reload; a script in
the notebook does not run in the portal; the instructor opens the gradebook. Screenshots go
to ``$LMS_SCREENSHOT_DIR`` (default: the test's tmp folder).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
COURSES = Path(__file__).resolve().parents[2] / "courses"
LAB1 = "lab01-python-numpy"
LAB1_SOURCE = COURSES / "ai-foundations" / "source" / LAB1 / "python_numpy.ipynb"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    """``(base URL, app)`` of a portal with demo data and ai-foundations published."""
    import flask_migrate
    from werkzeug.serving import make_server

    from lms import create_app
    from lms.db import db
    from lms.demo import load_demo, load_starter_courses

    folder = tmp_path_factory.mktemp("browser-grading")
    packages = folder / "courses"
    shutil.copytree(COURSES / "ai-foundations", packages / "ai-foundations")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.sqlite3'}",
            "SECRET_KEY": "browser-test-secret",
            "LMS_SKIP_SCHEMA_CHECK": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "LMS_GRADING_BACKEND": "fake",
            "LMS_BLOB_DIR": str(folder / "blobs"),
            "LMS_GRADING_SPOOL_DIR": str(folder / "spool"),
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        load_starter_courses(packages, echo=lambda _line: None)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LMS_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _login(browser, base: str, email: str):
    from lms.demo import DEMO_PASSWORD

    page = browser.new_context(viewport=DESKTOP, locale="ko-KR").new_page()
    page.goto(f"{base}/login")
    page.get_by_label("이메일").fill(email)
    page.get_by_label("비밀번호").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(f"{base}/dashboard")
    return page


def _notebook_with_script(tmp_path: Path) -> Path:
    notebook = json.loads(LAB1_SOURCE.read_text(encoding="utf-8"))
    notebook["cells"].append(
        {
            "cell_type": "markdown",
            "metadata": {},
            "id": "evil",
            "source": "<script>parent.document.title='pwned'; top.location='about:blank'</script>",
        }
    )
    path = tmp_path / "python_numpy.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def _collect(app) -> None:
    from lms.db import db
    from lms.grading.results import collect_once

    with app.app_context():
        collect_once()
        db.session.commit()


def test_learner_sees_the_result_without_reload_and_instructor_opens_the_gradebook(
    browser, portal, shots, tmp_path
):
    base, app = portal
    page = _login(browser, base, "learner@demo.local")
    page.goto(f"{base}/courses/ai-foundations")
    page.get_by_test_id("assignments-link").click()
    page.locator(f'a[href="/courses/ai-foundations/assignments/{LAB1}"]').click()
    page.wait_for_url(f"**/courses/ai-foundations/assignments/{LAB1}")
    page.get_by_test_id("due").wait_for(state="visible")
    page.get_by_label("노트북 파일 (.ipynb)").set_input_files(str(_notebook_with_script(tmp_path)))
    page.get_by_test_id("submit-notebook").click()
    page.wait_for_url("**/submissions/*")
    status = page.get_by_test_id("status")
    assert status.get_attribute("data-status") == "queued"
    page.evaluate("window.__noReload = true")

    _collect(app)  # the grading result arrives while the page is open
    page.wait_for_selector(
        '[data-testid="status"][data-status="needs_review"], '
        '[data-testid="status"][data-status="graded"]',
        timeout=20000,
    )
    assert page.evaluate("window.__noReload === true")  # updated in place, not reloaded
    assert "10" in page.get_by_test_id("score").inner_text()
    assert page.get_by_test_id("tests").is_visible()
    frame = page.get_by_test_id("notebook-frame")
    assert frame.get_attribute("sandbox") == ""
    page.frame_locator('[data-testid="notebook-frame"]').locator("text=to_kelvin").first.wait_for()
    assert "pwned" not in page.title() and page.url.startswith(base)
    page.screenshot(path=str(shots / "submission-desktop-ko.png"), full_page=True)

    teacher = _login(browser, base, "instructor@demo.local")
    teacher.goto(f"{base}/teach/courses/ai-foundations/gradebook")
    row = teacher.locator('tr[data-learner="learner@demo.local"]')
    assert "10.0" in row.locator(f'td[data-assignment="{LAB1}"]').inner_text()
    teacher.screenshot(path=str(shots / "gradebook-desktop-ko.png"), full_page=True)
    teacher.get_by_test_id(f"analytics-{LAB1}").click()
    teacher.wait_for_url("**/analytics")
    teacher.get_by_test_id("histogram").wait_for(state="visible")
    assert teacher.get_by_test_id("failures").is_visible()
    teacher.screenshot(path=str(shots / "analytics-desktop-ko.png"), full_page=True)
