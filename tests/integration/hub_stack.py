"""A real portal and a real JupyterHub on loopback ports, for the hub integration tests.

``hub_stack(folder, seed, config)`` migrates a fresh SQLite portal, runs ``seed(app)`` in its
app context (it creates the users and courses a test needs and returns the main user's id),
registers the hub's OIDC client, serves the portal in a thread and starts JupyterHub with the
deploy/dev configuration (configurable-http-proxy from node_modules). Bounded: the hub must be
healthy within 60 s; it is stopped (SIGTERM, then SIGKILL) at the end.

``LMS_TEST_JUPYTERHUB=/path/to/jupyterhub`` runs the stories against another hub install
(JupyterHub 5.5, the Zero to JupyterHub hub image's version, passes too).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
JUPYTERHUB = Path(os.environ.get("LMS_TEST_JUPYTERHUB") or BIN / "jupyterhub")
HUB_CONFIG = ROOT / "deploy" / "dev" / "jupyterhub_config.py"
CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = "/usr/bin/chromium"


def skip_without_hub() -> None:
    """Skip the calling test module when jupyterhub or configurable-http-proxy is missing."""
    if not JUPYTERHUB.exists():
        pytest.skip(f"jupyterhub is not installed ({JUPYTERHUB})", allow_module_level=True)
    if not CHP.exists() and not shutil.which("configurable-http-proxy"):
        pytest.skip("configurable-http-proxy is missing (npm install)", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    app: Any
    portal_url: str
    hub_url: str
    token: str
    user_id: int
    hub_log: Path

    @property
    def username(self) -> str:
        return f"u{self.user_id}"

    def hub_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return requests.request(
            method, f"{self.hub_url}/hub/api{path}", headers=headers, timeout=10, **kwargs
        )


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def oidc_sign_in(stack: Stack, email: str, password: str) -> requests.Session:
    """A requests session signed in to the hub through the portal's login form (scripted
    OIDC login), which also holds the portal session."""
    session = requests.Session()
    page = session.get(f"{stack.hub_url}/hub/login?next=/hub/home", timeout=20)
    assert page.url.startswith(f"{stack.portal_url}/login"), page.url
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    done = session.post(page.url, data=data, timeout=30)
    assert done.status_code == 200, done.text[-2000:]
    assert done.url.startswith(f"{stack.hub_url}/hub/"), done.url
    return session


def _portal(folder: Path, hub_url: str, token: str, seed, config) -> tuple[Any, Any, int, str]:
    import flask_migrate
    from werkzeug.serving import make_server

    from lms import create_app
    from lms.db import db
    from lms.oidc import services

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.sqlite3'}",
        "SECRET_KEY": "hub-stack-test",
        "LMS_SKIP_SCHEMA_CHECK": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LMS_HUB_BACKEND": "rest",
        "LMS_HUB_URL": hub_url,
        "LMS_HUB_API_TOKEN": token,
        "LMS_HUB_SPAWN_TIMEOUT_S": 90,
        **config,
    })  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade()
        user_id = seed(app)
        _client, secret = services.create_client(
            "jupyterhub", "JupyterHub", [f"{hub_url}/hub/oauth_callback"]
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["LMS_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    return app, server, user_id, secret


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyterhub exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"jupyterhub not healthy after {limit_s} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _hub_env(folder: Path, portal_url: str, hub_url: str, token: str, secret: str) -> dict:
    return {
        **os.environ,
        "LMS_BASE_URL": portal_url,
        "LMS_HUB_URL": hub_url,
        "LMS_HUB_API_BIND": f"http://127.0.0.1:{free_port()}",
        "LMS_HUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
        "LMS_INSTANCE_PATH": str(folder / "instance"),
        "LMS_HUB_STATE_DIR": str(folder / "hub"),
        "LMS_HUB_OAUTH_CLIENT_SECRET": secret,
        "LMS_HUB_API_TOKEN": token,
        "LMS_HUB_IDLE_CULL_S": "0",  # a managed culler slows hub shutdown to 20-35 s
        "JUPYTERHUB_CRYPT_KEY": os.urandom(32).hex(),
    }


@contextmanager
def hub_stack(
    folder: Path, seed: Callable[[Any], int], config: dict[str, Any] | None = None
) -> Iterator[Stack]:
    """The running portal + hub (see the module docstring); everything stops on exit."""
    hub_url = f"http://127.0.0.1:{free_port()}"
    token = os.urandom(24).hex()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LMS_INSTANCE_PATH", str(folder / "instance"))
        app, server, user_id, secret = _portal(folder, hub_url, token, seed, config or {})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    portal_url = app.config["LMS_BASE_URL"]
    log = folder / "jupyterhub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(JUPYTERHUB), "-f", str(HUB_CONFIG)],
            cwd=folder,
            env=_hub_env(folder, portal_url, hub_url, token, secret),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(f"{hub_url}/hub/health", proc, log)
        yield Stack(app, portal_url, hub_url, token, user_id, log)
    finally:
        _stop(proc)
        server.shutdown()
        thread.join(timeout=10)
