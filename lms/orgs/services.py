"""Organisations, departments and dated memberships. Services flush, never commit."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update

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


def end_membership(
    actor: User | None,
    membership: Membership,
    ended_on: date | None = None,
    reason: str | None = None,
) -> Membership:
    """Close a membership on ``ended_on`` (its last day; the default is yesterday, so that it
    stops counting at once). History is kept. Managers of the org, or the member themself
    (``reason="left"``). ``ValidationError`` when it ends before it starts."""
    own = actor is not None and actor.id == membership.user_id
    if actor is not None and not (own or can_manage_org(actor, membership.org)):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    if membership.ended_on is not None and membership.ended_on < date.today():
        raise Conflict("membership_ended", _l("This membership has already ended."))
    if ended_on is None:
        # Joined and left the same day: recorded as one day, yesterday, so it ends now.
        ended_on = date.today() - timedelta(days=1)
        membership.started_on = min(membership.started_on, ended_on)
    if ended_on < membership.started_on:
        raise ValidationError("invalid_dates", _l("The end is before the start."), "ended_on")
    membership.ended_on, membership.end_reason = ended_on, reason
    record("org.member_end", actor=actor, obj=membership, details={"reason": reason})
    return membership


def leave_org(user: User, membership: Membership) -> Membership:
    """``user`` ends their own current membership (``NotFound`` for anyone else's)."""
    if membership.user_id != user.id:
        raise NotFound("membership_not_found", _l("This membership was not found."))
    return end_membership(user, membership, reason="left")


def remove_member(actor: User, org: Organisation, membership: Membership) -> Membership:
    """A manager of ``org`` ends a member's membership today; history is kept.
    Managers cannot remove themselves this way (they leave)."""
    if membership.org_id != org.id:
        raise NotFound("membership_not_found", _l("This membership was not found."))
    if not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    if membership.user_id == actor.id:
        raise Conflict("remove_self", _l("You cannot remove yourself; leave the organisation."))
    return end_membership(actor, membership, reason="removed")


def _current(stmt, today: date):
    return stmt.where(Membership.started_on <= today).where(
        or_(Membership.ended_on.is_(None), Membership.ended_on >= today)
    )


def current_member_ids(
    org: Organisation, department_id: int | None = None, today: date | None = None
) -> set[int]:
    """User ids of the current members of ``org`` (of one department if given); one query."""
    stmt = _current(
        select(Membership.user_id).where(Membership.org_id == org.id), today or date.today()
    )
    if department_id is not None:
        stmt = stmt.where(Membership.department_id == department_id)
    return set(db.session.scalars(stmt))


def current_membership(org: Organisation, user_id: int) -> Membership:
    """The open membership of ``user_id`` in ``org``, else ``NotFound``."""
    stmt = _current(
        select(Membership).where(Membership.org_id == org.id, Membership.user_id == user_id),
        date.today(),
    )
    membership = db.session.scalars(stmt).first()
    if membership is None:
        raise NotFound("membership_not_found", _l("This person is not a current member."))
    return membership


def get_department(org: Organisation, department_id: int) -> Department:
    """A department of ``org``, else ``ValidationError`` (field ``department``)."""
    department = db.session.get(Department, department_id)
    if department is None or department.org_id != org.id:
        raise ValidationError("invalid_department", _l("Unknown department."), "department")
    return department


def rename_department(actor: User, department: Department, name: str) -> Department:
    """Rename a department (managers of its org); ``Conflict`` when the name is taken."""
    org = department.org
    if not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("invalid_name", _l("Enter a name."), field="name")
    if any(d.name == name and d.id != department.id for d in org.departments):
        raise Conflict("department_exists", _l("This department already exists."))
    old, department.name = department.name, name
    record("org.department_rename", actor=actor, obj=department, details={"from": old})
    return department


def move_members(
    actor: User, org: Organisation, user_ids: Collection[int], department: Department | None
) -> int:
    """Put the current members ``user_ids`` of ``org`` in ``department`` (None: no
    department); one statement. Returns how many moved. Ids of non-members are refused."""
    if not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))
    if department is not None and department.org_id != org.id:
        raise ValidationError("invalid_department", _l("Unknown department."), "department")
    wanted = set(user_ids)
    if not wanted:
        raise ValidationError("no_members", _l("Select at least one member."), "members")
    if wanted - current_member_ids(org):
        raise ValidationError(
            "not_org_member", _l("Some selected people are not current members."), "members"
        )
    stmt = _current(
        update(Membership).where(Membership.org_id == org.id, Membership.user_id.in_(wanted)),
        date.today(),
    ).values(department_id=department.id if department else None)
    moved = db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    details = {"department_id": getattr(department, "id", None), "count": len(wanted)}
    record("org.members_move", actor=actor, obj=org, details=details)
    return moved
