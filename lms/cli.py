"""Command-line interface: ``flask --app lms users|orgs|tokens|demo …``.

Each command commits once at the end. Domain errors print ``Error: <message>`` and exit
with status 1, never a traceback. ``db …`` comes from Flask-Migrate.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from lms.errors import DomainError

ROLE_CHOICES = {
    "learner": "learner",
    "instructor": "instructor",
    "org-manager": "org_manager",
    "admin": "admin",
}


def is_db_command(argv: list[str] | None = None) -> bool:
    """Whether this process runs ``flask … db …`` (the schema check must not block it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    prog = (sys.argv[0] if argv is None else "flask").rsplit("/", 1)[-1]
    if "flask" not in prog and prog != "__main__.py":  # `flask …` or `python -m flask …`
        return False
    while args and args[0].startswith("-"):
        option = args.pop(0)
        if option in {"--app", "-A", "--env-file", "-e"} and args:
            args.pop(0)
    return bool(args) and args[0] == "db"


def domain_errors_exit(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a domain error's translated message and exit 1; nothing is committed."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from lms.db import db

        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc.message)) from None

    return wrapper


def register_cli(app: Flask) -> None:
    """Add the portal's command groups to ``app.cli``."""
    from lms.accounts.cli import tokens_cli, users_cli
    from lms.demo import demo_cli
    from lms.grading.cli import grading_cli
    from lms.orgs.cli import orgs_cli
    from lms.publishing.cli import courses_cli
    from lms.skills.cli import skills_cli

    for group in (users_cli, orgs_cli, tokens_cli, demo_cli, courses_cli, grading_cli):
        app.cli.add_command(group)
    from lms.consent.cli import consent_cli

    app.cli.add_command(consent_cli)
    app.cli.add_command(skills_cli)
    from lms.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)
    from lms.credentials.cli import credentials_cli

    app.cli.add_command(credentials_cli)
    from lms.completion.cli import completion_cli

    app.cli.add_command(completion_cli)
    from lms.mail.cli import mail_cli

    app.cli.add_command(mail_cli)


def make_group(name: str, help_text: str) -> AppGroup:
    return AppGroup(name, help=help_text)
