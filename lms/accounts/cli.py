"""``flask --app lms users …`` and ``flask --app lms tokens …``."""

from __future__ import annotations

import sys

import click
from flask_babel import lazy_gettext as _l

from lms.accounts.models import Role, Segment, User
from lms.accounts.services import create_token, get_user_by_email, register, revoke_token
from lms.cli import ROLE_CHOICES, domain_errors_exit, make_group
from lms.db import db
from lms.errors import NotFound, ValidationError
from lms.orgs.models import MemberRole
from lms.orgs.services import add_member, get_org

users_cli = make_group("users", "Manage user accounts.")
tokens_cli = make_group("tokens", "Manage personal API tokens.")


def _read_password() -> str:
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise ValidationError(
            "password_required", _l("Give the password on standard input."), field="password"
        )
    return line


def _user(email: str) -> User:
    user = get_user_by_email(email)
    if user is None:
        raise NotFound("user_not_found", _l("No user has the e-mail address %(e)s.", e=email))
    return user


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLE_CHOICES)), default="learner", show_default=True)
@click.option("--segment", type=click.Choice([s.value for s in Segment]), help="Pipeline segment.")
@click.option("--org", "org_slug", metavar="SLUG", help="Make them a current member of this org.")
@click.option("--name", help="Display name (default: the part of the e-mail before @).")
@click.option("--locale", type=click.Choice(["ko", "en"]), help="UI language.")
@click.option(
    "--password-stdin",
    is_flag=True,
    required=True,
    help="Read the password from the first line of standard input (never from arguments).",
)
@domain_errors_exit
def create_user(email, role, segment, org_slug, name, locale, password_stdin) -> None:
    """Create a user account. Example:

    echo 'S3cure-passphrase' | flask --app lms users create kim@example.com --role learner
    --segment worker --org hyundai --name 'Kim Minsu' --password-stdin
    """
    org = get_org(org_slug) if org_slug else None
    password = _read_password()
    role = Role(ROLE_CHOICES[role])
    user = register(email, name or email.split("@")[0], password, role, segment, locale)
    if org is not None:
        member_role = MemberRole.MANAGER if role == Role.ORG_MANAGER else MemberRole.MEMBER
        add_member(None, org, user, member_role)
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}> ({role.value})")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="A label to tell tokens apart.")
@domain_errors_exit
def create_api_token(email: str, name: str) -> None:
    """Create a personal API token for EMAIL and print it once (only its hash is kept)."""
    user = _user(email)
    token, secret = create_token(user, user, name)
    db.session.commit()
    click.echo(
        f"Token {token.id} for <{user.email}>, expires {token.expires_at or 'never'}:", err=True
    )
    click.echo(secret)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@domain_errors_exit
def revoke_api_token(token_id: int) -> None:
    """Revoke the token with this id (as shown by `tokens create`)."""
    from lms.accounts.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("token_not_found", _l("No such token."))
    revoke_token(token.user, token_id)
    db.session.commit()
    click.echo(f"Revoked token {token_id}")
