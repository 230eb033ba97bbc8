"""The filters of an organisation report, parsed and checked from a query string."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.catalog.models import Course, Programme, ProgrammeCourse
from lms.db import db
from lms.errors import ValidationError
from lms.orgs.models import Organisation

#: Enrolment statuses a report can be narrowed to; ``at_risk`` is an active enrolment behind
#: schedule or failing labs.
STATUSES = ("active", "at_risk", "completed", "dropped")
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class ReportFilter:
    """What part of an organisation a report covers. Empty fields mean everything."""

    department_id: int | None = None
    programme: str | None = None  # slug
    course: str | None = None  # slug
    status: str | None = None
    page: int = 1
    per_page: int = 50

    @classmethod
    def parse(cls, args: Mapping[str, str], org: Organisation) -> ReportFilter:
        """Filters from ``args``; ``ValidationError`` (with the field) for anything unknown,
        including a department of another organisation."""
        department_id = _positive(args, "department")
        if department_id is not None and department_id not in {d.id for d in org.departments}:
            raise ValidationError("invalid_department", _l("Unknown department."), "department")
        status = args.get("status") or None
        if status is not None and status not in STATUSES:
            raise ValidationError("invalid_status", _l("Unknown status."), "status")
        per_page = min(_positive(args, "per_page") or 50, MAX_PER_PAGE)
        found = cls(
            department_id,
            args.get("programme") or None,
            args.get("course") or None,
            status,
            _positive(args, "page") or 1,
            per_page,
        )
        found.course_ids()  # unknown course or programme: refused here, not later
        return found

    def course_ids(self) -> set[int] | None:
        """Ids of the courses the course/programme filters allow; None: every course."""
        allowed: set[int] | None = None
        if self.programme:
            programme = db.session.scalar(
                select(Programme.id).where(Programme.slug == self.programme)
            )
            if programme is None:
                raise ValidationError("invalid_programme", _l("Unknown programme."), "programme")
            allowed = set(
                db.session.scalars(
                    select(ProgrammeCourse.course_id).where(
                        ProgrammeCourse.programme_id == programme
                    )
                )
            )
        if self.course:
            course = db.session.scalar(select(Course.id).where(Course.slug == self.course))
            if course is None:
                raise ValidationError("invalid_course", _l("Unknown course."), "course")
            allowed = {course} if allowed is None else allowed & {course}
        return allowed

    @property
    def narrows_enrolments(self) -> bool:
        return bool(self.programme or self.course or self.status)

    def query_args(self, **changes: object) -> dict[str, object]:
        """The filters as query-string arguments (for links and the export), without blanks."""
        names = {"department_id": "department"}
        values = asdict(self) | changes
        return {names.get(k, k): v for k, v in values.items() if v not in (None, "")}


def _positive(args: Mapping[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    if not str(raw).isdigit() or int(raw) < 1:
        raise ValidationError(
            "invalid_parameter", _l("%(f)s must be a positive whole number.", f=name), name
        )
    return int(raw)
