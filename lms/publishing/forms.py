"""The course package upload form (Flask-WTF, CSRF-protected)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class PackageUploadForm(FlaskForm):
    """A zip of one course package (course.toml, source/, data files)."""

    package = FileField(
        _l("Course package (.zip)"),
        validators=[FileRequired(_l("Choose the zip file of the course package."))],
        render_kw={"accept": ".zip,application/zip"},
    )
