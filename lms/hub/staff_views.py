"""The instructors' lab page of a course: who has a lab running (profile, since, last
activity) with a Stop button, GPU-hours per learner, course and sponsoring organisation,
and, for admins, the GPU-hour quotas of the course and of those organisations.

Stops and quota changes are CSRF-protected POSTs (the global hook), audited
(``lab.stop``, ``lab.gpu_quota_set``), and answer with a redirect back to the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.services import get_course
from lms.db import db
from lms.errors import DomainError, Forbidden, ValidationError
from lms.hub import get_hub_client, hub_settings
from lms.hub.accounting import gpu_hours_used, set_gpu_quota
from lms.hub.base import RunningServer
from lms.hub.errors import HubError
from lms.hub.models import GpuQuota, LabSession
from lms.hub.services import running_labs, stop_lab
from lms.orgs.models import Organisation
from lms.web import me

bp = Blueprint("lab_staff", __name__, template_folder="templates")


@dataclass(frozen=True)
class UsageRow:
    """GPU-hours of one learner, course or organisation, with its quota if one is set."""

    label: str
    used: float
    quota: float | None = None


def _quota(**owner: Any) -> float | None:
    column = GpuQuota.course_id if "course" in owner else GpuQuota.org_id
    target = owner.get("course") or owner.get("org")
    value = db.session.scalar(select(GpuQuota.gpu_hours).where(column == target.id))
    return None if value is None else float(value)


def _activity(hub_ok: list[bool]) -> dict[tuple[str, str], RunningServer]:
    if not hub_settings().is_configured:
        return {}
    try:
        return {(r.username, r.server): r for r in get_hub_client().list_running()}
    except HubError as error:
        hub_ok[0] = False
        flash(str(error.message), "error")
        return {}


def _usage(course) -> tuple[list[UsageRow], list[tuple[Organisation, UsageRow]]]:
    stmt = select(LabSession.user_id, LabSession.org_id).where(LabSession.course_id == course.id)
    pairs = db.session.execute(stmt.distinct()).all()
    learners = [db.session.get(User, uid) for uid in sorted({u for u, _ in pairs})]
    rows = [UsageRow(u.email, gpu_hours_used(user=u, course=course)) for u in learners]
    orgs = [db.session.get(Organisation, oid) for oid in sorted({o for _, o in pairs if o})]
    org_rows = [
        (org, UsageRow(org.name_ko, gpu_hours_used(org=org), _quota(org=org))) for org in orgs
    ]
    return rows, org_rows


@bp.get("/teach/courses/<slug>/labs")
@login_required
def labs(slug: str) -> ResponseReturnValue:
    """Running labs of the course and its GPU-hours (instructors of the course, admins)."""
    course = get_course(me(), slug)
    sessions = running_labs(me(), course)  # Forbidden for everyone else
    hub_ok = [True]
    activity = _activity(hub_ok)
    learners, orgs = _usage(course)
    context = {
        "course": course,
        "sessions": sessions,
        "activity": activity,
        "hub_ok": hub_ok[0],
        "learners": learners,
        "orgs": orgs,
        "course_usage": UsageRow(
            course.title_ko, gpu_hours_used(course=course), _quota(course=course)
        ),
        "is_admin": me().role == Role.ADMIN,
    }
    return render_template("hub/staff_labs.html", **context)


@bp.post("/teach/courses/<slug>/labs/<int:user_id>/stop")
@login_required
def stop(slug: str, user_id: int) -> ResponseReturnValue:
    """Stop one learner's lab (their files are kept); audited ``lab.stop``."""
    course = get_course(me(), slug)
    learner = db.session.get(User, user_id) or abort(404)
    try:
        stop_lab(get_hub_client(), me(), learner, course)
        record("lab.stop", me(), learner, {"course": course.slug})
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, Forbidden):
            raise
        flash(str(error.message), "error")
    else:
        flash(str(_l("The lab of %(who)s was stopped.", who=learner.email)), "info")
    return redirect(url_for("lab_staff.labs", slug=slug), 303)


def _hours(raw: str | None) -> float:
    try:
        value = float((raw or "").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise ValidationError(
            "invalid_gpu_hours", _l("GPU hours must be a number of 0 or more."), "gpu_hours"
        )
    return value


@bp.post("/teach/courses/<slug>/labs/quota")
@login_required
def quota(slug: str) -> ResponseReturnValue:
    """Admins set the GPU-hour quota of the course or of one of its organisations."""
    course = get_course(me(), slug)
    org = None
    if request.form.get("org_id"):
        org_id = request.form.get("org_id", type=int)
        org = (db.session.get(Organisation, org_id) if org_id else None) or abort(404)
    try:
        hours = _hours(request.form.get("gpu_hours"))
        set_gpu_quota(me(), hours, course=None if org else course, org=org)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, Forbidden):
            raise
        flash(str(error.message), "error")
    else:
        flash(str(_l("GPU-hour quota saved.")), "info")
    return redirect(url_for("lab_staff.labs", slug=slug), 303)


def _require_admin() -> None:
    if me().role != Role.ADMIN:
        raise Forbidden(message=_l("Only administrators set GPU quotas."))


@bp.get("/admin/labs")
@login_required
def admin_usage() -> ResponseReturnValue:
    """Admins: GPU-hours and quotas of every GPU course and every organisation."""
    from lms.catalog.models import Course

    _require_admin()
    with_sessions = select(LabSession.course_id).where(LabSession.course_id.is_not(None))
    quota_courses = select(GpuQuota.course_id).where(GpuQuota.course_id.is_not(None))
    courses = db.session.scalars(
        select(Course)
        .where(
            Course.needs_gpu.is_(True) | Course.id.in_(with_sessions) | Course.id.in_(quota_courses)
        )
        .order_by(Course.slug)
    ).all()
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.slug)).all()
    return render_template(
        "hub/admin_labs.html",
        courses=[
            (c, UsageRow(c.slug, gpu_hours_used(course=c), _quota(course=c))) for c in courses
        ],
        orgs=[(o, UsageRow(o.slug, gpu_hours_used(org=o), _quota(org=o))) for o in orgs],
    )


@bp.post("/admin/labs/quota")
@login_required
def admin_quota() -> ResponseReturnValue:
    """Admins set the GPU-hour quota of one course (``course_id``) or organisation
    (``org_id``); audited ``lab.gpu_quota_set``."""
    from lms.catalog.models import Course

    _require_admin()
    course_id = request.form.get("course_id", type=int)
    org_id = request.form.get("org_id", type=int)
    course = db.session.get(Course, course_id) if course_id else None
    org = db.session.get(Organisation, org_id) if org_id else None
    if course is None and org is None:
        abort(404)
    try:
        set_gpu_quota(me(), _hours(request.form.get("gpu_hours")), course=course, org=org)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(str(_l("GPU-hour quota saved.")), "info")
    return redirect(url_for("lab_staff.admin_usage"), 303)
