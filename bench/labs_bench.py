"""Labs benchmark: "Open lab" to JupyterLab ready (cold and warm), pushing an assignment,
and pulling the notebook back (the lab side of "submit from the lab").

Starts a real portal (werkzeug, SQLite in a temp folder) and the dev JupyterHub
(deploy/dev/jupyterhub_config.py, local processes, CHP from node_modules) on free loopback
ports, then for ``--rounds`` learners: cold = ``start_lab`` (hub user + groups, spawn,
progress until ready) plus the first JupyterLab page answering 200; warm = the same for a
running server; push = ``put_file`` of a notebook and a CSV; pull = ``get_file``. Prints
median and max per step. Run: ``.venv/bin/python bench/labs_bench.py [--rounds 3]``.

"submit from lab" goes through the portal's pages like a learner (ai-foundations published
for real once, a requests session signed in to the portal): "Open lab" on the assignment page
(cold spawn + placed release, timed as "page: open lab, cold"), then the timed
``POST …/lab/submit`` (contents API pull, ``submit``, grading
job queued with the ``fake`` backend) until the submission page answers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
NOTEBOOK = {"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": [],
                       "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal(folder: Path, hub_url: str, token: str, rounds: int):
    import flask_migrate
    from werkzeug.serving import make_server

    from lms import create_app
    from lms.accounts.services import register
    from lms.catalog.models import Course, Enrollment
    from lms.db import db
    from lms.oidc import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'lms.sqlite3'}",
                      "SECRET_KEY": "bench", "LMS_SKIP_SCHEMA_CHECK": True, "LMS_HUB_URL": hub_url,
                      "LMS_HUB_API_TOKEN": token, "LMS_HUB_BACKEND": "rest",
                      "RATELIMIT_STORAGE_URI": "memory://", "LMS_GRADING_BACKEND": "fake",
                      "LMS_BLOB_DIR": str(folder / "blobs"),
                      "LMS_GRADING_SPOOL_DIR": str(folder / "spool")})  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade()
        course = Course(slug="ml101", title_ko="ml101", title_en="ml101", level="beginner",
                        track="ai_foundations", is_published=True)  # fmt: skip
        users = [register(f"b{i}@example.com", f"B{i}", "Bench-pass-2026!", "learner", None, None)
                 for i in range(rounds)]  # fmt: skip
        db.session.add_all(Enrollment(user=u, course=course) for u in users)
        _client, secret = services.create_client(
            "jupyterhub", "JupyterHub", [f"{hub_url}/hub/oauth_callback"]
        )
        db.session.commit()
        ids = [u.id for u in users]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["LMS_BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, server, ids, secret


def start_hub(folder: Path, app, hub_url: str, token: str, secret: str) -> subprocess.Popen:
    env = {**os.environ, "LMS_BASE_URL": app.config["LMS_BASE_URL"], "LMS_HUB_URL": hub_url,
           "LMS_HUB_API_BIND": f"http://127.0.0.1:{free_port()}",
           "LMS_HUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
           "LMS_INSTANCE_PATH": str(folder), "LMS_HUB_STATE_DIR": str(folder / "hub"),
           "LMS_HUB_OAUTH_CLIENT_SECRET": secret, "LMS_HUB_API_TOKEN": token,
           "LMS_HUB_IDLE_CULL_S": "0", "JUPYTERHUB_CRYPT_KEY": os.urandom(32).hex()}  # fmt: skip
    log = (folder / "hub.log").open("wb")
    config = ROOT / "deploy" / "dev" / "jupyterhub_config.py"
    t0 = time.monotonic()
    proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=folder, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    while time.monotonic() - t0 < 60:
        try:
            if requests.get(f"{hub_url}/hub/health", timeout=2).status_code == 200:
                print(f"hub healthy after {time.monotonic() - t0:.2f} s")
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    sys.exit("hub did not become healthy; see " + str(folder / "hub.log"))


def lab_ready(hub_url: str, username: str, token: str) -> None:
    """Wait for the JupyterLab page of ``username`` (a user token authenticates it)."""
    while True:
        page = requests.get(f"{hub_url}/user/{username}/lab", timeout=30,
                            headers={"Authorization": f"token {token}"}, allow_redirects=False)  # fmt: skip
        if page.status_code == 200 and "JupyterLab" in page.text:
            return
        time.sleep(0.1)


def run(rounds: int) -> dict[str, list[float]]:
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.db import db
    from lms.hub import get_hub_client
    from lms.hub.services import start_lab

    folder = Path(tempfile.mkdtemp(prefix="labs-bench-"))
    hub_url, token = f"http://127.0.0.1:{free_port()}", os.urandom(24).hex()
    app, server, ids, secret = portal(folder, hub_url, token, rounds)
    proc = start_hub(folder, app, hub_url, token, secret)
    times: dict[str, list[float]] = {
        "open lab, cold": [],
        "open lab, warm": [],
        "push": [],
        "pull": [],
    }
    try:
        with app.app_context():
            hub = get_hub_client()
            course = db.session.scalar(db.select(Course))
            for user_id in ids:
                user, name = db.session.get(User, user_id), f"u{user_id}"
                for label in ("open lab, cold", "open lab, warm"):
                    t0 = time.monotonic()
                    start_lab(hub, user, course, "cpu-small")
                    db.session.commit()
                    lab_ready(hub_url, name, hub._user_token(name))
                    times[label].append(time.monotonic() - t0)
                t0 = time.monotonic()
                hub.put_file(
                    name, "ml101/lab1.ipynb", json.dumps(NOTEBOOK).encode(), overwrite=True
                )
                hub.put_file(name, "ml101/data.csv", b"x,y\n" * 1000, overwrite=True)
                times["push"].append(time.monotonic() - t0)
                t0 = time.monotonic()
                hub.get_file(name, "ml101/lab1.ipynb")
                times["pull"].append(time.monotonic() - t0)
                hub.stop_server(name)
            times.update(submit_rounds(app, folder, ids))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        server.shutdown()
    return times


PAGE = "/courses/ai-foundations/assignments/lab01-python-numpy"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def submit_rounds(app, folder: Path, ids: list[int]) -> dict[str, list[float]]:
    """Publish ai-foundations, enrol the learners, and time "Submit from lab" per learner."""
    from datetime import date, timedelta

    from lms.accounts.models import User
    from lms.catalog.models import Cohort, Enrollment
    from lms.db import db
    from lms.publishing.services import publish

    shutil.copytree(ROOT / "courses" / "ai-foundations", folder / "ai-foundations")
    version, _created = publish(None, folder / "ai-foundations")
    start = date.today() - timedelta(days=3)
    cohort = Cohort(course=version.course, name="bench", starts_on=start,
                    ends_on=start + timedelta(weeks=8))  # fmt: skip
    users = [db.session.get(User, i) for i in ids]
    db.session.add_all(Enrollment(user=u, course=version.course, cohort=cohort) for u in users)
    db.session.commit()
    base = app.config["LMS_BASE_URL"]
    times: dict[str, list[float]] = {"page: open lab, cold": [], "submit from lab": []}
    for user in users:
        web = requests.Session()
        login = web.get(f"{base}/login", timeout=10)
        data = {
            "email": user.email,
            "password": "Bench-pass-2026!",
            "csrf_token": _csrf(login.text),
        }
        web.post(f"{base}/login", data=data, timeout=10)
        page = web.get(f"{base}{PAGE}", timeout=10)
        t0 = time.monotonic()
        opened = web.post(f"{base}{PAGE}/lab", data={"csrf_token": _csrf(page.text)},
                          headers={"Accept": "application/json"}, timeout=120)  # fmt: skip
        times["page: open lab, cold"].append(time.monotonic() - t0)
        assert "redirect" in opened.json(), opened.text
        page = web.get(f"{base}{PAGE}", timeout=10)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text.split("lab-submit")[1])
        fields = {"csrf_token": _csrf(page.text), "idempotency_key": key.group(1)}
        t0 = time.monotonic()
        done = web.post(f"{base}{PAGE}/lab/submit", data=fields, timeout=60)
        times["submit from lab"].append(time.monotonic() - t0)
        assert "/submissions/" in done.url, done.url
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="learners (one cold + one warm start each)"
    )
    times = run(parser.parse_args().rounds)
    print(f"{'step':<22} {'median s':>9} {'max s':>7}  n")
    for step, values in times.items():
        print(f"{step:<22} {statistics.median(values):>9.2f} {max(values):>7.2f}  {len(values)}")


if __name__ == "__main__":
    main()
