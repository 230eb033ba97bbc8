"""A course's skills page: which units its work evidences (anyone who may see the course);
course staff add and remove mappings and sync them from the course package."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.catalog.models import Course
from lms.catalog.services import can_manage_course, get_course
from lms.db import db
from lms.errors import DomainError
from lms.skills import mapping as skill_mapping
from lms.skills.forms import MappingForm
from lms.skills.models import SkillMapping
from lms.skills.services import list_units
from lms.web import current_locale, me, show_error

bp = Blueprint("course_skills", __name__, template_folder="templates")


def _viewer():
    return me() if current_user.is_authenticated else None


def _target_choices(course: Course) -> list[tuple[str, str]]:
    choices = [("", str(_l("The whole course (a confirmed completion)")))]
    for assignment in skill_mapping.assignments_of(course):
        title = f"{assignment.name} · {assignment.title(current_locale())}"
        choices.append((assignment.name, str(_l("%(assignment)s: its grade", assignment=title))))
        for cell in skill_mapping.graded_cells(assignment):
            kind = _("test") if cell.kind == "test" else _("manually graded")
            choices.append(
                (
                    f"{assignment.name}::{cell.cell_id}",
                    f"{assignment.name} / {cell.cell_id} ({kind}, {cell.points:g})",
                )
            )
    return choices


def _page(course: Course, form: MappingForm | None = None, status: int = 200):
    manager = can_manage_course(_viewer(), course)
    if manager and form is None:
        form = MappingForm(formdata=None)
    if form is not None:
        form.target.choices = _target_choices(course)
    page = render_template(
        "skills/course.html",
        course=course,
        mappings=skill_mapping.course_mappings(course),
        manager=manager,
        form=form,
        codes=[u.code for u in list_units()] if manager else [],
    )
    return page, status


@bp.get("/courses/<slug>/skills")
def course_skills(slug: str) -> ResponseReturnValue:
    """The units the course's work evidences; the mapping tools for its staff."""
    return _page(get_course(_viewer(), slug))


def _managed(slug: str) -> Course:
    course = get_course(me(), slug)
    if not can_manage_course(me(), course):
        abort(403)
    return course


@bp.post("/courses/<slug>/skills")
@login_required
def add(slug: str) -> ResponseReturnValue:
    """Add a mapping; a problem re-renders the page with the message (422)."""
    course = _managed(slug)
    form = MappingForm()
    form.target.choices = _target_choices(course)
    if form.validate_on_submit():
        assignment, cell = form.target_parts()
        try:
            skill_mapping.add_mapping(
                me(), course, form.code.data, assignment, cell, form.weight.data
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "code")
        else:
            db.session.commit()
            flash(_("Mapping added."), "success")
            return redirect(url_for("course_skills.course_skills", slug=slug))
    return _page(course, form, 422)


@bp.post("/courses/<slug>/skills/<int:mapping_id>/delete")
@login_required
def remove(slug: str, mapping_id: int) -> ResponseReturnValue:
    """Remove one mapping of this course."""
    course = _managed(slug)
    found = db.session.get(SkillMapping, mapping_id)
    if found is None or found.course_id != course.id:
        abort(404)
    skill_mapping.remove_mapping(me(), found)
    db.session.commit()
    flash(_("Mapping removed."), "success")
    return redirect(url_for("course_skills.course_skills", slug=slug))


@bp.post("/courses/<slug>/skills/sync")
@login_required
def sync(slug: str) -> ResponseReturnValue:
    """Replace the package mappings with what the current course package says."""
    course = _managed(slug)
    report = skill_mapping.sync_course(me(), course)
    db.session.commit()
    message = _("Synced from the course package: %(added)s mappings.", added=report.added)
    if report.units_created:
        message += " " + _(
            "New units added to the framework: %(codes)s.", codes=", ".join(report.units_created)
        )
    flash(message, "success")
    return redirect(url_for("course_skills.course_skills", slug=slug))
