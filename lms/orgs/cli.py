"""``flask --app lms orgs …``."""

from __future__ import annotations

import click

from lms.cli import domain_errors_exit, make_group
from lms.db import db
from lms.orgs.models import OrgKind
from lms.orgs.services import create_org, list_orgs

orgs_cli = make_group("orgs", "Manage organisations.")


@orgs_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="Name (Korean, or the only one).")
@click.option("--name-en", help="English name (default: --name).")
@click.option("--kind", type=click.Choice([k.value for k in OrgKind]), required=True)
@domain_errors_exit
def create(slug: str, name: str, name_en: str | None, kind: str) -> None:
    """Create an organisation. Example:

    flask --app lms orgs create hyundai-heavy --name '현대중공업' --name-en 'HD Hyundai Heavy'
    --kind company
    """
    org = create_org(None, slug, name, kind, name_en)
    db.session.commit()
    click.echo(f"Created organisation {org.slug} ({org.kind.value})")


@orgs_cli.command("list")
def list_command() -> None:
    """List organisations."""
    for org in list_orgs():
        click.echo(f"{org.slug}\t{org.kind.value}\t{org.name_ko}\t{org.name_en}")
