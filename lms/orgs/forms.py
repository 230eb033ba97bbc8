"""Forms of the organisation pages (managers and members)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

Choices = list[tuple[str, str]]


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class ActionForm(FlaskForm):
    """A button that only needs CSRF protection (revoke, leave, approve…)."""


class SponsorForm(FlaskForm):
    """Sponsor an enrolment of one current member into one course."""

    member = SelectField(_l("Member"), validators=[DataRequired()])
    course = SelectField(_l("Course"), validators=[DataRequired()])

    def __init__(self, *args, members: Choices | None = None, courses: Choices | None = None, **kw):
        super().__init__(*args, **kw)
        self.member.choices = members or []
        self.course.choices = courses or []


class BulkSponsorForm(FlaskForm):
    """Sponsor the checked members (``members`` check boxes) and/or a whole department into
    a course or every course of a programme (``target`` is ``course:slug`` or
    ``programme:slug``)."""

    department = SelectField(_l("Whole department"), validators=[Optional()])
    target = SelectField(_l("Course or programme"), validators=[DataRequired()])

    def __init__(self, *args, departments: Choices = (), targets: Choices = (), **kw):
        super().__init__(*args, **kw)
        self.department.choices = [("", _l("None (only the checked members)"))] + list(departments)
        self.target.choices = list(targets)


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            Email(message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
        filters=[strip],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)], filters=[strip])
    department = SelectField(_l("Department"), validators=[Optional()])
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, departments: Choices = (), roles: Choices = (), **kw):
        super().__init__(*args, **kw)
        self.department.choices = [("", _l("No department"))] + list(departments)
        self.role.choices = list(roles)


ENCODING_CHOICES = [
    ("auto", _l("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _l("UTF-8 with BOM")),
    ("cp949", _l("CP949 (Korean Excel)")),
    ("euc-kr", "EUC-KR"),
]


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    encoding = SelectField(_l("Encoding"), choices=ENCODING_CHOICES, default="auto")
    create_departments = BooleanField(_l("Create departments that do not exist yet"))
    apply_valid = BooleanField(_l("Invite the valid rows even if other rows have problems"))
    dry_run = BooleanField(_l("Only check the file, invite nobody"))
    download_links = BooleanField(_l("Download the invitation links as a CSV file"))


class DepartmentForm(FlaskForm):
    name = StringField(
        _l("Department name"), validators=[DataRequired(), Length(max=200)], filters=[strip]
    )


class MoveForm(FlaskForm):
    """Move the checked members (``members`` check boxes) into a department."""

    department = SelectField(_l("Move to department"), validators=[Optional()])

    def __init__(self, *args, departments: Choices = (), **kw):
        super().__init__(*args, **kw)
        self.department.choices = [("", _l("No department"))] + list(departments)


class JoinDecisionForm(FlaskForm):
    department = SelectField(_l("Department"), validators=[Optional()])

    def __init__(self, *args, departments: Choices = (), **kw):
        super().__init__(*args, **kw)
        self.department.choices = [("", _l("No department"))] + list(departments)


class JoinRequestForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()])

    def __init__(self, *args, orgs: Choices = (), **kw):
        super().__init__(*args, **kw)
        self.organisation.choices = list(orgs)
