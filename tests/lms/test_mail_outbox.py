"""The outbox: the file backend writes real .eml files; failed attempts are retried, then the
mail is marked failed with the reason (never lost); secret bodies are emptied; the CLI."""

from __future__ import annotations

import socket
import stat
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from lms.db import db, utcnow
from lms.mail import outbox
from lms.mail.backends import ConnectionFailed, FileBackend, MailBackend, Rejected
from lms.mail.models import MailStatus, OutboundMail


@pytest.fixture
def app_config(tmp_path):
    return {"LMS_MAIL_DIR": str(tmp_path / "mail"), "LMS_MAIL_FROM": "LMS <lms@lms.example>"}


class FlakyBackend(MailBackend):
    """A test double registered like the real backends: refuses the addresses in ``refuse``,
    or cannot connect at all."""

    name = "flaky-test"

    def __init__(self, refuse=(), down: bool = False) -> None:
        self.refuse, self.down, self.sent = set(refuse), down, []

    def open(self) -> None:
        if self.down:
            raise ConnectionFailed("SMTP mail.example:25: ConnectionRefusedError")

    def send(self, message: EmailMessage) -> None:
        if message["To"].addresses[0].addr_spec in self.refuse:
            raise Rejected("550 mailbox unavailable")
        self.sent.append(message)


def _queue(recipient="kim@example.com", secret=False, expires_at=None, **kwargs):
    mail = outbox.Mail(
        recipient=recipient,
        subject=kwargs.pop("subject", "HD 조선해양 가입 초대"),
        text_body=kwargs.pop("text_body", "링크: https://lms.example/invitations/SECRET"),
        html_body=kwargs.pop("html_body", "<p>링크</p>"),
        kind="test",
        contains_secret=secret,
        expires_at=expires_at,
        **kwargs,
    )
    row = outbox.enqueue(mail)
    db.session.commit()
    return row


def _deliver(backend):
    mails = outbox.claim_due(50)
    db.session.commit()
    report = outbox.deliver(backend, mails)
    db.session.commit()
    return report


def _make_due(mail):
    mail.next_attempt_at = utcnow()
    db.session.commit()


def test_the_file_backend_writes_a_parseable_eml_with_a_utf8_korean_subject(app, tmp_path):
    _queue()
    report = _deliver(FileBackend())
    assert report.sent == 1
    [path] = (tmp_path / "mail").glob("*.eml")
    raw = path.read_bytes()
    headers = raw.split(b"\n\n")[0]
    assert headers.isascii() and b"Subject: HD =?utf-8?" in headers  # RFC 2047
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "HD 조선해양 가입 초대"
    assert (message["To"], message["From"]) == ("kim@example.com", "LMS <lms@lms.example>")
    assert message["Message-ID"].endswith("@lms.example>") and message["Date"]
    assert message.get_body(("plain",)).get_content().strip() == (
        "링크: https://lms.example/invitations/SECRET"
    )
    assert message.get_body(("html",)).get_content().strip() == "<p>링크</p>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700


def test_a_sent_mail_is_recorded_and_a_secret_body_is_emptied(app):
    secret = _queue(secret=True)
    plain = _queue("lee@example.com")
    _deliver(FlakyBackend())
    assert (secret.status, secret.attempts, secret.text_body, secret.html_body) == (
        "sent",
        1,
        "",
        None,
    )
    assert secret.sent_at and secret.purged_at
    assert plain.status == "sent" and plain.text_body.startswith("링크")


def test_a_refused_mail_is_retried_later_then_marked_failed_with_the_reason(app):
    app.config["LMS_MAIL_MAX_ATTEMPTS"] = 3
    mail = _queue("gone@example.com", secret=True)
    other = _queue("kim@example.com")
    backend = FlakyBackend(refuse={"gone@example.com"})
    report = _deliver(backend)
    assert (report.sent, report.retrying, report.failed) == (1, 1, 0)
    assert other.status == "sent"  # one refusal does not stop the others
    assert mail.status == "queued" and mail.last_error == "550 mailbox unavailable"
    assert mail.next_attempt_at > utcnow() + timedelta(seconds=50)  # not due again at once
    assert outbox.claim_due(50) == []
    for attempt in (2, 3):
        _make_due(mail)
        _deliver(backend)
        assert mail.attempts == attempt
    assert (mail.status, mail.last_error) == ("failed", "550 mailbox unavailable")
    assert mail.text_body == "" and mail.recipient == "gone@example.com"  # kept, body emptied


def test_pauses_between_attempts_grow_up_to_an_hour():
    pauses = [outbox.backoff(n) for n in (1, 2, 3, 7, 8, 20)]
    assert pauses == [timedelta(minutes=m) for m in (1, 2, 4, 60, 60, 60)]


