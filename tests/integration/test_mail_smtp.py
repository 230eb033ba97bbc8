"""The invitation e-mail through a real SMTP conversation: an aiosmtpd server on loopback
receives what ``flask --app lms mail send`` (a separate process, ``LMS_MAIL_BACKEND=smtp``)
delivers from the outbox, with and without a login."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from sqlalchemy import select

from lms import create_app
from lms.accounts.models import Role
from lms.accounts.services import register
from lms.db import db
from lms.mail.models import OutboundMail
from lms.orgs import invitations
from lms.orgs.models import Organisation

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")
aiosmtpd_smtp = pytest.importorskip("aiosmtpd.smtp")
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "lms-relay", "relay-pass-9"


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return aiosmtpd_smtp.AuthResult(success=ok, handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(request) -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    login = getattr(request, "param", False)
    options = (
        {"authenticator": _authenticate, "auth_required": True, "auth_require_tls": False}
        if login
        else {}
    )
    controller = aiosmtpd_controller.Controller(
        inbox, hostname="127.0.0.1", port=port, server_kwargs=options
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "LMS_DATABASE_URL": f"sqlite:///{tmp_path / 'lms.sqlite3'}",
        "LMS_INSTANCE_PATH": str(tmp_path / "instance"),
        "LMS_SECRET_KEY": "smtp-test",
        "LMS_BASE_URL": "https://lms.example",
        "LMS_MAIL_BACKEND": "smtp",
        "LMS_MAIL_FROM": "AI 인재 아카데미 <noreply@lms.example>",
    }


@pytest.fixture
def app(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    application = create_app({"TESTING": True})
    with application.app_context():
        flask_migrate.upgrade()
        yield application
        db.session.remove()
        db.engine.dispose()


def _invite(email: str = "kim@example.com") -> str:
    org = Organisation(slug="hd", name_ko="HD 조선해양", name_en="HD Shipbuilding", kind="company")
    db.session.add(org)
    manager = register("boss@example.com", "박지훈", "Correct-horse-9", Role.ADMIN)
    _invitation, secret = invitations.invite(manager, org, email, name="김민준")
    db.session.commit()
    return secret


def _mail_send(env: dict[str, str], port: int, **extra: str) -> subprocess.CompletedProcess:
    flask = str(Path(sys.executable).parent / "flask")
    variables = {**os.environ, **env, "LMS_SMTP_HOST": "127.0.0.1", "LMS_SMTP_PORT": str(port)}
    return subprocess.run(
        [flask, "--app", "lms", "mail", "send"],
        cwd=REPO,
        env={**variables, **extra},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_invitation_mail_arrives_through_smtp(app, env, smtp_server):
    inbox, port = smtp_server
    secret = _invite()
    done = _mail_send(env, port)
    assert done.returncode == 0, done.stderr
    assert "sent 1, will retry 0, failed 0" in done.stdout
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["kim@example.com"]
    assert envelope.mail_from == "noreply@lms.example"
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert "HD 조선해양" in message["Subject"] and "HD Shipbuilding" in message["Subject"]
    assert message["From"] == "AI 인재 아카데미 <noreply@lms.example>"
    text = message.get_body(("plain",)).get_content()
    assert f"https://lms.example/invitations/{secret}" in text and "김민준" in text
    assert (
        f'href="https://lms.example/invitations/{secret}"'
        in message.get_body(("html",)).get_content()
    )
    db.session.expire_all()
    mail = db.session.scalar(select(OutboundMail))
    assert (mail.status, mail.text_body, mail.html_body) == ("sent", "", None)


@pytest.mark.parametrize("smtp_server", [True], indirect=True)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_relay_login_is_used_and_a_wrong_password_keeps_the_mail(app, env, smtp_server):
    inbox, port = smtp_server
    _invite()
    refused = _mail_send(env, port, LMS_SMTP_USER=USER, LMS_SMTP_PASSWORD="wrong")
    assert refused.returncode == 1 and inbox.envelopes == []
    assert "535" in refused.stderr and "wrong" not in refused.stderr
    db.session.expire_all()
    mail = db.session.scalar(select(OutboundMail))
    assert (mail.status, mail.attempts) == ("queued", 1) and "535" in mail.last_error
    mail.next_attempt_at = mail.created_at  # due again now
    db.session.commit()
    done = _mail_send(env, port, LMS_SMTP_USER=USER, LMS_SMTP_PASSWORD=PASSWORD)
    assert done.returncode == 0, done.stderr
    assert [e.rcpt_tos for e in inbox.envelopes] == [["kim@example.com"]]
