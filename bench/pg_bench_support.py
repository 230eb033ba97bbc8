"""What the PostgreSQL page benchmarks (portal_bench.py, org_bench.py) share: a scratch schema,
sequence resets after bulk COPY-style inserts, statement counting and the timing summary."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url


@contextmanager
def pg_schema(url: str, schema: str, *, create: bool = True, drop: bool = True) -> Iterator[str]:
    """The URL of ``schema`` in the PostgreSQL database at ``url`` (made afresh when
    ``create``, dropped at the end when ``drop``); exits when ``url`` is not PostgreSQL."""
    base = make_url(url)
    if base.get_backend_name() != "postgresql":
        sys.exit("The benchmark needs PostgreSQL (LMS_BENCH_DATABASE_URL).")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    if create:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        if drop:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            print(f"Dropped schema {schema}.")
        admin.dispose()


def reset_sequences(conn: Any, tables: list[str]) -> None:
    """Move each table's id sequence past the ids inserted explicitly."""
    for table in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )


@contextmanager
def counted_statements(app: Any) -> Iterator[list[int]]:
    """A one-item list holding the number of SQL statements the app's engine has run since
    the caller last set it to 0."""
    from lms.db import db

    counter = [0]

    def count(*_args: Any) -> None:
        counter[0] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def summary(
    timings: list[float], cpu_times: list[float], statements: list[int], statuses: set[int]
) -> dict[str, Any]:
    """Median and p95 wall ms, median CPU ms, the range of statement counts, HTTP statuses."""
    timings = sorted(timings)
    return {
        "median": statistics.median(timings),
        "p95": timings[int(0.95 * (len(timings) - 1))],
        "cpu": statistics.median(cpu_times),
        "queries": (min(statements), max(statements)),
        "status": sorted(statuses),
    }
