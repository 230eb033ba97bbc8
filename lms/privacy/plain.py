"""Turning database rows and dataclasses into plain JSON values (for the record and the
export). Columns that hold secrets (password and token digests) are never written out."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect

#: Column names never exported: hashes of passwords and secrets.
SECRET_COLUMNS = frozenset({"password_hash"})
SECRET_SUFFIXES = ("_sha256", "_hash", "_secret")


def is_secret_column(name: str) -> bool:
    return name in SECRET_COLUMNS or name.endswith(SECRET_SUFFIXES)


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of ``value``: datetimes as ISO 8601, enums as values, dataclasses
    and model rows as dicts (secret columns left out), collections as lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v, depth) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v, depth) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if depth > 3:
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
    if hasattr(value, "__table__"):
        return row_dict(value)
    return str(value)


def row_dict(row: Any) -> dict[str, Any]:
    """The columns of a model instance as plain values, secret columns left out."""
    mapper = sa_inspect(type(row))
    return {
        attr.key: plain(getattr(row, attr.key), 4)
        for attr in mapper.column_attrs
        if not is_secret_column(attr.key)
    }
