"""Read-only catalogue queries: courses and programmes with filters, course enrolments.

Each function issues a fixed number of SQL statements, whatever the size of the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.catalog.models import (
    Course,
    Enrollment,
    Level,
    Programme,
    ProgrammeCourse,
    Track,
)
from lms.catalog.services import can_manage_course, can_view_enrollments
from lms.db import db
from lms.errors import Forbidden, ValidationError
from lms.orgs.models import Membership
from lms.orgs.services import managed_org_ids

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 30


class Page(list):
    """One page of results: a list of the items, plus what a pager needs."""

    def __init__(self, items: list, page: int, per_page: int, total: int):
        super().__init__(items)
        self.page, self.per_page, self.total = page, per_page, total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def paginate(stmt: Select, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> Page:
    """Run ``stmt`` for one page (two statements: the count and the rows)."""
    page, per_page = max(page, 1), max(1, min(per_page, MAX_PER_PAGE))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(items), page, per_page, total or 0)


@dataclass(frozen=True)
class CatalogueFilter:
    """Filters of the catalogue; ``None`` means "any". Build one with ``parse``."""

    track: Track | None = None
    level: Level | None = None
    segment: str | None = None
    needs_gpu: bool | None = None
    q: str | None = None

    @classmethod
    def parse(cls, args: dict[str, str]) -> CatalogueFilter:
        """From query-string arguments; ``ValidationError`` naming a bad one."""
        return cls(
            track=_choice(args.get("track"), Track, "track"),
            level=_choice(args.get("level"), Level, "level"),
            segment=_segment(args.get("segment")),
            needs_gpu=_flag(args.get("gpu")),
            q=(args.get("q") or "").strip()[:100] or None,
        )


def _choice(raw, enum_cls, field):
    if not raw:
        return None
    try:
        return enum_cls(raw)
    except ValueError:
        raise ValidationError(
            "invalid_filter", _l("Unknown value for %(f)s.", f=field), field
        ) from None


def _segment(raw: str | None) -> str | None:
    from lms.accounts.models import Segment

    return _choice(raw, Segment, "segment")


def _flag(raw: str | None) -> bool | None:
    if raw in (None, ""):
        return None
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise ValidationError("invalid_filter", _l("Unknown value for %(f)s.", f="gpu"), "gpu")


def course_query(filters: CatalogueFilter) -> Select:
    """Published courses matching ``filters``, ordered by track, level and slug."""
    stmt = select(Course).where(Course.is_published.is_(True))
    if filters.track:
        stmt = stmt.where(Course.track == filters.track)
    if filters.level:
        stmt = stmt.where(Course.level == filters.level)
    if filters.needs_gpu is not None:
        stmt = stmt.where(Course.needs_gpu.is_(filters.needs_gpu))
    if filters.q:
        pattern = f"%{filters.q}%"
        stmt = stmt.where(or_(Course.title_ko.ilike(pattern), Course.title_en.ilike(pattern)))
    if filters.segment:
        ids = [p.id for p in list_programmes(CatalogueFilter(segment=filters.segment))]
        in_programme = select(ProgrammeCourse.course_id).where(
            ProgrammeCourse.programme_id.in_(ids)
        )
        stmt = stmt.where(Course.id.in_(in_programme))
    return stmt.order_by(Course.track, Course.level, Course.slug)


def list_courses(
    filters: CatalogueFilter | None = None, page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> Page:
    """One ``Page`` of published courses matching ``filters`` (2 statements, 5 with a
    segment filter)."""
    return paginate(course_query(filters or CatalogueFilter()), page, per_page)


def list_programmes(filters: CatalogueFilter | None = None) -> list[Programme]:
    """Published programmes (track and segment filters apply), with their courses loaded."""
    filters = filters or CatalogueFilter()
    stmt = (
        select(Programme)
        .where(Programme.is_published.is_(True))
        .options(selectinload(Programme.entries).selectinload(ProgrammeCourse.course))
        .order_by(Programme.track, Programme.slug)
    )
    if filters.track:
        stmt = stmt.where(Programme.track == filters.track)
    programmes = list(db.session.scalars(stmt))
    # Audiences are short JSON lists; filtering them here stays portable across databases.
    if filters.segment:
        programmes = [p for p in programmes if filters.segment in (p.audience or [])]
    return programmes


def list_enrollments(
    actor: User,
    course: Course,
    today: date | None = None,
    page: int = 1,
    per_page: int = MAX_PER_PAGE,
) -> Page:
    """One ``Page`` of the course's enrolments that ``actor`` may see, oldest first, with
    users, cohorts and sponsors loaded.

    Course managers see all; an organisation manager sees only people who are current
    members of an organisation they manage. Others: ``Forbidden``.
    """
    manages = can_manage_course(actor, course)
    if not manages and not can_view_enrollments(actor, course):
        raise Forbidden("forbidden", _l("You may not see who is enrolled in this course."))
    stmt = (
        select(Enrollment)
        .where(Enrollment.course_id == course.id)
        # Many-to-one: joined in the same statement rather than extra round trips.
        .options(
            joinedload(Enrollment.user),
            joinedload(Enrollment.cohort),
            joinedload(Enrollment.sponsor_org),
        )
        .order_by(Enrollment.id)
    )
    if not manages:
        today = today or date.today()
        members = select(Membership.user_id).where(
            Membership.org_id.in_(managed_org_ids(actor, today)),
            Membership.started_on <= today,
            or_(Membership.ended_on.is_(None), Membership.ended_on >= today),
        )
        stmt = stmt.where(Enrollment.user_id.in_(members))
    return paginate(stmt, page, per_page)
