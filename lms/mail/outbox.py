"""The outbox's services. ``enqueue``/``enqueue_many``/``cancel`` run inside the caller's
transaction (they flush, never commit): the e-mail exists exactly when the change it reports
was committed. ``claim_due``, ``deliver`` and ``tidy`` are the steps of
``flask --app lms mail send``, which commits between them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import delete, func, insert, select, update

from lms.db import db, utcnow
from lms.mail.backends import ConnectionFailed, MailBackend, Rejected
from lms.mail.models import MailStatus, OutboundMail
from lms.mail.settings import is_enabled, setting

log = logging.getLogger(__name__)

CHUNK = 1000  # rows per bulk INSERT
#: How long a claimed mail is left to the process that claimed it before another may retry.
LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Mail:
    """What to send. ``contains_secret``: the body carries a secret link, emptied once it is
    no longer needed (and at ``expires_at`` at the latest)."""

    recipient: str
    subject: str
    text_body: str
    kind: str
    html_body: str | None = None
    ref: str | None = None
    contains_secret: bool = False
    expires_at: datetime | None = None


def _row(mail: Mail, now: datetime) -> dict:
    return {
        "recipient": mail.recipient,
        "subject": mail.subject[:500],
        "text_body": mail.text_body,
        "html_body": mail.html_body,
        "kind": mail.kind,
        "ref": mail.ref,
        "status": MailStatus.QUEUED,
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
        "contains_secret": mail.contains_secret,
        "expires_at": mail.expires_at,
    }


def enqueue(mail: Mail) -> OutboundMail | None:
    """Queue one e-mail in the current transaction; ``None`` when e-mail is off
    (``LMS_MAIL_BACKEND=none``). Flushes, never commits."""
    if not is_enabled():
        return None
    row = OutboundMail(**_row(mail, utcnow()))
    db.session.add(row)
    db.session.flush()
    log.info("mail %s queued (%s)", row.id, mail.kind)
    return row


def enqueue_many(mails: Iterable[Mail]) -> int:
    """Queue many e-mails with bulk INSERTs of ``CHUNK`` rows; the number queued (0 when
    e-mail is off). Flushes, never commits."""
    if not is_enabled():
        return 0
    now, rows, count = utcnow(), [], 0
    for mail in mails:
        rows.append(_row(mail, now))
        if len(rows) == CHUNK:
            count += _insert(rows)
            rows = []
    count += _insert(rows)
    log.info("%s mails queued", count)
    return count


def _insert(rows: list[dict]) -> int:
    if rows:
        db.session.execute(insert(OutboundMail), rows)
    return len(rows)


_EMPTY_BODIES = {"text_body": "", "html_body": None}


def cancel(refs: Iterable[str], reason: str) -> int:
    """Cancel the queued mails about ``refs`` (a newer mail replaces them, or they no longer
    make sense) and empty their bodies. The number cancelled. Flushes, never commits."""
    refs = list(refs)
    if not refs:
        return 0
    now = utcnow()
    stmt = (
        update(OutboundMail)
        .where(OutboundMail.ref.in_(refs), OutboundMail.status == MailStatus.QUEUED)
        .values(status=MailStatus.CANCELLED, last_error=reason, purged_at=now, **_EMPTY_BODIES)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).rowcount or 0


def due_count(now: datetime | None = None) -> int:
    """Queued mails whose attempt is due."""
    stmt = select(func.count()).where(
        OutboundMail.status == MailStatus.QUEUED, OutboundMail.next_attempt_at <= (now or utcnow())
    )
    return db.session.scalar(stmt) or 0


def claim_due(size: int) -> list[OutboundMail]:
    """Up to ``size`` due mails, oldest first, leased to this process for ``LEASE`` so that a
    second ``mail send`` running at the same time skips them. Commit before sending: on
    SQLite an open write transaction would hold every other writer back meanwhile."""
    now = utcnow()
    candidates = (
        select(OutboundMail.id)
        .where(OutboundMail.status == MailStatus.QUEUED, OutboundMail.next_attempt_at <= now)
        .order_by(OutboundMail.next_attempt_at, OutboundMail.id)
        .limit(size)
    )
    ids = list(db.session.scalars(candidates))
    if not ids:
        return []
    # The WHERE is evaluated again under the row lock: a concurrent claim wins or loses whole.
    claim = (
        update(OutboundMail)
        .where(
            OutboundMail.id.in_(ids),
            OutboundMail.status == MailStatus.QUEUED,
            OutboundMail.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE)
        .returning(OutboundMail.id)
        .execution_options(synchronize_session=False)
    )
    claimed = list(db.session.scalars(claim))
    stmt = select(OutboundMail).where(OutboundMail.id.in_(claimed)).order_by(OutboundMail.id)
    return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


@dataclass
class DeliveryReport:
    """What one ``deliver`` did. ``stopped``: why the rest was left for later."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    stopped: str | None = None
    errors: list[tuple[int, str]] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.stopped = other.stopped or self.stopped
        self.errors += other.errors


