"""Migrations are the only way the schema is made; the app refuses an out-of-date schema."""

import os
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from lms import create_app
from lms.cli import is_db_command
from lms.db import DatabaseUnavailableError, SchemaNotCurrentError, db

REPO = Path(__file__).resolve().parents[2]


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def _sqlite_app(tmp_path, **extra):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", **extra})


def test_app_refuses_to_start_without_a_schema(tmp_path):
    with pytest.raises(SchemaNotCurrentError, match="flask --app lms db upgrade"):
        _sqlite_app(tmp_path)


def test_app_refuses_an_out_of_date_schema_and_starts_after_upgrade(tmp_path):
    maintenance = _sqlite_app(tmp_path, LMS_SKIP_SCHEMA_CHECK=True)
    with maintenance.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
    with pytest.raises(SchemaNotCurrentError, match="db upgrade"):
        _sqlite_app(tmp_path)
    with maintenance.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    assert _sqlite_app(tmp_path).name == "lms"


def test_unknown_revision_in_the_database_is_refused(tmp_path):
    maintenance = _sqlite_app(tmp_path, LMS_SKIP_SCHEMA_CHECK=True)
    with maintenance.app_context():
        flask_migrate.upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'future123'"))
        db.engine.dispose()
    with pytest.raises(SchemaNotCurrentError, match="future123"):
        _sqlite_app(tmp_path)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--app", "lms", "db", "upgrade"], True),
        (["-A", "lms", "db", "current"], True),
        (["db", "upgrade"], True),
        (["--app", "lms", "run"], False),
        (["--app", "lms", "users", "create", "db"], False),
    ],
)
def test_only_db_commands_skip_the_schema_check(argv, expected):
    assert is_db_command(argv) is expected


def test_foreign_keys_are_enforced(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("checks the SQLite PRAGMA; PostgreSQL always enforces foreign keys")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (org_id, name) VALUES (999, 'ghost')"))


def test_other_sqlite_users_in_the_process_keep_their_own_setting(app, tmp_path):
    # nbgrader's gradebook shares the grading/publishing process and breaks under FK=ON.
    from sqlalchemy import create_engine

    other = create_engine(f"sqlite:///{tmp_path / 'gradebook.db'}")
    with other.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 0
    other.dispose()


@pytest.mark.slow
def test_flask_db_upgrade_then_cli_from_a_shell(tmp_path):
    env = {**os.environ, "LMS_INSTANCE_PATH": str(tmp_path), "LMS_LOG_LEVEL": "WARNING"}
    env.pop("LMS_DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "lms"]

    def run(*args, stdin=None):
        return subprocess.run(
            [*flask, *args],
            cwd=REPO,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    refused = run("orgs", "list")
    assert refused.returncode != 0 and "db upgrade" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert run("db", "upgrade").returncode == 0
    created = run("orgs", "create", "acme", "--name", "Acme", "--kind", "company")
    assert created.returncode == 0, created.stderr
    assert "acme" in run("orgs", "list").stdout
    assert (tmp_path / "lms.sqlite3").exists()


def test_unreachable_database_is_a_clear_start_up_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'lms.sqlite3'}"
    with pytest.raises(DatabaseUnavailableError, match="Cannot open the database"):
        create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
