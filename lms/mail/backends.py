"""Mail backends, picked by ``LMS_MAIL_BACKEND``: ``smtp`` (a mail server) and ``file``
(``.eml`` files, for air-gapped sites and development). ``none`` has no backend: nothing is
queued (``lms.mail.settings.is_enabled``).

The contract: ``open()`` connects (``ConnectionFailed`` when the server cannot be reached or
refuses the login: nothing can be sent now), ``send(message)`` hands one message over
(``Rejected`` when the server refuses that message; the next one may still go, reconnecting
first if the connection was lost), ``close()`` always succeeds. A backend never touches the
database: ``lms.mail.outbox`` records what happened.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
from abc import ABC, abstractmethod
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

from lms.mail import settings
from lms.mail.settings import setting


class ConnectionFailed(Exception):
    """The backend cannot send anything now; the message says why (never a password)."""


class Rejected(Exception):
    """This one message could not be sent; the message says why."""


class MailBackend(ABC):
    """A way to hand e-mails over. Subclasses register themselves by ``name``."""

    name: ClassVar[str]
    registry: ClassVar[dict[str, type[MailBackend]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        MailBackend.registry[cls.name] = cls

    def open(self) -> None:  # noqa: B027 - connecting is optional
        """Connect; ``ConnectionFailed`` when nothing can be sent now."""

    @abstractmethod
    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over; ``Rejected`` (this message) or ``ConnectionFailed``."""

    def close(self) -> None:  # noqa: B027 - nothing to close by default
        """Disconnect; never raises."""


class FileBackend(MailBackend):
    """Writes each message as ``<LMS_MAIL_DIR>/<mail id>-<Message-ID>.eml`` (mode 0600,
    written to a temporary name first, so a reader never sees half a file). Any mail
    client opens these files; a relay can pick them up from the folder."""

    name = "file"

    def open(self) -> None:
        try:
            self.folder: Path = settings.mail_dir()
        except OSError as error:
            raise ConnectionFailed(f"cannot use the mail folder: {error}") from None

    def send(self, message: EmailMessage) -> None:
        local = str(message["Message-ID"]).strip("<>").split("@")[0]
        target = self.folder / f"{local}.eml"
        temporary = target.with_suffix(".tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            temporary.replace(target)
        except OSError as error:
            raise ConnectionFailed(f"cannot write {target.name}: {error}") from None


class SmtpBackend(MailBackend):
    """One SMTP connection for a whole batch (``LMS_SMTP_*``); reconnects once when the
    server dropped the connection between two messages."""

    name = "smtp"

    def __init__(self) -> None:
        self.client: smtplib.SMTP | None = None

    def open(self) -> None:
        host, port = setting("LMS_SMTP_HOST"), int(setting("LMS_SMTP_PORT"))
        timeout = float(setting("LMS_SMTP_TIMEOUT_S"))
        try:
            if setting("LMS_SMTP_SSL"):
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                client = smtplib.SMTP(host, port, timeout=timeout)
            if setting("LMS_SMTP_STARTTLS"):
                client.starttls(context=ssl.create_default_context())
            if setting("LMS_SMTP_USER"):
                client.login(setting("LMS_SMTP_USER"), setting("LMS_SMTP_PASSWORD"))
        except (OSError, smtplib.SMTPException) as error:
            raise ConnectionFailed(f"SMTP {host}:{port}: {_reason(error)}") from None
        self.client = client

    def send(self, message: EmailMessage) -> None:
        if self.client is None:
            self.open()
        assert self.client is not None
        try:
            refused = self.client.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.client = None
            self.open()  # the server may close idle connections; try once more
            refused = self._send_again(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise Rejected(f"recipient refused: {_refusals(error.recipients)}") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise Rejected(_reason(error)) from None
        except (OSError, smtplib.SMTPException) as error:
            self.client = None
            raise ConnectionFailed(_reason(error)) from None
        if refused:
            raise Rejected(f"recipient refused: {_refusals(refused)}")

    def _send_again(self, message: EmailMessage) -> dict:
        assert self.client is not None
        try:
            return self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise Rejected(f"recipient refused: {_refusals(error.recipients)}") from None
        except (OSError, smtplib.SMTPException) as error:
            self.client = None
            raise ConnectionFailed(_reason(error)) from None

    def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.client.quit()
            self.client = None


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{error.smtp_code} {text}"[:500]
    return (f"{type(error).__name__}: {error}")[:500]


def _refusals(recipients: dict) -> str:
    # The address itself is left out: the row already holds it, logs must not.
    codes = {code for code, _text in recipients.values()}
    texts = "; ".join(
        (t.decode(errors="replace") if isinstance(t, bytes) else str(t))
        for _c, t in recipients.values()
    )
    return f"{', '.join(str(c) for c in sorted(codes))} {texts}"[:500]


def get_backend() -> MailBackend:
    """A new backend of the configured kind; ``ValueError`` for ``none`` or an unknown one."""
    name = settings.backend_name()
    if name not in MailBackend.registry:
        raise ValueError(f"LMS_MAIL_BACKEND={name}: no mail is sent")
    return MailBackend.registry[name]()
