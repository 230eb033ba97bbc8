"""Submission benchmark: N notebook submissions arriving within a window, through the API,
graded by the real local grading worker and recorded by the collector.

Sets up, in temporary folders and a schema of its own (``LMS_BENCH_DATABASE_URL``, default the
local ``test`` PostgreSQL database; ``--sqlite`` for a SQLite file): the migrations, the
ai-foundations course published (real nbgrader release), N learners enrolled with API tokens.
Then it starts ``python -m autograder worker --backend local`` (sandboxed) and
``flask --app lms grading collect`` as subprocesses, and POSTs one lab01 notebook per learner
through the Flask test client at a steady rate so that all arrive within ``--window`` seconds
(half solved, half blank). It waits until every job is finished and prints:

- time from the first submission until all are graded,
- p50 / p95 / max submit-to-result latency (server timestamps: submission → result recorded),
- API submit request latency p50 / p95,
- errors: non-202 answers, jobs not graded, wrong scores (solved must be 10, blank 0).

Run: ``.venv/bin/python bench/submission_bench.py [--submissions 500] [--window 60]
[--concurrency N] [--sqlite]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PACKAGE = REPO / "courses" / "ai-foundations"
LAB1 = "lab01-python-numpy"
SCORE = {"solved": 10.0, "blank": 0.0}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=500)
    parser.add_argument("--window", type=float, default=60.0, help="seconds they arrive in")
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--url", default=os.environ.get("LMS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument("--timeout", type=float, default=1800.0)
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def solved_release(release: bytes, source: bytes) -> bytes:
    """The release with each answer cell replaced by the model solution."""
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


def database(args: argparse.Namespace, root: Path) -> tuple[str, callable]:
    if args.sqlite:
        return f"sqlite:///{root / 'bench.sqlite3'}", lambda: None
    schema = f"grading_bench_{secrets.token_hex(3)}"
    admin = create_engine(args.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    url = make_url(args.url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), drop


def setup(app, n: int) -> tuple[list[str], dict[str, bytes]]:
    """Publish the course, enrol n learners; returns their tokens and the two notebooks."""
    import flask_migrate

    from lms.accounts.models import Role
    from lms.accounts.services import create_token, register
    from lms.catalog.models import Cohort, Enrollment
    from lms.db import db
    from lms.publishing.services import current_assignment, publish
    from lms.storage import blob_store

    flask_migrate.upgrade()
    t0 = time.perf_counter()
    version, _ = publish(None, PACKAGE)
    db.session.commit()
    print(f"published ai-foundations in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    course = version.course
    cohort = Cohort(
        course=course,
        name="bench",
        starts_on=date.today() - timedelta(days=1),
        ends_on=date.today() + timedelta(days=60),
    )
    db.session.add(cohort)
    tokens = []
    for i in range(n):
        user = register(f"bench{i}@example.com", f"학습자 {i}", "Bench-pass-2026", Role.LEARNER)
        db.session.add(Enrollment(user=user, course=course, cohort=cohort))
        tokens.append(create_token(user, user, "bench")[1])
    db.session.commit()
    lab1 = current_assignment(course, LAB1)
    blank = (blob_store().tree_path(lab1.release_tree) / "python_numpy.ipynb").read_bytes()
    source = (PACKAGE / "source" / LAB1 / "python_numpy.ipynb").read_bytes()
    return tokens, {"solved": solved_release(blank, source), "blank": blank}


def submit_all(app, tokens: list[str], notebooks: dict[str, bytes], window: float) -> dict:
    """POST one notebook per token at a steady rate, from a pool of client threads (arrivals
    do not wait for earlier answers)."""
    url = f"/api/v1/courses/ai-foundations/assignments/{LAB1}/submissions"
    gap = window / len(tokens)
    start = time.perf_counter()
    kinds, request_ms, errors = {}, [], []

    def one(i: int, token: str) -> None:
        time.sleep(max(0.0, start + i * gap - time.perf_counter()))
        kind = "solved" if i % 2 == 0 else "blank"
        body = {"notebook": (io.BytesIO(notebooks[kind]), "python_numpy.ipynb")}
        t0 = time.perf_counter()
        response = app.test_client().post(
            url, data=body, headers={"Authorization": f"Bearer {token}"}
        )
        request_ms.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 202:
            errors.append(f"submit {i}: HTTP {response.status_code} {response.get_data(True)}")
        else:
            kinds[response.json["id"]] = kind

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(len(tokens)), tokens))
    print(f"{len(tokens)} submitted in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return {"kinds": kinds, "request_ms": request_ms, "errors": errors}


def wait_for_results(app, kinds: dict[int, str], timeout: float) -> list:
    from lms.db import db
    from lms.grading.models import GradingJob, JobStatus

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        open_jobs = db.session.scalar(
            select(text("count(*)"))
            .select_from(GradingJob)
            .where(GradingJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        )
        print(f"\r{open_jobs} jobs open   ", end="", file=sys.stderr)
        if open_jobs == 0:
            break
        time.sleep(2)
    print(file=sys.stderr)
    return list(db.session.scalars(select(GradingJob)))


def report(jobs: list, sent: dict, args: argparse.Namespace) -> None:
    errors = list(sent["errors"])
    latencies, first, last = [], None, None
    for job in jobs:
        sub = job.submission
        kind = sent["kinds"].get(sub.id)
        result = job.result
        if job.status.value != "graded" or result is None:
            errors.append(f"submission {sub.id}: {job.status.value} {job.reason}")
            continue
        if result.score != SCORE[kind]:
            errors.append(f"submission {sub.id} ({kind}): score {result.score}")
        latencies.append((job.finished_at - sub.submitted_at).total_seconds())
        first = min(first or sub.submitted_at, sub.submitted_at)
        last = max(last or job.finished_at, job.finished_at)
    print(f"\nsubmissions: {args.submissions} in {args.window:.0f} s; "
          f"worker concurrency {args.concurrency}; cores {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if latencies:
        print(f"all graded after:        {(last - first).total_seconds():.1f} s")
        print(f"submit-to-result p50:    {statistics.median(latencies):.1f} s")
        print(f"submit-to-result p95:    {percentile(latencies, 0.95):.1f} s")
        print(f"submit-to-result max:    {max(latencies):.1f} s")
        print(f"throughput:              {len(latencies) / (last - first).total_seconds():.1f} /s")
    ms = sent["request_ms"]
    print(f"API submit request:      p50 {statistics.median(ms):.0f} ms, "
          f"p95 {percentile(ms, 0.95):.0f} ms")  # fmt: skip
    print(f"errors:                  {len(errors)}")
    for line in errors[:20]:
        print(f"  {line}")


def start(args_list: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(args_list, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


def main() -> int:
    args = parse_args()
    root = Path(tempfile.mkdtemp(prefix="submission-bench-"))
    url, drop = database(args, root)
    env = {
        **os.environ,
        "LMS_DATABASE_URL": url,
        "LMS_INSTANCE_PATH": str(root / "instance"),
        "LMS_BLOB_DIR": str(root / "blobs"),
        "LMS_GRADING_BACKEND": "local",
        "LMS_GRADING_SPOOL_DIR": str(root / "spool"),
        "AUTOGRADER_SPOOL_DIR": str(root / "spool"),
        "LMS_SECRET_KEY": "bench",
    }
    os.environ.update(env)
    from lms import create_app

    fast = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
    app = create_app({"TESTING": True, "LMS_PASSWORD_HASHER_PARAMS": fast})
    procs: list[subprocess.Popen] = []
    try:
        with app.app_context():
            tokens, notebooks = setup(app, args.submissions)
            worker = [sys.executable, "-m", "autograder", "worker", "--backend", "local",
                      "--queues", "cpu", "--concurrency", str(args.concurrency)]  # fmt: skip
            flask = [str(Path(sys.executable).parent / "flask"), "--app", "lms"]
            procs.append(start(worker, env, root / "worker.log"))
            procs.append(start([*flask, "grading", "collect", "--poll", "0.2"], env,
                               root / "collector.log"))  # fmt: skip
            time.sleep(3)  # the worker warms its executors up
            sent = submit_all(app, tokens, notebooks, args.window)
            jobs = wait_for_results(app, sent["kinds"], args.timeout)
            report(jobs, sent, args)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        with app.app_context():
            from lms.db import db

            db.engine.dispose()
        drop()
        print(f"logs in {root}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
