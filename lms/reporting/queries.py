"""What an organisation may see of its current members, computed set-based.

``build_scope`` reads who is a member (in the department filtered on) and what each shares
(``lms.consent.services.consented_kinds``, never cached: a withdrawal counts at once). The
enrolments in scope are those of members who share their progress, in the filtered courses
and status; *at risk* is ``lms.completion.progress``'s definition, read without computing
every enrolment's figures: behind schedule is ``enrollments.next_due_at < now`` (kept by
``lms.catalog.deadlines``), failing labs is ``enrollments.labs_failing`` (kept by
``lms.completion.failing``) for members who also share their scores.

The dashboard's aggregates are grouped by the database (``overview``: a row per department
and per programme comes back); only the enrolments a page lists reach Python
(``enrolment_figures(scope, user_ids)``), and ``Figures.ensure`` computes their figures. Every
aggregate includes only members who consented to the kind of data it is made of. A fixed
number of SQL statements whatever the size of the organisation; no access checks here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, func, literal, or_, select, type_coerce, union_all

from lms.catalog.models import Enrollment, EnrollmentStatus, ProgrammeCourse
from lms.completion.progress import EnrollmentFigures, in_ids, progress_for
from lms.consent.models import Consent, DataKind
from lms.consent.services import (
    consent_masks,
    consented_kinds,
    consenting,
    kinds_of_mask,
)
from lms.db import db, utcnow
from lms.hub.models import LabSession
from lms.orgs.models import Membership, Organisation
from lms.reporting.filters import ReportFilter

REPORTED_KINDS = (DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS)
ACTIVE, COMPLETED = EnrollmentStatus.ACTIVE.value, EnrollmentStatus.COMPLETED.value
_E = Enrollment.__table__


class Scope:
    """Current members of ``org`` in the filtered department and what each shares.

    Set-based pages join it as SQL (``members``, ``consents``, ``sharing_select``): the
    dashboard never brings thousands of members into Python. Pages that need per-person
    answers read ``departments`` / ``shared`` (everyone, on first use) or ``kinds_for``
    (only the people listed). Consents are read afresh by each statement: a withdrawal
    counts on the next request."""

    def __init__(
        self,
        org: Organisation,
        filters: ReportFilter,
        departments: dict[int, int | None] | None = None,
        shared: dict[int, frozenset[DataKind]] | None = None,
        today: date | None = None,
    ) -> None:
        self.org, self.filters = org, filters
        self.today, self.now = today or date.today(), utcnow()
        self._departments, self._shared = departments, shared

    # SQL -------------------------------------------------------------------------------
    def members(self) -> Any:
        """Subquery ``user_id, department_id``: one row per current member (in the
        filtered department)."""
        m = Membership
        stmt = select(m.user_id, func.min(m.department_id).label("department_id")).where(
            m.org_id == self.org.id,
            m.started_on <= self.today,
            or_(m.ended_on.is_(None), m.ended_on >= self.today),
        )
        if self.filters.department_id is not None:
            stmt = stmt.where(m.department_id == self.filters.department_id)
        return stmt.group_by(m.user_id).subquery("members")

    def consents(self) -> Any:
        """Subquery ``user_id, mask`` of the organisation's members sharing something."""
        return consent_masks(self.org.id, self.today).subquery("shares")

    def sharing_select(self, *kinds: DataKind) -> Any:
        """SELECT of the ids of members in scope who share all ``kinds``: a row-level
        condition per kind (the planner estimates it from the column statistics; a filter
        on the aggregated mask was estimated at 1 % and planned as thousands of loops)."""
        stmt = None
        for kind in kinds:
            one = consenting(self.org.id, kind, self.today, self.filters.department_id)
            stmt = one if stmt is None else stmt.where(Consent.user_id.in_(one))
        return stmt

    # Python ----------------------------------------------------------------------------
    @property
    def departments(self) -> dict[int, int | None]:
        """user id -> department id of every member in scope (read once with ``shared``)."""
        if self._departments is None:
            self._load()
        return self._departments

    @property
    def shared(self) -> dict[int, frozenset[DataKind]]:
        """What each member in scope shares (read once with ``departments``)."""
        if self._shared is None:
            self._load()
        return self._shared

    def _load(self) -> None:
        """One statement: every member in scope, their department and what they share."""
        m, c = self.members(), self.consents()
        stmt = select(m.c.user_id, m.c.department_id, c.c.mask).select_from(
            m.outerjoin(c, c.c.user_id == m.c.user_id)
        )
        departments, shared = {}, {}
        for user_id, department_id, mask in _execute(stmt):
            departments[user_id] = department_id
            if mask:
                shared[user_id] = kinds_of_mask(mask)
        self._departments, self._shared = departments, shared

    def kinds_for(self, user_ids: Collection[int]) -> dict[int, frozenset[DataKind]]:
        """What these members share: from ``shared`` when read, else one statement."""
        if self._shared is not None:
            return {uid: self._shared.get(uid, frozenset()) for uid in user_ids}
        found = consented_kinds(self.org.id, user_ids) if user_ids else {}
        return {uid: found.get(uid, frozenset()) for uid in user_ids}


