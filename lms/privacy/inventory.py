"""Where the platform keeps data about a person, found by looking at the schema.

A table holds data *about* a person when one of its ``SUBJECT_COLUMNS`` references
``users.id`` (``user_id``: enrolments, submissions, consents, lab sessions, …), when it keeps
their e-mail address (invitations), or when it hangs off such a table (progress under
enrolments, grading results and their cells under submissions). Columns that only name an
*actor* (``granted_by_id``, ``viewer_id``, …) are not followed: those rows are about other
people. Because this is read from ``db.metadata``, a new domain's tables are found without
an edit here; the erasure policy (``lms.privacy.erasure``) has a test that names any table
it does not know yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Table, and_, or_, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.db import db
from lms.privacy.plain import is_secret_column, plain

SUBJECT_COLUMNS = frozenset({"user_id", "recipient_id", "subject_id"})
MAX_CHILD_DEPTH = 3


def _references_users(column: Column) -> bool:
    return any(fk.column.table.name == "users" for fk in column.foreign_keys)


def subject_tables() -> list[tuple[Table, Column]]:
    """Every (table, column) where the column names the person the row is about."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if column.name in SUBJECT_COLUMNS and _references_users(column):
                found.append((table, column))
    return found


#: Columns that hold a person's e-mail address outside ``users``.
EMAIL_COLUMNS = ("email", "recipient")


def email_tables() -> list[tuple[Table, Column]]:
    """Tables other than ``users`` that keep an e-mail address (invitations, the e-mail
    outbox)."""
    found = []
    for t in db.metadata.sorted_tables:
        if t.name == "users" or "id" not in t.c:
            continue
        found.extend((t, t.c[name]) for name in EMAIL_COLUMNS if name in t.c)
    return found


def _children(parent: Table) -> Iterator[tuple[Table, Column]]:
    subject = {t.name for t, _c in subject_tables()}
    for table in db.metadata.sorted_tables:
        if table.name in subject or table.name == "users":
            continue
        for column in table.columns:
            if any(
                fk.column.table is parent and fk.column.name == "id" for fk in column.foreign_keys
            ):
                yield table, column


def _rows(table: Table, condition: Any) -> list[dict[str, Any]]:
    order = [table.c.id] if "id" in table.c else list(table.primary_key.columns)
    result = db.session.execute(select(table).where(condition).order_by(*order))
    return [
        {k: plain(v) for k, v in row._mapping.items() if not is_secret_column(k)} for row in result
    ]


def personal_data(user: User) -> dict[str, list[dict[str, Any]]]:
    """``{table name: rows}`` of everything kept about ``user`` (secret digests left out):
    their account, every subject table and its child rows, rows keeping their e-mail, the
    access log entries about them, and audit events by or about them."""
    data: dict[str, list[dict[str, Any]]] = {"users": _rows(User.__table__, User.id == user.id)}
    for table, column in subject_tables():
        rows = _rows(table, column == user.id)
        data.setdefault(table.name, []).extend(rows)
        _add_children(data, table, rows, depth=1)
    for table, column in email_tables():
        rows = _rows(table, column == user.email)
        if rows:
            data.setdefault(table.name, []).extend(r for r in rows if r not in data[table.name])
    data["org_data_accesses"] = _accesses_about(user)
    data["audit_events"] = _rows(AuditEvent.__table__, about_user(user))
    return {name: rows for name, rows in data.items() if rows}


def _add_children(data: dict, parent: Table, rows: list[dict], depth: int) -> None:
    ids = [r["id"] for r in rows if "id" in r]
    if not ids or depth > MAX_CHILD_DEPTH:
        return
    for child, column in _children(parent):
        found = _rows(child, column.in_(ids))
        known = data.setdefault(child.name, [])
        new = [r for r in found if r not in known]
        known.extend(new)
        _add_children(data, child, new, depth + 1)


def _accesses_about(user: User) -> list[dict[str, Any]]:
    """The access log entries that showed ``user``'s data (which organisation, when, what),
    without the other members seen in the same view."""
    from lms.consent.models import OrgDataAccess, about_subject

    table = OrgDataAccess.__table__
    condition = about_subject(user.id, db.session.get_bind().dialect.name)
    rows = _rows(table, condition)
    return [{k: v for k, v in row.items() if k != "subject_ids"} for row in rows]


def about_user(user: User) -> Any:
    """Audit events by ``user`` or about their account."""
    table = AuditEvent.__table__
    return or_(
        table.c.actor_id == user.id,
        and_(table.c.object_type == "users", table.c.object_id == str(user.id)),
    )
