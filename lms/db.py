"""The database layer: declarative base with a naming convention, UTC timestamps, the ``db``
extension object, and SQLite foreign-key enforcement."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import NoAppException
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones and hands back naive values; they were written as UTC, so they
    are read as UTC. Naive values are refused on the way in: they are a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use lms.db.utcnow() or an aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every model. ``datetime`` annotations map to ``UTCDateTime``."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def enforce_sqlite_foreign_keys(engine: Engine) -> None:
    """Make every new connection of the portal's ``engine`` enforce foreign keys on SQLite.

    Registered on the portal's own engine only, never process-wide: other SQLite users in the
    same process (nbgrader's gradebook) break under ``foreign_keys=ON``.
    """
    if not event.contains(engine, "connect", _foreign_keys_on):
        event.listen(engine, "connect", _foreign_keys_on)


def _foreign_keys_on(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


UPGRADE_HINT = "run: flask --app lms db upgrade"


class SchemaNotCurrentError(NoAppException):
    """The database is missing or behind the migrations; the app refuses to start.

    A ``NoAppException`` so that the ``flask`` command prints the message, not a traceback.
    """


def head_revisions() -> set[str]:
    return set(ScriptDirectory(MIGRATIONS_DIR).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


class DatabaseUnavailableError(NoAppException):
    """The database cannot be reached at start-up; the message says which one and why."""


def check_schema_current(engine: Engine) -> None:
    """Raise ``SchemaNotCurrentError`` unless the database is at the migrations' head, or
    ``DatabaseUnavailableError`` when it cannot be reached."""
    try:
        current = current_revisions(engine)
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise DatabaseUnavailableError(
            f"Cannot open the database {where} (LMS_DATABASE_URL): {reason}"
        ) from None
    heads = head_revisions()
    if current != heads:
        found = ", ".join(sorted(current)) or "no schema"
        raise SchemaNotCurrentError(
            f"The database schema is not up to date ({found}; expected "
            f"{', '.join(sorted(heads))}). {UPGRADE_HINT}"
        )
