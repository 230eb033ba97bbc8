"""End to end: publish a starter course, enrol a learner, submit a correct and a wrong notebook
through the API, and see the right scores arrive from a REAL grading worker.

The worker is ``python -m autograder worker --backend local`` (sandboxed executor) reading the
spool the portal writes — and, with ``LMS_TEST_REDIS_URL``, the same story with
``--backend celery`` and ``LMS_GRADING_BACKEND=celery``; the collector is
``flask --app lms grading collect``, a second subprocess against the same database. Both are real processes, as on the one-machine runner.
Skips, with the reason, when the sandbox is unavailable here. Runs on SQLite, or in a fresh
schema of ``LMS_TEST_DATABASE_URL`` (dropped afterwards).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.accounts.models import Role
from lms.accounts.services import create_token, register
from lms.catalog.models import Cohort, Enrollment
from lms.db import db
from lms.publishing.services import current_assignment, publish
from lms.storage import blob_store

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "courses" / "ai-foundations"
LAB1 = "lab01-python-numpy"
TIMEOUT_S = 240

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _sandbox_problem() -> str | None:
    check = subprocess.run(
        [sys.executable, "-m", "autograder", "sandbox-check"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    return None if check.returncode == 0 else (check.stdout + check.stderr).strip()


@pytest.fixture
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pg_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if not pg_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e-db') / 'lms.sqlite3'}"
        return
    schema = f"lms_e2e_{secrets.token_hex(4)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")
# Only the keys grading uses: other suites may share the Redis test database.
_CELERY_KEYS = ("autograder:*", "celery-task-meta-*", "cpu", "gpu", "unacked*", "_kombu.binding*")


def _empty_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in _CELERY_KEYS:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["local", "celery"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """The dispatch backend under test; Celery needs LMS_TEST_REDIS_URL (its keys are
    deleted from that database before and after)."""
    if request.param == "celery":
        if not REDIS_URL:
            pytest.skip("LMS_TEST_REDIS_URL is not set: no Redis for the Celery backend")
        _empty_redis()
        yield "celery"
        _empty_redis()
        return
    yield "local"


@pytest.fixture
def env(database_url: str, backend: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Environment shared by the portal, the collector and the worker."""
    problem = _sandbox_problem()
    if problem:
        pytest.skip(f"the grading sandbox is unavailable here: {problem}")
    root = tmp_path_factory.mktemp("e2e")
    celery = (
        {"AUTOGRADER_BROKER_URL": REDIS_URL, "AUTOGRADER_RESULT_BACKEND": REDIS_URL,
         "AUTOGRADER_RESULT_STORE_URL": REDIS_URL}
        if backend == "celery" else {}
    )  # fmt: skip
    return celery | {
        "LMS_DATABASE_URL": database_url,
        "LMS_INSTANCE_PATH": str(root / "instance"),
        "LMS_BLOB_DIR": str(root / "blobs"),
        "LMS_GRADING_BACKEND": backend,
        "LMS_GRADING_SPOOL_DIR": str(root / "spool"),
        "AUTOGRADER_SPOOL_DIR": str(root / "spool"),
        "AUTOGRADER_WORK_DIR": str(root / "work"),
        "LMS_SECRET_KEY": "e2e-secret",
    }


