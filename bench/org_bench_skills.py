"""Skill evidence for the organisation benchmark: the starter framework, three graded
assignments per course mapped to units, and graded attempts for most enrolments, so the
dashboard's "skills gained" chart and the member table's skill counts pay what they pay in
production.

``fill_skills`` is one call for ``bench/org_bench.py``'s ``Filler.fill`` (after the
enrolments): COPY into the tables ``lms.skills.graded`` reads. Per course: a published
version 1 and, for every fifth course, a version 2 (published 30 days ago, the other
``counts`` policy, some attempts regraded against it); three assignments of 12 points (four
autograded test cells of 2.5 and a manually graded reflection of 2); six units mapped to
cells, a whole assignment and, in even courses, the course itself (its completion). For 60 %
of the enrolments 1-3 attempts per assignment, each graded (3 % of the jobs fail, 1 % of the
results are not gradable), 15 % late (late factor 0.5-0.9), the reflection graded by hand on
60 % of the results; learners' skill varies, attempts improve.

Run alone (``python bench/org_bench_skills.py [--url ...]``) it fills a scratch schema with
members, courses and enrolments like org_bench.py and the skill evidence, then times the
skills part of the dashboard for the members sharing skills (40 %, ~2,000 of 5,000):
``lms.skills.evidence.skills_gained`` and ``achieved_units``, checking that they agree.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tqdm import tqdm  # noqa: E402

STARTER_UNITS = Path(__file__).resolve().parent.parent / "lms/skills/data/starter_units.csv"
SKILL_COLUMNS = {
    "competency_units": "id code name_ko name_en description_ko description_en level track "
    "parent_id created_at updated_at",
    "course_versions": "id course_id number content_hash package_meta published_at",
    "assignments": "id course_version_id course_id name position title_ko title_en kind points "
    "resource_class schedule grace_minutes penalty_percent penalty_period floor_percent "
    "max_attempts counts notebooks release_tree template_blob",
    "skill_mappings": "id unit_id course_id assignment_name cell_id weight source created_at",
    "submissions": "id user_id course_id assignment_id course_version_id assignment_name "
    "notebook_name content_sha size_bytes submitted_at attempt due_at late_factor",
    "grading_jobs": "id submission_id assignment_id status backend backend_job_id dispatches "
    "submitted_at queued_at started_at finished_at reason",
    "grading_results": "id job_id submission_id course_version_id status auto_earned earned "
    "possible late_factor score needs_review flags reason feedback_html logs grader_attempt "
    "recorded_at",
    "result_parts": "id result_id position cell_id kind status hidden auto_earned possible "
    "message manual_earned manual_comment manual_at",
}
ASSIGNMENTS = ("lab01", "lab02", "lab03")
TESTS = ("test_1", "test_2", "test_3", "test_4")
TEST_POINTS, REFLECTION_POINTS = 2.5, 2.0
POSSIBLE = len(TESTS) * TEST_POINTS + REFLECTION_POINTS
GRADED_SHARE, LATE_SHARE, MANUAL_SHARE = 0.6, 0.15, 0.6
FAILED_JOB_SHARE, NOT_GRADABLE_SHARE, REGRADE_SHARE = 0.03, 0.01, 0.2
#: Per course, six units: (assignment, cell, weight) of each; "" assignment = the course.
UNIT_PLAN: tuple[tuple[tuple[str, str, float], ...], ...] = (
    (("lab01", "test_1", 1.0), ("lab01", "test_2", 1.0)),
    (("lab01", "test_3", 1.0), ("lab01", "test_4", 1.0), ("lab02", "test_1", 1.0)),
    (("lab02", "reflection", 1.0), ("lab02", "test_2", 2.0)),
    (("lab03", "", 1.0),),
    (("lab03", "test_1", 1.0), ("lab03", "test_2", 1.0), ("lab03", "reflection", 2.0)),
)
COURSE_UNIT = (("", "", 1.0),)  # even courses: met by a completed enrolment
ODD_SIXTH_UNIT = (("lab02", "", 1.0), ("lab03", "test_4", 1.0))


class SkillFiller:
    """Generates the skill evidence and streams it into PostgreSQL with COPY."""

    def __init__(self, conn: Any, rng: random.Random, now: datetime, courses: int):
        self.conn, self.rng, self.now, self.courses = conn, rng, now, courses
        self.ids = dict.fromkeys(SKILL_COLUMNS, 0)
        self.counts: dict[str, int] = {}

    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def copy(self, table: str, rows: Iterator[tuple], total: int | None = None) -> None:
        sql = f"COPY {table} ({', '.join(SKILL_COLUMNS[table].split())}) FROM STDIN"
        n = 0
        with self.conn.cursor() as cur, cur.copy(sql) as copy:
            for row in tqdm(rows, total=total, desc=f"{table:<18}", unit="row", leave=False):
                copy.write_row(row)
                n += 1
        self.counts[table] = self.counts.get(table, 0) + n

    def units(self) -> int:
        with STARTER_UNITS.open(encoding="utf-8") as f:
            found = list(csv.DictReader(f))
        ids = {row["code"]: i for i, row in enumerate(found, 1)}
        rows = ((ids[r["code"]], r["code"], r["name_ko"], r["name_en"], r["description_ko"],
                 r["description_en"], int(r["level"]), r["track"], ids.get(r["parent_code"]),
                 self.now, self.now) for r in found)  # fmt: skip
        self.copy("competency_units", rows, len(found))
        return len(found)

    def versions(self) -> dict[int, list[tuple[int, int, str, datetime]]]:
        """Per course: (version id, number, counts, published at), oldest first; and the
        assignments of each (id ``(version - 1) * 3 + position``)."""
        versions: dict[int, list[tuple[int, int, str, datetime]]] = {}
        for c in range(1, self.courses + 1):
            first = "best" if c % 2 else "last"
            versions[c] = [(self.next_id("course_versions"), 1, first,
                            self.now - timedelta(days=120))]  # fmt: skip
            if c % 5 == 0:
                other = "last" if first == "best" else "best"
                versions[c].append((self.next_id("course_versions"), 2, other,
                                    self.now - timedelta(days=30)))  # fmt: skip
        rows = ((vid, c, number, hashlib.sha256(f"{c}-{number}".encode()).hexdigest(), "{}", at)
                for c, found in versions.items() for vid, number, _counts, at in found)  # fmt: skip
        self.copy("course_versions", rows)
        self.copy("assignments", self._assignments(versions))
        return versions

    def _assignments(self, versions: dict) -> Iterator[tuple]:
        for c, found in versions.items():
            for vid, _number, counts, _at in found:
                for position, name in enumerate(ASSIGNMENTS, 1):
                    schedule = {"opens_after_days": 14 * position - 14,
                                "due_after_days": 14 * position}  # fmt: skip
                    blob = hashlib.sha256(f"{vid}-{name}".encode()).hexdigest()
                    yield ((vid - 1) * 3 + position, vid, c, name, position, f"실습 {position}",
                           f"Lab {position}", "lab", POSSIBLE, "cpu", json.dumps(schedule), 60,
                           10.0, "day", 50.0, 3, counts, json.dumps([f"{name}.ipynb"]), blob,
                           blob)  # fmt: skip

    def mappings(self) -> None:
        def rows() -> Iterator[tuple]:
            for c in range(1, self.courses + 1):
                sixth = COURSE_UNIT if c % 2 == 0 else ODD_SIXTH_UNIT
                units = self.rng.sample(range(1, self.counts["competency_units"] + 1), 6)
                for unit, targets in zip(units, (*UNIT_PLAN, sixth), strict=True):
                    for name, cell, weight in targets:
                        yield (self.next_id("skill_mappings"), unit, c, name, cell, weight,
                               "package", self.now)  # fmt: skip

        self.copy("skill_mappings", rows())

    def graded_work(self, enrolments: Sequence[tuple[int, int, int]], versions: dict) -> None:
        """Attempts of 60 % of ``enrolments``; every table is streamed side by side."""
        tables = ("submissions", "grading_jobs", "grading_results", "result_parts")
        buffers: dict[str, list[tuple]] = {t: [] for t in tables}
        chosen = [e for e in enrolments if self.rng.random() < GRADED_SHARE]
        for _eid, uid, cid in tqdm(chosen, desc="graded attempts   ", unit="enrol", leave=False):
            ability = self.rng.betavariate(2.5, 1.5)
            for position, name in enumerate(ASSIGNMENTS, 1):
                for attempt in range(1, self.rng.randint(1, 3) + 1):
                    self._attempt(buffers, uid, cid, versions[cid], position, name, attempt,
                                  min(1.0, ability + 0.12 * (attempt - 1)))  # fmt: skip
        for table in tables:
            self.copy(table, iter(buffers[table]), len(buffers[table]))

    def _attempt(self, out: dict, uid: int, cid: int, versions: list, position: int,
                 name: str, attempt: int, skill: float) -> None:  # fmt: skip
        rng = self.rng
        first_vid, _n, _counts, published = versions[0]
        due = published + timedelta(days=14 * position)
        late = rng.random() < LATE_SHARE
        at = due + timedelta(hours=rng.randint(1, 72) if late else -rng.randint(1, 240))
        at += timedelta(hours=6 * attempt)
        factor = rng.choice((0.9, 0.8, 0.5)) if late else 1.0
        sid = self.next_id("submissions")
        assignment_id = (first_vid - 1) * 3 + position
        out["submissions"].append((sid, uid, cid, assignment_id, first_vid, name,
                                   f"{name}.ipynb", hashlib.sha1(f"{sid}".encode()).hexdigest(),
                                   20_000 + sid % 5_000, at, attempt, due, factor))  # fmt: skip
        jobs = [(None, first_vid, at)]  # graded against its own assignment
        if len(versions) > 1 and rng.random() < REGRADE_SHARE:
            new_vid = versions[-1][0]
            regraded_at = max(at, versions[-1][3]) + timedelta(days=1)
            jobs.append(((new_vid - 1) * 3 + position, new_vid, regraded_at))
        for against, vid, when in jobs:
            self._job(out, (sid, against, vid), when, factor, skill)

    def _job(self, out: dict, graded: tuple, at: datetime, factor: float, skill: float) -> None:
        """A job for ``graded`` = (submission, assignment graded against or None, its
        version) and, unless it failed, its result and cells."""
        (sid, against, vid), rng, jid = graded, self.rng, self.next_id("grading_jobs")
        failed = rng.random() < FAILED_JOB_SHARE
        done = at + timedelta(minutes=2)
        out["grading_jobs"].append((jid, sid, against, "failed" if failed else "graded", "fake",
                                    f"bench-{jid}", 1, at, at, at, done,
                                    "worker lost" if failed else ""))  # fmt: skip
        if failed:
            return
        rid = self.next_id("grading_results")
        if rng.random() < NOT_GRADABLE_SHARE:
            out["grading_results"].append((rid, jid, sid, vid, "not_gradable", None, None, POSSIBLE,
                                           factor, None, False, "[]", "kernel died", "", "", 1,
                                           done))  # fmt: skip
            return
        auto = manual = 0.0
        for position, cell in enumerate(TESTS, 1):
            roll = rng.random()
            earned = TEST_POINTS if roll < skill else TEST_POINTS / 2 if roll < skill + 0.1 else 0
            auto += earned
            out["result_parts"].append((self.next_id("result_parts"), rid, position, cell,
                                        "test", "passed" if earned == TEST_POINTS else "failed",
                                        False, earned, TEST_POINTS, "", None, "", None))  # fmt: skip
        by_hand = rng.random() < MANUAL_SHARE
        if by_hand:
            manual = float(min(2, round(2 * skill * rng.uniform(0.6, 1.3))))
        out["result_parts"].append((self.next_id("result_parts"), rid, len(TESTS) + 1,
                                    "reflection", "manual", "manual", False, 0.0,
                                    REFLECTION_POINTS, "", manual if by_hand else None,
                                    "", done + timedelta(days=2) if by_hand else None))  # fmt: skip
        earned = auto + manual
        out["grading_results"].append((rid, jid, sid, vid, "graded" if by_hand else "needs_review",
                                       auto, earned, POSSIBLE, factor, earned * factor,
                                       not by_hand, "[]", "", "", "", 1, done))  # fmt: skip

    def achievements(self, user_ids: list[int]) -> None:
        """Fill ``skill_achievements`` (COPY bypassed the ORM that keeps it) with the
        statements ``lms.skills.stored.refresh_achievements`` runs, written out as SQL."""
        from sqlalchemy.dialects import postgresql

        from lms.skills.graded import chunks
        from lms.skills.stored import refresh_statements

        started = time.perf_counter()
        with self.conn.cursor() as cur:
            for chunk in chunks(user_ids):
                for stmt in refresh_statements(chunk, "postgresql"):
                    compiled = stmt.compile(
                        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                    )
                    cur.execute(str(compiled))
            cur.execute("SELECT count(*) FROM skill_achievements")
            self.counts["skill_achievements"] = cur.fetchone()[0]
        took = time.perf_counter() - started
        print(f"skill_achievements filled for {len(user_ids)} learners in {took:.1f} s")

    def reset_sequences(self) -> None:
        with self.conn.cursor() as cur:
            for table in SKILL_COLUMNS:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )


def fill_skills(
    conn: Any,
    rng: random.Random,
    now: datetime,
    courses: int,
    enrolments: Sequence[tuple[int, int, int]],
) -> dict[str, int]:
    """Fill the skill evidence of courses ``1..courses`` and ``enrolments`` (enrolment id,
    user id, course id) into the empty skill and grading tables through ``conn`` (a psycopg 3
    connection; the caller commits) and move those tables' id sequences past the rows.
    Returns the row count per table."""
    filler = SkillFiller(conn, rng, now, courses)
    filler.units()
    versions = filler.versions()
    filler.mappings()
    filler.graded_work(enrolments, versions)
    filler.reset_sequences()
    filler.achievements(sorted({uid for _e, uid, _c in enrolments}))
    return filler.counts


# --- standalone run: a small organisation-shaped schema, then the skills part timed ----------

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("LMS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--schema", default="skillbench")
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--sharing", type=float, default=0.4, help="share of members timed")
    parser.add_argument("--repeat", type=int, default=20, help="timed calls per fast function")
    parser.add_argument("--slow-repeat", type=int, default=3, help="timed skills_gained calls")
    parser.add_argument("--keep", action="store_true", help="keep the schema afterwards")
    parser.add_argument("--reuse", action="store_true", help="time a kept schema (no refill)")
    parser.add_argument("--profile", action="store_true", help="cProfile one call of each")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


def fill_organisation(conn: Any, args: argparse.Namespace, rng: random.Random) -> dict:
    """Members, courses and four enrolments per member as org_bench.py makes them."""
    from bench.org_bench import COLUMNS

    now = datetime.now(UTC)

    def copy(table: str, rows: Iterator[tuple]) -> None:
        sql = f"COPY {table} ({', '.join(COLUMNS[table].split())}) FROM STDIN"
        with conn.cursor() as cur, cur.copy(sql) as out:
            for row in rows:
                out.write_row(row)

    n = args.members
    copy("users", ((u, f"user{u}@bench.local", f"구성원 {u}", "x", "learner", "ko",
                    "Asia/Seoul", True, 0, now) for u in range(1, n + 1)))  # fmt: skip
    copy("courses", ((c, f"course-{c}", f"과정 {c}", f"Course {c}", "", "", "beginner",
                      "smart_factory", "[]", False, True, None, True, now)
                     for c in range(1, args.courses + 1)))  # fmt: skip
    plan = [(u, c) for u in range(1, n + 1) for c in rng.sample(range(1, args.courses + 1), 4)]
    statuses = ["active"] * 7 + ["completed"] * 2 + ["dropped"]
    copy("enrollments", ((e, u, c, rng.choice(statuses), None, now - timedelta(days=60))
                         for e, (u, c) in enumerate(plan, 1)))  # fmt: skip
    enrolments = [(e, u, c) for e, (u, c) in enumerate(plan, 1)]
    counts = fill_skills(conn, rng, now, args.courses, enrolments)
    with conn.cursor() as cur:
        for table in ("users", "courses", "enrollments"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
    return {"enrollments": len(plan), **counts}


def main() -> int:
    from bench.pg_bench_support import pg_schema

    args = parse_args()
    fresh, drop = not args.reuse, not (args.keep or args.reuse)
    with pg_schema(args.url, args.schema, create=fresh, drop=drop) as url:
        return run(args, url)


def run(args: argparse.Namespace, url: str) -> int:
    import flask_migrate
    from sqlalchemy import text

    from lms import create_app
    from lms.db import db

    config = {"SQLALCHEMY_DATABASE_URI": url, "LMS_SKIP_SCHEMA_CHECK": True, "SECRET_KEY": "b"}
    app = create_app(config)
    rng = random.Random(args.seed)
    with app.app_context():
        if not args.reuse:
            flask_migrate.upgrade()
            started = time.perf_counter()
            raw = db.engine.raw_connection()
            try:
                counts = fill_organisation(raw.driver_connection, args, rng)
                raw.commit()
            finally:
                raw.close()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            print(f"Filled in {time.perf_counter() - started:.0f} s: {counts}")
        pick = random.Random(args.seed + 1)  # the same members whether filled now or reused
        sharing = sorted(pick.sample(range(1, args.members + 1), int(args.members * args.sharing)))
        return time_skills(app, args, sharing)


def time_write(app: Any, repeat: int = 20) -> None:
    """What keeping ``skill_achievements`` adds to one write: a manual point on a result
    part, flushed with and without the refresh listener (rolled back each time)."""
    from sqlalchemy import event, select
    from sqlalchemy.orm import Session

    from lms.db import db
    from lms.grading.models import ResultPart
    from lms.skills import stored

    with app.app_context():
        ids = list(db.session.scalars(select(ResultPart.id).order_by(ResultPart.id).limit(5000)))
    part_ids = random.Random(7).sample(ids, repeat)
    figures = {}
    for label, listening in (("with the refresh", True), ("without", False)):
        if not listening:
            event.remove(Session, "after_flush_postexec", stored._refresh)
        timings = []
        with app.app_context():
            for part_id in part_ids:
                part = db.session.get(ResultPart, part_id)
                part.manual_earned = 0.0 if part.manual_earned else part.possible
                started = time.perf_counter()
                db.session.flush()
                timings.append((time.perf_counter() - started) * 1000)
                db.session.rollback()
        if not listening:
            event.listen(Session, "after_flush_postexec", stored._refresh)
        timings.sort()
        figures[label] = timings[len(timings) // 2]
    print(
        f"One manual point flushed (median of {repeat}): {figures['with the refresh']:.1f} ms "
        f"with the skill_achievements refresh, {figures['without']:.1f} ms without"
    )


def time_skills(app: Any, args: argparse.Namespace, user_ids: list[int]) -> int:
    """Time the skills calls for ``user_ids``; check that they agree. 0 when they do."""
    from lms.skills import evidence, stored

    calls = {
        "skills_gained (SkillStatus with evidence)": (
            lambda: evidence.skills_gained(user_ids),
            args.slow_repeat,
        ),
        "achieved_units (unit ids, times)": (
            lambda: evidence.achieved_units(user_ids),
            args.repeat,
        ),
        "achievement_counts (the dashboard's need)": (
            lambda: evidence.achievement_counts(user_ids),
            args.repeat,
        ),
        "stored_achievement_counts (skill_achievements)": (
            lambda: stored.stored_achievement_counts(user_ids),
            args.repeat,
        ),
    }
    results, answers = {}, {}
    for name, (call, repeat) in calls.items():
        results[name], answers[name] = timed(app, call, repeat)
        if args.profile:
            with app.app_context():
                profile(call, name)
    gained, achieved, counts, kept = answers.values()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{len(user_ids)} members; load average {load} on {os.cpu_count()} CPUs.")
    pairs = {u: [(s.unit_id, s.achieved_at) for s in v] for u, v in gained.items()}
    print(f"Achieved (member, unit) pairs: {sum(map(len, pairs.values()))}; members with one "
          f"or more: {sum(1 for v in pairs.values() if v)}")  # fmt: skip
    print("| call | median ms | p95 ms | CPU ms (Python) | SQL statements | runs |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        low, high = r["queries"]
        count = str(low) if low == high else f"{low}-{high}"
        print(f"| {name} | {r['median']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {count} | "
              f"{r['runs']} |")  # fmt: skip
    same = achieved == {u: sorted(v) for u, v in pairs.items()} and counts.per_user == {
        u: len(v) for u, v in pairs.items()
    }
    print(f"achieved_units and achievement_counts agree with skills_gained: {same}")
    stored_same = (kept.per_user, kept.per_unit) == (counts.per_user, counts.per_unit)
    print(f"stored_achievement_counts agrees with achievement_counts: {stored_same}")
    time_write(app)
    return 0 if same and stored_same else 1


def timed(app: Any, call: Any, repeat: int, warm: int = 1) -> tuple[dict, Any]:
    """Median/p95 wall and CPU ms and statements of ``repeat`` calls after ``warm``."""
    from bench.pg_bench_support import counted_statements, summary
    from lms.db import db

    timings, cpu_times, statements = [], [], []
    with counted_statements(app) as counter, app.app_context():
        for i in range(repeat + warm):
            db.session.expire_all()
            counter[0] = 0
            started, cpu = time.perf_counter(), time.process_time()
            answer = call()
            if i >= warm:
                timings.append((time.perf_counter() - started) * 1000)
                cpu_times.append((time.process_time() - cpu) * 1000)
                statements.append(counter[0])
            db.session.rollback()
    return {**summary(timings, cpu_times, statements, {200}), "runs": repeat}, answer


def profile(call: Any, name: str) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(call)
    print(f"\n--- cProfile of {name} ---")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    sys.exit(main())
