"""Forms of the grading pages (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateTimeLocalField,
    EmailField,
    FloatField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional


def new_idempotency_key() -> str:
    """A fresh key per rendered form: a double click posts the same key twice, so the
    ``submit`` service answers both with one submission."""
    return uuid.uuid4().hex


class SubmitForm(FlaskForm):
    """Upload a notebook for an assignment."""

    notebook = FileField(
        _l("Notebook file (.ipynb)"),
        validators=[FileRequired(_l("Choose the notebook file to submit."))],
        render_kw={"accept": ".ipynb,application/x-ipynb+json,application/json"},
    )
    idempotency_key = HiddenField(default=new_idempotency_key)


class ManualScoreForm(FlaskForm):
    """Points for one result cell: a manually graded cell's points, or an override of an
    autograded cell (then the reason is mandatory). Empty points remove the manual points."""

    points = FloatField(_l("Points"), validators=[Optional()])
    comment = TextAreaField(_l("Comment (the learner sees it after release)"))

    def check_override(self, autograded: bool) -> bool:
        """An override of an autograded cell needs a reason; True when the form is fine."""
        if autograded and self.points.data is not None and not (self.comment.data or "").strip():
            self.comment.errors = [str(_l("Give the reason for overriding the automatic score."))]
            return False
        return True


class ExtensionForm(FlaskForm):
    """A personal due date for one learner and assignment (replaces an earlier one)."""

    assignment = SelectField(_l("Assignment"))
    email = EmailField(_l("Learner's e-mail"), validators=[DataRequired(), Length(max=254)])
    due_at = DateTimeLocalField(
        _l("New due date (your time zone)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Enter the new due date and time."))],
    )
    reason = StringField(_l("Reason"), validators=[Length(max=500)])


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (mark reviewed, release feedback)."""


def score_forms(submission) -> dict[int, ManualScoreForm]:
    """One form per cell of the latest result, prefixed by the part id (unique field ids on
    the page), filled with the current manual points and comment."""
    result = submission.job.result if submission.job is not None else None
    forms = {}
    for part in result.parts if result is not None else []:
        form = ManualScoreForm(formdata=None, prefix=f"part{part.id}")
        form.points.data, form.comment.data = part.manual_earned, part.manual_comment
        forms[part.id] = form
    return forms
