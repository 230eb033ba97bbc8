"""Achieved units of many learners, decided by the database: the rules of
``lms.skills.evidence`` as one set-based statement per ``CHUNK`` learners, for pages that
need only which units were achieved (organisation dashboards, exports), not the evidence.

The statement follows ``evidence._statuses`` step by step: each learner's counted attempt
per mapped assignment (``graded.counted``), each mapping's ratio (the counted result's cell
with manual points winning, or its earned / possible; 1 for a completed course), per unit
and course the weighted mean over all of the course's mappings of the unit, the best course
(the lowest course id on a tie) and the ``ACHIEVED_AT`` threshold. The tests check that it
answers exactly as the full profiles.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, func, literal, select, type_coerce, union_all

from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.db import UTCDateTime, db
from lms.grading.models import ResultPart
from lms.skills import graded

#: Slack of the threshold comparison, as ``evidence._status`` applies it.
EPSILON = 1e-9


def achieved(user_ids: list[int], threshold: float, dialect: str | None = None) -> Any:
    """CTE ``user_id unit_id at``: the units ``user_ids`` achieved, with the time of the
    latest evidence in the best course. ``dialect`` (``"postgresql"``, ``"sqlite"``): the
    database it will run on; None: the session's (a bare connection passes its own)."""
    maps = graded.mapped()
    counted = graded.counted(user_ids, maps)
    ratios = _ratios(user_ids, maps, counted)
    total = (
        select(
            maps.c.unit_id,
            maps.c.course_id,
            _ordered_sum(maps.c.weight, maps.c.id, dialect).label("weight"),
        )
        .group_by(maps.c.unit_id, maps.c.course_id)
        .cte("total")
    )
    score = _ordered_sum(ratios.c.weight * ratios.c.ratio, ratios.c.mapping_id, dialect) / func.min(
        total.c.weight
    )
    # Only courses at the threshold can be a unit's best course when it is achieved.
    passed = (
        select(
            ratios.c.user_id,
            ratios.c.unit_id,
            ratios.c.course_id,
            score.label("score"),
            func.max(case((ratios.c.ratio > 0, ratios.c.at))).label("at"),
        )
        .join(
            total,
            and_(total.c.unit_id == ratios.c.unit_id, total.c.course_id == ratios.c.course_id),
        )
        .group_by(ratios.c.user_id, ratios.c.unit_id, ratios.c.course_id)
        .having(score >= threshold - EPSILON)
        .cte("passed")
    )
    rank = func.row_number().over(
        partition_by=(passed.c.user_id, passed.c.unit_id),
        order_by=(passed.c.score.desc(), passed.c.course_id),
    )
    best = select(passed, rank.label("rank")).cte("best")
    return (
        select(best.c.user_id, best.c.unit_id, type_coerce(best.c.at, UTCDateTime()).label("at"))
        .where(best.c.rank == 1)
        .cte("achieved")
    )


def _ratios(user_ids: list[int], maps: Any, counted: Any) -> Any:
    """CTE ``user_id mapping_id unit_id course_id weight ratio at``: one row per mapping
    with evidence (a counted attempt of its assignment, or its course completed)."""
    part = ResultPart.__table__.alias("part")
    is_cell = maps.c.cell_id != ""
    earned = case(
        (is_cell, func.coalesce(part.c.manual_earned, part.c.auto_earned, 0.0)),
        else_=func.coalesce(counted.c.earned, 0.0),
    )
    possible = case((is_cell, func.coalesce(part.c.possible, 0.0)), else_=counted.c.possible)
    share = earned / possible
    ratio = case((possible == 0, 0.0), (share < 0, 0.0), (share > 1, 1.0), else_=share)
    graded_rows = (
        select(
            counted.c.user_id,
            maps.c.id.label("mapping_id"),
            maps.c.unit_id,
            maps.c.course_id,
            maps.c.weight,
            ratio.label("ratio"),
            counted.c.at,
        )
        .join(
            maps,
            and_(
                maps.c.course_id == counted.c.course_id,
                maps.c.assignment_name == counted.c.assignment_name,
            ),
        )
        .outerjoin(
            part,
            and_(
                is_cell, part.c.result_id == counted.c.result_id, part.c.cell_id == maps.c.cell_id
            ),
        )
    )
    completed = (
        select(
            Enrollment.user_id,
            maps.c.id,
            maps.c.unit_id,
            maps.c.course_id,
            maps.c.weight,
            literal(1.0),
            func.coalesce(Enrollment.completed_at, Enrollment.created_at),
        )
        .join(maps, and_(maps.c.course_id == Enrollment.course_id, maps.c.assignment_name == ""))
        .where(
            graded.written_in(Enrollment.user_id, user_ids),
            Enrollment.status == EnrollmentStatus.COMPLETED,
        )
    )
    return union_all(graded_rows, completed).cte("ratios")


def _ordered_sum(value: Any, order: Any, dialect: str | None) -> Any:
    """``sum(value)`` added in ``order`` on PostgreSQL (as Python adds the mappings, by id,
    so equal scores stay equal to the last bit); SQLite adds in its scan order."""
    if (dialect or db.session.get_bind().dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        return func.sum(aggregate_order_by(value, order))
    return func.sum(value)


def achieved_rows(user_ids: list[int], threshold: float) -> list[tuple[int, int, datetime]]:
    """``(user_id, unit_id, achieved_at)`` rows of ``user_ids`` (one statement)."""
    chosen = achieved(user_ids, threshold)
    return graded.plain_rows(select(chosen).order_by(chosen.c.user_id, chosen.c.unit_id))


def achieved_counts(user_ids: list[int], threshold: float) -> tuple[dict[int, int], Counter]:
    """``({user: units achieved}, Counter({unit: learners who achieved it}))`` of
    ``user_ids``, counted by the database (one statement)."""
    chosen = achieved(user_ids, threshold)
    kind = literal("user", String)
    per_user = select(kind, chosen.c.user_id, func.count()).group_by(chosen.c.user_id)
    per_unit = select(literal("unit", String), chosen.c.unit_id, func.count()).group_by(
        chosen.c.unit_id
    )
    users: dict[int, int] = {}
    units: Counter = Counter()
    for what, key, n in graded.plain_rows(union_all(per_user, per_unit)):
        (users if what == "user" else units)[key] = n
    return users, units
