"""``flask --app lms orgs …``."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from tqdm import tqdm

from lms.cli import domain_errors_exit, make_group
from lms.db import db
from lms.orgs import csv_import
from lms.orgs.models import OrgKind
from lms.orgs.services import create_org, get_org, list_orgs

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


@orgs_cli.command("invite")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--encoding",
    type=click.Choice(csv_import.ENCODINGS),
    default="auto",
    show_default=True,
    help="How the file is encoded; auto tries UTF-8 (with or without BOM), then CP949.",
)
@click.option("--dry-run", is_flag=True, help="Only check the file; invite nobody.")
@click.option("--create-departments", is_flag=True, help="Create departments that do not exist.")
@click.option("--apply-valid", is_flag=True, help="Invite the valid rows even if others are bad.")
@click.option(
    "--links",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write e-mail,link pairs of the new invitations to this CSV file (shown only once).",
)
@click.option("--base-url", default="", help="Site address for --links (e.g. https://lms.example).")
@domain_errors_exit
def invite(
    slug: str,
    file: Path,
    encoding: str,
    dry_run: bool,
    create_departments: bool,
    apply_valid: bool,
    links: Path | None,
    base_url: str,
) -> None:
    """Invite the people listed in FILE.csv (email,name,department[,role]) into SLUG.

    Every row is checked first; if any row has a problem nothing is written (exit status 1)
    unless --apply-valid. Example:

    flask --app lms orgs invite hd-heavy staff.csv --encoding cp949 --create-departments
    """
    org = get_org(slug)
    data = file.read_bytes()
    with tqdm(total=0, unit="row", desc="check+write", disable=None) as bar:

        def progress(step: int, total: int) -> None:
            bar.total = total
            bar.update(step)

        report = csv_import.import_invitations(
            None, org, data, encoding, create_departments, apply_valid, dry_run, progress
        )
    for problem in report.problems:
        click.echo(
            f"row {problem.row}\t{problem.email}\t{problem.message}\t{problem.fix}", err=True
        )
    if report.applied:
        db.session.commit()
        if links:
            _write_links(links, base_url, report.invited)
    click.echo(
        f"{report.rows} rows ({report.encoding}): {report.valid} valid, "
        f"{len(report.problems)} with problems; invited {len(report.invited)}"
        + (f"; e-mails queued {report.mails_queued}" if report.mails_queued else "")
        + (
            f"; new departments: {', '.join(report.departments_created)}"
            if report.departments_created
            else ""
        )
        + ("" if report.applied else " — nothing was written")
    )
    if report.problems and not report.applied:
        raise SystemExit(1)


def _write_links(path: Path, base_url: str, invited: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "link"])
        for email, secret in invited:
            writer.writerow([email, f"{base_url.rstrip('/')}/invitations/{secret}"])
    click.echo(f"Links written to {path}")
