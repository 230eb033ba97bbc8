"""The rubric page of one manually graded cell of a submission (course staff): tick
criteria to set the cell's points, add criteria to the cell's rubric. Each POST: check
access, one service call (it audits), commit once, redirect; errors re-render with 422."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import FloatField, StringField, TextAreaField
from wtforms.validators import InputRequired

from lms.db import db
from lms.errors import DomainError
from lms.grading.models import ResultPart
from lms.grading.review_views import _staff_submission
from lms.grading.rubric import add_criterion, apply_rubric, criteria_for, ticked_ids
from lms.web import me, show_error

bp = Blueprint("rubric", __name__, template_folder="templates")


class CriterionForm(FlaskForm):
    """A new criterion of the cell's rubric."""

    text = StringField(_l("Criterion"), validators=[InputRequired()])
    points = FloatField(_l("Points"), validators=[InputRequired()])


class TickForm(FlaskForm):
    """The ticked criteria (checkboxes named ``criterion``) and the cell's comment."""

    comment = TextAreaField(_l("Comment (the learner sees it after release)"))


def _part(submission_id: int, part_id: int):
    submission = _staff_submission(submission_id)
    part = db.session.get(ResultPart, part_id)
    result = submission.job.result if submission.job is not None else None
    if part is None or result is None or part.result_id != result.id or part.kind != "manual":
        abort(404)
    return submission, part


def _page(submission, part, tick_form=None, criterion_form=None, status: int = 200):
    if tick_form is None:
        tick_form = TickForm(formdata=None, comment=part.manual_comment)
    page = render_template(
        "grading/rubric.html",
        submission=submission,
        part=part,
        criteria=criteria_for(part),
        ticked=ticked_ids(part),
        tick_form=tick_form,
        criterion_form=criterion_form or CriterionForm(formdata=None),
    )
    return page, status


@bp.get("/submissions/<int:submission_id>/parts/<int:part_id>/rubric")
@login_required
def rubric(submission_id: int, part_id: int) -> ResponseReturnValue:
    """The cell's rubric with the criteria ticked for this submission."""
    return _page(*_part(submission_id, part_id))


@bp.post("/submissions/<int:submission_id>/parts/<int:part_id>/rubric")
@login_required
def tick(submission_id: int, part_id: int) -> ResponseReturnValue:
    """Set the cell's manual points to the sum of the ticked criteria."""
    submission, part = _part(submission_id, part_id)
    form = TickForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ids = [int(i) for i in request.form.getlist("criterion")]
        apply_rubric(me(), part, ids, (form.comment.data or "").strip())
    except ValueError:
        abort(400)
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return _page(submission, part, form, status=422)
    db.session.commit()
    flash(_("Points set from the rubric."), "success")
    return redirect(url_for("rubric.rubric", submission_id=submission.id, part_id=part.id))


@bp.post("/submissions/<int:submission_id>/parts/<int:part_id>/rubric/criteria")
@login_required
def criterion(submission_id: int, part_id: int) -> ResponseReturnValue:
    """Add a criterion to the cell's rubric."""
    submission, part = _part(submission_id, part_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            add_criterion(me(), part, form.text.data, form.points.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error, "text")
        else:
            db.session.commit()
            flash(_("Criterion added."), "success")
            return redirect(url_for("rubric.rubric", submission_id=submission.id, part_id=part.id))
    return _page(submission, part, criterion_form=form, status=422)