def test_an_unreachable_server_records_the_attempt_and_keeps_every_mail(app):
    mails = [_queue(f"p{i}@example.com", secret=True) for i in range(3)]
    report = _deliver(FlakyBackend(down=True))
    assert report.stopped == "SMTP mail.example:25: ConnectionRefusedError"
    assert report.sent == 0 and report.retrying == 3
    for mail in mails:
        assert (mail.status, mail.attempts) == ("queued", 1)
        assert mail.text_body  # still there to be sent when the server is back
        assert mail.last_error.startswith("SMTP mail.example:25")


def test_a_mail_claimed_by_one_sender_is_not_claimed_by_another(app):
    _queue()
    first = outbox.claim_due(10)
    db.session.commit()
    assert len(first) == 1 and outbox.claim_due(10) == []


def test_an_unsent_secret_mail_fails_at_its_expiry_and_its_body_is_emptied(app):
    mail = _queue(secret=True, expires_at=utcnow() - timedelta(seconds=1))
    tidied = outbox.tidy()
    db.session.commit()
    db.session.refresh(mail)
    assert (tidied.expired, tidied.purged) == (1, 1)
    assert (mail.status, mail.last_error) == ("failed", "expired before it could be sent")
    assert (mail.text_body, mail.html_body) == ("", None) and mail.purged_at


def test_finished_mails_are_deleted_after_the_keeping_time(app):
    old = _queue("old@example.com")
    old.status, old.created_at = MailStatus.SENT, utcnow() - timedelta(days=31)
    waiting = _queue("waiting@example.com")
    waiting.created_at = utcnow() - timedelta(days=40)
    recent = _queue("recent@example.com")
    recent.status = MailStatus.SENT
    db.session.commit()
    assert outbox.tidy().deleted == 1
    db.session.commit()
    left = db.session.scalars(select(OutboundMail.recipient).order_by(OutboundMail.id))
    assert list(left) == ["waiting@example.com", "recent@example.com"]


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["mail", *args])


def test_mail_send_delivers_the_queue_through_the_configured_backend(cli, tmp_path):
    for i in range(3):
        _queue(f"p{i}@example.com", secret=True)
    result = cli("send", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert "sent 2, will retry 0, failed 0" in result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 2
    assert "sent 1," in cli("send").output
    assert "queued 0, sent 3" in cli("status").output


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_mail_send_exits_1_and_keeps_the_mail_when_the_server_is_down(app, cli):
    app.config.update(
        LMS_MAIL_BACKEND="smtp", LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=_closed_port()
    )
    mail = _queue()
    result = cli("send")
    assert result.exit_code == 1
    assert "delivery stopped, will retry: SMTP 127.0.0.1" in result.output
    db.session.refresh(mail)
    assert (mail.status, mail.attempts) == ("queued", 1)
    status = cli("status").output
    assert f"mail {mail.id}\tqueued\ttest\tkim@example.com\tattempts 1\tSMTP 127.0.0.1" in status


def test_mail_send_with_email_off_sends_nothing(app, cli):
    _queue()
    app.config["LMS_MAIL_BACKEND"] = "none"
    result = cli("send")
    assert result.exit_code == 0
    assert "LMS_MAIL_BACKEND=none: nothing sent; 1 mails queued" in result.output


def test_an_unknown_backend_name_is_refused(app):
    app.config["LMS_MAIL_BACKEND"] = "carrier-pigeon"
    with pytest.raises(ValueError, match="LMS_MAIL_BACKEND must be one of smtp, file, none"):
        outbox.enqueue(outbox.Mail("kim@example.com", "s", "b", "test"))


class _Stop(Exception):
    pass


def test_mail_send_every_keeps_going_when_the_server_is_down(app, cli, monkeypatch):
    app.config.update(
        LMS_MAIL_BACKEND="smtp", LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=_closed_port()
    )
    _queue()
    pauses = []

    def sleep(seconds):
        pauses.append(seconds)
        raise _Stop  # end the endless loop after its first round

    monkeypatch.setattr("lms.mail.cli.time.sleep", sleep)
    result = cli("send", "--every", "30")
    assert isinstance(result.exception, _Stop) and pauses == [30.0]
    assert "delivery stopped, will retry: SMTP 127.0.0.1" in result.output


@pytest.mark.parametrize(
    ("name", "value"),
    [("LMS_MAIL_BACKEND", "carrier-pigeon"), ("LMS_SMTP_PORT", "twenty-five")],
)
def test_a_wrong_mail_setting_stops_start_up_and_names_the_variable(monkeypatch, name, value):
    from lms import create_app

    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "LMS_SKIP_SCHEMA_CHECK": True})
