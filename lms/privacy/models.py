"""Personal data exports and deletion requests.

A ``DataExport`` is one zip of everything the platform holds about a person: produced at
once or in the background, downloadable only by that person until ``expires_at``, then its
file is removed and the row says ``expired``. A ``DeletionRequest`` is a person's request to
erase their account: reviewed by an administrator (or confirmed with the password), then
executed; the row stays as the record that it was done, with counts of what was deleted
and kept (never the deleted data itself).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User, _enum
from lms.db import db, utcnow


class ExportStatus(enum.StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


class DeletionStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an administrator
    CANCELLED = "cancelled"  # withdrawn by the person
    REJECTED = "rejected"  # refused by an administrator, with a note
    COMPLETED = "completed"  # the account was anonymised


class DataExport(db.Model):
    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ExportStatus] = mapped_column(
        _enum(ExportStatus, "export_status"), default=ExportStatus.PENDING
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    #: File name inside the export folder (random; never derived from personal data).
    file_name: Mapped[str | None] = mapped_column(String(80))
    size_bytes: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_data_exports_user_id_requested_at", "user_id", "requested_at"),
        Index("ix_data_exports_status_expires_at", "status", "expires_at"),
    )

    def is_downloadable(self, now: datetime) -> bool:
        return (
            self.status == ExportStatus.READY
            and self.expires_at is not None
            and self.expires_at > now
        )


class DeletionRequest(db.Model):
    __tablename__ = "deletion_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The account is anonymised, never deleted, so this row stays with it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeletionStatus] = mapped_column(
        _enum(DeletionStatus, "deletion_status"), default=DeletionStatus.PENDING
    )
    #: "review" (an administrator decides) or "password" (the person confirmed).
    method: Mapped[str] = mapped_column(String(10), default="review")
    #: The person's optional note; cleared when the account is erased.
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    completed_at: Mapped[datetime | None]
    #: What was deleted and kept (counts and flags only).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    __table_args__ = (Index("ix_deletion_requests_status_requested_at", "status", "requested_at"),)
