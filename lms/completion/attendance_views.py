"""Instructor pages for a cohort's live sessions and taking attendance at each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.catalog.models import Cohort
from lms.completion import attendance
from lms.completion.forms import ActionForm, SessionForm
from lms.completion.models import AttendanceStatus
from lms.completion.views import managed_course
from lms.db import db
from lms.errors import DomainError
from lms.web import me, show_error, user_timezone

bp = Blueprint("attendance", __name__, template_folder="templates")


def managed_cohort(slug: str, cohort_id: int) -> Cohort:
    course = managed_course(slug)
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.course_id != course.id:
        abort(404)
    return cohort


@bp.route("/teach/courses/<slug>/cohorts/<int:cohort_id>/sessions", methods=["GET", "POST"])
@login_required
def sessions(slug: str, cohort_id: int) -> ResponseReturnValue:
    """The cohort's live sessions with attendance counts, and a form to add one."""
    cohort = managed_cohort(slug, cohort_id)
    form = SessionForm()
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        starts = form.starts_at.data.replace(tzinfo=user_timezone())
        try:
            attendance.create_session(
                me(), cohort, form.title.data, starts, form.duration_minutes.data
            )
        except DomainError as error:
            show_error(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("Session added."), "success")
            return redirect(url_for("attendance.sessions", slug=slug, cohort_id=cohort.id))
    listed = attendance.cohort_sessions(cohort)
    counts = attendance.attended_counts([s.id for s in listed])
    return render_template(
        "completion/sessions.html",
        cohort=cohort,
        course=cohort.course,
        sessions=listed,
        counts=counts,
        roster_size=len(attendance.roster(cohort)),
        form=form,
        action_form=ActionForm(formdata=None),
    ), status


@bp.route("/teach/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def take(session_id: int) -> ResponseReturnValue:
    """The cohort's roster with one status per learner for this session."""
    session = attendance.get_session(me(), session_id)
    learners = attendance.roster(session.cohort)
    form = ActionForm()
    if form.validate_on_submit():
        marks = {}
        for learner in learners:
            value = request.form.get(f"status-{learner.id}")
            if value:
                if value not in {s.value for s in AttendanceStatus}:
                    abort(400)
                marks[learner.id] = AttendanceStatus(value)
        changed = attendance.record_attendance(me(), session, marks)
        db.session.commit()
        flash(_("Attendance saved (%(num)d changed).", num=changed), "success")
        return redirect(url_for("attendance.take", session_id=session.id))
    return render_template(
        "completion/attendance.html",
        session=session,
        cohort=session.cohort,
        course=session.cohort.course,
        learners=learners,
        marks=attendance.session_marks(session),
        statuses=list(AttendanceStatus),
        form=form,
    )


@bp.post("/teach/sessions/<int:session_id>/delete")
@login_required
def delete(session_id: int) -> ResponseReturnValue:
    """Remove a session (and the attendance taken at it)."""
    session = attendance.get_session(me(), session_id)
    cohort = session.cohort
    if not ActionForm().validate_on_submit():
        abort(400)
    attendance.delete_session(me(), session)
    db.session.commit()
    flash(_("Session removed."), "success")
    return redirect(url_for("attendance.sessions", slug=cohort.course.slug, cohort_id=cohort.id))
