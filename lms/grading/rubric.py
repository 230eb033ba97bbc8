"""Rubrics for manually graded cells: criteria with points, ticked per learner's cell.

``course.toml`` (schema_version 1) has no rubric field — the package keeps the rubric as
text in the locked cell above the answer — so course staff define the criteria on the
page, per assignment name and cell (they survive new versions). Ticking criteria sets the
cell's manual points to their sum (capped at the cell's points) through
``review.set_manual_score``, so the rule "manual points win" and its audit apply as for
points typed by hand. All check ``can_manage_course``, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import Forbidden, ValidationError
from lms.grading.models import GradingResult, ResultPart, RubricCheck, RubricCriterion, Submission
from lms.grading.review import set_manual_score


def _course_of(part: ResultPart) -> tuple[Course, Submission]:
    result = db.session.get(GradingResult, part.result_id)
    submission = db.session.get(Submission, result.submission_id)
    return db.session.get(Course, submission.course_id), submission


def _require_manager(actor: User | None, course: Course) -> None:
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))


def criteria_for(part: ResultPart) -> list[RubricCriterion]:
    """The rubric of ``part``'s cell (same course, assignment name and cell), in order."""
    _course, submission = _course_of(part)
    return list(
        db.session.scalars(
            select(RubricCriterion)
            .where(
                RubricCriterion.course_id == submission.course_id,
                RubricCriterion.assignment_name == submission.assignment_name,
                RubricCriterion.cell_id == part.cell_id,
            )
            .order_by(RubricCriterion.id)
        )
    )


def ticked_ids(part: ResultPart) -> set[int]:
    """Ids of the criteria ticked for ``part``."""
    rows = db.session.scalars(
        select(RubricCheck.criterion_id).where(RubricCheck.part_id == part.id)
    )
    return set(rows)


def add_criterion(
    actor: User | None, part: ResultPart, text: str, points: float
) -> RubricCriterion:
    """Add a criterion to the rubric of ``part``'s cell (manually graded cells only).

    ``ValidationError``: ``not_manual`` for an autograded cell, ``invalid_text`` (empty or
    over 300 characters), ``invalid_points`` (not in (0, cell points]), ``duplicate``.
    Audited as ``rubric.criterion``. Course managers only.
    """
    course, submission = _course_of(part)
    _require_manager(actor, course)
    text = (text or "").strip()
    if part.kind != "manual":
        raise ValidationError("not_manual", _l("Rubrics are for manually graded cells."))
    if not text or len(text) > 300:
        raise ValidationError(
            "invalid_text", _l("Describe the criterion in 1 to 300 characters."), "text"
        )
    if points is None or not 0 < points <= part.possible:
        raise ValidationError(
            "invalid_points",
            _l("Points must be more than 0 and at most %(max)s.", max=part.possible),
            "points",
        )
    if any(c.text == text for c in criteria_for(part)):
        raise ValidationError("duplicate", _l("This criterion is already in the rubric."), "text")
    criterion = RubricCriterion(
        course_id=course.id,
        assignment_name=submission.assignment_name,
        cell_id=part.cell_id,
        text=text,
        points=points,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(criterion)
    db.session.flush()
    details = {"assignment": submission.assignment_name, "cell": part.cell_id, "points": points}
    record("rubric.criterion", actor=actor, obj=criterion, details=details | {"text": text})
    return criterion


def apply_rubric(
    actor: User | None, part: ResultPart, criterion_ids: Iterable[int], comment: str = ""
) -> GradingResult:
    """Tick exactly ``criterion_ids`` for ``part`` and set its manual points to their sum
    (at most the cell's points); ``comment`` is the cell's comment. Ids outside the cell's
    rubric: ``ValidationError`` ``unknown_criterion``. Audited as ``grade.manual`` (by
    ``set_manual_score``) with the ticked criteria. Course managers only."""
    course, _submission = _course_of(part)
    _require_manager(actor, course)
    rubric = {c.id: c for c in criteria_for(part)}
    chosen = set(criterion_ids)
    if not chosen <= rubric.keys():
        raise ValidationError("unknown_criterion", _l("A ticked criterion is not in this rubric."))
    db.session.execute(delete(RubricCheck).where(RubricCheck.part_id == part.id))
    db.session.add_all(RubricCheck(part_id=part.id, criterion_id=i) for i in sorted(chosen))
    points = min(sum(rubric[i].points for i in chosen), part.possible)
    result = set_manual_score(actor, part, points, comment)
    record(
        "rubric.applied",
        actor=actor,
        obj=result,
        details={"cell": part.cell_id, "criteria": sorted(chosen), "points": points},
    )
    return result
