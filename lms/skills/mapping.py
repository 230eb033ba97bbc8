"""Mapping competency units to a course, its assignments and their graded cells.

Course staff (``can_manage_course``) add and remove mappings on the course's skills page.
``sync_course`` turns the course package's ``[[skills]]`` (``evidence`` entries: an
assignment, or one graded cell of it) into mappings of source *package*, replacing the
previous package mappings and keeping the staff's own; units a package names that the
framework lacks are added from the package's name and level. For courses without a package,
``Course.skills`` entries that are framework codes become whole-course mappings. All flush,
never commit; changes are audited.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import Conflict, Forbidden, ValidationError
from lms.publishing.models import Assignment
from lms.publishing.services import current_version
from lms.skills.models import CompetencyUnit, MappingSource, SkillMapping
from lms.skills.services import get_unit
from lms.skills.stored import refresh_achievements
from lms.storage import blob_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradedCell:
    cell_id: str
    kind: str  # "test" (autograded) | "manual"
    points: float


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    units_created: list[str] = field(default_factory=list)


def _require_manager(actor: User | None, course: Course) -> None:
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))


def course_mappings(course: Course) -> list[SkillMapping]:
    """The course's mappings by unit code, assignment and cell."""
    return list(
        db.session.scalars(
            select(SkillMapping)
            .join(CompetencyUnit, SkillMapping.unit_id == CompetencyUnit.id)
            .where(SkillMapping.course_id == course.id)
            .order_by(CompetencyUnit.code, SkillMapping.assignment_name, SkillMapping.cell_id)
        )
    )


def assignments_of(course: Course) -> list[Assignment]:
    version = current_version(course)
    return list(version.assignments) if version else []


def graded_cells(assignment: Assignment) -> list[GradedCell]:
    """The graded cells (autograded tests and manually graded answers) of ``assignment``,
    read from its grading template; empty when the template cannot be read."""
    try:
        template = json.loads(blob_store().get(assignment.template_blob))
    except (OSError, ValueError, KeyError) as exc:
        log.warning("template of assignment %s unreadable: %s", assignment.id, exc)
        return []
    cells = []
    for notebook in template.get("notebooks", {}).values():
        for cell in notebook.get("cells", []):
            if cell.get("points", 0) > 0 and cell.get("kind") in ("test", "manual"):
                cells.append(GradedCell(cell["grade_id"], cell["kind"], float(cell["points"])))
    return cells


