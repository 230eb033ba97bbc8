"""``flask --app lms skills …``: load the starter framework, import a CSV, sync mappings,
show a learner's profile, refresh or check the stored achievements. Each command commits once at the end (nothing on a problem)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from lms.accounts.services import get_user_by_email
from lms.catalog.models import Course
from lms.cli import domain_errors_exit, make_group
from lms.db import db
from lms.skills import graded
from lms.skills.csvimport import ENCODINGS
from lms.skills.evidence import skill_profile
from lms.skills.mapping import sync_all, sync_course
from lms.skills.services import ImportReport, import_units, load_starter
from lms.skills.stored import differences, everyone, refresh_chunk

skills_cli = make_group("skills", "Competency framework, skill mappings and profiles.")


def _echo_report(report: ImportReport) -> None:
    click.echo(
        f"{report.rows} rows ({report.encoding}): {len(report.created)} new, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged"
    )
    for problem in report.problems:
        column = f" [{problem.column}]" if problem.column else ""
        click.echo(f"  row {problem.row}{column}: {problem.message}", err=True)


@skills_cli.command("load-starter")
@click.option("--sync/--no-sync", default=True, help="Also sync every course's mappings.")
@domain_errors_exit
def load_starter_command(sync: bool) -> None:
    """Load (or update) the starter framework: AI foundations and the four focus tracks."""
    report = load_starter()
    _echo_report(report)
    if sync:
        for slug, result in sync_all().items():
            click.echo(f"  {slug}: {result.added} mappings")
    db.session.commit()


@skills_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True)
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
@domain_errors_exit
def import_command(csv_file: Path, encoding: str, dry_run: bool) -> None:
    """Import competency units from CSV_FILE (all rows or none). Columns: code, name_ko,
    name_en, level, track[, parent_code, description_ko, description_en]."""
    report = import_units(None, csv_file.read_bytes(), encoding, apply=not dry_run)
    _echo_report(report)
    if report.problems:
        click.echo("Nothing was imported: fix the rows above and run again.", err=True)
        sys.exit(1)
    if report.applied:
        db.session.commit()
        click.echo("Imported.")
    else:
        click.echo("Dry run: nothing was changed.")


@skills_cli.command("sync-courses")
@click.argument("slugs", nargs=-1)
@domain_errors_exit
def sync_command(slugs: tuple[str, ...]) -> None:
    """Map units from the courses' packages (all courses, or the SLUGS given)."""
    if slugs:
        courses = db.session.scalars(select(Course).where(Course.slug.in_(slugs))).all()
        missing = set(slugs) - {c.slug for c in courses}
        if missing:
            raise click.ClickException(f"No such course: {', '.join(sorted(missing))}")
        results = {c.slug: sync_course(None, c) for c in courses}
    else:
        results = sync_all()
    for slug, result in results.items():
        created = f", new units {', '.join(result.units_created)}" if result.units_created else ""
        click.echo(f"{slug}: {result.added} mappings (replaced {result.removed}){created}")
    db.session.commit()


@skills_cli.command("profile")
@click.argument("email")
def profile_command(email: str) -> None:
    """Print a learner's skill profile."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}")
    for status in skill_profile(user):
        click.echo(
            f"{status.code}\tL{status.level}\t{status.state}\t{status.percent}%\t{status.name_en}"
        )


@skills_cli.command("refresh-achievements")
@click.option(
    "--check", is_flag=True, help="Compare the stored rows with the rules; change nothing."
)
def refresh_achievements_command(check: bool) -> None:
    """Recompute every learner's stored achievements (skill_achievements) from the graded
    evidence, or with --check list where they differ (exit status 1 when they do)."""
    connection = db.session.connection()
    users = everyone(connection)
    found = []
    with click.progressbar(length=len(users), label="learners") as bar:
        for chunk in graded.chunks(users):
            if check:
                found.extend(differences(connection, chunk))
            else:
                refresh_chunk(connection, chunk)
            bar.update(len(chunk))
    if not check:
        db.session.commit()
        click.echo(f"Recomputed the achievements of {len(users)} learners.")
        return
    for diff in found:
        click.echo(
            f"user {diff.user_id}\tunit {diff.unit_id}\tstored {diff.stored}\t"
            f"computed {diff.computed}",
            err=True,
        )
    if found:
        click.echo(f"{len(found)} differences: run without --check to repair them.", err=True)
        sys.exit(1)
    click.echo(f"The stored achievements of {len(users)} learners match the rules.")
