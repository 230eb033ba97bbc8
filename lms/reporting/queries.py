"""What an organisation may see of its current members, computed set-based.

``build_scope`` reads who is a member (in the department filtered on) and what each shares
(``lms.consent.services.consented_kinds``, never cached: a withdrawal counts at once). The
enrolments in scope are those of members who share their progress, in the filtered courses
and status; *at risk* is ``lms.completion.progress``'s definition, read without computing
every enrolment's figures: behind schedule is ``enrollments.next_due_at < now`` (kept by
``lms.catalog.deadlines``), failing labs is ``progress_for`` on the few graded enrolments of
members who also share their scores (``lms.reporting.risk``).

The dashboard's aggregates are grouped by the database (``overview``: one row per member
with enrolments, one per programme); only the enrolments a page lists reach Python
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

from sqlalchemy import String, and_, case, func, or_, select, type_coerce

from lms.catalog.models import Enrollment, EnrollmentStatus, ProgrammeCourse
from lms.completion.progress import EnrollmentFigures, in_ids, progress_for
from lms.consent.models import DataKind
from lms.consent.services import consented_kinds
from lms.db import db, utcnow
from lms.hub.models import LabSession
from lms.orgs.models import Membership, Organisation
from lms.reporting import risk
from lms.reporting.filters import ReportFilter

REPORTED_KINDS = (DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS)
ACTIVE, COMPLETED = EnrollmentStatus.ACTIVE.value, EnrollmentStatus.COMPLETED.value
_E = Enrollment.__table__


@dataclass
class Scope:
    """Current members of ``org`` in the filtered department and what each shares."""

    org: Organisation
    filters: ReportFilter
    departments: dict[int, int | None]  # user id -> department id
    shared: dict[int, frozenset[DataKind]]
    now: datetime = field(default_factory=utcnow)
    _sharing: dict[DataKind, set[int]] = field(default_factory=dict, repr=False)
    _failing: set[int] | None = field(default=None, repr=False)

    def sharing(self, kind: DataKind) -> set[int]:
        if kind not in self._sharing:
            self._sharing[kind] = {uid for uid, kinds in self.shared.items() if kind in kinds}
        return self._sharing[kind]

    def failing(self) -> set[int]:
        """Active enrolments in scope failing a lab, of members sharing progress and scores
        (computed once per scope)."""
        if self._failing is None:
            both = self.sharing(DataKind.PROGRESS) & self.sharing(DataKind.SCORES)
            self._failing = risk.failing_ids(sorted(both), self.filters.course_ids())
        return self._failing

    def kinds_of(self, user_id: int) -> frozenset[DataKind]:
        return self.shared.get(user_id, frozenset())


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
    """Two statements: the current memberships and the consents."""
    departments = dict(db.session.execute(_current(org, filters.department_id, today)).all())
    shared = consented_kinds(org.id, departments.keys()) if departments else {}
    return Scope(org, filters, departments, shared)


def _current(org: Organisation, department_id: int | None, today: date | None):  # -> Select
    today = today or date.today()
    stmt = select(Membership.user_id, Membership.department_id).where(
        Membership.org_id == org.id,
        Membership.started_on <= today,
        or_(Membership.ended_on.is_(None), Membership.ended_on >= today),
    )
    if department_id is not None:
        stmt = stmt.where(Membership.department_id == department_id)
    return stmt


def _at_risk(scope: Scope) -> Any:
    """SQL: the enrolment is at risk (active, and behind schedule or failing a lab)."""
    behind = and_(_E.c.next_due_at.is_not(None), _E.c.next_due_at < scope.now)
    failing = sorted(scope.failing())
    reason = or_(behind, in_ids(_E.c.id, failing)) if failing else behind
    return and_(_E.c.status == ACTIVE, reason)


def _in_scope(scope: Scope) -> list[Any] | None:
    """SQL conditions selecting the enrolments in scope (None: there are none)."""
    sharing = sorted(scope.sharing(DataKind.PROGRESS))
    if not sharing:
        return None
    conditions = [in_ids(_E.c.user_id, sharing)]
    allowed = scope.filters.course_ids()
    if allowed is not None:
        conditions.append(in_ids(_E.c.course_id, sorted(allowed)))
    status = scope.filters.status
    if status == "at_risk":
        conditions.append(_at_risk(scope))
    elif status is not None:
        conditions.append(_E.c.status == status)
    return conditions


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def enrolment_figures(scope: Scope, user_ids: Collection[int] | None = None) -> Figures:
    """The enrolments in scope (of ``user_ids`` only, when given), ordered by id, and which
    are at risk. Figures are computed later, only for the enrolments shown
    (``Figures.ensure``). One statement (plus ``Scope.failing``'s, once)."""
    conditions = _in_scope(scope)
    if conditions is None or (user_ids is not None and not user_ids):
        return Figures([], {})
    # The status as plain text: the Enum column type's per-row conversion costs ~5x the query.
    status_text = type_coerce(_E.c.status, String)
    stmt = select(_E.c.id, _E.c.user_id, _E.c.course_id, status_text, _flag(_at_risk(scope)))
    stmt = stmt.where(*conditions).order_by(_E.c.id)
    if user_ids is not None:
        stmt = stmt.where(in_ids(_E.c.user_id, sorted(user_ids)))
    rows, at_risk = [], set()
    for eid, uid, cid, status, flagged in db.session.connection().execute(stmt):
        rows.append((eid, uid, cid, status))
        if flagged:
            at_risk.add(eid)
    return Figures(rows, {}, at_risk)


def enrolment_page(scope: Scope, offset: int, limit: int) -> tuple[Figures, int]:
    """One page of the enrolments in scope by id, and how many there are (two statements,
    plus ``Scope.failing``'s once): the HR API pages through thousands this way."""
    conditions = _in_scope(scope)
    if conditions is None:
        return Figures([], {}), 0
    total = (
        db.session.connection()
        .execute(select(func.count()).select_from(_E).where(*conditions))
        .scalar_one()
    )
    status_text = type_coerce(_E.c.status, String)
    stmt = (
        select(_E.c.id, _E.c.user_id, _E.c.course_id, status_text, _flag(_at_risk(scope)))
        .where(*conditions)
        .order_by(_E.c.id)
        .offset(offset)
        .limit(limit)
    )
    rows, at_risk = [], set()
    for eid, uid, cid, status, flagged in _execute(stmt):
        rows.append((eid, uid, cid, status))
        if flagged:
            at_risk.add(eid)
    return Figures(rows, {}, at_risk), total


def enrolled_user_ids(scope: Scope) -> list[int]:
    """Members with an enrolment in scope (one statement)."""
    conditions = _in_scope(scope)
    if conditions is None:
        return []
    stmt = select(_E.c.user_id).where(*conditions).distinct()
    return [row[0] for row in _execute(stmt)]


def in_scope_ids(scope: Scope) -> Any:
    """SELECT of the ids of the enrolments in scope (for a subquery), or None."""
    conditions = _in_scope(scope)
    return None if conditions is None else select(_E.c.id).where(*conditions)


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
    """The dashboard's aggregates over the enrolments in scope."""

    counts: StatusCounts
    departments: list[GroupRow]
    programmes: list[GroupRow]
    #: members with an enrolment in scope, by id
    enrolled_users: list[int]


def overview(scope: Scope) -> Overview:
    """Counts overall, per department and per programme, grouped by the database: one row
    per member with enrolments in scope and one per programme (two statements)."""
    conditions = _in_scope(scope)
    per_user: dict[int, tuple[int, int, int, int]] = {}
    programmes: list[GroupRow] = []
    if conditions is not None:
        figures = (
            func.count(),
            func.sum(_flag(_E.c.status == ACTIVE)),
            func.sum(_flag(_at_risk(scope))),
            func.sum(_flag(_E.c.status == COMPLETED)),
        )
        stmt = select(_E.c.user_id, *figures).where(*conditions).group_by(_E.c.user_id)
        per_user = {row[0]: tuple(map(int, row[1:])) for row in _execute(stmt)}
        pc = ProgrammeCourse.__table__
        stmt = (
            select(pc.c.programme_id, *figures, func.count(_E.c.user_id.distinct()))
            .select_from(_E.join(pc, pc.c.course_id == _E.c.course_id))
            .where(*conditions)
            .group_by(pc.c.programme_id)
        )
        for programme_id, n, active, at_risk, completed, users in _execute(stmt):
            counts = StatusCounts(users, n, int(active), int(at_risk), int(completed))
            programmes.append(GroupRow(programme_id, users, users, counts))
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    sharing = scope.sharing(DataKind.PROGRESS)
    for user_id, department_id in scope.departments.items():
        t = totals[department_id]  # members, sharing, with enrolments, n, active, risk, done
        t[0] += 1
        if user_id in sharing:
            t[1] += 1
        mine = per_user.get(user_id)
        if mine is not None:
            t[2] += 1
            for i in range(4):
                t[3 + i] += mine[i]
    departments = [GroupRow(key, t[0], t[1], StatusCounts(*t[2:])) for key, t in totals.items()]
    overall = StatusCounts(len(per_user), *(sum(v[i] for v in per_user.values()) for i in range(4)))
    return Overview(overall, departments, programmes, sorted(per_user))


def _execute(stmt: Any) -> list[Any]:
    return db.session.connection().execute(stmt).all()


def gpu_hours(org: Organisation, user_ids: set[int]) -> dict[int, float]:
    """GPU-hours per member of the lab sessions ``org`` sponsored (open ones up to now),
    one statement. Counted like ``lms.hub.accounting.gpu_hours_used``."""
    if not user_ids:
        return {}
    stmt = select(
        LabSession.user_id, LabSession.started_at, LabSession.stopped_at, LabSession.gpu_share
    ).where(
        LabSession.org_id == org.id,
        LabSession.gpu_share > 0,
        in_ids(LabSession.user_id, sorted(user_ids)),
    )
    now, hours = utcnow(), defaultdict(float)
    for user_id, started, stopped, share in db.session.execute(stmt):
        hours[user_id] += ((stopped or now) - started).total_seconds() * share / 3600
    return dict(hours)


def skills_gained(user_ids: set[int]) -> dict[int, list]:
    """Achieved skills of these members (``lms.skills.evidence.skills_gained``)."""
    if not user_ids:
        return {}
    from lms.skills.evidence import skills_gained as gained

    return gained(sorted(user_ids))


def last_activity(figures: Figures, user_id: int) -> datetime | None:
    times = [
        figures.by_id[e[0]].last_activity_at
        for e in figures.of_user(user_id)
        if e[0] in figures.by_id and figures.by_id[e[0]].last_activity_at is not None
    ]
    return max(times, default=None)