def add_mapping(
    actor: User | None,
    course: Course,
    code: str,
    assignment_name: str = "",
    cell_id: str = "",
    weight: float = 1.0,
) -> SkillMapping:
    """Map unit ``code`` to ``course`` (no assignment), one assignment of its current
    version, or one graded cell of that assignment. ``NotFound`` for an unknown code;
    ``ValidationError`` ``unknown_assignment`` / ``unknown_cell`` / ``invalid_weight``
    (0 < weight <= 100); ``Conflict`` ``duplicate_mapping``. Course managers only. Audited
    as ``skills.map``."""
    _require_manager(actor, course)
    unit = get_unit(code)
    assignment_name, cell_id = (assignment_name or "").strip(), (cell_id or "").strip()
    _check_target(course, assignment_name, cell_id)
    if weight is None or not 0 < weight <= 100:
        raise ValidationError(
            "invalid_weight", _l("The weight must be more than 0 and at most 100."), "weight"
        )
    if _find(unit, course, assignment_name, cell_id) is not None:
        raise Conflict("duplicate_mapping", _l("This unit is already mapped to this work."))
    mapping = SkillMapping(
        unit=unit,
        course=course,
        assignment_name=assignment_name,
        cell_id=cell_id,
        weight=weight,
        source=MappingSource.MANUAL,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(mapping)
    db.session.flush()
    record("skills.map", actor=actor, obj=mapping, details=_describe(mapping))
    return mapping


def _check_target(course: Course, assignment_name: str, cell_id: str) -> None:
    if not assignment_name:
        if cell_id:
            raise ValidationError(
                "unknown_assignment", _l("Choose the assignment the cell belongs to."), "assignment"
            )
        return
    assignment = next((a for a in assignments_of(course) if a.name == assignment_name), None)
    if assignment is None:
        raise ValidationError(
            "unknown_assignment",
            _l("This course has no assignment %(name)s.", name=assignment_name),
            "assignment",
        )
    if cell_id and cell_id not in {c.cell_id for c in graded_cells(assignment)}:
        raise ValidationError(
            "unknown_cell",
            _l("%(name)s has no graded cell %(cell)s.", name=assignment_name, cell=cell_id),
            "cell_id",
        )


def _find(unit: CompetencyUnit, course: Course, assignment_name: str, cell_id: str):
    return db.session.scalar(
        select(SkillMapping).where(
            SkillMapping.unit_id == unit.id,
            SkillMapping.course_id == course.id,
            SkillMapping.assignment_name == assignment_name,
            SkillMapping.cell_id == cell_id,
        )
    )


def _describe(mapping: SkillMapping) -> dict[str, Any]:
    return {
        "unit": mapping.unit.code,
        "course": mapping.course.slug,
        "assignment": mapping.assignment_name,
        "cell": mapping.cell_id,
        "weight": mapping.weight,
    }


def remove_mapping(actor: User | None, mapping: SkillMapping) -> None:
    """Delete ``mapping`` (a package mapping comes back on the next sync). Course managers
    only. Audited as ``skills.unmap``."""
    _require_manager(actor, mapping.course)
    record("skills.unmap", actor=actor, obj=mapping, details=_describe(mapping))
    db.session.delete(mapping)
    db.session.flush()


def sync_course(actor: User | None, course: Course) -> SyncReport:
    """Replace ``course``'s package mappings with what its current version's ``[[skills]]``
    say (or, without a published version, with whole-course mappings for the
    ``Course.skills`` entries that are framework codes). Staff mappings are kept; a package
    entry the staff already mapped is not duplicated. Course managers (``actor`` None: the
    command line). Audited as ``skills.sync``."""
    _require_manager(actor, course)
    report = SyncReport()
    report.removed = db.session.execute(
        delete(SkillMapping).where(
            SkillMapping.course_id == course.id, SkillMapping.source == MappingSource.PACKAGE
        )
    ).rowcount
    wanted = _package_targets(course, report)
    kept = {
        (m.unit_id, m.assignment_name, m.cell_id)
        for m in db.session.scalars(select(SkillMapping).where(SkillMapping.course_id == course.id))
    }
    for unit, assignment_name, cell_id in wanted:
        if (unit.id, assignment_name, cell_id) in kept:
            continue
        kept.add((unit.id, assignment_name, cell_id))
        db.session.add(
            SkillMapping(
                unit_id=unit.id,
                course_id=course.id,
                assignment_name=assignment_name,
                cell_id=cell_id,
                source=MappingSource.PACKAGE,
                created_by_id=getattr(actor, "id", None),
            )
        )
        report.added += 1
    db.session.flush()
    if report.removed and not report.added:
        # The bulk DELETE bypassed the ORM; new mappings would have marked the course.
        refresh_achievements(db.session.connection(), course_ids=[course.id])
    details = {"added": report.added, "removed": report.removed, "units": report.units_created}
    record("skills.sync", actor=actor, obj=course, details=details)
    return report


def _package_targets(course: Course, report: SyncReport) -> list[tuple[CompetencyUnit, str, str]]:
    version = current_version(course)
    units = {u.code: u for u in db.session.scalars(select(CompetencyUnit))}
    if version is None:
        return [(units[code], "", "") for code in course.skills or [] if code in units]
    targets = []
    for skill in version.package_meta.get("skills", []):
        unit = units.get(skill["code"]) or _unit_from_package(course, skill, units, report)
        for evidence in skill.get("evidence", []):
            targets.append((unit, evidence["assignment"], evidence.get("grade_id", "")))
    return targets


def _unit_from_package(course, skill, units, report) -> CompetencyUnit:
    unit = CompetencyUnit(
        code=skill["code"],
        name_ko=skill["name"]["ko"],
        name_en=skill["name"]["en"],
        level=int(skill["level"]),
        track=course.track,
        description_ko="",
        description_en="",
    )
    db.session.add(unit)
    db.session.flush()
    units[unit.code] = unit
    report.units_created.append(unit.code)
    return unit


def sync_all(actor: User | None = None) -> dict[str, SyncReport]:
    """``sync_course`` for every course (the command line and the demo)."""
    courses = db.session.scalars(select(Course).order_by(Course.slug))
    return {course.slug: sync_course(actor, course) for course in courses}
