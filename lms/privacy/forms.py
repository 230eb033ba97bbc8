"""Forms of the privacy pages: ask for an export, ask for deletion (review or password),
and the administrators' refusal note."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.accounts.forms import strip


class ExportForm(FlaskForm):
    """No fields: the CSRF token is the whole form."""


class DeletionRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Anything the administrator should know (optional)"),
        validators=[Length(max=2000)],
        filters=[strip],
    )


class DeletionConfirmForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    understood = BooleanField(
        _l("I understand that my account is deleted now and cannot be restored."),
        validators=[DataRequired(message=_l("Tick the box to confirm."))],
    )


class RejectForm(FlaskForm):
    note = TextAreaField(
        _l("Why is the request refused? The person sees this."),
        validators=[DataRequired(), Length(max=2000)],
        filters=[strip],
    )
