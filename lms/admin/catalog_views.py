"""Administration of the catalogue: create and edit the basics of courses and programmes.

Registered on the admin blueprint (admins only). Creating and editing both go through the
admin services, which keep slugs unique, refuse prerequisite cycles and keep programme
positions dense (1..n).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.admin import services as admin_services
from lms.admin.forms import CourseForm, ProgrammeForm
from lms.admin.views import bp
from lms.catalog.models import Course, Programme
from lms.db import db
from lms.errors import DomainError, ValidationError
from lms.web import current_locale, me, show_error

_FIELDS = ("slug", "title_ko", "title_en", "description_ko", "description_en", "track")
_COURSE_FIELDS = ("level", "needs_gpu", "self_enroll", "capacity", "is_published")


def _all_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).order_by(Course.slug)))


def _prerequisites(form: CourseForm, course: Course | None) -> list[Course]:
    wanted = set(form.prerequisites.data or [])
    return [c for c in _all_courses() if c.slug in wanted and c is not course]


def save_course(form: CourseForm, course: Course | None) -> Course:
    """Create or update a course from ``form`` through the admin services."""
    fields = {name: getattr(form, name).data for name in (*_FIELDS, *_COURSE_FIELDS)}
    prerequisites = _prerequisites(form, course)
    if course is None:
        return admin_services.create_course(
            me(), **fields, skills=form.skill_list(), prerequisites=prerequisites
        )
    return admin_services.update_course(
        me(), course, **fields, skills=form.skill_list(), prerequisites=prerequisites
    )


def _programme_courses(form: ProgrammeForm) -> list[Course]:
    slugs = form.course_slugs()
    by_slug = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in by_slug]
    if unknown:
        message = _l("Unknown courses: %(slugs)s", slugs=", ".join(unknown))
        raise ValidationError("unknown_courses", message, field="courses")
    return [by_slug[s] for s in slugs]


def save_programme(form: ProgrammeForm, programme: Programme | None) -> Programme:
    """Create or update a programme through the admin services; its courses follow the
    order of the slugs given."""
    courses = _programme_courses(form)
    fields = {name: getattr(form, name).data for name in (*_FIELDS, "is_published")}
    audience = list(form.audience.data or [])
    if programme is None:
        return admin_services.create_programme(me(), courses=courses, audience=audience, **fields)
    return admin_services.update_programme(
        me(), programme, courses=courses, audience=audience, **fields
    )


def _edit(template: str, form, save, obj, endpoint: str) -> ResponseReturnValue:
    if form.validate_on_submit():
        try:
            saved = save(form, obj)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(endpoint, slug=saved.slug))
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, obj=obj), status


@bp.get("/courses")
def courses() -> ResponseReturnValue:
    """Every course, published or not."""
    return render_template("admin/courses.html", courses=_all_courses())


def _course_choices(exclude: Course | None = None) -> list[tuple[str, str]]:
    return [(c.slug, c.title(current_locale())) for c in _all_courses() if c is not exclude]


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new() -> ResponseReturnValue:
    """Create a course."""
    form = CourseForm(courses=_course_choices())
    return _edit("admin/course_form.html", form, save_course, None, "admin.course_edit")


@bp.route("/courses/<slug>", methods=["GET", "POST"])
def course_edit(slug: str) -> ResponseReturnValue:
    """Edit the basics of a course."""
    course = db.session.scalar(select(Course).where(Course.slug == slug)) or abort(404)
    form = CourseForm(obj=course, courses=_course_choices(course))
    if request.method == "GET":
        form.skills.data = ", ".join(course.skills or [])
        form.prerequisites.data = [c.slug for c in course.prerequisites]
    return _edit("admin/course_form.html", form, save_course, course, "admin.course_edit")


@bp.get("/programmes")
def programmes() -> ResponseReturnValue:
    """Every programme, published or not."""
    found = db.session.scalars(select(Programme).order_by(Programme.track, Programme.slug))
    return render_template("admin/programmes.html", programmes=list(found))


@bp.route("/programmes/new", methods=["GET", "POST"])
def programme_new() -> ResponseReturnValue:
    """Create a programme."""
    form = ProgrammeForm()
    return _edit("admin/programme_form.html", form, save_programme, None, "admin.programme_edit")


@bp.route("/programmes/<slug>", methods=["GET", "POST"])
def programme_edit(slug: str) -> ResponseReturnValue:
    """Edit the basics of a programme and the order of its courses."""
    programme = db.session.scalar(select(Programme).where(Programme.slug == slug)) or abort(404)
    form = ProgrammeForm(obj=programme)
    if request.method == "GET":
        form.courses.data = ", ".join(e.course.slug for e in programme.entries)
    return _edit(
        "admin/programme_form.html", form, save_programme, programme, "admin.programme_edit"
    )
