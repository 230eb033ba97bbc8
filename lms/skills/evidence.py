"""Skill profiles built from graded evidence (the CONTRACT other domains use).

    skill_profile(user) -> list[SkillStatus]
    skills_gained(user_ids) -> dict[int, list[SkillStatus]]   # achieved units only
    achieved_units(user_ids) -> dict[int, list[Achieved]]     # the same, without evidence
    achievement_counts(user_ids) -> AchievementCounts         # per learner and per unit

The rules (docs/skills.md):

- A mapping's evidence is measured on the learner's *counted* attempt of the assignment —
  the one the gradebook counts (graded attempts' scores after the late penalty, a regraded
  attempt with its latest result, last or best attempt as the course's current version
  says). A cell mapping takes that result's cell (manual points winning) as
  earned / possible; an assignment mapping the result's earned / possible (lateness lowers
  grades, not the evidence of the skill). A course mapping is met by a confirmed completion
  of the course (the enrolment is *completed*).
- Within one course a unit's score is the weighted mean of its mappings' ratios (a mapping
  without evidence counts 0). A unit mapped in several courses takes its best course: each
  course is a way to show the skill. The unit is *achieved* at ``ACHIEVED_AT`` (80 %),
  *in progress* above 0, else *not started*.

Profiles are computed from the grades, so regrades, manual points and revoked completions
show at once; only the achieved units are also stored (``lms.skills.stored``, kept in the
same transaction as the grades), with ``achieved_units`` / ``achievement_counts`` as the
oracle the stored rows are checked against. Every function runs a fixed number of queries
whatever the number of users (user ids go into the queries in chunks of ``CHUNK``).
``achieved_units`` and ``achievement_counts`` let the database apply the rules
(``lms.skills.achievements``) and answer exactly as ``skills_gained`` for pages that need no
evidence.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.db import db
from lms.skills import achievements, graded
from lms.skills.graded import MapRow, UnitInfo

#: Share of the weighted evidence at which a unit counts as achieved.
ACHIEVED_AT = 0.8

ACHIEVED, IN_PROGRESS, NOT_STARTED = "achieved", "in_progress", "not_started"


@dataclass(frozen=True)
class Evidence:
    """One mapping's evidence for one learner. ``submission_id``/``result_id`` are None for
    a course mapping (the evidence is the completed enrolment) and when nothing is graded."""

    target: str  # "course" | "assignment" | "cell"
    course_id: int
    course_slug: str
    assignment_name: str
    cell_id: str
    weight: float
    ratio: float
    submission_id: int | None = None
    result_id: int | None = None
    earned: float | None = None
    possible: float | None = None
    at: datetime | None = None

    @property
    def has_evidence(self) -> bool:
        return self.at is not None


@dataclass(frozen=True)
class SkillStatus:
    """A learner's standing on one competency unit."""

    unit_id: int
    code: str
    name_ko: str
    name_en: str
    track: str
    level: int
    score: float  # 0..1, the best course's weighted evidence
    state: str  # ACHIEVED | IN_PROGRESS | NOT_STARTED
    achieved_at: datetime | None
    best_course_id: int | None
    evidence: tuple[Evidence, ...] = field(default=())

    @property
    def achieved(self) -> bool:
        return self.state == ACHIEVED

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_ko


def skill_profile(user: User, course_ids: Collection[int] | None = None) -> list[SkillStatus]:
    """Every unit mapped in a course ``user`` is enrolled in (not dropped) or has graded
    evidence in, with its state and evidence, by track, level and code. ``course_ids``
    limits it to those courses' mappings (what one instructor may see). No access check:
    the caller decides who may see whose profile."""
    enrolled = set(
        db.session.scalars(
            select(Enrollment.course_id).where(
                Enrollment.user_id == user.id, Enrollment.status != EnrollmentStatus.DROPPED
            )
        )
    )
    statuses = _statuses([user.id], course_ids, keep_courses={user.id: enrolled})
    return statuses.get(user.id, [])


