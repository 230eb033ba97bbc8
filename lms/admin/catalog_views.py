"""Administration of the catalogue: create and edit the basics of courses and programmes.

Registered on the admin blueprint (admins only). New ones go through the admin services;
editing (which they do not offer yet) is done by the small helpers here, which keep slugs
unique, refuse self prerequisites and keep programme positions dense (1..n).
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
from lms.audit.services import record
from lms.catalog.models import Course, Programme, ProgrammeCourse
from lms.db import db
from lms.errors import Conflict, DomainError, ValidationError
from lms.orgs.services import check_slug
from lms.web import current_locale, me, show_error

_FIELDS = ("slug", "title_ko", "title_en", "description_ko", "description_en", "track")
_COURSE_FIELDS = ("level", "needs_gpu", "self_enroll", "capacity", "is_published")


def _all_courses() -> list[Course]:
    return list(db.session.scalars(select(Course).order_by(Course.slug)))


def _check_slug_free(model: type, slug: str, current_id: int | None) -> None:
    taken = db.session.scalar(select(model.id).where(model.slug == slug))
    if taken is not None and taken != current_id:
        raise Conflict("slug_taken", _l("This short name is already used."))


def _prerequisites(form: CourseForm, course: Course | None) -> list[Course]:
    wanted = set(form.prerequisites.data or [])
    return [c for c in _all_courses() if c.slug in wanted and c is not course]


def save_course(form: CourseForm, course: Course | None) -> Course:
    """Create (through the admin service) or update a course from ``form``."""
    if course is None:
        return admin_services.create_course(
            me(),
            **{name: getattr(form, name).data for name in (*_FIELDS, *_COURSE_FIELDS)},
            skills=form.skill_list(),
            prerequisites=_prerequisites(form, None),
        )
    check_slug(form.slug.data)
    _check_slug_free(Course, form.slug.data, course.id)
    for name in (*_FIELDS, *_COURSE_FIELDS):
        setattr(course, name, getattr(form, name).data)
    course.skills = form.skill_list()
    course.prerequisites = _prerequisites(form, course)
    db.session.flush()
    record("course.update", actor=me(), obj=course)
    return course


def _programme_courses(form: ProgrammeForm) -> list[Course]:
    slugs = form.course_slugs()
    by_slug = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))}
    unknown = [s for s in slugs if s not in by_slug]
    if unknown:
        message = _l("Unknown courses: %(slugs)s", slugs=", ".join(unknown))
        raise ValidationError("unknown_courses", message, field="courses")
    return [by_slug[s] for s in slugs]


def save_programme(form: ProgrammeForm, programme: Programme | None) -> Programme:
    """Create (through the admin service) or update a programme; its courses follow the
    order of the slugs given."""
    courses = _programme_courses(form)
    if programme is None:
        fields = {name: getattr(form, name).data for name in (*_FIELDS, "is_published")}
        return admin_services.create_programme(
            me(), courses=courses, audience=list(form.audience.data or []), **fields
        )
    check_slug(form.slug.data)
    _check_slug_free(Programme, form.slug.data, programme.id)
    for name in (*_FIELDS, "is_published"):
        setattr(programme, name, getattr(form, name).data)
    programme.audience = list(form.audience.data or [])
    _reorder(programme, courses)
    record("programme.update", actor=me(), obj=programme)
    return programme


def _reorder(programme: Programme, courses: list[Course]) -> None:
    # Positions are unique per programme: park the kept rows on negative positions first.
    existing = {entry.course_id: entry for entry in programme.entries}
    wanted = {c.id for c in courses}
    programme.entries = [e for e in programme.entries if e.course_id in wanted]
    for i, entry in enumerate(programme.entries, start=1):
        entry.position = -i
    db.session.flush()
    entries = []
    for position, course in enumerate(courses, start=1):
        entry = existing.get(course.id) or ProgrammeCourse(course=course)
        entry.position = position
        entries.append(entry)
    programme.entries = entries
    db.session.flush()


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
