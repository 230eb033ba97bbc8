"""What the Chromium page tests share: the browser, screenshots, and a demo portal served on a
loopback port (SQLite, migrated, demo data). Importing this module skips the calling test
module when Chromium or Playwright is missing."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@contextmanager
def served_demo_portal(
    folder: Path, prepare: Callable[[], Any] | None = None, config: dict[str, Any] | None = None
) -> Iterator[tuple[str, Any]]:
    """(base URL, app) of the portal with the demo data, served by werkzeug in a thread;
    ``prepare()`` runs in the app context after the demo load, before the commit."""
    import flask_migrate
    from werkzeug.serving import make_server

    from lms import create_app
    from lms.db import db
    from lms.demo import load_demo

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.sqlite3'}",
        "SECRET_KEY": "browser-test-secret",
        "LMS_SKIP_SCHEMA_CHECK": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        **(config or {}),
    })  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        if prepare is not None:
            prepare()
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
