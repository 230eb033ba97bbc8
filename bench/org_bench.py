"""Organisation reporting benchmark: one company at scale on PostgreSQL, then time the
manager's dashboard, the member export and the HR API.

Fills a schema of its own (default ``orgbench``, dropped afterwards unless ``--keep``) of the
database in ``LMS_BENCH_DATABASE_URL`` (default: the local ``test`` database) through the
Alembic migrations, with COPY: an organisation of 5,000 members in 10 departments, 50
courses of 20 items (every fourth due weekly, some past due), 5 programmes, 20,000
enrolments, 200,000 progress rows spread over 12 weeks, consents (70 % share progress, 50 %
scores, 40 % skills), 2,000 GPU lab sessions and (unless ``--no-skills``) graded skill
evidence as ``bench/org_bench_skills.py`` makes it: three assignments per course mapped to
competency units, 1-3 graded attempts per assignment for 60 % of the enrolments (~73,000
submissions, ~360,000 graded cells). Then, logged in as the manager with the
Flask test client, the median and p95 response time and SQL statement count of:

- the dashboard ``/orgs/<slug>/dashboard`` (whole org, and one department + status filter),
- one member's page ``/orgs/<slug>/members/<id>``,
- the export of all members ``/orgs/<slug>/dashboard/export.csv`` and ``.xlsx``,
- the HR API ``/api/v1/orgs/<slug>/members`` and ``/progress`` with an organisation token.

Every request also writes its access log (one entry per consent combination with the ids of
the members seen), as in production. Targets: dashboard p95 < 200 ms, export < 5 s.
Run: ``.venv/bin/python bench/org_bench.py [--requests 50] [--keep]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
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
SLUG = "bench-shipyard"
ITEMS_PER_COURSE = 20
DEPARTMENTS = 10
TARGET_DASHBOARD_P95_MS = 200.0
TARGET_EXPORT_S = 5.0
COLUMNS = {
    "users": "id email name password_hash role locale timezone is_active failed_logins created_at",
    "organisations": "id slug name_ko name_en kind created_at",
    "departments": "id org_id name",
    "memberships": "id user_id org_id department_id role started_on",
    "courses": "id slug title_ko title_en description_ko description_en level track skills "
    "needs_gpu self_enroll capacity is_published created_at",
    "course_items": "id course_id position kind title_ko title_en due_at",
    "programmes": "id slug title_ko title_en description_ko description_en track audience "
    "is_published created_at",
    "programme_courses": "programme_id course_id position",
    "enrollments": "id user_id course_id status sponsor_org_id created_at",
    "progress": "id enrollment_id item_id completed_at score",
    "consents": "id user_id org_id membership_id kind granted updated_at",
    "lab_sessions": "id user_id course_id org_id server profile gpu_share started_at stopped_at",
}
SHARE_RATES = {"progress": 0.7, "scores": 0.5, "skills": 0.4}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("LMS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--schema", default="orgbench")
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--progress", type=int, default=200_000, help="progress rows")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--exports", type=int, default=5, help="timed requests per export")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="time a schema kept by --keep (no refill)"
    )
    parser.add_argument("--only", default="", help="time only pages whose name has this")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--skills",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fill graded skill evidence (bench/org_bench_skills.py): submissions, results, "
        "cells, skill mappings (default: yes)",
    )
    return parser.parse_args()


class Filler:
    """Generates the organisation and streams it into PostgreSQL with COPY."""

    def __init__(self, raw_conn: Any, args: argparse.Namespace, password_hash: str):
        self.conn, self.args, self.hash = raw_conn, args, password_hash
        self.rng = random.Random(args.seed)
        self.now = datetime.now(UTC)

    def copy(self, table: str, rows: Iterator[tuple], total: int) -> None:
        sql = f"COPY {table} ({', '.join(COLUMNS[table].split())}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in tqdm(rows, total=total, desc=f"{table:<18}", unit="row", leave=False):
                copy.write_row(row)

    def fill(self) -> dict[str, int]:
        n = self.args.members
        manager, admin = n + 1, n + 2
        users = ((u, f"user{u}@bench.local", f"구성원 {u}", self.hash,
                  "org_manager" if u == manager else "admin" if u == admin else "learner",
                  "ko", "Asia/Seoul", True, 0, self.now) for u in range(1, admin + 1))  # fmt: skip
        self.copy("users", users, admin)
        self.copy("organisations", iter([(1, SLUG, "벤치조선", "Bench Shipyard", "company",
                                         self.now)]), 1)  # fmt: skip
        depts = ((d, 1, f"부서 {d:02d}") for d in range(1, DEPARTMENTS + 1))
        self.copy("departments", depts, DEPARTMENTS)
        start = date.today() - timedelta(days=365)
        members = ((u, u, 1, 1 + u % DEPARTMENTS, "manager" if u == manager else "member", start)
                   for u in range(1, manager + 1))  # fmt: skip
        self.copy("memberships", members, manager)
        self._courses()
        enrolments = self._enrolments()
        skills = {}
        if self.args.skills:  # graded skill evidence, as production has it
            from bench.org_bench_skills import fill_skills

            plan = [(e, u, c) for e, (u, c) in enumerate(self.plan, 1)]
            rng = random.Random(self.args.seed + 1)  # the other data stays as without
            skills = fill_skills(self.conn, rng, self.now, self.args.courses, plan)
        consents = self._consents()
        self._sessions()
        return {"members": n, "manager": manager, "courses": self.args.courses,
                "enrollments": enrolments, "progress": self.args.progress,
                "consents": consents, "submissions": skills.get("submissions", 0)}  # fmt: skip

    def _courses(self) -> None:
        n = self.args.courses
        courses = ((c, f"course-{c}", f"과정 {c}", f"Course {c}", "설명", "Description",
                    "beginner", "smart_factory", '["python"]', c % 5 == 0, True, None, True,
                    self.now) for c in range(1, n + 1))  # fmt: skip
        self.copy("courses", courses, n)
        items = ((  (c - 1) * ITEMS_PER_COURSE + p, c, p, "lab" if p % 4 else "assignment",
                  f"{p}주차", f"Week {p}",
                  self.now + timedelta(days=7 * p - 56) if p % 4 == 0 else None)
                 for c in range(1, n + 1) for p in range(1, ITEMS_PER_COURSE + 1))  # fmt: skip
        self.copy("course_items", items, n * ITEMS_PER_COURSE)
        count = max(1, n // 10)
        programmes = ((p, f"programme-{p}", f"프로그램 {p}", f"Programme {p}", "", "",
                       "smart_factory", '["worker"]', True, self.now)
                      for p in range(1, count + 1))  # fmt: skip
        self.copy("programmes", programmes, count)
        entries = ((p, (p - 1) * 10 + k, k) for p in range(1, count + 1) for k in range(1, 11)
                   if (p - 1) * 10 + k <= n)  # fmt: skip
        self.copy("programme_courses", entries, count * 10)

    def _enrolments(self) -> int:
        """Four courses per member; ten progress rows per enrolment (of 20 items)."""
        per_member = 4
        plan = [(u, c) for u in range(1, self.args.members + 1)
                for c in self.rng.sample(range(1, self.args.courses + 1), per_member)]  # fmt: skip
        statuses = ["active"] * 7 + ["completed"] * 2 + ["dropped"]
        rows = ((e, u, c, self.rng.choice(statuses), 1, self.now)
                for e, (u, c) in enumerate(plan, 1))  # fmt: skip
        self.copy("enrollments", rows, len(plan))
        self.plan = plan
        per_enrol = max(1, self.args.progress // len(plan))

        def progress() -> Iterator[tuple]:
            pid = 0
            for e, (_u, c) in enumerate(plan, 1):
                for p in self.rng.sample(range(1, ITEMS_PER_COURSE + 1), per_enrol):
                    pid += 1
                    when = self.now - timedelta(minutes=self.rng.randint(0, 12 * 7 * 24 * 60))
                    yield (pid, e, (c - 1) * ITEMS_PER_COURSE + p, when, 80.0)

        self.copy("progress", progress(), len(plan) * per_enrol)
        return len(plan)

    def _consents(self) -> int:
        rows = [(u, kind) for u in range(1, self.args.members + 1)
                for kind, rate in SHARE_RATES.items() if self.rng.random() < rate]  # fmt: skip
        stamped = ((i, u, 1, u, kind, True, self.now) for i, (u, kind) in enumerate(rows, 1))
        self.copy("consents", stamped, len(rows))
        return len(rows)

    def _sessions(self, n: int = 2_000) -> None:
        def rows() -> Iterator[tuple]:
            for i in range(1, n + 1):
                started = self.now - timedelta(hours=self.rng.randint(2, 2_000))
                stopped = started + timedelta(minutes=self.rng.randint(10, 300))
                user = self.rng.randint(1, self.args.members)
                yield (i, user, 1 + i % self.args.courses, 1, "", "gpu-mig-1g", 1 / 7,
                       started, stopped)  # fmt: skip

        self.copy("lab_sessions", rows(), n)


def measure(
    app: Any,
    path: str,
    n: int,
    *,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    warm: int = 3,
) -> dict[str, Any]:
    """Time ``n`` GET requests of ``path`` after ``warm`` untimed ones."""
    client = app.test_client()
    if user_id is not None:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = str(user_id), True
    timings, cpu_times, statements, statuses, sizes = [], [], [], set(), []
    with counted_statements(app) as counter:
        for i in range(n + warm):
            counter[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers or {})
            body = response.get_data()
            elapsed = (time.perf_counter() - started) * 1000
            statuses.add(response.status_code)
            if i >= warm:
                timings.append(elapsed)
                cpu_times.append((time.process_time() - cpu_started) * 1000)
                statements.append(counter[0])
                sizes.append(len(body))
    return {
        **summary(timings, cpu_times, statements, statuses),
        "kb": statistics.median(sizes) / 1024,
    }


def print_table(results: dict[str, dict[str, Any]], targets: dict[str, float]) -> None:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nLoad average during the run: {load} on {os.cpu_count()} CPUs.")
    print("| request | median ms | p95 ms | CPU ms | SQL statements | KiB | HTTP | target |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for name, r in results.items():
        low, high = r["queries"]
        count = str(low) if low == high else f"{low}-{high}"
        target = targets.get(name)
        verdict = "–" if target is None else ("yes" if r["p95"] < target else "NO")
        goal = "" if target is None else f"p95 < {target:.0f} ms: {verdict}"
        status = ",".join(map(str, r["status"]))
        print(
            f"| {name} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {count} | "
            f"{r['kb']:.0f} | {status} | {goal} |"
        )


def main() -> int:
    args = parse_args()
    fresh, drop = not args.reuse, not (args.keep or args.reuse)
    with pg_schema(args.url, args.schema, create=fresh, drop=drop) as url:
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
    if args.reuse:
        counts = {"manager": args.members + 1}
        app = create_app({**config, "LMS_SKIP_SCHEMA_CHECK": False})
        results, targets = measure_pages(app, args, counts)
        print_table(results, targets)
        return 0
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
        from lms.accounts.services import hash_password
        from lms.catalog.deadlines import refresh_next_due, refresh_progress_weeks
        from lms.completion.failing import refresh_labs_failing

        started = time.perf_counter()
        raw = db.engine.raw_connection()
        try:
            counts = Filler(raw.driver_connection, args, hash_password("Bench-password-1")).fill()
            raw.commit()
        finally:
            raw.close()
        with db.engine.begin() as conn:
            reset_sequences(conn, [t for t in COLUMNS if "id" in COLUMNS[t].split()[:1]])
            # COPY bypasses the ORM hook that keeps the facts derived from progress.
            refresh_next_due(conn)
            refresh_progress_weeks(conn)
            refresh_labs_failing(conn)
        # VACUUM as autovacuum would after a bulk load: statistics, and the visibility map
        # that lets the overdue anti-join read the progress index alone.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        print(f"Filled in {time.perf_counter() - started:.0f} s: {counts}")
        db.engine.dispose()
    app = create_app({**config, "LMS_SKIP_SCHEMA_CHECK": False})
    results, targets = measure_pages(app, args, counts)
    print_table(results, targets)
    ok = all(results[name]["p95"] < target for name, target in targets.items())
    return 0 if ok else 1


def measure_pages(app: Any, args: argparse.Namespace, counts: dict[str, int]) -> tuple:
    from lms.accounts.models import User
    from lms.db import db
    from lms.orgs.services import get_org
    from lms.reporting.tokens import create_org_token

    manager = counts["manager"]
    with app.app_context():
        user = db.session.get(User, manager)
        secret = create_org_token(user, get_org(SLUG), "bench")[1]
        db.session.commit()
    api = {"Authorization": f"Bearer {secret}"}
    base = f"/orgs/{SLUG}"
    n, e = args.requests, args.exports
    page: Callable[..., dict] = lambda path, k=n: measure(app, path, k, user_id=manager)  # noqa: E731
    pages: dict[str, Callable[[], dict]] = {
        "dashboard (whole organisation)": lambda: page(f"{base}/dashboard"),
        "dashboard (department + at risk)": lambda: page(
            f"{base}/dashboard?department=3&status=at_risk"
        ),
        "member page": lambda: page(f"{base}/members/42"),
        "export CSV (all members)": lambda: page(f"{base}/dashboard/export.csv", e),
        "export XLSX (all members)": lambda: page(f"{base}/dashboard/export.xlsx", e),
        "API /members (page of 50)": lambda: measure(app, f"/api/v1{base}/members", n, headers=api),
        "API /progress (page of 50)": lambda: measure(
            app, f"/api/v1{base}/progress", n, headers=api
        ),
    }
    results = {name: timed() for name, timed in pages.items() if args.only in name}
    targets = {
        "dashboard (whole organisation)": TARGET_DASHBOARD_P95_MS,
        "dashboard (department + at risk)": TARGET_DASHBOARD_P95_MS,
        "export CSV (all members)": TARGET_EXPORT_S * 1000,
        "export XLSX (all members)": TARGET_EXPORT_S * 1000,
    }
    return results, {k: v for k, v in targets.items() if k in results}


if __name__ == "__main__":
    sys.exit(main())
