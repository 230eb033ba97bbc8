"""Skills pages: the competency framework (anyone), CSV import and the starter set
(admins), "My skills" and a learner's profile for staff (``access.profile_scope``). Each
POST: check access, one service call, commit once, redirect or re-render with 422."""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from lms.accounts.models import Role, User
from lms.catalog.models import Course
from lms.db import db
from lms.errors import DomainError
from lms.extensions import csrf
from lms.grading.analytics import Bar, row_chart
from lms.skills import services
from lms.skills.access import managed_course_ids, openable_courses, profile_scope
from lms.skills.csvimport import MAX_BYTES
from lms.skills.evidence import ACHIEVED, SkillStatus, skill_profile
from lms.skills.forms import ImportForm, UnitFilterForm, level_label
from lms.web import has_role, label, me, show_error

bp = Blueprint("skills", __name__, template_folder="templates")


@bp.app_context_processor
def _helpers() -> dict:
    return {"level_label": level_label}


@bp.get("/skills")
def framework() -> ResponseReturnValue:
    """The framework by track and level, filtered by track, level, code or name."""
    form = UnitFilterForm(request.args)
    tracks = {value for value, _name in form.track.choices if value}
    track = form.track.data if form.track.data in tracks else None
    level = form.level.data if form.level.data in {"1", "2", "3", "4"} else None
    units = services.list_units(track, int(level) if level else None, form.q.data or None)
    grouped: dict[str, list] = defaultdict(list)
    for unit in units:
        grouped[str(unit.track)].append(unit)
    return render_template(
        "skills/framework.html",
        form=form,
        grouped=grouped,
        total=len(units),
        taught=_taught_courses(),
    )


def _taught_courses() -> list[Course]:
    """The courses whose skill mappings the viewer edits (instructors: theirs; admins: all)."""
    if not current_user.is_authenticated or not has_role("instructor"):
        return []
    query = select(Course).order_by(Course.slug)
    if me().role != Role.ADMIN:
        query = query.where(Course.id.in_(managed_course_ids(me()) or {0}))
    return list(db.session.scalars(query.limit(200)))


@bp.get("/skills/units/<code>")
def unit(code: str) -> ResponseReturnValue:
    """One unit: description, broader and narrower units, and the work that evidences it."""
    found = services.get_unit(code)
    return render_template(
        "skills/unit.html",
        unit=found,
        children=services.children_of(found),
        mappings=services.mappings_of(found),
    )


def _require_admin() -> None:
    if not has_role("admin"):
        abort(403)


def _import_page(form: ImportForm, report=None, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "skills/import.html", form=form, report=report, max_mb=MAX_BYTES // (1024 * 1024)
        ),
        status,
    )


@bp.get("/skills/import")
@login_required
def import_form() -> ResponseReturnValue:
    """The CSV import form (admins)."""
    _require_admin()
    return _import_page(ImportForm(formdata=None))


@bp.post("/skills/import")
@csrf.exempt  # the form checks its CSRF token itself, after the size limit is in place
@login_required
def import_upload() -> ResponseReturnValue:
    """Check (``check`` button) or import the uploaded CSV; the report lists every row's
    problems; with any problem nothing is imported (422)."""
    _require_admin()
    request.max_content_length = MAX_BYTES + 64 * 1024
    try:
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.form_errors.append(_("The file is larger than %(mb)s MB.", mb=MAX_BYTES // 2**20))
        return _import_page(form, status=413)
    if not valid:
        return _import_page(form, status=422 if form.file.errors else 400)
    check_only = "check" in request.form
    try:
        data = form.file.data.stream.read(MAX_BYTES + 1)
        report = services.import_units(me(), data, form.encoding.data, apply=not check_only)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error, "file")
        return _import_page(form, status=422)
    if report.applied:
        db.session.commit()
        flash(
            _(
                "Imported: %(new)s new, %(changed)s updated.",
                new=len(report.created),
                changed=len(report.updated),
            ),
            "success",
        )
    else:
        db.session.rollback()
    return _import_page(form, report, 200 if report.ok else 422)


@bp.post("/skills/starter")
@login_required
def starter() -> ResponseReturnValue:
    """Load or update the starter framework (admins)."""
    _require_admin()
    report = services.load_starter(me())
    db.session.commit()
    flash(
        _(
            "Starter framework loaded: %(new)s new, %(changed)s updated.",
            new=len(report.created),
            changed=len(report.updated),
        ),
        "success",
    )
    return redirect(url_for("skills.framework"))


def _track_chart(statuses: list[SkillStatus]):
    per_track: dict[str, list[SkillStatus]] = defaultdict(list)
    for status in statuses:
        per_track[status.track].append(status)
    bars = []
    for track, items in per_track.items():
        achieved = sum(s.state == ACHIEVED for s in items)
        bars.append(Bar(label("track", track), achieved / len(items), f"{achieved} / {len(items)}"))
    return row_chart(bars)


def _profile_page(viewer: User, subject: User, course_ids) -> ResponseReturnValue:
    statuses = skill_profile(subject, course_ids)
    grouped: dict[str, list[SkillStatus]] = defaultdict(list)
    for status in statuses:
        grouped[status.track].append(status)
    return render_template(
        "skills/profile.html",
        subject=subject,
        own=viewer.id == subject.id,
        limited=course_ids is not None,
        grouped=grouped,
        achieved=sum(s.state == ACHIEVED for s in statuses),
        total=len(statuses),
        chart=_track_chart(statuses),
        openable=openable_courses(viewer, subject, statuses),
    )


@bp.get("/me/skills")
@login_required
def mine() -> ResponseReturnValue:
    """My skills: every unit of my courses with its state and the evidence behind it."""
    return _profile_page(me(), me(), None)


@bp.get("/skills/people/<int:user_id>")
@login_required
def person(user_id: int) -> ResponseReturnValue:
    """A learner's profile for admins, or for their instructors (their courses' part)."""
    viewer = me()
    subject, course_ids = profile_scope(viewer, user_id)
    if subject.id == viewer.id:
        return redirect(url_for("skills.mine"))
    return _profile_page(viewer, subject, course_ids)
