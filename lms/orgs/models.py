"""Organisations (companies, schools, universities, agencies), departments, and dated
memberships: one learner can belong to a school, then a university, then an employer."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User, _enum
from lms.db import db, utcnow


class OrgKind(enum.StrEnum):
    COMPANY = "company"
    SCHOOL = "school"
    UNIVERSITY = "university"
    AGENCY = "agency"


class MemberRole(enum.StrEnum):
    MEMBER = "member"
    MANAGER = "manager"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind, "org_kind"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    departments: Mapped[list[Department]] = relationship(
        back_populates="org", order_by="Department.name", cascade="all, delete-orphan"
    )

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ko


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    org: Mapped[Organisation] = relationship(back_populates="departments")

    __table_args__ = (UniqueConstraint("org_id", "name"),)


class Membership(db.Model):
    """``user`` belonged to ``org`` from ``started_on`` until ``ended_on`` (open = current)."""

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole, "member_role"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]

    user: Mapped[User] = relationship()
    org: Mapped[Organisation] = relationship()
    department: Mapped[Department | None] = relationship()

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_ordered"),
        Index("ix_memberships_user_id", "user_id"),
        Index("ix_memberships_org_id_role", "org_id", "role"),
    )

    def is_current(self, today: date) -> bool:
        return self.started_on <= today and (self.ended_on is None or self.ended_on >= today)