def skills_gained(user_ids: Collection[int]) -> dict[int, list[SkillStatus]]:
    """The units each of ``user_ids`` has achieved (``state == "achieved"``), by track,
    level and code; every requested id is a key (an empty list when none). A fixed number of
    queries per ``CHUNK`` users. No access or consent check: REPORTING filters ``user_ids``
    by consent (DataKind.SKILLS) before calling."""
    out: dict[int, list[SkillStatus]] = {uid: [] for uid in user_ids}
    out.update(_statuses(list(out), None, keep_courses=None, only_achieved=True))
    return out


class Achieved(NamedTuple):
    """A unit a learner achieved and when (the latest evidence in the best course)."""

    unit_id: int
    achieved_at: datetime | None


@dataclass(frozen=True)
class AchievementCounts:
    """How many units each learner achieved (``per_user``, every requested id a key) and
    how many of them achieved each unit (``per_unit``), with the units' names."""

    per_user: dict[int, int]
    per_unit: Counter[int]
    units: dict[int, UnitInfo]

    def most_achieved(self, n: int) -> list[tuple[UnitInfo, int]]:
        """The ``n`` units most learners achieved, most first (then by code)."""
        ranked = sorted(self.per_unit.items(), key=lambda kv: (-kv[1], self.units[kv[0]].code))
        return [(self.units[unit_id], count) for unit_id, count in ranked[:n]]


def achieved_units(user_ids: Collection[int]) -> dict[int, list[Achieved]]:
    """The units each of ``user_ids`` has achieved, by unit id, as ``skills_gained`` says
    (same units, same ``achieved_at``) without building evidence; every requested id is a
    key. One statement per ``CHUNK`` users. No access or consent check."""
    out: dict[int, list[Achieved]] = {uid: [] for uid in user_ids}
    for chunk in graded.chunks(list(out)):
        for uid, unit_id, at in achievements.achieved_rows(chunk, ACHIEVED_AT):
            out[uid].append(Achieved(unit_id, at))
    return out


def achievement_counts(user_ids: Collection[int]) -> AchievementCounts:
    """Per learner of ``user_ids`` the number of units achieved (0 included) and per unit
    the number of those learners who achieved it, counted by the database as
    ``skills_gained`` decides; one statement per ``CHUNK`` users and one for the units'
    names. No access or consent check (REPORTING filters ``user_ids`` by consent)."""
    per_user = dict.fromkeys(user_ids, 0)
    per_unit: Counter[int] = Counter()
    for chunk in graded.chunks(list(per_user)):
        users, units = achievements.achieved_counts(chunk, ACHIEVED_AT)
        per_user.update(users)
        per_unit.update(units)
    return AchievementCounts(per_user, per_unit, graded.load_units(per_unit))


def _statuses(
    user_ids: list[int],
    course_ids: Collection[int] | None,
    keep_courses: dict[int, set[int]] | None,
    only_achieved: bool = False,
) -> dict[int, list[SkillStatus]]:
    """Statuses per user. ``keep_courses`` (per user): also list units of these courses
    without evidence (not started); None lists only units with some evidence. Only the
    units a learner's graded work or completions touch are evaluated; with
    ``only_achieved`` evidence is built only for the units found achieved."""
    mappings = graded.load_mappings(course_ids)
    if not mappings or not user_ids:
        return {}
    facts = (
        graded.counted_attempts(user_ids, mappings, course_ids),
        {},
        graded.completions(user_ids, mappings),
    )
    facts[1].update(graded.cell_points(facts[0], mappings))
    by_unit: dict[int, list[MapRow]] = defaultdict(list)
    touched: dict[tuple[int, str], set[int]] = defaultdict(set)
    for m in mappings:
        by_unit[m.unit_id].append(m)
        touched[(m.course_id, m.assignment_name)].add(m.unit_id)
    units_of: dict[int, set[int]] = defaultdict(set)
    for uid, course_id, name in facts[0]:
        units_of[uid] |= touched.get((course_id, name), set())
    for uid, course_id in facts[2]:
        units_of[uid] |= touched.get((course_id, ""), set())
    out: dict[int, list[SkillStatus]] = {}
    for uid in user_ids:
        wanted = (keep_courses or {}).get(uid, set())
        units = units_of.get(uid, set()) | {m.unit_id for m in mappings if m.course_id in wanted}
        if only_achieved:
            units = {u for u in units if _judge(_measures(uid, by_unit[u], facts))[1] == ACHIEVED}
        statuses = [
            _status(by_unit[unit_id][0].unit, [_evidence(uid, m, facts) for m in by_unit[unit_id]])
            for unit_id in units
        ]
        out[uid] = sorted(statuses, key=lambda s: (s.track, s.level, s.code))
    return out


