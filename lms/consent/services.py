"""Consent services (issue 6). Services flush, never commit; revoking takes effect at once
because nothing here is cached: every read asks the database.

CONTRACT for the other domains: ``consented_kinds``, ``set_consent``, ``record_access`` and
``consent_text`` (re-exported from ``lms.consent.texts``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, and_, case, func, insert, or_, select, type_coerce

from lms.accounts.models import User
from lms.audit.services import record
from lms.consent.models import (
    AccessVia,
    Consent,
    ConsentEvent,
    ConsentVia,
    DataKind,
    OrgDataAccess,
)
from lms.consent.texts import consent_text, kind_label
from lms.db import db, utcnow
from lms.errors import BadRequest, Forbidden, ValidationError
from lms.orgs.models import Membership, Organisation

__all__ = [
    "consent_text",
    "consent_masks",
    "consented_kinds",
    "consenting",
    "kind_bits",
    "kinds_of_mask",
    "kind_label",
    "parse_kinds",
    "prune_access_log",
    "record_access",
    "record_accesses",
    "set_consent",
]

# Above this many ids the whole organisation is read and filtered here: one query either
# way, and no statement with more bind parameters than a database accepts.
_MAX_IN_IDS = 2000


def _effective_consents(today: date):  # -> Select
    """Per user, the kinds granted in consents that count today (decided during a
    membership that is current: an earlier membership's consent never revives), as a bit
    mask (``_BITS``): one row per user, no Enum conversion per row."""
    m = Membership
    current = and_(
        m.id == Consent.membership_id,
        m.started_on <= today,
        or_(m.ended_on.is_(None), m.ended_on >= today),
    )
    kind = type_coerce(Consent.kind, String)
    mask = func.sum(case(*((kind == k.value, bit) for k, bit in _BITS.items()), else_=0)).label(
        "mask"
    )
    return (
        select(Consent.user_id, mask)
        .join(m, current)
        .where(Consent.granted.is_(True))
        .group_by(Consent.user_id)
    )


_BITS = {kind: 1 << i for i, kind in enumerate(DataKind)}
_SETS = [
    frozenset(k for k, bit in _BITS.items() if mask & bit) for mask in range(1 << len(DataKind))
]


def kind_bits(*kinds: DataKind) -> int:
    """The bit mask of ``kinds`` in ``consent_masks``'s ``mask`` column."""
    mask = 0
    for kind in kinds:
        mask |= _BITS[DataKind(kind)]
    return mask


def kinds_of_mask(mask: int | None) -> frozenset[DataKind]:
    return _SETS[int(mask or 0)]


def consenting(
    org_id: int, kind: DataKind, today: date | None = None, department_id: int | None = None
) -> Any:
    """SELECT ``user_id`` of the members of ``org_id`` (in ``department_id``) who share
    ``kind`` now: ``consented_kinds``'s rules as row-level conditions, to join in
    set-based reports."""
    today = today or date.today()
    m = Membership
    current = and_(
        m.id == Consent.membership_id,
        m.started_on <= today,
        or_(m.ended_on.is_(None), m.ended_on >= today),
    )
    stmt = (
        select(Consent.user_id)
        .join(m, current)
        .where(
            Consent.org_id == org_id,
            type_coerce(Consent.kind, String) == DataKind(kind).value,
            Consent.granted.is_(True),
        )
    )
    if department_id is not None:
        stmt = stmt.where(m.department_id == department_id)
    return stmt


def consent_masks(org_id: int, today: date | None = None) -> Any:
    """SELECT ``user_id, mask`` (one row per member with a granted consent that counts now,
    ``mask`` = ``kind_bits`` of the kinds shared) of organisation ``org_id``, to join in
    set-based reports; ``consented_kinds``'s rules exactly, read afresh by each query."""
    return _effective_consents(today or date.today()).where(Consent.org_id == org_id)


def consented_kinds(
    org_id: int, user_ids: Collection[int] | None = None
) -> dict[int, frozenset[DataKind]]:
    """What each member of organisation ``org_id`` shares with it now, in one query.

    ``user_ids`` limits the answer to those users (None: every member). Users absent from
    the result share nothing; former members and non-members are always absent. Never
    cached, so a withdrawal counts from the next call on. Commits nothing."""
    stmt = _effective_consents(date.today()).where(Consent.org_id == org_id)
    wanted = None if user_ids is None else set(user_ids)
    if wanted is not None:
        if not wanted:
            return {}
        if len(wanted) <= _MAX_IN_IDS:
            stmt = stmt.where(Consent.user_id.in_(wanted))
    rows = db.session.connection().execute(stmt)
    return {
        user_id: _SETS[int(mask)]
        for user_id, mask in rows
        if mask and (wanted is None or user_id in wanted)
    }


def parse_kinds(raw: Mapping[str, object]) -> dict[DataKind, bool]:
    """``{"progress": true, ...}`` as ``{DataKind: bool}``. ``BadRequest`` (400,
    ``unknown_kind``) for a kind that does not exist; ``ValidationError`` (422) for a value
    that is not true/false (``invalid_choice``) or nothing at all (``no_choice``)."""
    values = [k.value for k in DataKind]
    known = ", ".join(values)
    choices: dict[DataKind, bool] = {}
    for key, value in raw.items():
        if key not in values:
            raise BadRequest(
                "unknown_kind",
                _l("Unknown kind of data: %(kind)s. Use: %(known)s.", kind=key, known=known),
            )
        if not isinstance(value, bool):
            raise ValidationError(
                "invalid_choice", _l("%(kind)s must be true or false.", kind=key), key
            )
        choices[DataKind(key)] = value
    if not choices:
        raise ValidationError(
            "no_choice", _l("Say which kinds to share, e.g. %(example)s.", example=known)
        )
    return choices


def current_membership(user: User, org: Organisation, today: date | None = None):
    """``user``'s open membership of ``org`` (the earliest, if several), else None."""
    today = today or date.today()
    stmt = (
        select(Membership)
        .where(Membership.user_id == user.id, Membership.org_id == org.id)
        .where(Membership.started_on <= today)
        .where(or_(Membership.ended_on.is_(None), Membership.ended_on >= today))
        .order_by(Membership.started_on)
    )
    return db.session.scalars(stmt).first()


def set_consent(
    user: User, org: Organisation, choices: Mapping[DataKind, bool], via: str
) -> list[Consent]:
    """Record ``user``'s decisions for ``org``: ``choices`` maps kinds to share (True) or
    not (False); kinds left out keep their current decision. ``via`` is "page" or "api".

    Only for current members (else ``Forbidden`` ``not_member``). Each kind whose decision
    changes gets a ``ConsentEvent``; one audit event ``consent.change`` sums them up. Returns
    the consent rows of the chosen kinds. Flushes, never commits."""
    via = ConsentVia(via)
    membership = current_membership(user, org)
    if membership is None:
        raise Forbidden("not_member", _l("You are not a member of this organisation."))
    choices = {DataKind(kind): bool(granted) for kind, granted in choices.items()}
    rows = {
        row.kind: row
        for row in db.session.scalars(
            select(Consent).where(Consent.user_id == user.id, Consent.org_id == org.id)
        )
    }
    now, changed = utcnow(), {}
    for kind, granted in sorted(choices.items()):
        row = rows.setdefault(kind, Consent(user_id=user.id, org_id=org.id, kind=kind))
        # A decision from an earlier membership counts as "not shared": it is rewritten.
        if row.id is None or row.membership_id != membership.id or row.granted != granted:
            row.membership_id, row.granted, row.updated_at = membership.id, granted, now
            db.session.add(row)
            db.session.add(
                ConsentEvent(
                    user_id=user.id, org_id=org.id, kind=kind, at=now, granted=granted, via=via
                )
            )
            changed[kind] = granted
    _audit_change(user, org, via, changed)
    db.session.flush()
    return [rows[kind] for kind in sorted(choices)]


def _audit_change(user: User, org: Organisation, via: ConsentVia, changed: dict) -> None:
    if changed:
        details = {
            "org": org.slug,
            "via": via.value,
            "granted": sorted(k.value for k, g in changed.items() if g),
            "withdrawn": sorted(k.value for k, g in changed.items() if not g),
        }
        record("consent.change", actor=user, obj=org, details=details)


def record_access(
    viewer: User | None,
    org: Organisation,
    subject_ids: Collection[int],
    kinds: Collection[DataKind],
    via: str,
) -> None:
    """Log that ``viewer`` (None: an organisation token or the command line) saw ``kinds``
    of the data of users ``subject_ids`` of ``org`` through ``via`` ("page", "export",
    "api"). ``kinds`` may be empty: membership facts only. One INSERT whatever the number
    of subjects (their ids are one array column); nothing is logged without subjects.
    Flushes, never commits: the caller's commit stores it with the rest of the request."""
    record_accesses(viewer, org, [(subject_ids, kinds)], via)


def record_accesses(
    viewer: User | None,
    org: Organisation,
    groups: Collection[tuple[Collection[int], Collection[DataKind]]],
    via: str,
) -> None:
    """``record_access`` for several groups of members seen in one view, each with the
    kinds seen of them: one INSERT statement for all the entries."""
    via = AccessVia(via)
    now, viewer_id = utcnow(), getattr(viewer, "id", None)
    rows = []
    for subject_ids, kinds in groups:
        ids = sorted({int(i) for i in subject_ids})
        if ids:
            rows.append(
                {
                    "org_id": org.id,
                    "viewer_id": viewer_id,
                    "kinds": sorted(DataKind(k).value for k in set(kinds)),
                    "via": via,
                    "subject_count": len(ids),
                    "subject_ids": ids,
                    "at": now,
                }
            )
    if rows:
        db.session.flush()  # pending ORM changes first, in their order
        db.session.execute(insert(OrgDataAccess.__table__).values(rows))


def prune_access_log(before: datetime) -> int:
    """Delete the access log entries older than ``before`` (an aware datetime), one
    statement; returns how many entries went. Flushes, never commits."""
    accesses = OrgDataAccess.__table__
    result = db.session.execute(accesses.delete().where(accesses.c.at < before))
    return result.rowcount or 0
