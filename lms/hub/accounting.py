"""Lab usage accounting: sessions per profile, GPU-hours, quotas and the CPU fallback.

Services flush, never commit. GPU-hours = hours × the profile's ``gpu_share``; an open
session counts up to now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from deploy.profiles import BY_SLUG, CPU_FALLBACK, course_profiles
from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.models import Course, Enrollment
from lms.db import db, utcnow
from lms.errors import Forbidden, ValidationError
from lms.hub.base import RunningServer
from lms.hub.errors import ProfileNotAllowed
from lms.hub.models import GpuQuota, LabSession
from lms.orgs.models import Organisation


@dataclass(frozen=True)
class ProfileChoice:
    """The profile to start; ``fallback_reason`` says why a GPU request became CPU."""

    profile: str
    fallback_reason: str | None = None


def _sponsor(user: User, course: Course | None) -> Organisation | None:
    if course is None:
        return None
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    return enrollment.sponsor_org if enrollment else None


def _open_sessions(user: User, server: str | None = None) -> list[LabSession]:
    stmt = select(LabSession).where(LabSession.user_id == user.id, LabSession.stopped_at.is_(None))
    if server is not None:
        stmt = stmt.where(LabSession.server == server)
    return list(db.session.scalars(stmt))


def record_start(user: User, course: Course | None, profile: str, server: str = "") -> LabSession:
    """Open a session for ``user``'s ``server`` (closing one left open on that server)."""
    record_stop(user, server)
    session = LabSession(
        user=user,
        course=course,
        org=_sponsor(user, course),
        server=server,
        profile=profile,
        gpu_share=BY_SLUG[profile].gpu_share,
    )
    db.session.add(session)
    db.session.flush()
    return session


def record_stop(user: User, server: str | None = "", at: datetime | None = None) -> int:
    """Close ``user``'s open session on ``server`` (``None``: all servers); returns how many."""
    closed = _open_sessions(user, server)
    for session in closed:
        session.stopped_at = at or utcnow()
    db.session.flush()
    return len(closed)


def sync_sessions(running: Iterable[RunningServer]) -> int:
    """Close open sessions whose server the hub no longer runs (culled, crashed, stopped
    from the hub). ``running`` comes from ``HubClient.list_running()``."""
    alive = {(r.username, r.server) for r in running}
    stmt = select(LabSession).where(LabSession.stopped_at.is_(None))
    gone = [s for s in db.session.scalars(stmt) if (f"u{s.user_id}", s.server) not in alive]
    for session in gone:
        session.stopped_at = utcnow()
    db.session.flush()
    return len(gone)


def gpu_hours_used(
    *, user: User | None = None, course: Course | None = None, org: Organisation | None = None
) -> float:
    """GPU-hours of the sessions matching every filter given (open sessions up to now)."""
    stmt = select(LabSession.started_at, LabSession.stopped_at, LabSession.gpu_share).where(
        LabSession.gpu_share > 0
    )
    if user is not None:
        stmt = stmt.where(LabSession.user_id == user.id)
    if course is not None:
        stmt = stmt.where(LabSession.course_id == course.id)
    if org is not None:
        stmt = stmt.where(LabSession.org_id == org.id)
    now = utcnow()
    seconds = sum(
        ((stopped or now) - started).total_seconds() * share
        for started, stopped, share in db.session.execute(stmt)
    )
    return seconds / 3600


def set_gpu_quota(
    actor: User | None,
    gpu_hours: float,
    *,
    course: Course | None = None,
    org: Organisation | None = None,
) -> GpuQuota:
    """Set the GPU-hour quota of a course or an organisation (admins; ``actor=None`` is the
    CLI). Raises ``Forbidden`` or ``ValidationError``; audited."""
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden(message=_l("Only administrators set GPU quotas."))
    if (course is None) == (org is None):
        raise ValidationError("quota_owner", _l("Set a quota for a course or an organisation."))
    if not isinstance(gpu_hours, int | float) or not math.isfinite(gpu_hours) or gpu_hours < 0:
        raise ValidationError(
            "invalid_gpu_hours", _l("GPU hours must be a number of 0 or more."), "gpu_hours"
        )
    owner = GpuQuota.course_id == course.id if course else GpuQuota.org_id == org.id
    quota = db.session.scalar(select(GpuQuota).where(owner))
    if quota is None:
        quota = GpuQuota(course_id=course.id if course else None, org_id=org.id if org else None)
        db.session.add(quota)
    quota.gpu_hours = float(gpu_hours)
    db.session.flush()
    record("lab.gpu_quota_set", actor, quota, {"gpu_hours": quota.gpu_hours})
    return quota


def _quota(course: Course | None, org: Organisation | None) -> GpuQuota | None:
    if course is not None:
        return db.session.scalar(select(GpuQuota).where(GpuQuota.course_id == course.id))
    if org is not None:
        return db.session.scalar(select(GpuQuota).where(GpuQuota.org_id == org.id))
    return None


def choose_profile(user: User, course: Course, wanted: str) -> ProfileChoice:
    """The profile to start for ``user`` in ``course``: ``wanted`` if the course offers it
    (admins: any) and no GPU quota of the course or of the sponsoring organisation is used
    up; else the CPU fallback with the reason. Raises ``ValidationError`` for an unknown
    profile and ``ProfileNotAllowed`` for one the course does not offer."""
    profile = BY_SLUG.get(wanted)
    if profile is None:
        raise ValidationError("unknown_profile", _l("There is no such lab profile."), "profile")
    if user.role != Role.ADMIN and wanted not in course_profiles(course.needs_gpu):
        raise ProfileNotAllowed(wanted)
    if not profile.uses_gpu:
        return ProfileChoice(wanted)
    reason = _quota_used_up(user, course)
    return ProfileChoice(CPU_FALLBACK, reason) if reason else ProfileChoice(wanted)


def _label(ko: str, en: str) -> str:
    return en if str(get_locale()) == "en" else ko


def _quota_used_up(user: User, course: Course) -> str | None:
    """Why a GPU lab may not start (the course's or the sponsor's quota), or ``None``."""
    sponsor = _sponsor(user, course)
    owners = [(_label(course.title_ko, course.title_en), _quota(course, None), {"course": course})]
    if sponsor is not None:
        owners.append(
            (_label(sponsor.name_ko, sponsor.name_en), _quota(None, sponsor), {"org": sponsor})
        )
    for label, quota, scope in owners:
        if quota is None:
            continue
        used = gpu_hours_used(**scope)
        if used >= quota.gpu_hours:
            return str(
                _l(
                    "The GPU hours of %(owner)s are used up (%(used).1f of %(quota).1f h); "
                    "your lab starts on CPU.",
                    owner=label,
                    used=used,
                    quota=quota.gpu_hours,
                )
            )
    return None
