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
    CoursePrerequisite,
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


COURSE_FIELDS = (
    "slug", "title_ko", "title_en", "description_ko", "description_en", "track", "level",
    "skills", "needs_gpu", "self_enroll", "capacity", "is_published",
)  # fmt: skip
PROGRAMME_FIELDS = (
    "slug", "title_ko", "title_en", "description_ko", "description_en", "track", "audience",
    "is_published",
)  # fmt: skip


def update_course(actor: User | None, course: Course, **changes: Any) -> Course:
    """Change any of ``COURSE_FIELDS`` and ``prerequisites`` (a list of courses) of a course
    (admins). Same validation as ``create_course``, plus: the slug stays unique and the
    prerequisites stay free of cycles (``ValidationError`` ``prerequisite_cycle``).
    Audited as ``course.update`` with the names of the changed fields."""
    require_admin(actor)
    unknown = set(changes) - {*COURSE_FIELDS, "prerequisites"}
    if unknown:
        raise TypeError(f"unknown course fields: {sorted(unknown)}")
    if "slug" in changes and changes["slug"] != course.slug:
        _check_slug_free(Course, check_slug(changes["slug"]))
    for field in ("title_ko", "title_en"):
        if field in changes:
            changes[field] = _title(changes[field], field)
    if "track" in changes:
        changes["track"] = _enum_value(Track, changes["track"], "track")
    if "level" in changes:
        changes["level"] = _enum_value(Level, changes["level"], "level")
    if changes.get("capacity") is not None and changes["capacity"] < 1:
        raise ValidationError(
            "invalid_capacity", _l("The capacity must be at least 1."), "capacity"
        )
    if "skills" in changes:
        changes["skills"] = [s.strip() for s in changes["skills"] or [] if s.strip()]
    if "prerequisites" in changes:
        _check_no_cycle(course, changes["prerequisites"])
    for name, value in changes.items():
        setattr(course, name, value)
    db.session.flush()
    record("course.update", actor=actor, obj=course, details={"fields": sorted(changes)})
    return course


def _check_slug_free(model: Any, slug: str) -> None:
    if db.session.scalar(select(model.id).where(model.slug == slug)) is not None:
        raise Conflict("slug_taken", _l("This short name is already used."))


def _check_no_cycle(course: Course, prerequisites: list[Course]) -> None:
    """Refuse ``course`` requiring itself, directly or through other prerequisites."""
    requires: dict[int, set[int]] = {}
    for course_id, prerequisite_id in db.session.execute(
        select(CoursePrerequisite.course_id, CoursePrerequisite.prerequisite_id)
    ):
        requires.setdefault(course_id, set()).add(prerequisite_id)
    requires[course.id] = {p.id for p in prerequisites}
    seen, stack = set(), list(requires[course.id])
    while stack:
        current = stack.pop()
        if current == course.id:
            raise ValidationError(
                "prerequisite_cycle",
                _l("A course cannot require itself, directly or through other courses."),
                field="prerequisites",
            )
        if current not in seen:
            seen.add(current)
            stack.extend(requires.get(current, ()))


def update_programme(
    actor: User | None, programme: Programme, courses: list[Course] | None = None, **changes: Any
) -> Programme:
    """Change any of ``PROGRAMME_FIELDS`` and, when given, the ordered ``courses`` of a
    programme (admins). Positions stay 1..n. Audited as ``programme.update``."""
    from lms.accounts.models import Segment

    require_admin(actor)
    unknown = set(changes) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    if "slug" in changes and changes["slug"] != programme.slug:
        _check_slug_free(Programme, check_slug(changes["slug"]))
    for field in ("title_ko", "title_en"):
        if field in changes:
            changes[field] = _title(changes[field], field)
    if "track" in changes:
        changes["track"] = _enum_value(Track, changes["track"], "track")
    if "audience" in changes:
        changes["audience"] = [
            _enum_value(Segment, s, "audience").value for s in changes["audience"] or []
        ]
    for name, value in changes.items():
        setattr(programme, name, value)
    if courses is not None:
        _set_programme_courses(programme, courses)
    db.session.flush()
    record("programme.update", actor=actor, obj=programme, details={"fields": sorted(changes)})
    return programme


def _set_programme_courses(programme: Programme, courses: list[Course]) -> None:
    if len({c.id for c in courses}) != len(courses):
        raise ValidationError("duplicate_course", _l("A course appears twice."), "courses")
    # (programme, position) is unique: park kept rows on negative positions, then renumber.
    kept = {e.course_id: e for e in programme.entries if e.course_id in {c.id for c in courses}}
    programme.entries = list(kept.values())
    for i, entry in enumerate(programme.entries, start=1):
        entry.position = -i
    db.session.flush()
    programme.entries = [kept.get(c.id) or ProgrammeCourse(course=c, position=0) for c in courses]
    for position, entry in enumerate(programme.entries, start=1):
        entry.position = position
    db.session.flush()


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