class _Measure(NamedTuple):
    course_id: int
    weight: float
    ratio: float
    at: datetime | None


def _measures(uid: int, mappings: list[MapRow], facts: tuple) -> list[_Measure]:
    """What ``_evidence`` would find for ``mappings``, without the rest of the evidence."""
    out = []
    for m in mappings:
        ratio, _attempt, _earned, _possible, at = _measure(uid, m, facts)
        out.append(_Measure(m.course_id, m.weight, ratio, at))
    return out


def _measure(uid: int, m: MapRow, facts: tuple) -> tuple:
    """``(ratio, counted attempt, earned, possible, at)`` of mapping ``m`` for ``uid``."""
    counted, parts, completed = facts
    if m.target == "course":
        at = completed.get((uid, m.course_id))
        return 1.0 if at else 0.0, None, None, None, at
    attempt = counted.get((uid, m.course_id, m.assignment_name))
    if attempt is None:
        return 0.0, None, None, None, None
    if m.target == "cell":
        earned, possible = parts.get((attempt.result_id, m.cell_id), (0.0, 0.0))
    else:
        earned, possible = attempt.earned or 0.0, attempt.possible
    ratio = min(max(earned / possible, 0.0), 1.0) if possible else 0.0
    return ratio, attempt, earned, possible, attempt.at


def _evidence(uid: int, m: MapRow, facts: tuple) -> Evidence:
    """One learner's evidence for mapping ``m`` (ratio 0 and no time when there is none)."""
    ratio, attempt, earned, possible, at = _measure(uid, m, facts)
    return Evidence(
        target=m.target,
        course_id=m.course_id,
        course_slug=m.course_slug,
        assignment_name=m.assignment_name,
        cell_id=m.cell_id,
        weight=m.weight,
        ratio=ratio,
        submission_id=attempt.submission_id if attempt else None,
        result_id=attempt.result_id if attempt else None,
        earned=earned,
        possible=possible,
        at=at,
    )


def _judge(found: list) -> tuple[float, str, datetime | None, int | None]:
    """``(score, state, achieved_at, best course id)`` of a unit from its mappings' evidence
    (items with ``course_id weight ratio at``, in mapping order)."""
    per_course: dict[int, list] = defaultdict(list)
    for e in found:
        per_course[e.course_id].append(e)
    scores = {
        course_id: sum(e.weight * e.ratio for e in items) / sum(e.weight for e in items)
        for course_id, items in per_course.items()
    }
    best = max(scores, key=lambda c: (scores[c], -c))
    score = scores[best]
    state = ACHIEVED if score >= ACHIEVED_AT - 1e-9 else IN_PROGRESS if score > 0 else NOT_STARTED
    times = [e.at for e in per_course[best] if e.at is not None and e.ratio > 0]
    achieved_at = max(times) if state == ACHIEVED and times else None
    return score, state, achieved_at, best if score > 0 else None


def _status(unit: UnitInfo, found: list[Evidence]) -> SkillStatus:
    score, state, achieved_at, best = _judge(found)
    return SkillStatus(
        unit_id=unit.id,
        code=unit.code,
        name_ko=unit.name_ko,
        name_en=unit.name_en,
        track=unit.track,
        level=unit.level,
        score=score,
        state=state,
        achieved_at=achieved_at,
        best_course_id=best,
        evidence=tuple(sorted(found, key=lambda e: (e.course_slug, e.assignment_name, e.cell_id))),
    )
