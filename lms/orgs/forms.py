"""Forms of the organisation manager pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired


class SponsorForm(FlaskForm):
    """Sponsor an enrolment of one current member into one course."""

    member = SelectField(_l("Member"), validators=[DataRequired()])
    course = SelectField(_l("Course"), validators=[DataRequired()])

    def __init__(
        self,
        *args,
        members: list[tuple[str, str]] | None = None,
        courses: list[tuple[str, str]] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.member.choices = members or []
        self.course.choices = courses or []
