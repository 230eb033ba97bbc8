"""``flask --app lms mail …``: deliver the outbox (run ``send`` from cron or a systemd timer,
e.g. every minute) and look at what is queued or failing."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup
from tqdm import tqdm

from lms.db import db
from lms.mail import outbox
from lms.mail.backends import get_backend
from lms.mail.settings import backend_name

mail_cli = AppGroup("mail", help="Outgoing e-mail (the outbox).")

#: Mails sent per transaction: results are committed after each batch.
BATCH = 50


@mail_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), help="Send at most this many mails.")
@click.option(
    "--every",
    "every_s",
    type=click.FloatRange(min=1),
    help="Keep running, one round every this many seconds (where there is no cron).",
)
def send(limit: int | None, every_s: float | None) -> None:
    """Send the queued mails that are due, and tidy the outbox.

    A failed attempt is retried by a later run (after 1, 2, 4 … minutes, at most an hour),
    and the mail is marked failed, with the reason, after LMS_MAIL_MAX_ATTEMPTS. Exits with
    status 1 when the mail server could not be reached (the mails stay queued); with
    --every it reports that and carries on.
    """
    if every_s is None:
        report = _round(limit)
        if report.stopped:
            raise click.ClickException(f"delivery stopped, will retry: {report.stopped}")
        return
    while True:
        report = _round(limit)
        if report.stopped:
            click.echo(f"delivery stopped, will retry: {report.stopped}", err=True)
        db.session.remove()  # a fresh session each round: nothing stale is kept
        time.sleep(every_s)


def _round(limit: int | None) -> outbox.DeliveryReport:
    tidied = outbox.tidy()
    db.session.commit()
    if backend_name() == "none":
        click.echo(f"LMS_MAIL_BACKEND=none: nothing sent; {outbox.due_count()} mails queued")
        return outbox.DeliveryReport()
    total = outbox.due_count()
    report = _send_all(min(total, limit) if limit else total)
    click.echo(
        f"sent {report.sent}, will retry {report.retrying}, failed {report.failed}; "
        f"expired {tidied.expired}, bodies emptied {tidied.purged}, deleted {tidied.deleted}"
    )
    for mail_id, reason in report.errors[:20]:
        click.echo(f"mail {mail_id}\t{reason}", err=True)
    return report


def _send_all(total: int) -> outbox.DeliveryReport:
    report = outbox.DeliveryReport()
    backend = get_backend()
    with tqdm(total=total, unit="mail", desc="send", disable=None) as bar:
        while total > report.sent + report.retrying + report.failed:
            left = total - (report.sent + report.retrying + report.failed)
            mails = outbox.claim_due(min(BATCH, left))
            db.session.commit()
            if not mails:
                break
            batch = outbox.deliver(backend, mails, progress=bar.update)
            db.session.commit()
            report.add(batch)
            if batch.stopped:
                break
    return report


@mail_cli.command("status")
def status() -> None:
    """Mails per status, and the latest failures with their reasons."""
    counts = outbox.counts()
    click.echo(
        f"backend {backend_name()}: "
        + ", ".join(f"{status} {count}" for status, count in counts.items())
        + f"; due now {outbox.due_count()}"
    )
    for mail in outbox.recent_failures():
        click.echo(
            f"mail {mail.id}\t{mail.status}\t{mail.kind}\t{mail.recipient}\t"
            f"attempts {mail.attempts}\t{mail.last_error}"
        )
