"""Forms of the credential pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lms.credentials.services import MAX_REASON_CHARS


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""


class RevokeForm(FlaskForm):
    """An administrator revokes a credential; the reason is kept and shown to verifiers."""

    reason = TextAreaField(
        _l("Reason for revoking"),
        validators=[InputRequired(), Length(max=MAX_REASON_CHARS)],
        description=_l("Shown on the public verification page. Say why, briefly."),
    )


class VerifyForm(FlaskForm):
    """Anyone checks a credential file (.jwt or .json), uploaded or pasted."""

    file = FileField(_l("Credential file (.jwt or .json)"))
    text = TextAreaField(
        _l("…or paste the credential"),
        validators=[Optional()],
        render_kw={"rows": 6, "spellcheck": "false"},
    )


class SearchForm(FlaskForm):
    """Administrators search credentials by recipient, achievement or id."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
