"""Portal benchmark: fill PostgreSQL at scale, then time the pages people use most.

Fills a schema of its own (default ``bench``, dropped afterwards unless ``--keep``) of the
database in ``LMS_BENCH_DATABASE_URL`` (default: the local ``test`` database) through the
Alembic migrations, with 10,000 learners, 50 organisations, 200 courses and 500,000
enrolment + progress rows (COPY), then measures with the Flask test client, logged in, the
median and p95 response time and the SQL statement count of:

- the learner dashboard (``/dashboard``),
- the catalogue (``/catalogue``),
- an instructor's course page (``/teach/courses/<slug>``),

plus the matching JSON API calls. Target: p95 < 100 ms, and a statement count that does not
depend on the data. Run: ``.venv/bin/python bench/portal_bench.py [--requests 200] [--keep]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.pg_bench_support import (  # noqa: E402
    counted_statements,
    pg_schema,
    reset_sequences,
    summary,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TRACKS = ["ai_foundations", "smart_factory", "smart_mobility", "semiconductors", "smart_healthcare"]
LEVELS = ["beginner", "intermediate", "advanced"]
KINDS = ["company", "school", "university", "agency"]
SEGMENTS = ["school", "university", "graduate", "worker"]
ITEMS_PER_COURSE = 10
TARGET_P95_MS = 100.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("LMS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--schema", default="bench")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--orgs", type=int, default=50)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--rows", type=int, default=500_000, help="enrolment + progress rows")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# ---------------------------------------------------------------------------- filling


COLUMNS = {
    "users": "id email name password_hash role locale timezone is_active failed_logins created_at",
    "segment_changes": "id user_id segment since",
    "organisations": "id slug name_ko name_en kind created_at",
    "memberships": "id user_id org_id role started_on",
    "courses": "id slug title_ko title_en description_ko description_en level track skills "
    "needs_gpu self_enroll capacity is_published created_at",
    "course_instructors": "course_id user_id",
    "cohorts": "id course_id name starts_on ends_on capacity",
    "course_prerequisites": "course_id prerequisite_id",
    "course_items": "id course_id position kind title_ko title_en due_at",
    "programmes": "id slug title_ko title_en description_ko description_en track audience "
    "is_published created_at",
    "programme_courses": "programme_id course_id position",
    "enrollments": "id user_id course_id cohort_id status sponsor_org_id enrolled_by_id created_at",
    "progress": "id enrollment_id item_id completed_at score",
}


class Filler:
    """Generates the data set and streams it into PostgreSQL with COPY."""

    def __init__(self, raw_conn: Any, args: argparse.Namespace, password_hash: str):
        self.conn, self.args, self.hash = raw_conn, args, password_hash
        self.rng = random.Random(args.seed)
        self.now = datetime.now(UTC)

    def copy(self, table: str, rows: Iterator[tuple], total: int) -> None:
        sql = f"COPY {table} ({', '.join(COLUMNS[table].split())}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in tqdm(rows, total=total, desc=f"{table:<20}", unit="row"):
                copy.write_row(row)

    def fill(self) -> dict[str, int]:
        a = self.args
        learners = range(1, a.learners + 1)
        instructors = range(learners.stop, learners.stop + max(1, a.courses // 2))
        managers = range(instructors.stop, instructors.stop + a.orgs)
        admin_id = managers.stop
        roles = {"learner": learners, "instructor": instructors, "org_manager": managers}
        self._users(roles, admin_id)
        self._orgs(learners, managers)
        self._courses(instructors)
        enrollments, progress = self._enrolments(learners)
        return {"users": admin_id, "orgs": a.orgs, "courses": a.courses,
                "enrollments": enrollments, "progress": progress}  # fmt: skip

    def _users(self, roles: dict[str, range], admin_id: int) -> None:
        def role_of(uid: int) -> str:
            return next((name for name, ids in roles.items() if uid in ids), "admin")

        rows = (
            (uid, f"user{uid}@bench.local", f"사용자 {uid}", self.hash, role_of(uid), "ko",
             "Asia/Seoul", True, 0, self.now)
            for uid in range(1, admin_id + 1)
        )  # fmt: skip
        self.copy("users", rows, admin_id)
        learners = roles["learner"]
        segments = ((uid, uid, self.rng.choice(SEGMENTS), self.now) for uid in learners)
        self.copy("segment_changes", segments, len(learners))

    def _orgs(self, learners: range, managers: range) -> None:
        n = self.args.orgs
        orgs = ((i, f"org-{i}", f"기관 {i}", f"Organisation {i}", KINDS[i % 4], self.now)
                for i in range(1, n + 1))  # fmt: skip
        self.copy("organisations", orgs, n)
        start = date.today() - timedelta(days=365)
        head = ((i, uid, i, "manager", start) for i, uid in enumerate(managers, 1))
        members = ((len(managers) + uid, uid, 1 + uid % n, "member", start) for uid in learners)
        self.copy("memberships", itertools.chain(head, members), len(managers) + len(learners))

    def _courses(self, instructors: range) -> None:
        n = self.args.courses
        courses = ((c, f"course-{c}", f"과정 {c}", f"Course {c}", "설명", "Description",
                    LEVELS[c % 3], TRACKS[c % 5], '["python"]', c % 7 == 0, True, None, True,
                    self.now) for c in range(1, n + 1))  # fmt: skip
        self.copy("courses", courses, n)
        teach = ((c, instructors[(c - 1) % len(instructors)]) for c in range(1, n + 1))
        self.copy("course_instructors", teach, n)
        start = date.today() - timedelta(days=30)
        cohorts = ((c, c, "2026-가을", start, start + timedelta(days=90), None)
                   for c in range(1, n + 1))  # fmt: skip
        self.copy("cohorts", cohorts, n)
        self.copy("course_prerequisites", ((c, c - 5) for c in range(6, n + 1, 3)), n // 3)
        self.copy("course_items", self._items(n), n * ITEMS_PER_COURSE)
        count = n // 10
        programmes = ((p, f"programme-{p}", f"프로그램 {p}", f"Programme {p}", "", "",
                       TRACKS[p % 5], '["university", "worker"]', True, self.now)
                      for p in range(1, count + 1))  # fmt: skip
        self.copy("programmes", programmes, count)
        entries = ((p, (p - 1) * 10 + k, k) for p in range(1, count + 1) for k in range(1, 11))
        self.copy("programme_courses", entries, count * 10)

    def _items(self, n_courses: int) -> Iterator[tuple]:
        """Ten items per course; every third an assignment due weekly from a month ago."""
        for c in range(1, n_courses + 1):
            for p in range(1, ITEMS_PER_COURSE + 1):
                kind = "assignment" if p % 3 == 0 else "lesson"
                due = self.now + timedelta(days=p * 7 - 30) if kind == "assignment" else None
                item_id = (c - 1) * ITEMS_PER_COURSE + p
                yield (item_id, c, p, kind, f"{p}주차", f"Week {p}", due)

    def _enrolments(self, learners: range) -> tuple[int, int]:
        """One fifth of the rows are enrolments, the rest progress on their first items."""
        per_learner = max(1, self.args.rows // 5 // len(learners))
        courses = range(1, self.args.courses + 1)
        plan = [(uid, c) for uid in learners for c in self.rng.sample(courses, per_learner)]
        statuses = ["active"] * 7 + ["completed"] * 2 + ["dropped"]
        rows = ((eid, uid, c, c, self.rng.choice(statuses), None, uid, self.now)
                for eid, (uid, c) in enumerate(plan, 1))  # fmt: skip
        self.copy("enrollments", rows, len(plan))
        per_enrol = min(ITEMS_PER_COURSE, max(1, (self.args.rows - len(plan)) // len(plan)))
        progress = ((eid, c) for eid, (_uid, c) in enumerate(plan, 1) for _ in range(per_enrol))
        rows = ((pid, eid, (c - 1) * ITEMS_PER_COURSE + 1 + (pid - 1) % per_enrol, self.now,
                 80.0) for pid, (eid, c) in enumerate(progress, 1))  # fmt: skip
        self.copy("progress", rows, len(plan) * per_enrol)
        return len(plan), len(plan) * per_enrol


def measure(
    app: Any,
    path_for: Callable[[random.Random], tuple[int, str]],
    n: int,
    headers_for: Callable[[int], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Time ``n`` GET requests (after 10 warm-up ones); each picks a user and a path."""
    client = app.test_client()
    rng = random.Random(7)
    timings, cpu_times, statements, statuses = [], [], [], set()
    with counted_statements(app) as counter:
        for i in range(n + 10):
            user_id, path = path_for(rng)
            headers = headers_for(user_id) if headers_for else {}
            if not headers_for:
                with client.session_transaction() as session:
                    session["_user_id"], session["_fresh"] = str(user_id), True
            counter[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu_started) * 1000
            statuses.add(response.status_code)
            if i >= 10:
                timings.append(elapsed)
                cpu_times.append(cpu)
                statements.append(counter[0])
    return summary(timings, cpu_times, statements, statuses)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nLoad average during the run: {load} on {os.cpu_count()} CPUs.")
    print("CPU ms = the portal process's own CPU time per request (median), which other")
    print("processes on a busy machine do not inflate; wall-clock times include waiting.\n")
    target = f"p95 < {TARGET_P95_MS:.0f} ms"
    print(f"| page | median ms | p95 ms | CPU ms | SQL statements | HTTP | {target} |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, r in results.items():
        low, high = r["queries"]
        count = str(low) if low == high else f"{low}-{high}"
        ok = "yes" if r["p95"] < TARGET_P95_MS else "NO"
        status = ",".join(map(str, r["status"]))
        cells = f"{r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {count} | {status}"
        print(f"| {name} | {cells} | {ok} |")


def main() -> int:
    args = parse_args()
    with pg_schema(args.url, args.schema, drop=not args.keep) as url:
        return run(args, url)


def run(args: argparse.Namespace, url: str) -> int:
    import flask_migrate

    from lms import create_app
    from lms.db import db

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "LMS_SKIP_SCHEMA_CHECK": True,
        "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "bench",
    }
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        from lms.accounts.services import hash_password

        password_hash = hash_password("Bench-password-1")
        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            counts = Filler(raw.driver_connection, args, password_hash).fill()
            raw.commit()
        finally:
            raw.close()
        with db.engine.begin() as conn:
            reset_sequences(
                conn,
                [
                    "users",
                    "segment_changes",
                    "organisations",
                    "memberships",
                    "courses",
                    "cohorts",
                    "course_items",
                    "programmes",
                    "enrollments",
                    "progress",
                ],
            )
            conn.execute(text("ANALYZE"))
        print(f"Filled in {time.perf_counter() - started:.0f} s: {counts}")
        db.engine.dispose()
    app = create_app({**config, "LMS_SKIP_SCHEMA_CHECK": False})  # the start-up check passes
    results = measure_pages(app, args, counts)
    print_table(results)
    return 0 if all(r["p95"] < TARGET_P95_MS for r in results.values()) else 1


