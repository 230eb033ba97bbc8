"""Invitations: a manager invites by e-mail; only the invited address can accept, and only
then does a membership start. Re-invite, revoke, expiry, and requests to join."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound
from lms.orgs import invitations, services
from lms.orgs.models import Invitation, InvitationStatus, JoinRequest


@pytest.fixture
def org(make_org):
    return make_org(slug="hd", name_ko="HD 조선")


@pytest.fixture
def manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager")


def _invite(manager, org, email="kim@example.com", **kwargs):
    invitation, secret = invitations.invite(manager, org, email, **kwargs)
    db.session.commit()
    return invitation, secret


def test_only_the_hash_of_the_link_token_is_stored(manager, org):
    invitation, secret = _invite(manager, org, "Kim@Example.com", name="김민준")
    assert invitation.email == "kim@example.com"
    assert invitation.token_sha256 != secret and secret not in invitation.token_sha256
    assert invitations.find_by_token(secret) == invitation
    assert invitation.state(utcnow()) == InvitationStatus.PENDING


def test_accepting_starts_the_membership_in_the_invited_department(manager, org, make_user):
    department = services.add_department(manager, org, "생산기술팀")
    invitation, secret = _invite(manager, org, department=department)
    person = make_user(email="kim@example.com")
    assert person.id not in services.current_member_ids(org)
    membership = invitations.accept(person, invitations.find_by_token(secret))
    db.session.commit()
    assert membership.department == department and membership.role == "member"
    assert services.current_member_ids(org, department.id) == {person.id}
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.user_id == person.id
    with pytest.raises(Conflict):
        invitations.accept(person, invitation)


def test_another_account_cannot_take_the_invitation(manager, org, make_user):
    _invitation, secret = _invite(manager, org)
    intruder = make_user(email="someone-else@example.com")
    with pytest.raises(Forbidden):
        invitations.accept(intruder, invitations.find_by_token(secret))
    assert intruder.id not in services.current_member_ids(org)


def test_duplicates_are_refused(manager, org, make_user):
    make_user(email="member@example.com", org=org)
    with pytest.raises(Conflict) as error:
        invitations.invite(manager, org, "member@example.com")
    assert error.value.code == "already_member"
    _invite(manager, org)
    with pytest.raises(Conflict) as error:
        invitations.invite(manager, org, "KIM@example.com")
    assert error.value.code == "already_invited"


def test_managers_invite_only_members_into_their_own_org(manager, org, make_org, make_user):
    with pytest.raises(Forbidden):
        invitations.invite(manager, make_org(), "x@example.com")
    with pytest.raises(Forbidden):
        invitations.invite(manager, org, "boss@example.com", role="manager")
    admin = make_user(role="admin")
    invitation, _secret = invitations.invite(admin, org, "boss@example.com", role="manager")
    assert invitation.role == "manager"


def test_expired_invitations_cannot_be_accepted_but_can_be_sent_again(manager, org, make_user):
    invitation, old_secret = _invite(manager, org)
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    person = make_user(email="kim@example.com")
    assert invitations.list_invitations(org, "expired") == [invitation]
    with pytest.raises(Conflict, match="만료"):
        invitations.accept(person, invitation)
    new_secret = invitations.resend(manager, invitation)
    db.session.commit()
    with pytest.raises(NotFound):
        invitations.find_by_token(old_secret)
    invitations.accept(person, invitations.find_by_token(new_secret))
    assert person.id in services.current_member_ids(org)


def test_revoked_and_declined_invitations_give_no_membership(manager, org, make_user):
    revoked, secret = _invite(manager, org)
    invitations.revoke(manager, revoked)
    person = make_user(email="kim@example.com")
    with pytest.raises(Conflict, match="철회"):
        invitations.accept(person, invitations.find_by_token(secret))
    other, _secret = _invite(manager, org, "lee@example.com")
    invitations.decline(make_user(email="lee@example.com"), other)
    assert other.status == InvitationStatus.DECLINED
    assert services.current_member_ids(org) == {manager.id}
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"org.invite", "org.invite_revoke", "org.invite_decline"} <= actions


def test_invitation_link_page_flow(client, login, manager, org, make_user):
    _invitation, secret = _invite(manager, org)
    page = client.get(f"/invitations/{secret}")
    assert page.status_code == 200 and "HD 조선" in page.text and "로그인" in page.text
    assert client.get("/invitations/not-a-token").status_code == 404
    person = make_user(email="kim@example.com")
    login(client, person)
    response = client.post(f"/invitations/{secret}", data={"decision": "accept"})
    assert response.status_code == 302
    assert person.id in services.current_member_ids(org)
    assert "이미 수락한 초대입니다" in client.get(f"/invitations/{secret}").text


def test_wrong_account_sees_why_on_the_link_page(client, login, manager, org, make_user):
    _invitation, secret = _invite(manager, org)
    login(client, make_user(email="other@example.com"))
    assert "다른 이메일 주소로 로그인" in client.get(f"/invitations/{secret}").text
    client.post(f"/invitations/{secret}", data={"decision": "accept"})
    assert services.current_member_ids(org) == {manager.id}


def test_manager_invites_on_the_page_and_gets_the_link_once(client, login, manager, org):
    login(client, manager)
    response = client.post(
        "/orgs/hd/invitations", data={"email": "park@example.com", "role": "member"}
    )
    assert response.status_code == 200
    secret = re.search(r"/invitations/([\w-]+)<", response.text).group(1)
    assert invitations.find_by_token(secret).email == "park@example.com"
    listing = client.get("/orgs/hd/invitations?state=pending").text
    assert "park@example.com" in listing and secret not in listing


def test_invited_person_answers_from_my_organisations(client, login, manager, org, make_user):
    invitation, _secret = _invite(manager, org)
    person = make_user(email="kim@example.com")
    login(client, person)
    assert "HD 조선" in client.get("/me/organisations").text
    client.post(f"/me/invitations/{invitation.id}/decline")
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.DECLINED
    stranger = make_user()
    login(client, stranger)
    assert client.post(f"/me/invitations/{invitation.id}/accept").status_code == 404


def test_manager_of_another_org_cannot_touch_invitations(
    client, login, manager, org, make_org, make_user
):
    invitation, _secret = _invite(manager, org)
    other = make_org(slug="other")
    login(client, make_user(role="org_manager", org=other, org_role="manager"))
    assert client.get("/orgs/hd/invitations").status_code == 403
    assert client.post(f"/orgs/hd/invitations/{invitation.id}/revoke").status_code == 403
    assert client.post(f"/orgs/other/invitations/{invitation.id}/revoke").status_code == 302
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING


def test_join_request_needs_approval(client, login, manager, org, make_user):
    person = make_user()
    login(client, person)
    client.post("/me/organisations/join", data={"organisation": "hd"})
    request = db.session.scalar(select(JoinRequest))
    assert request.status == "pending" and person.id not in services.current_member_ids(org)
    with pytest.raises(Conflict):
        invitations.request_to_join(person, org)
    login(client, manager)
    assert person.name in client.get("/orgs/hd/invitations").text
    client.post(f"/orgs/hd/requests/{request.id}/approve", data={"department": ""})
    assert person.id in services.current_member_ids(org)
    assert db.session.get(JoinRequest, request.id).status == "approved"


def test_rejected_or_withdrawn_requests_give_no_membership(manager, org, make_user):
    first, second = make_user(), make_user()
    rejected = invitations.request_to_join(first, org)
    invitations.decide_join_request(manager, rejected, approve=False)
    withdrawn = invitations.request_to_join(second, org)
    invitations.withdraw_join_request(second, withdrawn)
    with pytest.raises(Conflict):
        invitations.decide_join_request(manager, withdrawn, approve=True)
    assert services.current_member_ids(org) == {manager.id}


def test_invitation_list_pages_and_searches(client, login, manager, org):
    from lms.orgs.csv_import import import_invitations

    rows = "".join(f"worker{i:03}@example.com,직원{i}\n" for i in range(105))
    import_invitations(manager, org, ("email,name\n" + rows).encode())
    db.session.commit()
    assert len(invitations.list_invitations(org, "pending")) == 100
    assert len(invitations.list_invitations(org, "pending", page=2)) == 5
    login(client, manager)
    page = client.get("/orgs/hd/invitations?q=worker042").text
    assert "worker042@example.com" in page and "worker041@example.com" not in page
    assert "직원7" in client.get("/orgs/hd/invitations?q=직원7&page=1").text
