"""Issued credentials (Open Badges 3.0, signed as VC-JWT) and the issuer's public keys.

A ``Credential`` keeps what was signed (``payload``, the OpenBadgeCredential JSON) and the
signed form (``token``, a compact JWS), plus snapshots that must outlive the learner's account
(recipient name, achievement titles): an issued credential stays verifiable after the account
is anonymised, so ``user_id`` is set to NULL on delete instead of cascading. Each credential
owns one bit (``status_list``, ``status_index``) of a Bitstring Status List for revocation.

``IssuerKey`` holds only public halves (JWK). The private key lives in the instance folder
(or ``LMS_CREDENTIALS_PRIVATE_KEY``), like the OIDC key; retired keys keep verifying the
credentials they signed, revoked (compromised) keys verify nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.db import db, utcnow


class IssuerKey(db.Model):
    """A public signing key of the platform as issuer; ``kid`` is its JWK thumbprint."""

    __tablename__ = "credential_issuer_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10), default="RS256")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def is_trusted(self) -> bool:
        """Signatures made with this key count (it was not revoked as compromised)."""
        return self.revoked_at is None


class Credential(db.Model):
    """One OpenBadgeCredential issued to a learner for a confirmed completion."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("completions.id", ondelete="SET NULL"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programmes.id", ondelete="SET NULL")
    )
    issuer_key_id: Mapped[int] = mapped_column(
        ForeignKey("credential_issuer_keys.id", ondelete="RESTRICT")
    )
    recipient_name: Mapped[str] = mapped_column(String(200))
    achievement_ko: Mapped[str] = mapped_column(String(200))
    achievement_en: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]
    status_list: Mapped[int] = mapped_column(default=1)
    status_index: Mapped[int]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    token: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    #: the recipient may close the public page (the signed file still verifies offline)
    is_public: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    issuer_key: Mapped[IssuerKey] = relationship()

    __table_args__ = (
        UniqueConstraint("status_list", "status_index"),
        CheckConstraint("status_index >= 0", name="status_index_not_negative"),
        CheckConstraint(
            "(revoked_at IS NULL) = (revocation_reason IS NULL)", name="revocation_has_reason"
        ),
        Index("ix_credentials_issued_at", "issued_at"),
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def achievement(self, locale: str) -> str:
        """The achievement's title in ``locale`` (Korean when there is no English one)."""
        return (
            self.achievement_en if locale == "en" and self.achievement_en else self.achievement_ko
        )

    def __repr__(self) -> str:
        return f"<Credential {self.uuid} user={self.user_id}>"
