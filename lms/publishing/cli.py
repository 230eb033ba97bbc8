"""``flask --app lms courses publish PATH``: publish a course package from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.db import db
from lms.publishing.loader import PackageInvalid

courses_cli = AppGroup("courses", help="Publish course packages (courses/README.md).")


@courses_cli.command("publish")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
def publish_command(path: str) -> None:
    """Validate the package at PATH, release it with the autograder and store a version.

    Prints every problem as ``file: location: message`` and exits 1 when it is not valid;
    nothing is stored then. Publishing an unchanged package changes nothing.
    """
    from lms.errors import DomainError
    from lms.publishing.services import publish

    try:
        version, created = publish(None, path)
    except PackageInvalid as exc:
        db.session.rollback()
        for line in exc.problems:
            click.echo(line, err=True)
        count = len(exc.problems)
        raise click.ClickException(f"{count} problem(s); nothing was published") from None
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    slug = version.course.slug
    if not created:
        click.echo(f"{slug}: unchanged, version {version.number} is current")
        return
    db.session.commit()
    names = ", ".join(a.name for a in version.assignments)
    click.echo(f"{slug}: published version {version.number} ({names})")
