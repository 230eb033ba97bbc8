"""``flask --app lms consent …``: keep the organisations' access log within its retention."""

from __future__ import annotations

from datetime import timedelta

import click

from lms.cli import make_group
from lms.consent.services import prune_access_log
from lms.db import db, utcnow

consent_cli = make_group("consent", "Consent and the organisations' access log.")


@consent_cli.command("prune-log")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=30),
    default=730,
    show_default=True,
    help="Delete the log of organisations' views older than this many days.",
)
@click.option("--dry-run", is_flag=True, help="Only say how many entries would go.")
def prune_log(older_than_days: int, dry_run: bool) -> None:
    """Delete old entries of the log of organisations' views of members' data. Example
    (in a daily cron job): flask --app lms consent prune-log --older-than-days 730"""
    before = utcnow() - timedelta(days=older_than_days)
    removed = prune_access_log(before)
    if dry_run:
        db.session.rollback()
        click.echo(f"{removed} access log entries are older than {older_than_days} days.")
        return
    db.session.commit()
    click.echo(f"Deleted {removed} access log entries older than {older_than_days} days.")
