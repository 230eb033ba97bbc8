"""Catalogue pages: the filterable list, a course, a programme, and self-enrolment."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.catalog import queries, services
from lms.catalog.forms import CatalogueFilterForm, EnrolForm
from lms.catalog.models import Cohort, Course, Enrollment, EnrollmentStatus, Programme
from lms.errors import DomainError, NotFound, ValidationError
from lms.extensions import db
from lms.web import current_locale, localdate, me, show_error

bp = Blueprint("catalog", __name__, template_folder="templates")
PER_PAGE = 24
FILTER_ARGS = ("q", "track", "level", "segment", "gpu")


@dataclass(frozen=True)
class CohortSeats:
    """A cohort with the number of seats taken (active and completed enrolments)."""

    cohort: Cohort
    enrolled: int

    @property
    def is_full(self) -> bool:
        """True when the cohort has a capacity and every seat is taken."""
        return self.cohort.capacity is not None and self.enrolled >= self.cohort.capacity


def cohort_seats(course: Course) -> list[CohortSeats]:
    """The course's cohorts in date order with their seat counts (one grouped query)."""
    stmt = (
        select(Enrollment.cohort_id, func.count())
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(services.COUNTED))
        .group_by(Enrollment.cohort_id)
    )
    taken = dict(db.session.execute(stmt).all())
    return [CohortSeats(c, taken.get(c.id, 0)) for c in course.cohorts]


def active_enrollment(user, course: Course) -> Enrollment | None:
    """The user's enrolment in ``course`` unless it was dropped."""
    stmt = select(Enrollment).where(
        Enrollment.user_id == user.id,
        Enrollment.course_id == course.id,
        Enrollment.status != EnrollmentStatus.DROPPED,
    )
    return db.session.scalar(stmt)


def get_programme(viewer, slug: str) -> Programme:
    """The published programme ``slug`` (admins also see unpublished ones), else NotFound."""
    found = db.session.scalar(select(Programme).where(Programme.slug == slug))
    is_admin = viewer is not None and viewer.role == Role.ADMIN
    if found is None or not (found.is_published or is_admin):
        raise NotFound("programme_not_found", _l("No programme is called %(slug)s.", slug=slug))
    return found


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.get("/catalogue")
def catalogue() -> ResponseReturnValue:
    """Programmes and a page of courses matching the query-string filters."""
    form = CatalogueFilterForm(request.args)
    try:
        filters = queries.CatalogueFilter.parse(request.args)
    except ValidationError as error:
        show_error(form, error)
        filters = queries.CatalogueFilter()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    # One extra row tells whether there is a next page, without counting.
    stmt = queries.course_query(filters).limit(PER_PAGE + 1).offset((page - 1) * PER_PAGE)
    courses = list(db.session.scalars(stmt))
    context = {
        "form": form,
        "filters": any(request.args.get(k) for k in FILTER_ARGS),
        "programmes": queries.list_programmes(filters) if page == 1 else [],
        "courses": courses[:PER_PAGE],
        "page": page,
        "has_next": len(courses) > PER_PAGE,
        "page_args": {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)},
    }
    return render_template("catalog/catalogue.html", **context)


def _cohort_choices(rows: list[CohortSeats]) -> list[tuple[str, str]]:
    return [
        (str(row.cohort.id), f"{row.cohort.name} ({localdate(row.cohort.starts_on)})")
        for row in rows
        if not row.is_full
    ]


def _course_page(course: Course, form: EnrolForm | None = None, status: int = 200):
    viewer = _viewer()
    cohorts = cohort_seats(course)
    missing = services.missing_prerequisites(viewer, course) if viewer else []
    form = form or EnrolForm(formdata=None, cohorts=_cohort_choices(cohorts))
    context = {
        "course": course,
        "cohorts": cohorts,
        "missing": missing,
        "missing_titles": ", ".join(c.title(current_locale()) for c in missing),
        "enrollment": active_enrollment(viewer, course) if viewer else None,
        "can_manage": services.can_manage_course(viewer, course),
        "form": form,
    }
    return render_template("catalog/course.html", **context), status


@bp.get("/courses/<slug>")
def course(slug: str) -> ResponseReturnValue:
    """A course page: details, prerequisites, cohorts and the enrol box."""
    return _course_page(services.get_course(_viewer(), slug))


@bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str) -> ResponseReturnValue:
    """Self-enrolment (optionally into a cohort); refusals re-render the course page."""
    course = services.get_course(me(), slug)
    form = EnrolForm(cohorts=_cohort_choices(cohort_seats(course)))
    if not form.validate_on_submit():
        return _course_page(course, form, 422)
    try:
        cohort = services.get_cohort(course, int(form.cohort.data)) if form.cohort.data else None
        services.enroll(me(), me(), course, cohort)
    except (DomainError, ValueError) as error:
        db.session.rollback()
        show_error(form, error if isinstance(error, DomainError) else ValidationError())
        return _course_page(course, form, getattr(error, "status", 422))
    db.session.commit()
    flash(_("You are enrolled. Good luck!"), "success")
    return redirect(url_for("catalog.course", slug=course.slug))


@bp.post("/courses/<slug>/drop")
@login_required
def drop(slug: str) -> ResponseReturnValue:
    """The learner leaves a course they are enrolled in (history is kept as "dropped")."""
    course = services.get_course(me(), slug)
    enrollment = active_enrollment(me(), course)
    if enrollment is None:
        abort(404)
    services.set_enrollment_status(me(), enrollment, EnrollmentStatus.DROPPED)
    db.session.commit()
    flash(_("You have left the course."), "success")
    return redirect(url_for("catalog.course", slug=course.slug))


@bp.get("/programmes/<slug>")
def programme(slug: str) -> ResponseReturnValue:
    """A programme page: its published courses in order and its audience."""
    found = get_programme(_viewer(), slug)
    courses = [entry.course for entry in found.entries if entry.course.is_published]
    return render_template("catalog/programme.html", programme=found, courses=courses)
