"""``flask --app lms privacy …``: finish pending exports and remove expired ones (run it
from cron or a systemd timer, e.g. every 10 minutes), and erase an account on an
administrator's behalf."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Role
from lms.accounts.services import get_user_by_email
from lms.cli import domain_errors_exit
from lms.db import db
from lms.errors import NotFound
from lms.privacy import erasure, export

privacy_cli = AppGroup("privacy", help="Personal data exports and deletion requests.")


@privacy_cli.command("process")
@click.option(
    "--older-than",
    default=60.0,
    show_default=True,
    help="Seconds a pending export waits for its own thread.",
)
@domain_errors_exit
def process(older_than: float) -> None:
    """Build pending exports and delete the files of expired ones."""
    built = 0
    for item in export.pending_exports(older_than_s=older_than):
        export.build_export(item)
        db.session.commit()
        built += 1
    purged = export.purge_expired()
    db.session.commit()
    unfinished = erasure.unfinished_erasures()
    for request in unfinished:
        erasure.finish_erasure(request)
        db.session.commit()
    click.echo(
        f"exports built: {built}, expired removed: {purged}, erasures finished: {len(unfinished)}"
    )


@privacy_cli.command("erase")
@click.argument("email")
@click.option("--admin", "admin_email", required=True, help="The administrator executing it.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@domain_errors_exit
def erase(email: str, admin_email: str, yes: bool) -> None:
    """Erase the account EMAIL: its pending request is executed (one is made if none)."""
    admin = get_user_by_email(admin_email)
    user = get_user_by_email(email)
    if admin is None or admin.role != Role.ADMIN or user is None:
        raise NotFound("user_not_found", _l("No such administrator or user."))
    if not yes:
        click.confirm(f"Erase account {user.id} now? This cannot be undone.", abort=True)
    request = erasure.pending_request(user) or erasure.request_deletion(user, "")
    item = erasure.approve_deletion(admin, request.id)
    db.session.commit()
    erasure.finish_erasure(item)
    db.session.commit()
    click.echo(
        f"account {user.id} erased: {item.summary.get('notebooks_deleted', 0)} notebooks deleted, lab: {item.summary.get('lab')}"
    )
