"""Instructor actions on the submission page and the gradebook: manual points per cell,
overrides of autograded cells with a reason, mark reviewed, release feedback (to everyone
for an assignment, or to one learner). Each POST: check access, one service call (the
service audits), commit once, redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course, Enrollment
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import DomainError
from lms.grading.access import get_submission
from lms.grading.forms import ActionForm, ExtensionForm, ManualScoreForm, score_forms
from lms.grading.models import ResultPart, Submission
from lms.grading.review import mark_reviewed, release_feedback, set_manual_score
from lms.grading.staff_views import gradebook_page, managed_course
from lms.grading.submission import grant_extension
from lms.grading.views import _submission_context
from lms.publishing.services import current_assignment, current_version
from lms.web import me, show_error, user_timezone

bp = Blueprint("review", __name__, template_folder="templates")


def _staff_submission(submission_id: int) -> Submission:
    submission = get_submission(me(), submission_id)
    if not can_manage_course(me(), db.session.get(Course, submission.course_id)):
        abort(403)
    return submission


@bp.post("/submissions/<int:submission_id>/parts/<int:part_id>")
@login_required
def score_part(submission_id: int, part_id: int) -> ResponseReturnValue:
    """Manual points (or an override with its reason) for one cell of the latest result."""
    submission = _staff_submission(submission_id)
    part = db.session.get(ResultPart, part_id)
    result = submission.job.result if submission.job is not None else None
    if part is None or result is None or part.result_id != result.id:
        abort(404)
    form = ManualScoreForm(prefix=f"part{part.id}")
    valid = form.validate_on_submit() and form.check_override(part.kind == "test")
    if valid:
        try:
            set_manual_score(me(), part, form.points.data, (form.comment.data or "").strip())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "points")
            valid = False
    if not valid:
        forms = score_forms(submission) | {part.id: form}
        context = _submission_context(submission) | {"score_forms": forms}
        return render_template("grading/submission.html", **context), 422
    db.session.commit()
    flash(_("The points were saved."), "success")
    return redirect(url_for("grading.submission", submission_id=submission.id))


@bp.post("/submissions/<int:submission_id>/reviewed")
@login_required
def reviewed(submission_id: int) -> ResponseReturnValue:
    """A human has looked at a flagged result."""
    submission = _staff_submission(submission_id)
    if not ActionForm().validate_on_submit() or submission.job is None or not submission.job.result:
        abort(400)
    mark_reviewed(me(), submission.job.result)
    db.session.commit()
    flash(_("Marked as reviewed."), "success")
    return redirect(url_for("grading.submission", submission_id=submission.id))


@bp.post("/submissions/<int:submission_id>/release")
@login_required
def release_to_learner(submission_id: int) -> ResponseReturnValue:
    """Release this assignment's feedback to this submission's learner only."""
    submission = _staff_submission(submission_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    course = db.session.get(Course, submission.course_id)
    release_feedback(me(), course, submission.assignment_name, submission.user)
    db.session.commit()
    flash(_("Feedback released to this learner."), "success")
    return redirect(url_for("grading.submission", submission_id=submission.id))


@bp.post("/teach/courses/<slug>/assignments/<name>/release")
@login_required
def release_assignment(slug: str, name: str) -> ResponseReturnValue:
    """Release an assignment's feedback to every learner of the course."""
    course = managed_course(slug)
    assignment = current_assignment(course, name)
    if not ActionForm().validate_on_submit():
        abort(400)
    release_feedback(me(), course, assignment.name)
    db.session.commit()
    flash(_("Feedback for %(name)s released to all learners.", name=assignment.name), "success")
    return redirect(url_for("gradebook.gradebook", slug=course.slug))


@bp.post("/teach/courses/<slug>/extensions")
@login_required
def extension(slug: str) -> ResponseReturnValue:
    """Give one enrolled learner a personal due date (entered in the viewer's time zone)."""
    course = managed_course(slug)
    form = ExtensionForm()
    version = current_version(course)
    form.assignment.choices = [(a.name, a.name) for a in version.assignments] if version else []
    if not form.validate_on_submit():
        return gradebook_page(course, form, 422)
    learner = _enrolled_learner(course, form.email.data)
    if learner is None:
        form.email.errors = [_("No learner with this e-mail is enrolled in this course.")]
        return gradebook_page(course, form, 422)
    due = form.due_at.data.replace(tzinfo=user_timezone())
    grant_extension(me(), course, form.assignment.data, learner, due, form.reason.data or "")
    db.session.commit()
    flash(_("Extension saved."), "success")
    return redirect(url_for("gradebook.gradebook", slug=course.slug))


def _enrolled_learner(course: Course, email: str) -> User | None:
    return db.session.scalar(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, User.email == email.strip().lower())
    )
