"""Invitations are e-mailed: inviting, sending again and a CSV import queue one e-mail per
invitation in the same transaction, in the invited person's language when it is known."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event, func, select

from lms.db import db
from lms.mail.models import MailStatus, OutboundMail
from lms.orgs import csv_import, invitations
from lms.orgs.models import Invitation


@pytest.fixture
def app_config(tmp_path):
    return {
        "LMS_BASE_URL": "https://lms.example",
        "LMS_MAIL_DIR": str(tmp_path / "mail"),
        "BABEL_DEFAULT_LOCALE": "en",
    }


@pytest.fixture
def org(make_org):
    return make_org(slug="hd", name_ko="HD 조선해양", name_en="HD Shipbuilding")


@pytest.fixture
def manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager", name="박지훈")


def _mails(status: MailStatus | None = None) -> list[OutboundMail]:
    stmt = select(OutboundMail).order_by(OutboundMail.id)
    if status:
        stmt = stmt.where(OutboundMail.status == status)
    return list(db.session.scalars(stmt))


def _invite(manager, org, email="kim@example.com", **kwargs):
    invitation, secret = invitations.invite(manager, org, email, **kwargs)
    db.session.commit()
    return invitation, secret


def test_inviting_queues_one_mail_that_carries_the_link(manager, org):
    invitation, secret = _invite(manager, org, name="김민준")
    [mail] = _mails()
    assert (mail.recipient, mail.kind, mail.status) == (
        "kim@example.com",
        "org_invitation",
        "queued",
    )
    assert f"https://lms.example/invitations/{secret}" in mail.text_body
    assert f'href="https://lms.example/invitations/{secret}"' in mail.html_body
    assert "HD 조선해양" in mail.subject and "HD Shipbuilding" in mail.subject
    assert "박지훈" in mail.text_body and "김민준" in mail.text_body
    assert mail.contains_secret and mail.expires_at == invitation.expires_at


def test_the_mail_says_what_joining_means_and_links_the_consent_page(manager, org):
    _invite(manager, org)
    [mail] = _mails()
    assert "https://lms.example/settings/consents" in mail.text_body
    assert "sees only that you are a member" in mail.text_body
    assert "(Asia/Seoul)" in mail.text_body  # the expiry, in the portal's time zone


def test_an_unknown_addressee_gets_korean_first_then_english(manager, org):
    _invite(manager, org)
    [mail] = _mails()
    assert mail.html_body.index('lang="ko"') < mail.html_body.index('lang="en"')
    assert mail.subject.startswith("HD 조선해양") or mail.subject.index(
        "조선"
    ) < mail.subject.index("Shipbuilding")


def test_a_known_addressee_gets_their_own_language_only(manager, org, make_user):
    make_user(email="lee@example.com", locale="en")
    _invite(manager, org, "lee@example.com")
    [mail] = _mails()
    assert 'lang="ko"' not in mail.html_body and 'lang="en"' in mail.html_body
    assert "HD 조선해양" not in mail.subject and "HD Shipbuilding" in mail.subject


def test_the_html_body_escapes_what_people_typed(manager, org):
    _invite(manager, org, name="<b>Kim</b>")
    [mail] = _mails()
    assert "<b>Kim</b>" not in mail.html_body and "&lt;b&gt;Kim&lt;/b&gt;" in mail.html_body


def test_a_refused_invitation_queues_nothing(manager, org, make_user):
    make_user(email="member@example.com", org=org)
    with pytest.raises(Exception, match="already a member"):
        invitations.invite(manager, org, "member@example.com")
    db.session.rollback()
    assert _mails() == []


def test_sending_again_cancels_the_unsent_mail_and_queues_the_new_link(manager, org):
    invitation, old = _invite(manager, org)
    new = invitations.resend(manager, invitation)
    db.session.commit()
    first, second = _mails()
    assert (first.status, first.text_body, first.last_error) == (
        "cancelled",
        "",
        "replaced by a newer link",
    )
    assert second.status == "queued" and new in second.text_body and old not in second.text_body


def test_withdrawing_or_answering_cancels_the_unsent_mail(manager, org, make_user):
    invitation, _secret = _invite(manager, org)
    invitations.revoke(manager, invitation)
    db.session.commit()
    assert [(m.status, m.text_body) for m in _mails()] == [("cancelled", "")]
    second, _secret = _invite(manager, org, "lee@example.com")
    invitations.accept(make_user(email="lee@example.com"), second)
    db.session.commit()
    assert [m.status for m in _mails()] == ["cancelled", "cancelled"]


def test_no_mail_is_queued_when_email_is_off(app, manager, org):
    app.config["LMS_MAIL_BACKEND"] = "none"
    _invite(manager, org)
    assert _mails() == []


def _count_inserts(conn, _cursor, statement, *_args):
    if statement.lstrip().upper().startswith("INSERT INTO OUTBOUND_MAILS"):
        _count_inserts.calls += 1


def test_a_csv_import_queues_one_mail_per_row_in_bulk_statements(manager, org):
    rows = "".join(f"p{i}@example.com,사람{i},설계팀\n" for i in range(2500))
    _count_inserts.calls = 0
    event.listen(db.engine, "before_cursor_execute", _count_inserts)
    try:
        report = csv_import.import_invitations(
            manager, org, ("email,name,department\n" + rows).encode(), create_departments=True
        )
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", _count_inserts)
    assert report.mails_queued == 2500
    assert _count_inserts.calls == 3  # 1,000 rows per INSERT
    count = (
        select(func.count()).select_from(OutboundMail).where(OutboundMail.kind == "org_invitation")
    )
    assert db.session.scalar(count) == 2500
    email, secret = report.invited[1234]
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.recipient == email))
    assert secret in mail.text_body and "설계팀" in mail.text_body


def test_a_csv_check_only_queues_nothing(manager, org):
    data = b"email\nkim@example.com\n"
    report = csv_import.import_invitations(manager, org, data, dry_run=True)
    db.session.commit()
    assert report.mails_queued == 0 and _mails() == []


def test_the_invite_page_says_an_email_was_queued(client, login, manager, org):
    login(client, manager)
    response = client.post(
        "/orgs/hd/invitations", data={"email": "kim@example.com", "role": "member"}
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "An e-mail with this link was queued to kim@example.com." in page
    [mail] = _mails()
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_sha256 not in mail.text_body


def test_the_csv_import_page_counts_the_queued_emails(client, login, manager, org):
    login(client, manager)
    upload = (io.BytesIO(b"email\nkim@example.com\nlee@example.com\n"), "staff.csv")
    response = client.post(
        "/orgs/hd/import",
        data={"file": upload, "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert "2 invitation e-mails were queued." in response.get_data(as_text=True)


def test_the_api_answer_says_an_email_was_queued(client, manager, make_token, bearer):
    response = client.post(
        "/api/v1/orgs/hd/invitations",
        json={"email": "kim@example.com"},
        headers=bearer(make_token(manager)),
    )
    assert response.status_code == 201
    assert response.get_json()["mail_queued"] is True
    assert [m.recipient for m in _mails()] == ["kim@example.com"]


def test_the_cli_import_reports_the_queued_emails(app, org, tmp_path):
    staff = tmp_path / "staff.csv"
    staff.write_text("email,name\nkim@example.com,김민준\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["orgs", "invite", "hd", str(staff)])
    assert result.exit_code == 0, result.output
    assert "invited 1; e-mails queued 1" in result.output
    [mail] = _mails()
    # No inviter: the organisation invites, in Korean then in English (no account yet).
    assert "HD 조선해양에서 회원님을 구성원으로 초대했습니다" in mail.text_body
    assert "HD Shipbuilding invited you to join it" in mail.text_body


def test_the_invitation_list_shows_whether_the_email_went_out(client, login, manager, org):
    _invite(manager, org, "kim@example.com")
    _invite(manager, org, "gone@example.com")
    sent, failed = _mails()
    sent.status = MailStatus.SENT
    failed.status, failed.last_error = MailStatus.FAILED, "550 mailbox unavailable"
    db.session.commit()
    login(client, manager)
    page = client.get("/orgs/hd/invitations").get_data(as_text=True)
    assert "E-mail sent" in page
    assert "E-mail could not be sent: 550 mailbox unavailable" in page
