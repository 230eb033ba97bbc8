"""Consent (issue 6): what a member lets an organisation see, per kind of data; the history
of those decisions; and the log of the organisation's views of members' data.

The access log is two tables so that one view of 5,000 members costs two INSERT statements:
one ``OrgDataAccess`` row (who, which organisation, which kinds, how, when) and one bulk
insert of its ``OrgDataAccessSubject`` rows (whose data), indexed by the subject so that a
member's own log is one indexed query.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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


class OrgDataAccess(db.Model):
    """``viewer`` (None: an organisation token or the command line) looked at ``kinds`` of
    data of some members of ``org`` through a page, an export or the API."""

    __tablename__ = "org_data_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    via: Mapped[AccessVia] = mapped_column(_enum(AccessVia, "access_via"))
    subject_count: Mapped[int] = mapped_column(default=0)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organisation] = relationship()
    viewer: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_org_data_accesses_org_id_at", "org_id", "at"),)


class OrgDataAccessSubject(db.Model):
    """Whose data one ``OrgDataAccess`` showed (one row per member)."""

    __tablename__ = "org_data_access_subjects"

    access_id: Mapped[int] = mapped_column(
        ForeignKey("org_data_accesses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_org_data_access_subjects_user_id", "user_id"),)