@dataclass
class Figures:
    """Figures of the in-scope enrolments of members who share their progress."""

    enrolments: list[tuple[int, int, int, str]]  # id, user id, course id, status
    by_id: dict[int, EnrollmentFigures]
    at_risk: set[int] = field(default_factory=set)  # enrolment ids

    _by_user: dict[int, list[tuple[int, int, int, str]]] | None = None

    def ensure(self, enrollment_ids: Collection[int]) -> None:
        """Compute the figures of these enrolments unless known (``progress_for``)."""
        missing = [i for i in enrollment_ids if i not in self.by_id]
        if missing:
            self.by_id.update(progress_for(missing))

    def of_user(self, user_id: int) -> list[tuple[int, int, int, str]]:
        if self._by_user is None:
            self._by_user = defaultdict(list)
            for e in self.enrolments:
                self._by_user[e[1]].append(e)
        return self._by_user.get(user_id, [])


def build_scope(org: Organisation, filters: ReportFilter, today: date | None = None) -> Scope:
    """The scope of a report (no statement yet: see ``Scope``)."""
    return Scope(org, filters, today=today)


def _at_risk(scope: Scope, among: Collection[int] | None = None) -> Any:
    """SQL: the enrolment is at risk — active, and behind schedule (``next_due_at < now``)
    or failing a lab (``labs_failing``) for a member who shares their scores. ``among``: the
    few members a page lists (their consents are then known, no subquery)."""
    behind = and_(_E.c.next_due_at.is_not(None), _E.c.next_due_at < scope.now)
    if among is None:
        shares_scores = _E.c.user_id.in_(scope.sharing_select(DataKind.SCORES))
    else:
        kinds = scope.kinds_for(among)
        scores = sorted(u for u in among if DataKind.SCORES in kinds[u])
        shares_scores = in_ids(_E.c.user_id, scores)
    failing = and_(_E.c.labs_failing.is_(True), shares_scores)
    return and_(_E.c.status == ACTIVE, or_(behind, failing))


def _in_scope(scope: Scope, among: Collection[int] | None = None) -> list[Any]:
    """SQL conditions selecting the enrolments in scope (of the members ``among`` only,
    when given: a page's few members, whose consents are then read once, not joined)."""
    if among is None:
        conditions = [_E.c.user_id.in_(scope.sharing_select(DataKind.PROGRESS))]
    else:
        kinds = scope.kinds_for(among)
        sharing = sorted(u for u in among if DataKind.PROGRESS in kinds[u])
        conditions = [in_ids(_E.c.user_id, sharing)]
    allowed = scope.filters.course_ids()
    if allowed is not None:
        conditions.append(in_ids(_E.c.course_id, sorted(allowed)))
    status = scope.filters.status
    if status == "at_risk":
        conditions.append(_at_risk(scope, among))
    elif status is not None:
        conditions.append(_E.c.status == status)
    return conditions


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def enrolment_figures(scope: Scope, user_ids: Collection[int] | None = None) -> Figures:
    """The enrolments in scope (of ``user_ids`` only, when given), ordered by id, and which
    are at risk. Figures are computed later, only for the enrolments shown
    (``Figures.ensure``). One statement."""
    if user_ids is not None:
        user_ids = sorted(set(user_ids))
        if not user_ids:
            return Figures([], {})
    return _enrolments(_enrolment_rows(scope, user_ids))


def enrolment_page(scope: Scope, offset: int, limit: int) -> tuple[Figures, int]:
    """One page of the enrolments in scope by id, and how many there are (two statements:
    the HR API pages through thousands this way)."""
    count = select(func.count()).select_from(_E).where(*_in_scope(scope))
    total = db.session.connection().execute(count).scalar_one()
    return _enrolments(_enrolment_rows(scope).offset(offset).limit(limit)), total


