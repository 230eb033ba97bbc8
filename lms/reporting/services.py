"""Reports of an organisation for its managers: the dashboard, the member export and one
member's detail. Each checks access, reads set-based (``lms.reporting.queries``) and logs
the view of members' data (``lms.consent.services.record_access``: one entry per kind, only
for the members who share it). Flush, never commit: the caller commits the log."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.catalog.queries import Page
from lms.consent.models import DataKind
from lms.consent.services import record_accesses
from lms.errors import Forbidden
from lms.grading.analytics import Chart
from lms.orgs.models import Organisation
from lms.reporting import charts, queries, rows
from lms.reporting.filters import ReportFilter
from lms.reporting.queries import GroupRow, Scope, StatusCounts

REPORTED = frozenset(queries.REPORTED_KINDS)


@dataclass
class Dashboard:
    scope: Scope
    members: int
    sharing: dict[str, int]  # kind -> members sharing it
    counts: StatusCounts
    departments: list[GroupRow]
    programmes: list[GroupRow]
    weekly: Chart
    statuses: Chart
    skills: Chart
    gpu_hours: float
    table: Page


def require_reporter(actor: User | None, org: Organisation) -> None:
    """Managers of ``org`` and admins may read its reports; ``Forbidden`` for others."""
    from lms.orgs.services import can_manage_org

    if actor is None or not can_manage_org(actor, org):
        raise Forbidden("forbidden", _l("You do not manage this organisation."))


def dashboard(actor: User, org: Organisation, filters: ReportFilter, locale: str) -> Dashboard:
    """The dashboard of ``org`` for ``actor`` (a manager); logs the view ("page")."""
    require_reporter(actor, org)
    scope = queries.build_scope(org, filters)
    overview = queries.overview(scope)
    gained = queries.skill_counts(scope.sharing_select(DataKind.SKILLS).distinct())
    hours = queries.gpu_hours(org, scope.sharing_select(DataKind.PROGRESS))
    board = Dashboard(
        scope,
        overview.members,
        overview.sharing,
        overview.counts,
        overview.departments,
        overview.programmes,
        charts.weekly_progress(scope),
        charts.status_chart(overview.counts),
        charts.skills_chart(gained, locale),
        round(sum(hours.values()), 1),
        rows.member_page(scope),
    )
    log_view(actor, scope, None, "page")
    return board


def export_rows(actor: User, org: Organisation, filters: ReportFilter) -> list[rows.MemberRow]:
    """Every member row the filters select (no paging); logs the export."""
    require_reporter(actor, org)
    scope = queries.build_scope(org, filters)
    figures = queries.enrolment_figures(scope)
    user_ids = rows.listed_user_ids(scope, {e[1] for e in figures.enrolments})
    found = rows.member_rows(scope, figures, user_ids)
    log_view(actor, scope, user_ids, "export")
    return found


def log_view(viewer: User | None, scope: Scope, user_ids: Collection[int] | None, via: str) -> None:
    """Log what the organisation saw of ``user_ids`` (None: every member in scope): one
    entry per combination of shared kinds (membership facts only: no kinds), so each
    member's log says exactly what was seen of them; at most eight entries, one INSERT
    statement for all."""
    groups: dict[frozenset[DataKind], list[int]] = defaultdict(list)
    if user_ids is None:
        shared, nothing = scope.shared, frozenset()
        pairs = [(uid, shared.get(uid, nothing)) for uid in scope.departments]
    else:
        shared = scope.kinds_for(list(user_ids))
        pairs = [(uid, shared[uid]) for uid in user_ids]
    reported: dict = {}
    for user_id, kinds in pairs:  # thousands: a dict lookup each, no set arithmetic
        key = reported.get(kinds)
        if key is None:
            key = reported[kinds] = kinds & REPORTED
        groups[key].append(user_id)
    ordered = sorted(groups.items(), key=lambda g: sorted(g[0]))
    record_accesses(viewer, scope.org, [(ids, sorted(kinds)) for kinds, ids in ordered], via)