@pytest.fixture
def app(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    Path(env["AUTOGRADER_WORK_DIR"]).mkdir(parents=True, exist_ok=True)
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": env["LMS_DATABASE_URL"]})
    with application.app_context():
        flask_migrate.upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(
            args, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture
def processes(
    env: dict[str, str], backend: str, tmp_path: Path
) -> Iterator[dict[str, subprocess.Popen]]:
    """The grading worker and the collector, stopped with SIGTERM afterwards."""
    bin_dir = Path(sys.executable).parent
    running = {
        "worker": _start(
            [sys.executable, "-m", "autograder", "worker", "--backend", backend,
             "--queues", "cpu", "--concurrency", "2"],
            env, tmp_path / "worker.log",
        ),
        "collector": _start(
            [str(bin_dir / "flask"), "--app", "lms", "grading", "collect", "--poll", "0.2"],
            env, tmp_path / "collector.log",
        ),
    }  # fmt: skip
    yield running
    for process in running.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in running.values():
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _learner_token(course) -> str:
    learner = register("e2e@example.com", "E2E 학습자", "Correct-horse-9", Role.LEARNER)
    cohort = Cohort(
        course=course,
        name="2026-가을",
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=60),
    )
    db.session.add(Enrollment(user=learner, course=course, cohort=cohort))
    _token, secret = create_token(learner, learner, "e2e")
    db.session.commit()
    return secret


def _solved_release(release: bytes, source: bytes) -> bytes:
    """What a learner who solved the lab hands in: the release with every answer cell
    replaced by the model solution (test cells untouched, so nothing is flagged)."""
    solutions = {}
    for cell in json.loads(source)["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            lines = "".join(cell["source"]).splitlines(keepends=True)
            solutions[meta["grade_id"]] = "".join(x for x in lines if "### " not in x)
    notebook = json.loads(release)
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = solutions[grade_id]
    return json.dumps(notebook).encode()


def _wait_until_done(client, headers: dict[str, str], ids: list[int]) -> dict[int, dict]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        bodies = {i: client.get(f"/api/v1/submissions/{i}", headers=headers).json for i in ids}
        if all(b["status"] not in ("queued", "running") for b in bodies.values()):
            return bodies
        if time.monotonic() > deadline:
            pytest.fail(f"no results after {TIMEOUT_S} s: {bodies}")
        time.sleep(0.5)


def test_correct_and_wrong_notebooks_get_their_scores_from_a_real_worker(app, processes, tmp_path):
    version, created = publish(None, PACKAGE)
    db.session.commit()
    assert created
    lab1 = current_assignment(version.course, LAB1)
    release = blob_store().tree_path(lab1.release_tree) / "python_numpy.ipynb"
    source = (PACKAGE / "source" / LAB1 / "python_numpy.ipynb").read_bytes()
    blank = release.read_bytes()
    notebooks = {
        "solved": _solved_release(blank, source),
        "source": source,  # the instructor's notebook: its test cells hold the hidden tests
        "blank": blank,
    }
    headers = {"Authorization": f"Bearer {_learner_token(version.course)}"}
    client = app.test_client()
    url = f"/api/v1/courses/ai-foundations/assignments/{LAB1}/submissions"
    ids = {}
    for name, data in notebooks.items():
        body = {"notebook": (io.BytesIO(data), "python_numpy.ipynb")}
        response = client.post(url, data=body, headers=headers)
        assert response.status_code == 202, response.json
        ids[name] = response.json["id"]

    results = _wait_until_done(client, headers, list(ids.values()))
    solved, source, blank = (results[ids[name]] for name in ("solved", "source", "blank"))
    logs = {p: (tmp_path / f"{p}.log").read_text() for p in ("worker", "collector")}
    assert solved["status"] == "graded", (solved, logs)
    assert solved["score"] == 10.0 and solved["possible"] == 12.0  # reflection: manual
    tests = [t for t in solved["tests"] if t["kind"] == "test"]
    assert tests and all(t["passed"] for t in tests)
    assert any(t["hidden"] and set(t) == {"cell_id", "kind", "hidden", "passed"} for t in tests)
    assert blank["status"] == "graded" and blank["score"] == 0.0
    assert not any(t["passed"] for t in blank["tests"] if t["kind"] == "test")
    # Edited test cells are restored from the template, scored, and flagged for a human.
    assert source["status"] == "needs_review" and source["score"] == 10.0

    collector = processes["collector"]
    collector.send_signal(signal.SIGTERM)
    assert collector.wait(timeout=30) == 0
    assert "recorded 3 result(s)" in (tmp_path / "collector.log").read_text()
