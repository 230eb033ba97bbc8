"""Completion pages: a person's completions and standing, a course's qualification list with
confirmation (one or many) and revocation, and the policy editor."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import Role, User
from lms.catalog.models import Course, Enrollment, EnrollmentStatus, Programme
from lms.catalog.services import can_manage_course, get_course
from lms.completion import services
from lms.completion.forms import ConfirmForm, PolicyForm, RevokeForm
from lms.completion.policies import (
    can_manage_programme,
    course_policy,
    set_course_policy,
    terms_of,
)
from lms.completion.progress import AT_RISK_REASONS
from lms.completion.qualification import CRITERIA, course_qualifications, evaluate_many
from lms.db import db
from lms.errors import DomainError
from lms.web import me, show_error

bp = Blueprint("completion", __name__, template_folder="templates")


def managed_course(slug: str) -> Course:
    """The course ``slug`` if the signed-in user manages it (else 404 or 403)."""
    course = get_course(me(), slug)
    if not can_manage_course(me(), course):
        abort(403)
    return course


@bp.app_context_processor
def completion_helpers() -> dict:
    from lms.completion.attendance import STATUS_LABELS

    return {
        "criterion_label": lambda code: str(CRITERIA.get(code, code)),
        "risk_label": lambda code: str(AT_RISK_REASONS.get(code, code)),
        "attendance_label": lambda status: str(STATUS_LABELS.get(status, status)),
    }


@bp.get("/completion")
@login_required
def overview() -> ResponseReturnValue:
    """My completions and where I stand in my courses; staff: the courses and programmes
    whose completion they confirm."""
    user = me()
    active = list(
        db.session.scalars(
            select(Enrollment).where(
                Enrollment.user_id == user.id, Enrollment.status == EnrollmentStatus.ACTIVE
            )
        )
    )
    standing = evaluate_many(active)
    return render_template(
        "completion/overview.html",
        completions=services.completions_for(user),
        standing=[(e, standing[e.id]) for e in active],
        courses=_staff_courses(user),
        programmes=_staff_programmes(user),
    )


def _staff_courses(user: User) -> list[Course]:
    if user.role == Role.ADMIN:
        return list(db.session.scalars(select(Course).order_by(Course.slug)))
    if user.role != Role.INSTRUCTOR:
        return []
    from lms.dashboard.queries import instructor_dashboard

    return [taught.course for taught in instructor_dashboard(user)]


def _staff_programmes(user: User) -> list[Programme]:
    if user.role not in (Role.ADMIN, Role.INSTRUCTOR):
        return []
    programmes = db.session.scalars(select(Programme).order_by(Programme.slug))
    return [p for p in programmes if can_manage_programme(user, p)]


@bp.get("/teach/courses/<slug>/completion")
@login_required
def course(slug: str) -> ResponseReturnValue:
    """Who qualifies under the course's policy, with confirmation and revocation."""
    return course_page(managed_course(slug))


def course_page(course: Course, form: ConfirmForm | None = None, status: int = 200):
    cohort_id = request.args.get("cohort", type=int)
    if cohort_id not in {c.id for c in course.cohorts}:
        cohort_id = None
    rows = course_qualifications(course, cohort_id)
    page = render_template(
        "completion/course.html",
        course=course,
        rows=rows,
        users={u.id: u for u in _users({r.user_id for r in rows})},
        terms=terms_of(course_policy(course)),
        cohort_id=cohort_id,
        form=form or ConfirmForm(formdata=None),
        revoke_form=RevokeForm(formdata=None),
    )
    return page, status


def _users(ids: set[int]) -> list[User]:
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


@bp.post("/teach/courses/<slug>/completion/confirm")
@login_required
def confirm(slug: str) -> ResponseReturnValue:
    """Confirm the ticked learners (all or none), with the override reason when needed."""
    course = managed_course(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return course_page(course, form, 422)
    ids = set(request.form.getlist("enrollment", type=int))
    enrollments = list(
        db.session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(ids), Enrollment.course_id == course.id)
            .options(selectinload(Enrollment.user))
        )
    )
    try:
        if len(enrollments) != len(ids):
            abort(400)
        done = services.confirm_many(me(), course, enrollments, form.override_reason.data)
    except DomainError as error:
        show_error(form, error, "override_reason")
        return course_page(course, form, error.status)
    db.session.commit()
    flash(
        ngettext("%(num)d completion confirmed.", "%(num)d completions confirmed.", len(done)),
        "success",
    )
    return redirect(url_for("completion.course", slug=course.slug))


@bp.post("/completions/<int:completion_id>/revoke")
@login_required
def revoke(completion_id: int) -> ResponseReturnValue:
    """Revoke a confirmed completion with a reason (kept as history)."""
    completion = services.get_completion(me(), completion_id)
    form = RevokeForm()
    target = _back_to(completion)
    if not form.validate_on_submit():
        flash(" ".join(map(str, form.reason.errors)) or _("Give the reason for revoking."), "error")
        return redirect(target)
    try:
        services.revoke(me(), completion, form.reason.data)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(target)
    db.session.commit()
    flash(_("The completion was revoked."), "success")
    return redirect(target)


def _back_to(completion) -> str:
    if completion.course is not None:
        return url_for("completion.course", slug=completion.course.slug)
    return url_for("programme_completion.programme", slug=completion.programme.slug)


@bp.route("/teach/courses/<slug>/completion/policy", methods=["GET", "POST"])
@login_required
def policy(slug: str) -> ResponseReturnValue:
    """Edit the course's completion policy."""
    course = managed_course(slug)
    form = PolicyForm()
    if request.method == "GET":
        form.fill(terms_of(course_policy(course)))
    elif form.validate_on_submit():
        try:
            set_course_policy(me(), course, form.terms())
        except DomainError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Completion policy saved."), "success")
            return redirect(url_for("completion.course", slug=course.slug))
    labs = _lab_names(course)
    status = 422 if form.errors or form.form_errors else 200
    back = url_for("completion.course", slug=course.slug)
    return render_template(
        "completion/policy.html", form=form, target=course, labs=labs, back=back
    ), status


def _lab_names(course: Course) -> list[str]:
    from lms.publishing.services import current_version

    version = current_version(course)
    return [a.name for a in version.assignments] if version else []
