"""Administration: courses, programmes and users, for admins (and the CLI/demo with
``actor=None``). Services flush, never commit."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lms.accounts.models import Role, User
from lms.audit.models import AuditEvent
from lms.audit.services import record
from lms.catalog.models import (
    Course,
    CourseItem,
    ItemKind,
    Level,
    Programme,
    ProgrammeCourse,
    Track,
)
from lms.db import db
from lms.errors import Conflict, Forbidden, NotFound, ValidationError
from lms.orgs.services import check_slug

MAX_PAGE = 200


def require_admin(actor: User | None) -> None:
    """``Forbidden`` unless ``actor`` is an admin (``None`` = the trusted command line)."""
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators can do this."))


def _enum_value(enum_cls: Any, value: Any, field: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(
            "invalid_field", _l("Unknown value for %(f)s.", f=field), field
        ) from None


def _title(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 200:
        raise ValidationError("invalid_title", _l("Enter a title (up to 200 characters)."), field)
    return value


def create_course(
    actor: User | None,
    slug: str,
    title_ko: str,
    title_en: str,
    track: str,
    level: str,
    *,
    description_ko: str = "",
    description_en: str = "",
    skills: list[str] | None = None,
    needs_gpu: bool = False,
    self_enroll: bool = True,
    capacity: int | None = None,
    is_published: bool = False,
    instructors: list[User] | tuple[User, ...] = (),
    prerequisites: list[Course] | tuple[Course, ...] = (),
) -> Course:
    """Create a course (admins). ``ValidationError`` for bad fields, ``Conflict``
    (``course_exists``) for a taken slug. Audited as ``course.create``."""
    require_admin(actor)
    check_slug(slug)
    if db.session.scalar(select(Course.id).where(Course.slug == slug)):
        raise Conflict("course_exists", _l("A course with this slug already exists."))
    if capacity is not None and capacity < 1:
        raise ValidationError(
            "invalid_capacity", _l("The capacity must be at least 1."), "capacity"
        )
    course = Course(
        slug=slug,
        title_ko=_title(title_ko, "title_ko"),
        title_en=_title(title_en, "title_en"),
        description_ko=description_ko,
        description_en=description_en,
        track=_enum_value(Track, track, "track"),
        level=_enum_value(Level, level, "level"),
        skills=[s.strip() for s in (skills or []) if s.strip()],
        needs_gpu=needs_gpu,
        self_enroll=self_enroll,
        capacity=capacity,
        is_published=is_published,
    )
    course.instructors = list(instructors)
    course.prerequisites = list(prerequisites)
    db.session.add(course)
    db.session.flush()
    record("course.create", actor=actor, obj=course)
    return course


def add_course_item(
    actor: User | None, course: Course, kind: str, title_ko: str, title_en: str, due_at=None
) -> CourseItem:
    """Append a lesson, lab or assignment (``due_at`` makes it a deadline) to a course."""
    require_admin(actor)
    last = db.session.scalar(
        select(func.max(CourseItem.position)).where(CourseItem.course_id == course.id)
    )
    item = CourseItem(
        course=course,
        position=(last or 0) + 1,
        kind=_enum_value(ItemKind, kind, "kind"),
        title_ko=_title(title_ko, "title_ko"),
        title_en=_title(title_en, "title_en"),
        due_at=due_at,
    )
    db.session.add(item)
    db.session.flush()
    return item


def create_programme(
    actor: User | None,
    slug: str,
    title_ko: str,
    title_en: str,
    track: str,
    courses: list[Course],
    *,
    audience: list[str] | None = None,
    description_ko: str = "",
    description_en: str = "",
    is_published: bool = False,
) -> Programme:
    """Create a programme: ``courses`` in order, for ``audience`` segments (admins)."""
    from lms.accounts.models import Segment

    require_admin(actor)
    check_slug(slug)
    if db.session.scalar(select(Programme.id).where(Programme.slug == slug)):
        raise Conflict("programme_exists", _l("A programme with this slug already exists."))
    if len({c.id for c in courses}) != len(courses):
        raise ValidationError("duplicate_course", _l("A course appears twice."), "courses")
    programme = Programme(
        slug=slug,
        title_ko=_title(title_ko, "title_ko"),
        title_en=_title(title_en, "title_en"),
        description_ko=description_ko,
        description_en=description_en,
        track=_enum_value(Track, track, "track"),
        audience=[_enum_value(Segment, s, "audience").value for s in (audience or [])],
        is_published=is_published,
    )
    programme.entries = [ProgrammeCourse(course=c, position=i) for i, c in enumerate(courses, 1)]
    db.session.add(programme)
    db.session.flush()
    record("programme.create", actor=actor, obj=programme)
    return programme


def set_published(actor: User | None, obj: Course | Programme, published: bool) -> None:
    """Publish or withdraw a course or programme (admins)."""
    require_admin(actor)
    obj.is_published = published
    record("publish" if published else "unpublish", actor=actor, obj=obj)


def list_users(
    actor: User, q: str | None = None, role: str | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[User], int]:
    """A page of users (admins) matching the e-mail/name search and role, with the total."""
    require_admin(actor)
    stmt = select(User)
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(pattern), func.lower(User.name).like(pattern)))
    if role:
        stmt = stmt.where(User.role == _enum_value(Role, role, "role"))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    per_page = max(1, min(per_page, MAX_PAGE))
    stmt = stmt.order_by(User.id).limit(per_page).offset((max(page, 1) - 1) * per_page)
    return list(db.session.scalars(stmt)), total


def get_user(actor: User, user_id: int) -> User:
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _l("No such user."))
    return user


def recent_audit_events(actor: User, limit: int = 100) -> list[AuditEvent]:
    """The latest audit events, newest first (admins)."""
    require_admin(actor)
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))
