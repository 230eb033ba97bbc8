"""What an organisation may see of its current members, computed set-based.

``build_scope`` reads who is a member (in the department filtered on) and what each shares
(``lms.consent.services.consented_kinds``, never cached: a withdrawal counts at once);
``enrolment_figures`` reads the enrolments of members who share their progress and which
are at risk (``lms.reporting.risk``); ``Figures.ensure`` computes the figures
(``lms.completion.progress.progress_for``) of only the enrolments a page shows. Every
aggregate only includes members who consented to the kind of data it is made of. A fixed
number of SQL statements whatever the size of the organisation; no access checks here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, or_, select, type_coerce

from lms.catalog.models import Enrollment, EnrollmentStatus, ProgrammeCourse
from lms.completion.progress import EnrollmentFigures, _in_ids, progress_for
from lms.consent.models import DataKind
from lms.consent.services import consented_kinds
from lms.db import db, utcnow
from lms.hub.models import LabSession
from lms.orgs.models import Membership, Organisation
from lms.reporting import risk
from lms.reporting.filters import ReportFilter

REPORTED_KINDS = (DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS)


@dataclass
class Scope:
    """Current members of ``org`` in the filtered department and what each shares."""

    org: Organisation
    filters: ReportFilter
    departments: dict[int, int | None]  # user id -> department id
    shared: dict[int, frozenset[DataKind]]

    def sharing(self, kind: DataKind) -> set[int]:
        return {uid for uid, kinds in self.shared.items() if kind in kinds}

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


def enrolment_figures(scope: Scope) -> Figures:
    """The enrolments (course/programme/status filters applied) of members sharing their
    progress, and which are at risk (``lms.reporting.risk``: behind schedule, or failing
    labs for members who also share their scores). Figures are computed later, only for
    the enrolments shown (``Figures.ensure``)."""
    sharing = sorted(scope.sharing(DataKind.PROGRESS))
    if not sharing:
        return Figures([], {})
    # The status as plain text: the Enum column type's per-row conversion costs ~5x the query.
    status_text = type_coerce(Enrollment.status, String)
    stmt = select(Enrollment.id, Enrollment.user_id, Enrollment.course_id, status_text)
    stmt = stmt.where(_in_ids(Enrollment.user_id, sharing)).order_by(Enrollment.id)
    allowed = scope.filters.course_ids()
    if allowed is not None:
        stmt = stmt.where(_in_ids(Enrollment.course_id, sorted(allowed)))
    rows = list(map(tuple, db.session.execute(stmt)))
    active = [r for r in rows if risk.is_active(r[3])]
    scores = scope.sharing(DataKind.SCORES)
    at_risk = risk.at_risk_ids([r[0] for r in active], [r[0] for r in active if r[1] in scores])
    status = scope.filters.status
    if status == "at_risk":
        rows = [r for r in rows if r[0] in at_risk]
    elif status is not None:
        rows = [r for r in rows if r[3] == status]
    return Figures(rows, {}, at_risk)


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


def status_counts(figures: Figures) -> StatusCounts:
    return _counts(figures.enrolments, figures.at_risk)


def _counts(enrolments: list[tuple[int, int, int, str]], at_risk: set[int]) -> StatusCounts:
    statuses = Counter(e[3] for e in enrolments)
    return StatusCounts(
        len({e[1] for e in enrolments}),
        len(enrolments),
        statuses[EnrollmentStatus.ACTIVE.value],
        len(at_risk.intersection(e[0] for e in enrolments)),
        statuses[EnrollmentStatus.COMPLETED.value],
    )


@dataclass(frozen=True)
class GroupRow:
    """One department or programme: members, how many share progress, enrolment counts."""

    key: int | None
    members: int
    sharing: int
    counts: StatusCounts


def by_department(scope: Scope, figures: Figures) -> list[GroupRow]:
    members: dict[int | None, set[int]] = defaultdict(set)
    for user_id, department_id in scope.departments.items():
        members[department_id].add(user_id)
    parts: dict[int | None, list] = defaultdict(list)  # one pass over the enrolments
    for e in figures.enrolments:
        parts[scope.departments.get(e[1])].append(e)
    sharing = scope.sharing(DataKind.PROGRESS)
    rows = []
    for department_id, ids in members.items():
        counts = _counts(parts.get(department_id, []), figures.at_risk)
        rows.append(GroupRow(department_id, len(ids), len(ids & sharing), counts))
    return rows


def by_programme(figures: Figures) -> list[GroupRow]:
    """Per programme with in-scope enrolments in its courses (one statement)."""
    course_ids = sorted({e[2] for e in figures.enrolments})
    if not course_ids:
        return []
    stmt = select(ProgrammeCourse.programme_id, ProgrammeCourse.course_id).where(
        _in_ids(ProgrammeCourse.course_id, course_ids)
    )
    courses: dict[int, set[int]] = defaultdict(set)
    for programme_id, course_id in db.session.execute(stmt):
        courses[programme_id].add(course_id)
    by_course: dict[int, list] = defaultdict(list)  # one pass over the enrolments
    for e in figures.enrolments:
        by_course[e[2]].append(e)
    rows = []
    for programme_id, ids in courses.items():
        part = [e for course_id in sorted(ids) for e in by_course.get(course_id, [])]
        counts = _counts(part, figures.at_risk)
        users = len({e[1] for e in part})
        rows.append(GroupRow(programme_id, users, users, counts))
    return rows


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
        _in_ids(LabSession.user_id, sorted(user_ids)),
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
