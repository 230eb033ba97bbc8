"""Forms of the instructor pages: enrol a learner by e-mail, create a cohort."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError


class EnrolLearnerForm(FlaskForm):
    email = EmailField(
        _l("Learner's e-mail"),
        validators=[DataRequired(), Email(message=_l("Enter a valid e-mail address."))],
    )
    cohort = SelectField(_l("Cohort"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args, cohorts: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort.choices = [("", _l("No particular cohort"))] + (cohorts or [])


class CohortForm(FlaskForm):
    name = StringField(_l("Cohort name"), validators=[DataRequired(), Length(max=100)])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[DataRequired()])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Leave empty for no limit."),
    )

    def validate_ends_on(self, field: DateField) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must not be before the start date."))
