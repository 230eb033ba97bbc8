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
        "your skill profile (the competencies you achieved, at which level, and the graded "
        "work that shows them)"
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


def consent_scope(org: Organisation, kind: DataKind | str, locale: str) -> str:
    """Who receives what and why: the part of the consent text that differs per kind."""
    kind = DataKind(kind)
    with force_locale(locale):
        return gettext(
            "The managers of %(org)s may see %(what)s, %(why)s.",
            org=org.name(locale),
            what=str(_WHAT[kind]),
            why=str(_WHY.get(OrgKind(org.kind), _WHY[OrgKind.COMPANY])),
        )


def consent_terms(org: Organisation, locale: str) -> str:
    """For how long, that refusing is allowed and that the decision can change: the part
    of the consent text that is the same for every kind."""
    with force_locale(locale):
        return gettext(
            "They see it only while you are a member of %(org)s and keep this consent, and "
            "every time they look it is logged for you to see in your settings. Refusing is "
            "allowed and changes nothing in your courses. You can change your decision at any "
            "time: withdrawing takes effect at once (files the organisation already exported "
            "stay its responsibility).",
            org=org.name(locale),
        )


def consent_text(org: Organisation, kind: DataKind | str, locale: str) -> str:
    """The consent text for sharing ``kind`` with ``org``, in ``locale`` ('ko' or 'en').

    Says who receives what, why, for how long, that refusing is allowed and that the
    decision can be changed at any time. Needs an app context."""
    return f"{consent_scope(org, kind, locale)} {consent_terms(org, locale)}"


#: How a decision was made or the data was seen.
VIA_LABELS = {
    "page": _l("Web page"),
    "api": _l("API"),
    "export": _l("Export file"),
}


def via_label(via: object) -> str:
    """The translated name of a channel ("page", "api", "export")."""
    key = str(getattr(via, "value", via))
    return str(VIA_LABELS.get(key, key))