def _enrolment_rows(scope: Scope, among: list[int] | None = None) -> Any:
    """SELECT id, user id, course id, status (as text: the Enum column type's per-row
    conversion costs ~5x the query) and the at-risk flag of the enrolments in scope."""
    status_text = type_coerce(_E.c.status, String)
    flagged = _flag(_at_risk(scope, among))
    stmt = select(_E.c.id, _E.c.user_id, _E.c.course_id, status_text, flagged)
    return stmt.where(*_in_scope(scope, among)).order_by(_E.c.id)


def _enrolments(stmt: Any) -> Figures:
    rows, at_risk = [], set()
    for eid, uid, cid, status, flagged in _execute(stmt):
        rows.append((eid, uid, cid, status))
        if flagged:
            at_risk.add(eid)
    return Figures(rows, {}, at_risk)


def enrolled_user_ids(scope: Scope) -> list[int]:
    """Members with an enrolment in scope (one statement)."""
    return sorted(row[0] for row in _execute(enrolled_select(scope)))


def in_scope_ids(scope: Scope) -> Any:
    """SELECT of the ids of the enrolments in scope (for a subquery)."""
    return select(_E.c.id).where(*_in_scope(scope))


def risk_reasons(figures: EnrollmentFigures, kinds: frozenset[DataKind]) -> tuple[str, ...]:
    """The at-risk reasons the organisation may see (failing labs only with scores)."""
    return tuple(
        r for r in figures.at_risk_reasons if r != "failing_labs" or DataKind.SCORES in kinds
    )


@dataclass(frozen=True)
class StatusCounts:
    members: int  # members with at least one enrolment in scope
    enrolled: int
    active: int
    at_risk: int
    completed: int


@dataclass(frozen=True)
class GroupRow:
    """One department or programme: members, how many share progress, enrolment counts."""

    key: int | None
    members: int
    sharing: int
    counts: StatusCounts


@dataclass(frozen=True)
class Overview:
    """The dashboard's aggregates."""

    members: int  # current members in scope
    sharing: dict[str, int]  # kind -> members sharing it
    counts: StatusCounts
    departments: list[GroupRow]
    programmes: list[GroupRow]


def overview(scope: Scope) -> Overview:
    """Members and what they share per department (from ``Scope.departments``/``shared``:
    one statement), enrolment counts per department and per programme (one statement
    grouped by the database: a row per department or programme comes back, never a row per
    enrolment)."""
    per_department: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    shared, nothing = scope.shared, frozenset()
    for user_id, department_id in scope.departments.items():
        counts = per_department[department_id]  # members, sharing progress, scores, skills
        counts[0] += 1
        kinds = shared.get(user_id, nothing)
        for i, kind in enumerate(REPORTED_KINDS, 1):
            if kind in kinds:
                counts[i] += 1
    enrolled, programmes = _enrolment_counts(scope)
    empty = StatusCounts(0, 0, 0, 0, 0)
    departments = [
        GroupRow(key, people_[0], people_[1], enrolled.get(key, empty))
        for key, people_ in per_department.items()
    ]
    total = StatusCounts(*(sum(getattr(g.counts, f) for g in departments) for f in _FIELDS))
    return Overview(
        sum(p[0] for p in per_department.values()),
        {
            k.value: sum(p[1 + i] for p in per_department.values())
            for i, k in enumerate(REPORTED_KINDS)
        },
        total,
        departments,
        programmes,
    )


_FIELDS = ("members", "enrolled", "active", "at_risk", "completed")


