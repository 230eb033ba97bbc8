"""``flask --app lms grading collect|sweep``: record results as they arrive.

``collect`` is the long-running companion of the grading worker: it marks started jobs
running, records results (one commit per batch) and re-dispatches jobs whose lease expired.
SIGTERM/SIGINT stop it after the current batch.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from lms.db import db

grading_cli = AppGroup("grading", help="Grading jobs: collect results, sweep lost leases.")
log = logging.getLogger(__name__)


class _Stop:
    requested = False

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after this batch", signum)
        self.requested = True


def run_collector(poll_s: float, sweep_every_s: float, once: bool = False) -> int:
    """Collect and sweep until stopped (or one round with ``once``); returns results recorded."""
    from lms.grading.backends import get_backend
    from lms.grading.results import collect_once, sweep

    backend = get_backend()
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    total, last_sweep = 0, 0.0
    try:
        while not stop.requested:
            try:
                total += collect_once(backend)
                if time.monotonic() - last_sweep >= sweep_every_s:
                    sweep(backend=backend)
                    last_sweep = time.monotonic()
                db.session.commit()
            except SQLAlchemyError:
                log.exception("collector round failed; retrying")
                db.session.rollback()
            if once:
                break
            time.sleep(poll_s)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return total


@grading_cli.command("collect")
@click.option("--poll", "poll_s", type=float, default=None, help="seconds between rounds")
@click.option("--sweep-every", "sweep_every_s", type=float, default=10.0, show_default=True)
@click.option("--once", is_flag=True, help="one round, then exit")
def collect_command(poll_s: float | None, sweep_every_s: float, once: bool) -> None:
    """Record grading results as they arrive and re-dispatch lost jobs (runs until SIGTERM)."""
    from lms.grading.backends import get_backend
    from lms.grading.settings import setting

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        get_backend()
        poll = poll_s if poll_s is not None else setting("LMS_GRADING_POLL_S")
    except ValueError as exc:  # a bad setting: say which, no traceback
        raise click.ClickException(str(exc)) from None
    click.echo(f"collecting grading results (backend {setting('LMS_GRADING_BACKEND')})", err=True)
    recorded = run_collector(poll, sweep_every_s, once=once)
    click.echo(f"recorded {recorded} result(s)", err=True)


@grading_cli.command("sweep")
def sweep_command() -> None:
    """Dispatch again every job whose lease expired; print how many."""
    from lms.grading.results import sweep

    again = sweep()
    db.session.commit()
    click.echo(f"dispatched again: {again}")


@grading_cli.command("regrade")
@click.argument("course_slug")
@click.argument("assignment_name")
def regrade_command(course_slug: str, assignment_name: str) -> None:
    """Grade every submission of ASSIGNMENT_NAME again on the course's current version."""
    from lms.catalog.models import Course
    from lms.errors import NotFound
    from lms.grading.regrade import dispatch_regrade, regrade_assignment

    course = db.session.scalar(db.select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"no course {course_slug!r}")
    try:
        target, jobs = regrade_assignment(None, course, assignment_name)
    except NotFound as exc:
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    sent = dispatch_regrade(jobs)
    db.session.commit()
    click.echo(f"{len(jobs)} job(s) queued on version {target.version.number}, {sent} dispatched")


@grading_cli.command("similarity")
@click.argument("course_slug")
@click.argument("assignment_name")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=0.7)
def similarity_command(course_slug: str, assignment_name: str, threshold: float) -> None:
    """List pairs of learners whose answer code of ASSIGNMENT_NAME is alike (for a human)."""
    from lms.catalog.models import Course
    from lms.errors import NotFound
    from lms.grading.similarity import find_similar

    course = db.session.scalar(db.select(Course).where(Course.slug == course_slug))
    if course is None:
        raise click.ClickException(f"no course {course_slug!r}")
    try:
        pairs = find_similar(None, course, assignment_name, threshold)
    except NotFound as exc:
        raise click.ClickException(str(exc.message)) from None
    for pair in pairs:
        click.echo(
            f"{pair.score:.2f}  #{pair.first.id} {pair.first.user.email}"
            f"  #{pair.second.id} {pair.second.user.email}"
        )
    click.echo(f"{len(pairs)} pair(s) at or above {threshold:.2f}", err=True)
