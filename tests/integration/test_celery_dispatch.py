"""Celery dispatch against the real Redis: graded through a worker, exactly once after kills.

Needs ``LMS_TEST_REDIS_URL`` (e.g. redis://127.0.0.1:6379/15); in that database, and only
there, the keys grading uses (results, attempts, the cpu/gpu queues, Celery's own) are deleted
before and after. Each test starts a real grading worker subprocess
(``python -m autograder worker``: Celery prefork, concurrency 1) running the real grader and
executor. With ``LMS_TEST_AMQP_URL`` too (e.g. amqp://guest:guest@127.0.0.1:5672//) the same
tests run with RabbitMQ as the broker (results still recorded in the Redis test database); its ``cpu`` queue
is purged before and after.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.contract import Job, Limits, Result
from tests.autograder.dispatch_support import CORRECT, generate_lab

REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "")
AMQP_URL = os.environ.get("LMS_TEST_AMQP_URL", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_URL, reason="LMS_TEST_REDIS_URL is not set: no real Redis"),
]

SLOW = "import time\ntime.sleep(4)\n" + CORRECT
VISIBILITY_TIMEOUT_S = 8  # short, so a dead worker's job comes back within the test


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated nbgrader course with one assignment ``lab`` (release + template)."""
    return generate_lab(tmp_path_factory.mktemp("course"))


