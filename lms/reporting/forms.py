"""Forms of the reporting pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class OrgTokenForm(FlaskForm):
    """Create an organisation-scoped API token for an HR system."""

    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("For example: HR system (read-only reports)"),
    )
