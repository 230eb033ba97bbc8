"""Dashboards: the learner's (programmes, courses, progress, deadlines) and the instructor's
(their courses, cohorts and enrolments; enrol a learner by e-mail; create a cohort)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.accounts.services import get_user_by_email
from lms.catalog import services as catalog_services
from lms.catalog.models import Course, Enrollment, EnrollmentStatus
from lms.dashboard import queries
from lms.dashboard.forms import CohortForm, EnrolLearnerForm
from lms.db import db
from lms.errors import DomainError, NotFound
from lms.web import has_role, localdate, me, show_error

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/dashboard")
@login_required
def learner() -> ResponseReturnValue:
    """The signed-in person's own learning: courses, programmes, deadlines."""
    return render_template("dashboard/learner.html", board=queries.learner_dashboard(me()))


@bp.get("/teach")
@login_required
def instructor() -> ResponseReturnValue:
    """The courses the signed-in instructor teaches (403 for others)."""
    if not has_role("instructor"):
        abort(403)
    board = queries.instructor_dashboard(me())
    return render_template("dashboard/instructor.html", board=board)


def _managed_course(slug: str) -> Course:
    course = catalog_services.get_course(me(), slug)
    if not catalog_services.can_manage_course(me(), course):
        abort(403)
    return course


def _course_page(course: Course, enrol_form=None, cohort_form=None, status: int = 200):
    cohorts = [(str(c.id), f"{c.name} ({localdate(c.starts_on)})") for c in course.cohorts]
    context = {
        "course": course,
        "roster": queries.course_roster(me(), course),
        "enrol_form": enrol_form or EnrolLearnerForm(formdata=None, cohorts=cohorts),
        "cohort_form": cohort_form or CohortForm(formdata=None),
    }
    return render_template("dashboard/course.html", **context), status


@bp.get("/teach/courses/<slug>")
@login_required
def course(slug: str) -> ResponseReturnValue:
    """Roster and tools of one course the signed-in person manages."""
    return _course_page(_managed_course(slug))


@bp.post("/teach/courses/<slug>/enrollments")
@login_required
def enrol_learner(slug: str) -> ResponseReturnValue:
    """Enrol an existing, active account by e-mail into the course."""
    course = _managed_course(slug)
    cohorts = [(str(c.id), c.name) for c in course.cohorts]
    form = EnrolLearnerForm(cohorts=cohorts)
    if not form.validate_on_submit():
        return _course_page(course, enrol_form=form, status=422)
    try:
        learner = get_user_by_email(form.email.data)
        if learner is None or not learner.is_active:
            raise NotFound("user_not_found", _("Nobody has an account with this e-mail address."))
        cohort = (
            catalog_services.get_cohort(course, int(form.cohort.data)) if form.cohort.data else None
        )
        catalog_services.enroll(me(), learner, course, cohort)
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _course_page(course, enrol_form=form, status=error.status)
    db.session.commit()
    flash(_("%(name)s is now enrolled.", name=learner.name), "success")
    return redirect(url_for("dashboard.course", slug=course.slug))


@bp.post("/teach/courses/<slug>/cohorts")
@login_required
def create_cohort(slug: str) -> ResponseReturnValue:
    """Create a cohort of the course, taught by the signed-in instructor."""
    course = _managed_course(slug)
    form = CohortForm()
    if not form.validate_on_submit():
        return _course_page(course, cohort_form=form, status=422)
    try:
        catalog_services.create_cohort(
            me(),
            course,
            form.name.data,
            form.starts_on.data,
            form.ends_on.data,
            form.capacity.data,
            instructors=[me()],
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _course_page(course, cohort_form=form, status=error.status)
    db.session.commit()
    flash(_("The cohort was created."), "success")
    return redirect(url_for("dashboard.course", slug=course.slug))


@bp.post("/teach/courses/<slug>/enrollments/<int:enrollment_id>/status")
@login_required
def set_status(slug: str, enrollment_id: int) -> ResponseReturnValue:
    """Drop a learner's enrolment, or make a dropped one active again."""
    course = _managed_course(slug)
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.course_id != course.id:
        abort(404)
    status = request.form.get("status", "")
    if status not in {s.value for s in EnrollmentStatus}:
        abort(400)
    try:
        catalog_services.set_enrollment_status(me(), enrollment, EnrollmentStatus(status))
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("dashboard.course", slug=course.slug))
    db.session.commit()
    flash(_("The enrolment of %(name)s was updated.", name=enrollment.user.name), "success")
    return redirect(url_for("dashboard.course", slug=course.slug))