@pytest.fixture(
    params=[
        "redis",
        pytest.param(
            "amqp",
            marks=pytest.mark.skipif(not AMQP_URL, reason="LMS_TEST_AMQP_URL is not set"),
        ),
    ]
)
def broker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The broker URL under test, with an empty Redis test db and the environment set."""
    url = REDIS_URL if request.param == "redis" else AMQP_URL
    monkeypatch.setenv("AUTOGRADER_BROKER_URL", url)
    monkeypatch.setenv("AUTOGRADER_RESULT_BACKEND", REDIS_URL)
    monkeypatch.setenv("AUTOGRADER_RESULT_STORE_URL", REDIS_URL)
    monkeypatch.setenv("AUTOGRADER_VISIBILITY_TIMEOUT_S", str(VISIBILITY_TIMEOUT_S))
    from autograder.execute import sandbox_status

    if not sandbox_status().available:
        monkeypatch.setenv("AUTOGRADER_EXECUTOR", "unsandboxed")
        monkeypatch.setenv("AUTOGRADER_ALLOW_UNSANDBOXED", "1")
    _empty(url)
    yield url
    _empty(url)


_OUR_KEYS = ("autograder:*", "celery-task-meta-*", "cpu", "gpu", "unacked*", "_kombu.binding*")


def _empty(url: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for pattern in _OUR_KEYS:  # only what grading uses: other suites may share this db
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    if url.startswith("amqp"):
        import kombu
        from amqp.exceptions import NotFound

        with kombu.Connection(url) as conn, contextlib.suppress(NotFound):
            conn.default_channel.queue_purge("cpu")  # absent before the first worker


@pytest.fixture
def redis_db(broker: str) -> object:
    import redis

    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def producer(broker: str) -> Iterator[object]:
    """A Celery app for this broker, as the portal would hold one."""
    from autograder.dispatch.celery_app import create_app

    celery = create_app(broker)
    yield celery
    celery.close()


@pytest.fixture
def start_worker(tmp_path: Path, broker: str) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start Celery grading workers (own process group each); all are killed at the end."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = tmp_path / f"worker-{len(started)}.log"
        cmd = [sys.executable, "-m", "autograder", "worker", "--queues", "cpu",
               "--concurrency", "1", "--loglevel", "INFO"]  # fmt: skip
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        started.append(proc)
        _wait_for(lambda: " ready." in log.read_text() or proc.poll() is not None, 60)
        assert proc.poll() is None, log.read_text()[-3000:]
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture
def make_job(lab: Path, tmp_path: Path) -> Callable[[str, str], Job]:
    def make(job_id: str, answer: str) -> Job:
        release = json.loads((lab / "release" / "lab" / "lab.ipynb").read_text())
        release["cells"][0]["source"] = answer
        submission = tmp_path / f"{job_id}.ipynb"
        submission.write_text(json.dumps(release))
        return Job(job_id=job_id, assignment="lab", notebook_name="lab.ipynb",
                   release_dir=str(lab / "release" / "lab"),
                   template_path=str(lab / "autograder" / "lab" / "template.json"),
                   submission_path=str(submission),
                   limits=Limits(cell_timeout_s=20, notebook_timeout_s=60))  # fmt: skip

    return make


def _wait_for(predicate: Callable[[], object], timeout: float) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def _grading_started(client: object, job_id: str) -> None:
    _wait_for(lambda: client.get(f"autograder:attempts:{job_id}"), 60)  # type: ignore[attr-defined]
    time.sleep(1.0)  # inside the 4 s the notebook sleeps


def _result_keys(client: object) -> list[bytes]:
    return sorted(client.keys("autograder:result:*"))  # type: ignore[attr-defined]


def test_job_is_graded_through_a_real_worker(
    start_worker: Callable, make_job: Callable, redis_db: object, producer: object
) -> None:
    from autograder.dispatch.celery_app import fetch_result, submit

    start_worker()
    submit(make_job("celery-ok", CORRECT), producer)
    result = fetch_result("celery-ok", timeout=90, celery=producer)
    assert isinstance(result, Result)
    assert result.status == "graded", result.flags
    assert result.earned == 1.0 and result.attempt == 1
    assert _result_keys(redis_db) == [b"autograder:result:celery-ok"]


def test_malformed_job_gets_a_not_gradable_result(start_worker: Callable, producer: object) -> None:
    from autograder.dispatch.celery_app import TASK_NAME

    start_worker()
    reply = producer.send_task(TASK_NAME, args=['{"job_id": "bad-1", "oops": 1}'], queue="cpu")
    result = Result.from_json(reply.get(timeout=60))
    assert result.job_id == "bad-1" and result.status == "not_gradable"
    assert "unknown field" in result.reason


def test_killed_pool_child_mid_job_is_redelivered_and_graded_once(
    start_worker: Callable, make_job: Callable, redis_db: object, producer: object
) -> None:
    from autograder.dispatch.celery_app import fetch_result, submit

    worker = start_worker()
    submit(make_job("celery-child", SLOW), producer)
    _grading_started(redis_db, "celery-child")
    children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
    (child,) = children.stdout.split()
    os.kill(int(child), signal.SIGKILL)
    result = fetch_result("celery-child", timeout=120, celery=producer)
    assert isinstance(result, Result) and result.status == "graded" and result.earned == 1.0
    assert result.attempt == 2
    assert _result_keys(redis_db) == [b"autograder:result:celery-child"]


def test_killed_worker_job_is_redelivered_to_a_new_worker_and_graded_once(
    start_worker: Callable, make_job: Callable, redis_db: object, producer: object
) -> None:
    from autograder.dispatch.celery_app import fetch_result, submit

    first = start_worker()
    submit(make_job("celery-whole", SLOW), producer)
    _grading_started(redis_db, "celery-whole")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(10)
    start_worker()
    result = fetch_result("celery-whole", timeout=VISIBILITY_TIMEOUT_S + 120, celery=producer)
    assert isinstance(result, Result) and result.status == "graded" and result.earned == 1.0
    assert result.attempt == 2
    assert _result_keys(redis_db) == [b"autograder:result:celery-whole"]


def test_result_store_keeps_the_first_result_and_counts_attempts(redis_db: object) -> None:
    from autograder.dispatch.common import not_gradable
    from autograder.dispatch.results import ResultStore

    store = ResultStore(REDIS_URL)
    assert store.get("j1") is None
    assert [store.next_attempt("j1"), store.next_attempt("j1")] == [1, 2]
    first = not_gradable("j1", "first", attempt=1)
    assert store.record(first) == first.to_json()
    assert store.record(not_gradable("j1", "second", attempt=2)) == first.to_json()
    assert store.get("j1") == first.to_json()
