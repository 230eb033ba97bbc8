"""The consent texts: who receives what, why, for how long, and that refusing is allowed."""

from __future__ import annotations

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from lms.consent.models import DataKind
from lms.orgs.models import Organisation, OrgKind

#: Short names of the kinds, for checkboxes, tables and the log.
KIND_LABELS = {
    DataKind.PROGRESS: _l("Enrolments and progress"),
    DataKind.SCORES: _l("Scores"),
    DataKind.SKILLS: _l("Skills"),
    DataKind.SUBMISSIONS: _l("Submissions' content"),
}

#: What the organisation sees, per kind.
_WHAT = {
    DataKind.PROGRESS: _l(
        "which courses and programmes you are enrolled in, how far you are in each (items "
        "done, overdue items, last activity) and whether you completed them"
    ),
    DataKind.SCORES: _l("your scores and points in assignments, labs and courses"),
    DataKind.SKILLS: _l(
        "your skill profile: the competencies you achieved and at which level, with the graded "
        "work that shows them"
    ),
    DataKind.SUBMISSIONS: _l(
        "the content of the notebooks you submitted (your code and answers) and their feedback"
    ),
}

#: Why, per kind of organisation.
_WHY = {
    OrgKind.COMPANY: _l("to follow and support your reskilling and to plan its training"),
    OrgKind.SCHOOL: _l("to follow and support your studies"),
    OrgKind.UNIVERSITY: _l("to follow and support your studies"),
    OrgKind.AGENCY: _l("to follow the training programme it runs or funds"),
}


def kind_label(kind: DataKind | str, locale: str | None = None) -> str:
    """The short translated name of ``kind`` (in ``locale``, else the request's language)."""
    label = KIND_LABELS[DataKind(kind)]
    if locale is None:
        return str(label)
    with force_locale(locale):
        return str(label)


def consent_text(org: Organisation, kind: DataKind | str, locale: str) -> str:
    """The consent text for sharing ``kind`` with ``org``, in ``locale`` ('ko' or 'en').

    Says who receives what, why, for how long, that refusing is allowed and that the
    decision can be changed at any time. Needs an app context."""
    kind = DataKind(kind)
    with force_locale(locale):
        return gettext(
            "The managers of %(org)s may see %(what)s, %(why)s. They see it only while you are "
            "a member of %(org)s and keep this consent, and every time they look it is logged "
            "here for you. Refusing is allowed and changes nothing in your courses. You can "
            "change your decision at any time: withdrawing takes effect at once (files the "
            "organisation already exported stay its responsibility).",
            org=org.name(locale),
            what=str(_WHAT[kind]),
            why=str(_WHY.get(OrgKind(org.kind), _WHY[OrgKind.COMPANY])),
        )
