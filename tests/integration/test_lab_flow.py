"""Open lab → edit → submit from the lab, end to end: a real JupyterHub (deploy/dev config)
and a real portal on loopback ports, ai-foundations published for real (nbgrader release),
a learner who signs in through OIDC, opens the lab from the assignment page (the release
notebook and data land in the lab), edits the notebook through the contents API, and submits
it from the portal page; the submission is created (grading: the registered ``fake`` backend).

Bounded like ``test_hub_sso.py`` (hub healthy within 60 s, a lab within 90 s, hub stopped
at the end). Skipped when jupyterhub or configurable-http-proxy is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.integration.hub_stack import (
    CHROMIUM,
    ROOT,
    Stack,
    csrf_token,
    hub_stack,
    oidc_sign_in,
    skip_without_hub,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
skip_without_hub()

PASSWORD = "Lab-flow-2026!"
EMAIL = "flow@example.com"
LAB1 = "lab01-python-numpy"
PAGE = f"/courses/ai-foundations/assignments/{LAB1}"


def _seed(folder: Path):
    def seed(app) -> int:
        from lms.accounts.services import register
        from lms.catalog.models import Cohort, Enrollment
        from lms.db import db
        from lms.publishing.services import publish

        version, _created = publish(None, folder / "courses" / "ai-foundations")
        user = register(EMAIL, "Flow Learner", PASSWORD, "learner", None, None)
        start = date.today() - timedelta(days=3)
        cohort = Cohort(course=version.course, name="flow", starts_on=start,
                        ends_on=start + timedelta(weeks=8))  # fmt: skip
        db.session.add(Enrollment(user=user, course=version.course, cohort=cohort))
        db.session.flush()
        return user.id

    return seed


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("lab-flow")
    shutil.copytree(ROOT / "courses" / "ai-foundations", folder / "courses" / "ai-foundations")
    config = {
        "LMS_GRADING_BACKEND": "fake",
        "LMS_BLOB_DIR": str(folder / "blobs"),
        "LMS_GRADING_SPOOL_DIR": str(folder / "spool"),
    }
    with hub_stack(folder, _seed(folder), config) as running:
        yield running


def _submissions(app) -> list:
    from lms.db import db
    from lms.grading.models import Submission

    with app.app_context():
        return list(db.session.scalars(db.select(Submission)).all())


def test_open_lab_edit_and_submit_from_the_lab(stack: Stack):
    from lms.hub import get_hub_client

    session = oidc_sign_in(stack, EMAIL, PASSWORD)
    page = session.get(f"{stack.portal_url}{PAGE}", timeout=10)
    assert page.status_code == 200 and 'data-testid="open-lab"' in page.text
    opened = session.post(
        f"{stack.portal_url}{PAGE}/lab",
        data={"csrf_token": csrf_token(page.text)},
        headers={"Accept": "application/json"},
        timeout=120,
    )
    assert opened.status_code == 200, opened.text
    target = opened.json()["redirect"]
    username = f"u{stack.user_id}"
    path = f"ai-foundations/{LAB1}/python_numpy.ipynb"
    assert target == f"{stack.hub_url}/user/{username}/lab/tree/{path}"
    lab = session.get(target, timeout=30)
    assert lab.status_code == 200 and "JupyterLab" in lab.text

    with stack.app.app_context():
        hub = get_hub_client()
        notebook = json.loads(hub.get_file(username, path).content)
        note = hub.get_file(username, f"ai-foundations/{LAB1}/SUBMIT.md").content.decode()
        assert f"{stack.portal_url}{PAGE}" in note
        notebook["cells"].append(
            {"cell_type": "markdown", "metadata": {}, "source": "edited in the lab", "id": "e1"}
        )
        hub.put_file(username, path, json.dumps(notebook).encode(), overwrite=True)

    page = session.get(f"{stack.portal_url}{PAGE}", timeout=10)
    key = re.search(
        r'name="idempotency_key" value="([^"]+)"', page.text.split("lab-submit-form")[1]
    )
    fields = {"csrf_token": csrf_token(page.text), "idempotency_key": key.group(1)}
    done = session.post(f"{stack.portal_url}{PAGE}/lab/submit", data=fields, timeout=30)
    assert done.status_code == 200 and "/submissions/" in done.url, done.text[-2000:]
    (submission,) = _submissions(stack.app)
    from lms.storage import blob_store

    with stack.app.app_context():
        assert b"edited in the lab" in blob_store().get(submission.content_sha)

    # Opening again never overwrites the edited notebook: the learner is asked instead.
    again = session.post(
        f"{stack.portal_url}{PAGE}/lab",
        data={"csrf_token": csrf_token(page.text)},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert again.json()["redirect"].endswith(f"{PAGE}/lab")

    # The server stops between open and submit: a clear message, nothing submitted.
    with stack.app.app_context():
        hub = get_hub_client()
        hub.stop_server(username)
        deadline = time.monotonic() + 30
        while hub.server_status(username).state != "stopped" and time.monotonic() < deadline:
            time.sleep(0.5)
    fields["idempotency_key"] = "another-key"
    refused = session.post(f"{stack.portal_url}{PAGE}/lab/submit", data=fields, timeout=30)
    assert refused.url.endswith(PAGE) and 'class="flash flash-error"' in refused.text
    assert len(_submissions(stack.app)) == 1


@pytest.mark.browser
def test_browser_presses_open_lab_and_lands_in_the_notebook(stack: Stack, tmp_path):
    """Headless Chromium signs in to the portal, presses "Open lab" (lab.js posts the form and
    polls the progress) and lands in JupyterLab on the assignment's notebook."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from lms.accounts.services import register
    from lms.catalog.models import Cohort, Enrollment
    from lms.db import db

    with stack.app.app_context():
        user = register("clicker@example.com", "Clicker", PASSWORD, "learner", None, None)
        cohort = db.session.scalar(db.select(Cohort).where(Cohort.name == "flow"))
        db.session.add(Enrollment(user=user, course=cohort.course, cohort=cohort))
        db.session.commit()
    shots = Path(os.environ.get("LMS_SCREENSHOT_DIR") or tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{stack.portal_url}/login", timeout=30_000)
            page.locator("input[name=email]").fill("clicker@example.com")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_load_state()
            page.goto(f"{stack.portal_url}{PAGE}", timeout=30_000)
            page.locator("[data-testid=open-lab]").first.click()
            page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
            assert "/lab/tree/ai-foundations/" in page.url
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            page.screenshot(path=str(shots / "open-lab.png"))
        finally:
            browser.close()