def _enrolment_counts(scope: Scope) -> tuple[dict[int | None, StatusCounts], list[GroupRow]]:
    """Per department and per programme: members with enrolments in scope, enrolments,
    active, at risk, completed. One statement: the enrolments in scope are filtered once
    (a CTE), grouped per member, then per department and per (programme, member), then per
    programme — hash aggregates only (a COUNT(DISTINCT) would sort every enrolment)."""
    scoped = (
        select(
            _E.c.user_id,
            _E.c.course_id,
            _flag(_E.c.status == ACTIVE).label("active"),
            _flag(_at_risk(scope)).label("at_risk"),
            _flag(_E.c.status == COMPLETED).label("completed"),
        )
        .where(*_in_scope(scope))
        .cte("scoped")
    )
    sums = (
        func.count().label("n"),
        func.sum(scoped.c.active).label("active"),
        func.sum(scoped.c.at_risk).label("at_risk"),
        func.sum(scoped.c.completed).label("completed"),
    )
    m, pc = scope.members(), ProgrammeCourse.__table__
    per_user = select(scoped.c.user_id, *sums).group_by(scoped.c.user_id).subquery("per_user")
    by_department = (
        select(
            literal("d").label("kind"),
            m.c.department_id.label("key"),
            func.count().label("users"),
            *(func.sum(per_user.c[name]) for name in ("n", "active", "at_risk", "completed")),
        )
        .select_from(per_user.join(m, m.c.user_id == per_user.c.user_id))
        .group_by(m.c.department_id)
    )
    per_pair = (
        select(pc.c.programme_id, scoped.c.user_id, *sums)
        .select_from(scoped.join(pc, pc.c.course_id == scoped.c.course_id))
        .group_by(pc.c.programme_id, scoped.c.user_id)
        .subquery("per_pair")
    )
    by_programme = select(
        literal("p").label("kind"),
        per_pair.c.programme_id.label("key"),
        func.count().label("users"),
        *(func.sum(per_pair.c[name]) for name in ("n", "active", "at_risk", "completed")),
    ).group_by(per_pair.c.programme_id)
    departments: dict[int | None, StatusCounts] = {}
    programmes: list[GroupRow] = []
    for kind, key, users, n, active, at_risk, completed in _execute(
        union_all(by_department, by_programme)
    ):
        counts = _status_counts((n, active, at_risk, completed, users))
        if kind == "d":
            departments[key] = counts
        else:
            programmes.append(GroupRow(key, counts.members, counts.members, counts))
    return departments, programmes


def _status_counts(row: Any) -> StatusCounts:
    n, active, at_risk, completed, users = (int(v or 0) for v in row)
    return StatusCounts(users, n, active, at_risk, completed)


def enrolled_select(scope: Scope) -> Any:
    """SELECT of the ids of members with an enrolment in scope."""
    return select(_E.c.user_id).where(*_in_scope(scope)).distinct()


def _execute(stmt: Any) -> list[Any]:
    return db.session.connection().execute(stmt).all()


def gpu_hours(org: Organisation, user_ids: Collection[int] | Any) -> dict[int, float]:
    """GPU-hours per member (``user_ids``: ids, or a SELECT of them) of the lab sessions
    ``org`` sponsored (open ones up to now), one statement. Counted like
    ``lms.hub.accounting.gpu_hours_used``."""
    if isinstance(user_ids, Collection):
        if not user_ids:
            return {}
        wanted = in_ids(LabSession.user_id, sorted(user_ids))
    else:
        wanted = LabSession.user_id.in_(user_ids)
    stmt = select(
        LabSession.user_id, LabSession.started_at, LabSession.stopped_at, LabSession.gpu_share
    ).where(LabSession.org_id == org.id, LabSession.gpu_share > 0, wanted)
    now, hours = utcnow(), defaultdict(float)
    for user_id, started, stopped, share in db.session.execute(stmt):
        hours[user_id] += ((stopped or now) - started).total_seconds() * share / 3600
    return dict(hours)


def skills_gained(user_ids: set[int]) -> dict[int, list]:
    """Achieved skills of these members with their evidence
    (``lms.skills.evidence.skills_gained``): for one member's page."""
    if not user_ids:
        return {}
    from lms.skills.evidence import skills_gained as gained

    return gained(sorted(user_ids))


def skill_counts(users: Collection[int] | Any) -> Any:
    """How many units each of these members (ids, or a SELECT of distinct ids) achieved and
    how many of them achieved each unit: ``lms.skills.evidence.AchievementCounts`` read
    from the stored achievements (``lms.skills.stored``, kept with the grades), for the
    dashboard's chart, the member table and the export."""
    from lms.skills.stored import stored_achievement_counts

    if isinstance(users, Collection):
        users = sorted(users)
    return stored_achievement_counts(users)


def last_activity(figures: Figures, user_id: int) -> datetime | None:
    times = [
        figures.by_id[e[0]].last_activity_at
        for e in figures.of_user(user_id)
        if e[0] in figures.by_id and figures.by_id[e[0]].last_activity_at is not None
    ]
    return max(times, default=None)
