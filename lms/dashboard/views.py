"""Dashboards: the learner's (programmes, courses, progress, deadlines) and the instructor's
(their courses, cohorts and enrolments; enrol a learner by e-mail; create a cohort)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.accounts.services import get_user_by_email
from lms.catalog import queries as catalog_queries
from lms.catalog import services as catalog_services
from lms.catalog.models import (
    Cohort,
    CohortInstructor,
    Course,
    CourseInstructor,
    CourseItem,
    Enrollment,
    EnrollmentStatus,
    Programme,
    ProgrammeCourse,
    Progress,
)
from lms.dashboard.forms import CohortForm, EnrolLearnerForm
from lms.db import db, utcnow
from lms.errors import DomainError, NotFound
from lms.web import has_role, localdate, me, show_error

bp = Blueprint("dashboard", __name__, template_folder="templates")


@dataclass(frozen=True)
class CourseProgress:
    enrollment: Enrollment
    done: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0


@dataclass(frozen=True)
class ProgrammeProgress:
    programme: Programme
    completed: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.completed / self.total if self.total else 0.0


@dataclass(frozen=True)
class LearnerBoard:
    courses: list[CourseProgress]
    programmes: list[ProgrammeProgress]
    deadlines: list[CourseItem]


def learner_dashboard(user: User, deadline_limit: int = 10) -> LearnerBoard:
    """The learner's enrolments with progress, their programmes and upcoming deadlines.

    Five SQL statements whatever the number of enrolments (no per-course queries).
    """
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.user_id == user.id, Enrollment.status != EnrollmentStatus.DROPPED)
            .options(selectinload(Enrollment.course), selectinload(Enrollment.cohort))
            .order_by(Enrollment.created_at.desc())
        )
    )
    course_ids = [e.course_id for e in enrollments]
    totals = dict(
        db.session.execute(
            select(CourseItem.course_id, func.count())
            .where(CourseItem.course_id.in_(course_ids))
            .group_by(CourseItem.course_id)
        ).all()
    )
    done = dict(
        db.session.execute(
            select(Progress.enrollment_id, func.count())
            .where(Progress.enrollment_id.in_([e.id for e in enrollments]))
            .group_by(Progress.enrollment_id)
        ).all()
    )
    courses = [
        CourseProgress(e, done.get(e.id, 0), totals.get(e.course_id, 0)) for e in enrollments
    ]
    return LearnerBoard(courses, _programmes(enrollments), _deadlines(enrollments, deadline_limit))


def _programmes(enrollments: list[Enrollment]) -> list[ProgrammeProgress]:
    course_ids = {e.course_id for e in enrollments}
    completed = {e.course_id for e in enrollments if e.status == EnrollmentStatus.COMPLETED}
    stmt = (
        select(Programme)
        .where(
            Programme.id.in_(
                select(ProgrammeCourse.programme_id).where(
                    ProgrammeCourse.course_id.in_(course_ids)
                )
            )
        )
        .options(selectinload(Programme.entries))
        .order_by(Programme.slug)
    )
    result = []
    for programme in db.session.scalars(stmt):
        ids = {entry.course_id for entry in programme.entries}
        result.append(ProgrammeProgress(programme, len(ids & completed), len(ids)))
    return result


def _deadlines(enrollments: list[Enrollment], limit: int) -> list[CourseItem]:
    """Items due from now on in active enrolments that the learner has not completed yet."""
    active = [e for e in enrollments if e.status == EnrollmentStatus.ACTIVE]
    finished = select(Progress.item_id).where(Progress.enrollment_id.in_([e.id for e in active]))
    stmt = (
        select(CourseItem)
        .where(
            CourseItem.course_id.in_([e.course_id for e in active]),
            CourseItem.due_at >= utcnow(),
            CourseItem.id.not_in(finished),
        )
        .options(selectinload(CourseItem.course))
        .order_by(CourseItem.due_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class TaughtCourse:
    course: Course
    enrolled: int


def instructor_dashboard(user: User) -> list[TaughtCourse]:
    """Courses ``user`` teaches (directly or through a cohort; admins: none unless they
    teach), with their cohorts and the number of active or completed enrolments."""
    via_cohort = (
        select(Cohort.course_id)
        .join(CohortInstructor, CohortInstructor.cohort_id == Cohort.id)
        .where(CohortInstructor.user_id == user.id)
    )
    direct = select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
    courses = list(
        db.session.scalars(
            select(Course)
            .where(or_(Course.id.in_(direct), Course.id.in_(via_cohort)))
            .options(selectinload(Course.cohorts))
            .order_by(Course.slug)
        )
    )
    counts = dict(
        db.session.execute(
            select(Enrollment.course_id, func.count())
            .where(
                Enrollment.course_id.in_([c.id for c in courses]),
                Enrollment.status.in_(catalog_services.COUNTED),
            )
            .group_by(Enrollment.course_id)
        ).all()
    )
    return [TaughtCourse(c, counts.get(c.id, 0)) for c in courses]


@bp.get("/dashboard")
@login_required
def learner() -> ResponseReturnValue:
    return render_template("dashboard/learner.html", board=learner_dashboard(me()))


@bp.get("/teach")
@login_required
def instructor() -> ResponseReturnValue:
    if not has_role("instructor"):
        abort(403)
    board = instructor_dashboard(me())
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
        "enrollments": catalog_queries.list_enrollments(me(), course),
        "enrol_form": enrol_form or EnrolLearnerForm(formdata=None, cohorts=cohorts),
        "cohort_form": cohort_form or CohortForm(formdata=None),
    }
    return render_template("dashboard/course.html", **context), status


@bp.get("/teach/courses/<slug>")
@login_required
def course(slug: str) -> ResponseReturnValue:
    return _course_page(_managed_course(slug))


@bp.post("/teach/courses/<slug>/enrollments")
@login_required
def enrol_learner(slug: str) -> ResponseReturnValue:
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
