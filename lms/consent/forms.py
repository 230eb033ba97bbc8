"""The consent form: one checkbox per kind of data, for one organisation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from lms.consent.models import DataKind
from lms.consent.texts import KIND_LABELS


class ConsentForm(FlaskForm):
    """Every kind, ticked = shared. Use ``prefix=<org slug>`` so several forms can share a
    page. An unticked box is a refusal: the form always decides every kind."""

    progress = BooleanField(KIND_LABELS[DataKind.PROGRESS])
    scores = BooleanField(KIND_LABELS[DataKind.SCORES])
    skills = BooleanField(KIND_LABELS[DataKind.SKILLS])
    submissions = BooleanField(KIND_LABELS[DataKind.SUBMISSIONS])

    def choices(self) -> dict[DataKind, bool]:
        return {kind: bool(self[kind.value].data) for kind in DataKind}
