"""The member's consent page: what each organisation may see, the history of decisions,
and when each organisation looked at their data."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.exceptions import HTTPException

from lms.consent import queries
from lms.consent.forms import ConsentForm
from lms.consent.models import DataKind
from lms.consent.services import set_consent
from lms.consent.texts import consent_scope, consent_terms, kind_label, via_label
from lms.db import db
from lms.orgs.services import get_org
from lms.web import current_locale, me

bp = Blueprint("consent", __name__, template_folder="templates")


def member_view_url(slug: str, user_id: int) -> str | None:
    """The organisation's view of this member (the reporting page), if the portal has it."""
    path = f"/orgs/{slug}/members/{user_id}"
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return path


def _page(forms: dict[str, ConsentForm] | None = None, status: int = 200) -> ResponseReturnValue:
    user, locale = me(), current_locale()
    states = queries.consents_of(user)
    forms = forms or {}
    cards = []
    for state in states:
        slug = state.org.slug
        form = forms.get(slug) or ConsentForm(
            formdata=None, prefix=slug, data={k.value: v for k, v in state.kinds.items()}
        )
        cards.append(
            {
                "state": state,
                "form": form,
                "scopes": {k.value: consent_scope(state.org, k, locale) for k in DataKind},
                "terms": consent_terms(state.org, locale),
                "history": queries.consent_history(user, state.org.id),
                "accesses": queries.access_log(user, state.org.id, limit=10),
                "member_view": member_view_url(slug, user.id),
            }
        )
    current = {state.org.id for state in states}
    former = [a for a in queries.access_log(user, limit=50) if a.org_id not in current][:20]
    page = render_template(
        "consent/consents.html",
        cards=cards,
        former=former,
        kinds=[kind.value for kind in DataKind],
        kind_label=kind_label,
        via_label=via_label,
    )
    return page, status


@bp.get("/settings/consents")
@login_required
def consents() -> ResponseReturnValue:
    """Per current organisation: a checkbox per kind with its text, history and views."""
    return _page()


@bp.post("/settings/consents/<slug>")
@login_required
def save(slug: str) -> ResponseReturnValue:
    """Save every kind for organisation ``slug`` (404 unknown, 403 not a member)."""
    org = get_org(slug)
    form = ConsentForm(prefix=slug)
    if not form.validate_on_submit():
        return _page({slug: form}, 400)
    set_consent(me(), org, form.choices(), "page")
    db.session.commit()
    flash(_("Your choices for %(org)s were saved.", org=org.name(current_locale())), "success")
    return redirect(url_for("consent.consents", _anchor=f"org-{slug}"))
