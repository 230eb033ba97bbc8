"""Organisations, departments and dated memberships. Services flush, never commit."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.db import db
from lms.errors import Conflict, Forbidden, NotFound, ValidationError
from lms.orgs.models import Department, MemberRole, Membership, Organisation, OrgKind

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def check_slug(slug: str) -> str:
    """The slug, if it is 2-64 lowercase letters, digits and dashes; else ``ValidationError``."""
    if not SLUG_RE.fullmatch(slug or ""):
        raise ValidationError(
            "invalid_slug",
            _l("Use 2 to 64 lowercase letters, digits and dashes (e.g. hyundai-motor)."),
            field="slug",
        )
    return slug


def _require_admin(actor: User | None) -> None:
    # actor None is the operator at the command line, trusted like an admin.
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators can do this."))


def get_org(slug: str) -> Organisation:
    """The organisation with this slug, else ``NotFound`` (``org_not_found``)."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound("org_not_found", _l("No organisation is called %(slug)s.", slug=slug))
    return org


def list_orgs(kind: OrgKind | None = None) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.slug)
    if kind is not None:
        stmt = stmt.where(Organisation.kind == OrgKind(kind))
    return list(db.session.scalars(stmt))


def create_org(
    actor: User | None, slug: str, name_ko: str, kind: str, name_en: str | None = None
) -> Organisation:
    """Create an organisation (admins; ``actor=None`` for the CLI). Raises
    ``ValidationError`` (slug, name, kind) or ``Conflict`` (``org_exists``)."""
    _require_admin(actor)
    check_slug(slug)
    if not name_ko.strip():
        raise ValidationError("invalid_name", _l("Enter a name."), field="name")
    if kind not in {k.value for k in OrgKind}:
        raise ValidationError("invalid_kind", _l("Unknown kind of organisation."), field="kind")
    if db.session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        raise Conflict("org_exists", _l("An organisation with this slug already exists."))
    org = Organisation(
        slug=slug, name_ko=name_ko.strip(), name_en=(name_en or name_ko).strip(), kind=kind
    )
    db.session.add(org)
    db.session.flush()
    record("org.create", actor=actor, obj=org, details={"kind": kind})
    return org


def add_department(actor: User | None, org: Organisation, name: str) -> Department:
    """Add a department (admins or managers of ``org``); ``Conflict`` when it exists."""
    if actor is not None and not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    name = name.strip()
    if not name:
        raise ValidationError("invalid_name", _l("Enter a name."), field="name")
    if any(d.name == name for d in org.departments):
        raise Conflict("department_exists", _l("This department already exists."))
    department = Department(org=org, name=name)
    db.session.add(department)
    db.session.flush()
    return department


def current_memberships(user: User, today: date | None = None) -> list[Membership]:
    """The user's memberships open on ``today``."""
    today = today or date.today()
    stmt = (
        select(Membership)
        .where(Membership.user_id == user.id, Membership.started_on <= today)
        .where(or_(Membership.ended_on.is_(None), Membership.ended_on >= today))
        .order_by(Membership.started_on)
    )
    return list(db.session.scalars(stmt))


def managed_org_ids(user: User, today: date | None = None) -> set[int]:
    """Ids of organisations that ``user`` currently manages."""
    return {m.org_id for m in current_memberships(user, today) if m.role == MemberRole.MANAGER}


def is_current_member(user: User, org: Organisation, today: date | None = None) -> bool:
    return any(m.org_id == org.id for m in current_memberships(user, today))


def can_manage_org(actor: User, org: Organisation) -> bool:
    """Admins, and current managers of ``org``."""
    return actor.role == Role.ADMIN or org.id in managed_org_ids(actor)


def add_member(
    actor: User | None,
    org: Organisation,
    user: User,
    role: MemberRole = MemberRole.MEMBER,
    department: Department | None = None,
    started_on: date | None = None,
) -> Membership:
    """Start a membership of ``user`` in ``org`` (admins; managers may add plain members).
    ``Conflict`` (``already_member``) when one is already open."""
    role = MemberRole(role)
    if actor is not None and not (
        actor.role == Role.ADMIN or (role == MemberRole.MEMBER and can_manage_org(actor, org))
    ):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    if department is not None and department.org_id != org.id:
        raise ValidationError("invalid_department", _l("Unknown department."), "department")
    started_on = started_on or date.today()
    if is_current_member(user, org, started_on):
        raise Conflict("already_member", _l("This person is already a member."))
    membership = Membership(
        user=user, org=org, role=role, department=department, started_on=started_on
    )
    db.session.add(membership)
    db.session.flush()
    record("org.member_add", actor=actor, obj=membership, details={"role": str(role)})
    return membership


def end_membership(actor: User | None, membership: Membership, ended_on: date | None = None):
    """Close a membership on ``ended_on`` (today by default); history is kept."""
    if actor is not None and not can_manage_org(actor, membership.org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    ended_on = ended_on or date.today()
    if ended_on < membership.started_on:
        raise ValidationError("invalid_dates", _l("The end is before the start."), "ended_on")
    membership.ended_on = ended_on
    record("org.member_end", actor=actor, obj=membership)
    return membership
