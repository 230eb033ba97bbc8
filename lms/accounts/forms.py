"""Forms of the account pages: register, log in, settings, password, segment, API tokens."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from lms.web import LABELS, SUPPORTED_LOCALES

LOCALE_NAMES = {"ko": "한국어", "en": "English"}


def strip(value: str | None) -> str | None:
    """Form filter: surrounding white space never counts."""
    return value.strip() if isinstance(value, str) else value


def segment_choices() -> list[tuple[str, str]]:
    """(value, translated label) for every pipeline segment."""
    return list(LABELS["segment"].items())


def timezone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone, Asia/Seoul first."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("Asia/Seoul", "Asia/Seoul")] + [(z, z) for z in zones if z != "Asia/Seoul"]


class RegisterForm(FlaskForm):
    """New account. The password policy itself is enforced by the accounts service."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    segment = SelectField(_l("I am a"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation (optional)"), validators=[Optional()])

    def __init__(self, *args, org_choices: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment.choices = segment_choices()
        self.organisation.choices = [("", _l("None"))] + (org_choices or [])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[strip])
    locale = SelectField(
        _l("Language"), choices=[(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES]
    )
    timezone = SelectField(_l("Time zone"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = timezone_choices()


class SegmentForm(FlaskForm):
    segment = SelectField(_l("Current segment"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.segment.choices = segment_choices()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
    )


class TokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l('What the token is for, e.g. "notebook sync".'),
    )

    def validate_name(self, field: StringField) -> None:
        if not field.data.strip():
            raise ValidationError(_l("This field is required."))
