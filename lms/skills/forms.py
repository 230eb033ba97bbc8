"""Forms of the skills pages (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FloatField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from lms.skills.models import MAX_LEVEL, MIN_LEVEL


def track_choices() -> list[tuple[str, str]]:
    from lms.web import LABELS

    return [("", _l("All tracks"))] + [(k, v) for k, v in LABELS["track"].items()]


class UnitFilterForm(FlaskForm):
    """The framework page's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    track = SelectField(_l("Track"), choices=[], validate_choice=True)
    level = SelectField(_l("Level"), choices=[], validate_choice=True)
    q = StringField(_l("Code or name"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.track.choices = track_choices()
        self.level.choices = [("", _l("All levels"))] + [
            (str(n), str(level_label(n))) for n in range(MIN_LEVEL, MAX_LEVEL + 1)
        ]


LEVEL_NAMES = {
    1: _l("Foundation"),
    2: _l("Applied"),
    3: _l("Advanced"),
    4: _l("Expert"),
}


def level_label(level: int) -> str:
    """``"2 · Applied"``: the level number and its name."""
    return f"{level} · {LEVEL_NAMES.get(level, '')}"


ENCODING_CHOICES = [
    ("auto", _l("Detect (UTF-8, UTF-8 with BOM, CP949)")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _l("UTF-8 with BOM (Excel: CSV UTF-8)")),
    ("cp949", _l("CP949 (Korean Excel: CSV)")),
    ("euc-kr", "EUC-KR"),
]


class ImportForm(FlaskForm):
    """A CSV of competency units; "check" reports without changing anything."""

    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(_l("Choose the CSV file of the competency units."))],
        render_kw={"accept": ".csv,text/csv"},
    )
    encoding = SelectField(_l("Encoding"), choices=ENCODING_CHOICES, default="auto")


class MappingForm(FlaskForm):
    """Map a unit to the course, one assignment or one graded cell (``target`` values:
    ``""``, ``assignment`` or ``assignment::cell``)."""

    code = StringField(
        _l("Unit code"), validators=[InputRequired()], render_kw={"list": "unit-codes"}
    )
    target = SelectField(_l("Evidence"), choices=[], validate_choice=True)
    weight = FloatField(
        _l("Weight"),
        default=1.0,
        validators=[InputRequired(), NumberRange(min=0.01, max=100)],
    )

    def target_parts(self) -> tuple[str, str]:
        assignment, _sep, cell = (self.target.data or "").partition("::")
        return assignment, cell
