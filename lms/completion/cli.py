"""``flask --app lms completion …``: who qualifies for completing a course, from a shell."""

from __future__ import annotations

import csv
import sys

import click
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course
from lms.cli import domain_errors_exit, make_group
from lms.completion.qualification import course_qualifications
from lms.db import db

completion_cli = make_group("completion", "Completion policies, qualification, confirmation.")


@completion_cli.command("status")
@click.argument("slug")
@click.option("--cohort", "cohort_name", help="Only this cohort (its name).")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to standard output.")
@domain_errors_exit
def status(slug: str, cohort_name: str | None, as_csv: bool) -> None:
    """List each learner of course SLUG: qualifies or not (the unmet criteria), and whether
    an instructor confirmed the completion. Example:
    flask --app lms completion status python-basics --cohort 2026-가을"""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No course is called {slug}.")
    cohort_id = None
    if cohort_name is not None:
        cohort = next((c for c in course.cohorts if c.name == cohort_name), None)
        if cohort is None:
            names = ", ".join(c.name for c in course.cohorts) or "none"
            raise click.ClickException(f"No cohort {cohort_name!r}; cohorts: {names}.")
        cohort_id = cohort.id
    rows = course_qualifications(course, cohort_id)
    users = {
        u.id: u
        for u in db.session.scalars(select(User).where(User.id.in_([r.user_id for r in rows])))
    }
    lines = [
        (
            users[q.user_id].email,
            "yes" if q.qualified else "no",
            " ".join(q.unmet),
            q.completion.confirmed_at.date().isoformat() if q.completion else "",
        )
        for q in rows
    ]
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(("email", "qualifies", "unmet", "confirmed_on"))
        writer.writerows(lines)
        return
    for email, qualifies, unmet, confirmed in lines:
        click.echo(f"{email:<32} {qualifies:<4} {unmet or '-':<28} {confirmed or '-'}")
    qualified = sum(1 for line in lines if line[1] == "yes")
    click.echo(f"{qualified} of {len(lines)} qualify; {sum(1 for x in lines if x[3])} confirmed.")
