"""Forms of the completion pages (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, FloatField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.completion.policies import PolicyTerms, parse_labs

_PERCENT = [Optional(), NumberRange(0, 100, _l("Enter a percentage between 0 and 100."))]


class PolicyForm(FlaskForm):
    """A course's or programme's completion policy; an empty field = not required."""

    min_progress_percent = FloatField(_l("Minimum progress (%)"), validators=_PERCENT)
    min_score_percent = FloatField(_l("Minimum score (percent of the points)"), validators=_PERCENT)
    required_labs = TextAreaField(_l("Required labs (one per line)"), validators=[Length(max=4000)])
    lab_pass_percent = FloatField(
        _l("A lab is passed from (percent of its points)"),
        default=60.0,
        validators=[DataRequired(), NumberRange(1, 100, _l("Enter a percentage from 1 to 100."))],
    )
    min_attendance_percent = FloatField(
        _l("Minimum attendance at live sessions (%)"), validators=_PERCENT
    )

    def fill(self, terms: PolicyTerms) -> None:
        self.min_progress_percent.data = terms.min_progress_percent
        self.min_score_percent.data = terms.min_score_percent
        self.required_labs.data = "\n".join(terms.required_labs)
        self.lab_pass_percent.data = terms.lab_pass_percent
        self.min_attendance_percent.data = terms.min_attendance_percent

    def terms(self) -> PolicyTerms:
        return PolicyTerms(
            self.min_progress_percent.data,
            self.min_score_percent.data,
            parse_labs(self.required_labs.data or ""),
            self.lab_pass_percent.data,
            self.min_attendance_percent.data,
        )


class ConfirmForm(FlaskForm):
    """Confirm the selected learners; the reason is needed for those who do not qualify."""

    override_reason = TextAreaField(
        _l("Reason for confirming learners who do not meet the policy"),
        validators=[Length(max=1000)],
    )


class RevokeForm(FlaskForm):
    reason = StringField(
        _l("Reason for revoking"),
        validators=[DataRequired(_l("Give the reason for revoking.")), Length(max=1000)],
    )


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(
        _l("Starts at (your time zone)"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(_l("Enter the date and time."))],
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        default=90,
        validators=[DataRequired(), NumberRange(1, 1440, _l("Between 1 and 1440 minutes."))],
    )


class ActionForm(FlaskForm):
    """A button or a table of inputs that only needs the CSRF token."""
