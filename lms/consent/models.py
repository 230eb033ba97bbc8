"""Consent (issue 6): what a member lets an organisation see, per kind of data; the history
of those decisions; and the log of the organisation's views of members' data.

One view of 5,000 members is one ``OrgDataAccess`` row per combination of shared kinds (who,
which organisation, which kinds, how, when, and whose data: ``subject_ids``, an ``integer[]``
with a GIN index on PostgreSQL, a JSON list elsewhere), so logging costs one small INSERT
whatever the number of members (a row per member cost ≈ 60 ms for 5,000, mostly foreign-key
checks) and a member's own log is one indexed containment query (``about_subject``).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    exists,
    func,
    literal,
)
from sqlalchemy import select as _select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from lms.accounts.models import User, _enum
from lms.db import db, utcnow
from lms.orgs.models import Organisation


class DataKind(enum.StrEnum):
    """Kinds of data a member can share with an organisation (default: none)."""

    PROGRESS = "progress"  # enrolments and progress
    SCORES = "scores"
    SKILLS = "skills"
    SUBMISSIONS = "submissions"  # submissions' content


class ConsentVia(enum.StrEnum):
    """Where a consent decision was made."""

    PAGE = "page"
    API = "api"


class AccessVia(enum.StrEnum):
    """How an organisation viewed members' data."""

    PAGE = "page"
    EXPORT = "export"
    API = "api"


class Consent(db.Model):
    """``user``'s current decision whether ``org`` may see ``kind`` (one row per kind).

    The row was decided during ``membership`` and counts only while that membership is
    current: a decision from an earlier membership never revives when the person joins the
    organisation again (and a row without a membership never counts)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    membership_id: Mapped[int | None] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[DataKind] = mapped_column(_enum(DataKind, "data_kind"))
    granted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    org: Mapped[Organisation] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "org_id", "kind"),
        Index("ix_consents_org_id_kind", "org_id", "kind"),
    )


class ConsentEvent(db.Model):
    """One change of a consent decision: history, only ever inserted."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[DataKind] = mapped_column(_enum(DataKind, "data_kind"))
    granted: Mapped[bool] = mapped_column(Boolean)
    via: Mapped[ConsentVia] = mapped_column(_enum(ConsentVia, "consent_via"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship()

    __table_args__ = (Index("ix_consent_events_user_id_org_id_at", "user_id", "org_id", "at"),)


class IdList(TypeDecorator):
    """A sorted list of integer ids: ``integer[]`` on PostgreSQL (bound as its text form
    ``{1,2,3}``: psycopg would dump a list element by element), JSON elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Integer))
        return dialect.type_descriptor(JSON())

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "postgresql":
            return super().bind_processor(dialect)

        def process(value: Any) -> str | None:
            return None if value is None else "{" + ",".join(map(str, map(int, value))) + "}"

        return process


class OrgDataAccess(db.Model):
    """``viewer`` (None: an organisation token or the command line) looked at ``kinds`` of
    data of members ``subject_ids`` of ``org`` through a page, an export or the API."""

    __tablename__ = "org_data_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    via: Mapped[AccessVia] = mapped_column(_enum(AccessVia, "access_via"))
    subject_count: Mapped[int] = mapped_column(default=0)
    #: whose data was seen (user ids, sorted)
    subject_ids: Mapped[list[int]] = mapped_column(IdList, default=list)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship()
    viewer: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_org_data_accesses_org_id_at", "org_id", "at"),
        # GIN on PostgreSQL (containment); SQLite ignores the method and keeps a plain index.
        Index("ix_org_data_accesses_subject_ids", "subject_ids", postgresql_using="gin"),
    )


def about_subject(user_id: int, dialect: str) -> Any:
    """SQL condition: the access log entry showed data of user ``user_id``."""
    if dialect == "postgresql":
        return OrgDataAccess.subject_ids.op("@>")(literal([int(user_id)], IdList()))
    ids = func.json_each(OrgDataAccess.subject_ids).table_valued("value")
    return exists(_select(ids.c.value).where(ids.c.value == int(user_id)))
