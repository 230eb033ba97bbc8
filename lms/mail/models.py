"""The outbox: one row per e-mail to send. A web request only inserts rows (in its own
transaction); ``flask --app lms mail send`` delivers them, so a slow or absent mail server
never delays a page and nothing is lost while it is down."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.accounts.models import _enum
from lms.db import db, utcnow


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt at ``next_attempt_at``
    SENT = "sent"  # the backend accepted it
    FAILED = "failed"  # gave up: too many attempts, or expired before it could be sent
    CANCELLED = "cancelled"  # replaced or made pointless before it was sent


class OutboundMail(db.Model):
    """An e-mail to ``recipient`` (``to`` is a reserved word in SQL).

    ``contains_secret`` marks a body that carries a secret (an invitation link): the bodies are
    emptied (``purged_at``) as soon as the mail is sent, fails, is cancelled, or at
    ``expires_at`` if it is still queued then. ``ref`` names what the mail is about (e.g.
    ``org_invitation:<org id>:<e-mail>``) so that a newer mail can cancel an older one.
    """

    __tablename__ = "outbound_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[MailStatus] = mapped_column(
        _enum(MailStatus, "mail_status"), default=MailStatus.QUEUED
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    contains_secret: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_outbound_mails_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbound_mails_ref", "ref"),
    )