def measure_pages(app: Any, args: argparse.Namespace, counts: dict[str, int]) -> dict:
    from lms.accounts.models import User
    from lms.accounts.services import create_token
    from lms.db import db

    learners, courses = args.learners, args.courses
    n_instructors = max(1, courses // 2)

    def learner(rng):
        return rng.randint(1, learners)

    def teacher_of(course: int) -> int:
        return learners + 1 + (course - 1) % n_instructors

    with app.app_context():
        tokens = {}
        for uid in (learners + 1, 1):
            user = db.session.get(User, uid)
            tokens[uid] = create_token(user, user, "bench")[1]
        db.session.commit()
    results = {}
    results["learner dashboard /dashboard"] = measure(
        app, lambda r: (learner(r), "/dashboard"), args.requests
    )
    results["catalogue /catalogue"] = measure(
        app, lambda r: (learner(r), "/catalogue"), args.requests
    )

    def course_page(rng):
        course = rng.randint(1, courses)
        return teacher_of(course), f"/teach/courses/course-{course}"

    results["instructor course page /teach/courses/<slug>"] = measure(
        app, course_page, args.requests
    )
    api = {uid: {"Authorization": f"Bearer {t}"} for uid, t in tokens.items()}
    results["API GET /api/v1/courses"] = measure(
        app, lambda r: (1, "/api/v1/courses"), args.requests, lambda uid: api[1]
    )
    results["API GET /api/v1/courses/<slug>/enrollments"] = measure(
        app,
        lambda r: (learners + 1, "/api/v1/courses/course-1/enrollments"),
        args.requests,
        lambda uid: api[learners + 1],
    )
    return results


if __name__ == "__main__":
    sys.exit(main())
