"""The competency framework: browse units, import them from CSV, load the starter set.

Imports are all-or-nothing: every row is checked first (``csvimport``) and against the
database (parents, cycles); with any problem nothing is written. Services flush, never
commit; the page or command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.db import db
from lms.errors import Forbidden, NotFound
from lms.skills.csvimport import Problem, UnitRow, parse
from lms.skills.models import CompetencyUnit, SkillMapping

STARTER_CSV = Path(__file__).resolve().parent / "data" / "starter_units.csv"
_FIELDS = ("name_ko", "name_en", "level", "track", "description_ko", "description_en")


@dataclass
class ImportReport:
    """What an import found and did. ``applied`` is False when there were problems (nothing
    was written) or for a check without applying."""

    encoding: str
    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def can_edit_framework(actor: User | None) -> bool:
    """Admins edit the framework (it is shared by every organisation and course)."""
    return actor is not None and getattr(actor, "role", None) == Role.ADMIN


def _require_editor(actor: User | None) -> None:
    if actor is not None and not can_edit_framework(actor):
        raise Forbidden("forbidden", _l("Only administrators can change the competency framework."))


def list_units(
    track: str | None = None, level: int | None = None, q: str | None = None
) -> list[CompetencyUnit]:
    """Units by track, level and code, optionally filtered (``q``: code or name, any case)."""
    query = select(CompetencyUnit)
    if track:
        query = query.where(CompetencyUnit.track == track)
    if level:
        query = query.where(CompetencyUnit.level == level)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(CompetencyUnit.code).like(like),
                func.lower(CompetencyUnit.name_ko).like(like),
                func.lower(CompetencyUnit.name_en).like(like),
            )
        )
    order = (CompetencyUnit.track, CompetencyUnit.level, CompetencyUnit.code)
    return list(db.session.scalars(query.order_by(*order)))


def get_unit(code: str) -> CompetencyUnit:
    """The unit with ``code`` (any case); ``NotFound`` (``unit_not_found``) otherwise."""
    unit = db.session.scalar(
        select(CompetencyUnit).where(CompetencyUnit.code == (code or "").strip().upper())
    )
    if unit is None:
        raise NotFound("unit_not_found", _l("No competency unit has the code %(code)s.", code=code))
    return unit


def children_of(unit: CompetencyUnit) -> list[CompetencyUnit]:
    return list(
        db.session.scalars(
            select(CompetencyUnit)
            .where(CompetencyUnit.parent_id == unit.id)
            .order_by(CompetencyUnit.level, CompetencyUnit.code)
        )
    )


def mappings_of(unit: CompetencyUnit) -> list[SkillMapping]:
    """Where ``unit`` is evidenced in published courses (drafts do not leak), by course
    slug, assignment and cell."""
    from lms.catalog.models import Course

    return list(
        db.session.scalars(
            select(SkillMapping)
            .join(Course, SkillMapping.course_id == Course.id)
            .where(SkillMapping.unit_id == unit.id, Course.is_published.is_(True))
            .order_by(Course.slug, SkillMapping.assignment_name, SkillMapping.cell_id)
        )
    )


def import_units(
    actor: User | None, data: bytes, encoding: str = "auto", apply: bool = True
) -> ImportReport:
    """Check the CSV ``data`` (``csvimport`` columns) and, when every row is valid and
    ``apply``, create new units and update existing ones (matched by code). Any problem —
    in the file, or a parent code that is neither in the file nor in the framework, or a
    parent cycle — means nothing is written (``report.applied`` False). ``ValidationError``
    for an unreadable file (size, encoding). Admins only (``actor`` None: the command line).
    Audited as ``skills.import``. Flushes, never commits."""
    _require_editor(actor)
    parsed = parse(data, encoding)
    report = ImportReport(parsed.encoding, rows=len(parsed.rows), problems=list(parsed.problems))
    existing = {u.code: u for u in db.session.scalars(select(CompetencyUnit))}
    report.problems += _parent_problems(parsed.rows, existing)
    report.problems.sort(key=lambda p: (p.row, p.column))
    for row in parsed.rows:
        unit = existing.get(row.code)
        target = report.created if unit is None else report.updated
        if unit is not None and not _differs(unit, row, existing):
            target = report.unchanged
        target.append(row.code)
    if report.problems or not apply:
        return report
    _apply(parsed.rows, existing)
    report.applied = True
    details = {
        "encoding": report.encoding,
        "created": len(report.created),
        "updated": len(report.updated),
    }
    record("skills.import", actor=actor, details=details)
    return report


def _parent_problems(rows: list[UnitRow], existing: dict[str, CompetencyUnit]) -> list[Problem]:
    in_file = {r.code: r.parent_code for r in rows}
    parent_of = {code: (u.parent.code if u.parent else "") for code, u in existing.items()}
    parent_of.update(in_file)
    problems = []
    for row in rows:
        if row.parent_code and row.parent_code not in parent_of:
            message = _l(
                "The parent %(parent)s is neither in this file nor in the framework: add it, "
                "or leave parent_code empty.",
                parent=row.parent_code,
            )
            problems.append(Problem(row.row, "parent_code", str(message)))
        elif _in_cycle(row.code, parent_of):
            message = _l(
                "%(code)s would end up under itself through its parents: fix parent_code.",
                code=row.code,
            )
            problems.append(Problem(row.row, "parent_code", str(message)))
    return problems


def _in_cycle(code: str, parent_of: dict[str, str]) -> bool:
    seen, current = {code}, parent_of.get(code, "")
    while current:
        if current in seen:
            return True
        seen.add(current)
        current = parent_of.get(current, "")
    return False


def _differs(unit: CompetencyUnit, row: UnitRow, existing: dict[str, CompetencyUnit]) -> bool:
    parent = unit.parent.code if unit.parent else ""
    return parent != row.parent_code or any(
        str(getattr(unit, name)) != str(getattr(row, name)) for name in _FIELDS
    )


def _apply(rows: list[UnitRow], existing: dict[str, CompetencyUnit]) -> None:
    units = dict(existing)
    for row in rows:
        unit = units.get(row.code)
        if unit is None:
            unit = units[row.code] = CompetencyUnit(code=row.code)
            db.session.add(unit)
        for name in _FIELDS:
            if getattr(unit, name) != getattr(row, name):
                setattr(unit, name, getattr(row, name))
    db.session.flush()
    for row in rows:
        parent = units[row.parent_code] if row.parent_code else None
        if units[row.code].parent_id != (parent.id if parent else None):
            units[row.code].parent = parent
    db.session.flush()


def load_starter(actor: User | None = None) -> ImportReport:
    """Import the starter framework (``data/starter_units.csv``: AI foundations and the four
    focus tracks, including every unit the starter course packages evidence). Idempotent:
    a second run changes nothing. Raises nothing for a valid starter file."""
    return import_units(actor, STARTER_CSV.read_bytes(), "utf-8")
