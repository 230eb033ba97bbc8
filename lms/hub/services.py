"""Opening and closing labs for a course: access, profile choice (quota → CPU fallback),
the hub user and groups, the start, and the usage record. Services flush, never commit."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.db import db
from lms.errors import Forbidden
from lms.hub.accounting import ProfileChoice, choose_profile, record_start, record_stop
from lms.hub.base import HubClient, LabFile, ProgressEvent
from lms.hub.errors import LabFileExists
from lms.hub.models import LabSession
from lms.oidc.claims import hub_username, lab_groups


@dataclass(frozen=True)
class LabStart:
    """A started (or reused) lab: its hub ``url`` path and the profile actually used."""

    url: str | None
    profile: str
    fallback_reason: str | None


def may_open_lab(user: User, course: Course) -> bool:
    """Learners with an active enrolment, the course's instructors and admins."""
    if user.role == Role.ADMIN or user in course.instructors:
        return True
    stmt = select(Enrollment.id).where(
        Enrollment.user_id == user.id,
        Enrollment.course_id == course.id,
        Enrollment.status == EnrollmentStatus.ACTIVE,
    )
    return db.session.scalar(stmt) is not None


def prepare_lab(hub: HubClient, user: User, course: Course, wanted: str) -> ProfileChoice:
    """Check access, choose the profile and make the hub user and groups match the portal.
    Raises ``Forbidden``, ``ValidationError``, ``ProfileNotAllowed`` or hub errors."""
    if not may_open_lab(user, course):
        raise Forbidden("not_enrolled", _l("Enrol in this course to open its lab."))
    choice = choose_profile(user, course, wanted)
    hub.ensure_user(hub_username(user), lab_groups(user))
    return choice


def start_lab(
    hub: HubClient,
    user: User,
    course: Course,
    wanted: str,
    on_progress: Callable[[ProgressEvent], None] | None = None,
) -> LabStart:
    """Open the lab of ``course`` for ``user`` and record the session when it is ready.
    ``on_progress`` sees every progress event (for a live page)."""
    choice = prepare_lab(hub, user, course, wanted)
    url = None
    for event in hub.start_server(hub_username(user), choice.profile):
        if on_progress:
            on_progress(event)
        url = event.url if event.ready else url
    record_start(user, course, choice.profile)
    return LabStart(url, choice.profile, choice.fallback_reason)


def stop_lab(hub: HubClient, actor: User, user: User, course: Course | None = None) -> None:
    """Stop ``user``'s lab: the user, an instructor of ``course`` or an admin."""
    allowed = actor.id == user.id or actor.role == Role.ADMIN
    if not allowed and course is not None and actor in course.instructors:
        allowed = True
    if not allowed:
        raise Forbidden(message=_l("You may not stop this lab."))
    hub.stop_server(hub_username(user))
    record_stop(user)


@dataclass(frozen=True)
class Placement:
    """What ``place_files`` did: files written, and files left alone because the learner
    already has them (the page asks before calling again with ``overwrite``)."""

    placed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def place_files(
    hub: HubClient, user: User, files: Mapping[str, bytes], overwrite: frozenset[str] = frozenset()
) -> Placement:
    """Put assignment files (path → content) into ``user``'s running lab. Existing files are
    kept unless their path is in ``overwrite``. Raises ``ServerNotRunning``, ``ContentsError``."""
    result = Placement()
    for path, content in files.items():
        try:
            hub.put_file(hub_username(user), path, content, overwrite=path in overwrite)
        except LabFileExists:
            result.kept.append(path)
        else:
            result.placed.append(path)
    return result


def pull_notebook(hub: HubClient, user: User, path: str) -> LabFile:
    """The notebook at ``path`` in ``user``'s lab, for "submit from the lab". Raises
    ``ServerNotRunning`` (the lab stopped since it was opened), ``LabFileMissing`` (renamed
    or deleted), ``ContentsError``; nothing is submitted then."""
    return hub.get_file(hub_username(user), path)


def running_labs(actor: User, course: Course) -> list[LabSession]:
    """Open lab sessions of ``course`` (instructors of the course and admins), oldest first.
    Run ``sync_sessions`` first for an exact picture after culling."""
    if actor.role != Role.ADMIN and actor not in course.instructors:
        raise Forbidden(message=_l("Only the course's instructors see its labs."))
    stmt = (
        select(LabSession)
        .where(LabSession.course_id == course.id, LabSession.stopped_at.is_(None))
        .order_by(LabSession.started_at)
    )
    return list(db.session.scalars(stmt))
