"""The member's consent page: choose per organisation, see the history and the views."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.consent.models import ConsentEvent, DataKind
from lms.consent.services import consented_kinds, record_access, set_consent
from lms.db import db
from lms.orgs.models import Membership

P, S = DataKind.PROGRESS, DataKind.SCORES


def _tick(slug: str, *kinds: str) -> dict[str, str]:
    return {f"{slug}-{kind}": "y" for kind in kinds}


def test_the_page_lists_each_organisation_with_every_kind_and_its_text(
    client, login, make_user, make_org
):
    org = make_org(slug="hd-heavy", name_ko="에이치디중공업", name_en="HD Heavy")
    member = make_user(org=org)
    login(client, member)
    page = client.get("/settings/consents").get_data(as_text=True)
    assert "에이치디중공업" in page
    for kind in DataKind:
        assert f'name="hd-heavy-{kind.value}"' in page
    assert "거부" in page  # the consent text says refusing is allowed
    assert "checked" not in page  # nothing is shared by default


def test_saving_the_form_shares_only_the_ticked_kinds(client, login, make_user, make_org):
    org = make_org(slug="acme")
    member = make_user(org=org)
    login(client, member)
    response = client.post("/settings/consents/acme", data=_tick("acme", "progress", "skills"))
    assert response.status_code == 302
    assert consented_kinds(org.id) == {member.id: frozenset({P, DataKind.SKILLS})}
    page = client.get("/settings/consents").get_data(as_text=True)
    assert page.count("checked") == 2


def test_unticking_withdraws_at_once_and_is_in_the_history(client, login, make_user, make_org):
    org = make_org(slug="acme")
    member = make_user(org=org)
    login(client, member)
    client.post("/settings/consents/acme", data=_tick("acme", "progress", "scores"))
    client.post("/settings/consents/acme", data=_tick("acme", "progress"))
    assert consented_kinds(org.id) == {member.id: frozenset({P})}
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
    assert [(e.kind, e.granted) for e in events][-1] == (S, False)
    assert all(e.via == "page" for e in events)


def test_a_non_member_cannot_save_for_an_organisation(client, login, make_user, make_org):
    org, other = make_org(slug="mine"), make_org(slug="theirs")
    member = make_user(org=org)
    login(client, member)
    assert (
        client.post("/settings/consents/theirs", data=_tick("theirs", "scores")).status_code == 403
    )
    assert client.post("/settings/consents/nowhere", data={}).status_code == 404
    assert consented_kinds(other.id) == {}


def test_the_page_needs_a_login(client):
    response = client.get("/settings/consents")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_shows_when_the_organisation_viewed_my_data(client, login, make_user, make_org):
    org = make_org(slug="acme")
    member = make_user(org=org)
    manager = make_user(role="org_manager", org=org, org_role="manager", name="김관리")
    set_consent(member, org, {S: True}, "page")
    record_access(manager, org, [member.id], [S], "export")
    db.session.commit()
    login(client, member)
    page = client.get("/settings/consents").get_data(as_text=True)
    assert "김관리" in page


def test_views_by_a_former_organisation_stay_visible(client, login, make_user, make_org):
    former = make_org(slug="old-school", name_ko="옛학교")
    member = make_user(org=former)
    record_access(None, former, [member.id], [], "api")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    membership.started_on, membership.ended_on = date(2020, 3, 1), date(2021, 2, 28)
    db.session.commit()
    login(client, member)
    page = client.get("/settings/consents").get_data(as_text=True)
    assert "옛학교" in page


def test_someone_elses_view_log_is_not_shown(client, login, make_user, make_org):
    org = make_org(slug="acme")
    member, colleague = make_user(org=org), make_user(org=org)
    manager = make_user(role="org_manager", org=org, org_role="manager", name="박관리")
    record_access(manager, org, [colleague.id], [P], "page")
    db.session.commit()
    login(client, member)
    assert "박관리" not in client.get("/settings/consents").get_data(as_text=True)


def test_the_page_is_in_english_too(client, login, make_user, make_org):
    org = make_org(slug="acme", name_en="Acme Corp")
    member = make_user(org=org, locale="en")
    login(client, member)
    with client.session_transaction() as session:
        session["locale"] = "en"
    page = client.get("/settings/consents").get_data(as_text=True)
    assert "Refusing is allowed" in page and "Acme Corp" in page


def test_the_settings_page_links_to_the_consent_page(client, login, make_user):
    login(client, make_user())
    page = client.get("/settings").get_data(as_text=True)
    assert 'href="/settings/consents"' in page


def test_the_member_can_open_what_the_organisation_sees(client, login, make_user, make_org):
    org = make_org(slug="acme")
    member = make_user(org=org)
    login(client, member)
    page = client.get("/settings/consents").get_data(as_text=True)
    link = f"/orgs/acme/members/{member.id}"
    assert f'href="{link}"' in page
    assert client.get(link).status_code == 200


def test_the_page_is_accessible_with_several_organisations(client, login, make_user, make_org):
    from tests.lms.test_a11y_pages import _parse

    first, second = make_org(slug="first"), make_org(slug="second", kind="university")
    member = make_user(org=first)
    db.session.add(Membership(user=member, org=second, role="member", started_on=date.today()))
    db.session.commit()
    login(client, member)
    page = _parse(client.get("/settings/consents").get_data(as_text=True))
    assert page.lang == "ko" and page.tags.count("h1") == 1
    assert len(page.ids) == len(set(page.ids))
    assert len(page.controls) == 8
    assert all(c["id"] in page.label_for for c in page.controls)
    assert all(c.get("aria-describedby") for c in page.controls)
