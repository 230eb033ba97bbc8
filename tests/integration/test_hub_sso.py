"""A real JupyterHub (deploy/dev config, configurable-http-proxy from node_modules) and a
real portal on loopback ports: OIDC single sign-on with course groups, a lab started through
the hub client, files in and out through the contents API, and single logout.

``LMS_TEST_JUPYTERHUB=/path/to/jupyterhub`` runs the same story against another hub install
(JupyterHub 5.5, the Zero to JupyterHub hub image's version, passes too).

Bounded: the hub must be healthy within 60 s and a lab must start within 90 s; the hub is
stopped (SIGTERM, then SIGKILL) at the end. Skipped when jupyterhub or
configurable-http-proxy is missing.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.integration.hub_stack import (
    CHROMIUM,
    Stack,
    csrf_token,
    hub_stack,
    oidc_sign_in,
    skip_without_hub,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
skip_without_hub()

PASSWORD = "Lab-login-2026!"
EMAIL = "lab@example.com"


def _seed(app) -> int:
    from lms.accounts.services import register
    from lms.catalog.models import Course, Enrollment
    from lms.db import db

    user = register(EMAIL, "Lab Learner", PASSWORD, "learner", None, None)
    for slug, gpu in (("ml101", False), ("dl201", True)):
        course = Course(slug=slug, title_ko=slug, title_en=slug, level="beginner",
                        track="ai_foundations", needs_gpu=gpu, is_published=True)  # fmt: skip
        db.session.add(Enrollment(user=user, course=course))
    db.session.flush()
    return user.id


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with hub_stack(tmp_path_factory.mktemp("hub-sso"), _seed) as running:
        yield running


@pytest.fixture(scope="module")
def browser(stack: Stack) -> requests.Session:
    """A requests session logged into the hub through the portal (scripted OIDC login)."""
    return oidc_sign_in(stack, EMAIL, PASSWORD)


def test_oidc_login_creates_the_hub_user_with_course_groups(
    stack: Stack, browser: requests.Session
):
    me = browser.get(f"{stack.hub_url}/hub/api/user", timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["name"] == stack.username
    user = stack.hub_api("GET", f"/users/{stack.username}").json()
    assert sorted(user["groups"]) == ["course:dl201", "course:ml101", "role:learner"]


def test_portal_prepares_a_user_who_never_logged_into_the_hub(stack: Stack):
    from lms.hub import get_hub_client

    groups = {"course:new301": {"lab_profiles": ["cpu-small", "gpu-mig-1g"]}, "role:learner": {}}
    with stack.app.app_context():
        get_hub_client().ensure_user("u9999", groups)
        get_hub_client().ensure_user("u9999", {"role:learner": {}})  # dropped the course
    user = stack.hub_api("GET", "/users/u9999").json()
    assert user["groups"] == ["role:learner"]
    group = stack.hub_api("GET", "/groups/course:new301").json()
    assert group["properties"] == {"lab_profiles": ["cpu-small", "gpu-mig-1g"]}
    stack.hub_api("DELETE", "/users/u9999")


def test_lab_starts_and_files_go_in_and_out(stack: Stack, browser: requests.Session):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.db import db
    from lms.hub import get_hub_client
    from lms.hub.errors import LabFileExists, LabFileMissing, ProfileNotAllowed, ServerNotRunning
    from lms.hub.services import place_files, start_lab

    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    with stack.app.app_context():
        hub = get_hub_client()
        user = db.session.get(User, stack.user_id)
        course = db.session.scalar(db.select(Course).where(Course.slug == "ml101"))
        events = []
        started = start_lab(hub, user, course, "cpu-small", on_progress=events.append)
        db.session.commit()
        assert events[-1].ready and started.url == f"/user/{stack.username}/"
        assert hub.server_status(stack.username).profile == "cpu-small"
        placed = place_files(hub, user, {"ml101/lab1.ipynb": json.dumps(notebook).encode()})
        assert placed.placed == ["ml101/lab1.ipynb"]
        hub.put_file(stack.username, "ml101/data.csv", b"x,y\n1,2\n")
        with pytest.raises(LabFileExists):
            hub.put_file(stack.username, "ml101/data.csv", b"clobber")
        assert json.loads(hub.get_file(stack.username, "ml101/lab1.ipynb").content) == notebook
        assert hub.get_file(stack.username, "ml101/data.csv").content == b"x,y\n1,2\n"
        with pytest.raises(LabFileMissing):
            hub.get_file(stack.username, "ml101/renamed.ipynb")
        assert [r.username for r in hub.list_running()] == [stack.username]
        with pytest.raises(ProfileNotAllowed):
            list(hub.start_server(stack.username, "gpu-full", server="gpu"))
        hub.stop_server(stack.username, "gpu", remove=True)
        lab = browser.get(f"{stack.hub_url}/user/{stack.username}/lab", timeout=30)
        assert lab.status_code == 200 and "JupyterLab" in lab.text
        hub.stop_server(stack.username)
        deadline = time.monotonic() + 30
        while hub.server_status(stack.username).state != "stopped" and time.monotonic() < deadline:
            time.sleep(0.5)
        with pytest.raises(ServerNotRunning):
            hub.get_file(stack.username, "ml101/lab1.ipynb")


@pytest.mark.browser
def test_browser_signs_in_through_the_portal_and_jupyterlab_loads(stack: Stack, tmp_path: Path):
    """Headless Chromium: open the lab URL, get sent to the portal's login form, sign in,
    and land in a loaded JupyterLab (the server was started by the portal)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from lms.accounts.services import register
    from lms.catalog.models import Course, Enrollment
    from lms.db import db
    from lms.hub import get_hub_client
    from lms.hub.services import start_lab

    with stack.app.app_context():
        user = register("browser@example.com", "Browser Learner", PASSWORD, "learner", None, None)
        course = db.session.scalar(db.select(Course).where(Course.slug == "ml101"))
        db.session.add(Enrollment(user=user, course=course))
        db.session.commit()
        started = start_lab(get_hub_client(), user, course, "cpu-small")
        db.session.commit()
    shots = Path(os.environ.get("LMS_SCREENSHOT_DIR") or tmp_path)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{stack.hub_url}{started.url}lab", timeout=60_000)
            assert page.url.startswith(f"{stack.portal_url}/login")
            page.locator("input[name=email]").fill("browser@example.com")
            page.locator("input[name=password]").fill(PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_selector("#jp-main-dock-panel", timeout=90_000)
            assert page.url.startswith(f"{stack.hub_url}{started.url}lab")
            page.screenshot(path=str(shots / "jupyterlab.png"))
        finally:
            browser.close()


def test_portal_logout_ends_the_lab_session(stack: Stack, browser: requests.Session):
    from lms.db import db
    from lms.oidc.models import OAuthToken

    listing = stack.hub_api("GET", f"/users/{stack.username}/tokens").json()
    assert listing["api_tokens"], "the hub login left no user token"
    page = browser.get(f"{stack.portal_url}/settings", timeout=10)
    browser.post(
        f"{stack.portal_url}/logout", data={"csrf_token": csrf_token(page.text)}, timeout=30
    )
    with stack.app.app_context():
        tokens = db.session.scalars(
            db.select(OAuthToken).where(OAuthToken.user_id == stack.user_id)
        ).all()
        assert tokens and all(t.revoked_at is not None for t in tokens)
    assert stack.hub_api("GET", f"/users/{stack.username}/tokens").json()["api_tokens"] == []
    info = requests.get(f"{stack.portal_url}/oauth/userinfo", timeout=10,
                        headers={"Authorization": "Bearer anything"})  # fmt: skip
    assert info.status_code == 401