def deliver(
    backend: MailBackend,
    mails: list[OutboundMail],
    progress: Callable[[int], None] | None = None,
) -> DeliveryReport:
    """Send claimed ``mails`` through ``backend`` and record each outcome: sent (a secret
    body is emptied at once), or a failed attempt with the reason — retried later with a
    growing pause, and marked failed after ``LMS_MAIL_MAX_ATTEMPTS``. When the backend cannot
    send at all (``ConnectionFailed``) every remaining mail records that attempt and
    ``stopped`` says why. Flushes, never commits."""
    report = DeliveryReport()
    try:
        backend.open()
    except ConnectionFailed as error:
        return _fail_all(mails, str(error), report)
    try:
        for index, mail in enumerate(mails):
            try:
                backend.send(build_message(mail))
            except Rejected as error:
                _attempt_failed(mail, str(error), report)
            except ConnectionFailed as error:
                return _fail_all(mails[index:], str(error), report)
            else:
                _sent(mail, report)
            if progress:
                progress(1)
    finally:
        backend.close()
        db.session.flush()
    return report


def _sent(mail: OutboundMail, report: DeliveryReport) -> None:
    now = utcnow()
    mail.status, mail.sent_at, mail.last_error = MailStatus.SENT, now, None
    mail.attempts += 1
    if mail.contains_secret:
        _purge(mail, now)
    report.sent += 1
    log.info("mail %s sent (%s)", mail.id, mail.kind)


def _attempt_failed(mail: OutboundMail, reason: str, report: DeliveryReport) -> None:
    now = utcnow()
    mail.attempts += 1
    mail.last_error = reason[:1000]
    report.errors.append((mail.id, reason))
    if mail.attempts >= max(int(setting("LMS_MAIL_MAX_ATTEMPTS")), 1):
        mail.status = MailStatus.FAILED
        if mail.contains_secret:
            _purge(mail, now)
        report.failed += 1
        log.warning("mail %s failed for good after %s attempts", mail.id, mail.attempts)
    else:
        mail.next_attempt_at = now + backoff(mail.attempts)
        report.retrying += 1
        log.info("mail %s attempt %s failed; retrying later", mail.id, mail.attempts)


def _fail_all(mails: list[OutboundMail], reason: str, report: DeliveryReport) -> DeliveryReport:
    for mail in mails:
        _attempt_failed(mail, reason, report)
    report.stopped = reason
    db.session.flush()
    return report


def backoff(attempts: int) -> timedelta:
    """Pause after the ``attempts``-th failure: 1, 2, 4, … minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _purge(mail: OutboundMail, now: datetime) -> None:
    mail.text_body, mail.html_body, mail.purged_at = "", None, now


def build_message(mail: OutboundMail) -> EmailMessage:
    """The ``EmailMessage`` of an outbox row: UTF-8 headers and bodies (text, and HTML as an
    alternative when there is one)."""
    sender = str(setting("LMS_MAIL_FROM"))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=mail.recipient)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<{mail.id:08d}.{secrets.token_hex(6)}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-LMS-Kind"] = mail.kind
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    return message


@dataclass
class TidyReport:
    expired: int = 0
    purged: int = 0
    deleted: int = 0


def tidy(now: datetime | None = None) -> TidyReport:
    """Housekeeping: queued mails past ``expires_at`` fail (``expired``), secret bodies no
    longer needed are emptied, and finished mails older than ``LMS_MAIL_KEEP_DAYS`` are
    deleted. Three statements. Flushes, never commits."""
    now = now or utcnow()
    report = TidyReport()
    expired = (
        update(OutboundMail)
        .where(OutboundMail.status == MailStatus.QUEUED, OutboundMail.expires_at <= now)
        .values(status=MailStatus.FAILED, last_error="expired before it could be sent")
        .execution_options(synchronize_session=False)
    )
    report.expired = db.session.execute(expired).rowcount or 0
    purge = (
        update(OutboundMail)
        .where(
            OutboundMail.contains_secret.is_(True),
            OutboundMail.purged_at.is_(None),
            OutboundMail.status != MailStatus.QUEUED,
        )
        .values(purged_at=now, **_EMPTY_BODIES)
        .execution_options(synchronize_session=False)
    )
    report.purged = db.session.execute(purge).rowcount or 0
    keep = timedelta(days=int(setting("LMS_MAIL_KEEP_DAYS")))
    old = delete(OutboundMail).where(
        OutboundMail.status != MailStatus.QUEUED, OutboundMail.created_at < now - keep
    )
    report.deleted = db.session.execute(old.execution_options(synchronize_session=False)).rowcount
    return report


def counts() -> dict[str, int]:
    """Mails per status (one ``GROUP BY``)."""
    stmt = select(OutboundMail.status, func.count()).group_by(OutboundMail.status)
    found = {str(status): n for status, n in db.session.execute(stmt)}
    return {status.value: found.get(status.value, 0) for status in MailStatus}


def recent_failures(limit: int = 20) -> list[OutboundMail]:
    """Failed mails and queued ones with a failed attempt, newest first."""
    stmt = (
        select(OutboundMail)
        .where(OutboundMail.last_error.is_not(None))
        .where(OutboundMail.status.in_([MailStatus.FAILED, MailStatus.QUEUED]))
        .order_by(OutboundMail.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
