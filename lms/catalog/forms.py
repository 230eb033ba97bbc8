"""Forms of the catalogue pages: the filter bar (GET, no CSRF) and the enrol button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField
from wtforms.validators import Length, Optional

from lms.web import LABELS


def _any(choices: dict) -> list[tuple[str, str]]:
    return [("", _l("All"))] + list(choices.items())


class CatalogueFilterForm(FlaskForm):
    """The filter bar. Parsing and checking the values is ``CatalogueFilter.parse``'s job."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=100)])
    track = SelectField(_l("Track"), validators=[Optional()])
    level = SelectField(_l("Level"), validators=[Optional()])
    segment = SelectField(_l("Audience"), validators=[Optional()])
    gpu = SelectField(_l("GPU"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.track.choices = _any(LABELS["track"])
        self.level.choices = _any(LABELS["level"])
        self.segment.choices = _any(LABELS["segment"])
        self.gpu.choices = [("", _l("All")), ("yes", _l("Needs a GPU")), ("no", _l("CPU only"))]


class EnrolForm(FlaskForm):
    """Self-enrolment, optionally into a chosen cohort."""

    # Any id may come back (a cohort that just filled up, say): the service checks it.
    cohort = SelectField(_l("Cohort"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args, cohorts: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cohort.choices = [("", _l("No particular cohort"))] + (cohorts or [])
