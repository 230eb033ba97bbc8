"""Forms of the administration pages: users, organisations, courses and programmes."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from lms.web import LABELS

SLUG = Regexp(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    message=_l("Use lowercase letters, digits and single hyphens, e.g. smart-factory-101."),
)


def _choices(kind: str) -> list[tuple[str, str]]:
    return list(LABELS[kind].items())


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("All"))] + _choices("role")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices("role")


class OrganisationForm(FlaskForm):
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=64), SLUG])
    name_ko = StringField(_l("Name in Korean"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices("org_kind")


class DepartmentForm(FlaskForm):
    name = StringField(_l("Department name"), validators=[DataRequired(), Length(max=200)])


class _Bilingual(FlaskForm):
    slug = StringField(_l("Short name (slug)"), validators=[DataRequired(), Length(max=64), SLUG])
    title_ko = StringField(_l("Title in Korean"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=200)])
    description_ko = TextAreaField(_l("Description in Korean"), validators=[Length(max=5000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=5000)])
    track = SelectField(_l("Track"), validators=[DataRequired()])
    is_published = BooleanField(_l("Published (visible in the catalogue)"))


class CourseForm(_Bilingual):
    level = SelectField(_l("Level"), validators=[DataRequired()])
    skills = StringField(
        _l("Skills"),
        validators=[Length(max=1000)],
        description=_l("Separate skills with commas."),
    )
    needs_gpu = BooleanField(_l("Labs need a GPU"))
    self_enroll = BooleanField(_l("Learners may enrol themselves"), default=True)
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=1, max=100000)],
        description=_l("Leave empty for no limit."),
    )
    prerequisites = SelectMultipleField(_l("Prerequisites"), validators=[Optional()])

    def __init__(self, *args, courses: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.track.choices = _choices("track")
        self.level.choices = _choices("level")
        self.prerequisites.choices = courses or []

    def skill_list(self) -> list[str]:
        """The skills as a clean list, without blanks or duplicates, in the given order."""
        seen: dict[str, None] = {}
        for part in re.split(r"[,\n]", self.skills.data or ""):
            if part.strip():
                seen.setdefault(part.strip(), None)
        return list(seen)


class ProgrammeForm(_Bilingual):
    audience = SelectMultipleField(
        _l("Audience"),
        validators=[Optional()],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    courses = StringField(
        _l("Courses in order"),
        validators=[Length(max=2000)],
        description=_l("Course slugs in the order learners take them, separated by commas."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.track.choices = _choices("track")
        self.audience.choices = _choices("segment")

    def course_slugs(self) -> list[str]:
        return [s.strip() for s in (self.courses.data or "").split(",") if s.strip()]

    def validate_courses(self, field: StringField) -> None:
        slugs = self.course_slugs()
        if len(slugs) != len(set(slugs)):
            raise ValidationError(_l("A course appears twice in the list."))
