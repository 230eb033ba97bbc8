"""``flask --app lms labs …``: GPU quotas, usage, and closing sessions of culled labs."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.catalog.models import Course
from lms.cli import domain_errors_exit
from lms.db import db
from lms.errors import NotFound
from lms.hub import get_hub_client
from lms.hub.accounting import gpu_hours_used, set_gpu_quota, sync_sessions
from lms.orgs.services import get_org

labs_cli = AppGroup("labs", help="Lab usage: GPU quotas and GPU-hours.")


def get_course(slug: str) -> Course:
    """Any course by slug, published or not (the CLI acts as an administrator)."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound("course_not_found", _l("No course is called %(slug)s.", slug=slug))
    return course


@labs_cli.command("set-quota")
@click.option("--course", "course_slug", default=None, help="Course slug.")
@click.option("--org", "org_slug", default=None, help="Organisation slug.")
@click.option("--gpu-hours", type=float, required=True, help="GPU-hours allowed (0 or more).")
@domain_errors_exit
def set_quota(course_slug: str | None, org_slug: str | None, gpu_hours: float) -> None:
    """Set the GPU-hour quota of one course or one organisation."""
    course = get_course(course_slug) if course_slug else None
    org = get_org(org_slug) if org_slug else None
    set_gpu_quota(None, gpu_hours, course=course, org=org)
    db.session.commit()
    click.echo(f"quota set: {gpu_hours:g} GPU-hours for {course_slug or org_slug}")


@labs_cli.command("usage")
@click.option("--course", "course_slug", default=None)
@click.option("--org", "org_slug", default=None)
@domain_errors_exit
def usage(course_slug: str | None, org_slug: str | None) -> None:
    """Print the GPU-hours used by a course or an organisation."""
    course = get_course(course_slug) if course_slug else None
    org = get_org(org_slug) if org_slug else None
    if course is None and org is None:
        raise click.UsageError("give --course or --org")
    click.echo(f"{gpu_hours_used(course=course, org=org):.2f}")


@labs_cli.command("sync")
@domain_errors_exit
def sync() -> None:
    """Close the usage records of labs the hub no longer runs (run it every few minutes)."""
    closed = sync_sessions(get_hub_client().list_running())
    db.session.commit()
    click.echo(f"{closed} lab sessions closed")
