"""Forms of the grading pages (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField


def new_idempotency_key() -> str:
    """A fresh key per rendered form: a double click posts the same key twice, so the
    ``submit`` service answers both with one submission."""
    return uuid.uuid4().hex


class SubmitForm(FlaskForm):
    """Upload a notebook for an assignment."""

    notebook = FileField(
        _l("Notebook file (.ipynb)"),
        validators=[FileRequired(_l("Choose the notebook file to submit."))],
        render_kw={"accept": ".ipynb,application/x-ipynb+json,application/json"},
    )
    idempotency_key = HiddenField(default=new_idempotency_key)
