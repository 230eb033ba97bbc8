"""Regrade: grade every submission of an assignment again on the course's current version.

After an instructor publishes a fixed version (a corrected test, say), ``regrade_assignment``
adds one grading job per submission of that assignment name, graded against the current
version's assignment (``GradingJob.assignment_id``). Every attempt is regraded, not only the
latest, so "best attempt" stays right. A submission that already has a job on that version
is skipped, and a unique key (submission, assignment) backs this, so a double click does
not double the work. Results are new rows: the old ones stay with the version they were
graded against, and manual points carry over and still win (``results._keep_manual_points``).
``regrade_changes`` compares each regraded submission's previous result with the new one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course
from lms.catalog.services import can_manage_course
from lms.db import db, utcnow
from lms.errors import Forbidden
from lms.grading.backends import get_backend
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.grading.results import dispatch_job
from lms.grading.submission import FIRST_LEASE
from lms.publishing.models import Assignment
from lms.publishing.services import current_assignment


def _require_manager(actor: User | None, course: Course) -> None:
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))


def _submissions(course: Course, assignment_name: str) -> list[Submission]:
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.course_id == course.id, Submission.assignment_name == assignment_name)
            .order_by(Submission.user_id, Submission.attempt)
            .options(
                selectinload(Submission.user),
                selectinload(Submission.jobs)
                .selectinload(GradingJob.result)
                .selectinload(GradingResult.parts),
            )
        )
    )


def _graded_on(job: GradingJob) -> int:
    return job.assignment_id or job.submission.assignment_id


def regrade_assignment(
    actor: User | None, course: Course, assignment_name: str
) -> tuple[Assignment, list[GradingJob]]:
    """Queue a job on the current version for every submission of ``assignment_name``.

    Returns the current assignment and the new jobs (none when every submission already has
    a job on that version). ``Forbidden`` unless ``actor`` manages the course (None = the
    trusted CLI); ``NotFound`` ``assignment_not_found`` when the current version lacks it.
    Audited as ``grade.regrade``. Flushes, never commits: commit, then ``dispatch_regrade``.
    """
    _require_manager(actor, course)
    target = current_assignment(course, assignment_name)
    backend, now = get_backend().name, utcnow()
    created, skipped = [], 0
    for submission in _submissions(course, assignment_name):
        if any(_graded_on(job) == target.id for job in submission.jobs):
            skipped += 1
            continue
        job = GradingJob(
            submission=submission,
            assignment_id=target.id,
            status=JobStatus.QUEUED,
            backend=backend,
            backend_job_id=f"lms-{uuid.uuid4().hex}",
            submitted_at=now,
            lease_expires_at=now + FIRST_LEASE,  # a failed dispatch is swept
        )
        db.session.add(job)
        created.append(job)
    db.session.flush()
    record(
        "grade.regrade",
        actor=actor,
        obj=course,
        details={
            "assignment": assignment_name,
            "version_id": target.course_version_id,
            "jobs": len(created),
            "skipped": skipped,
        },
    )
    return target, created


def dispatch_regrade(jobs: list[GradingJob]) -> int:
    """Dispatch ``jobs`` after the commit that created them; returns how many went out
    (the sweeper retries the others). Flushes, never commits."""
    backend = get_backend()
    return sum(dispatch_job(job, backend) for job in jobs)


@dataclass
class Change:
    """One regraded submission: the previous and the new result, per-test differences."""

    submission: Submission
    old: GradingResult | None
    new: GradingResult | None
    status: str
    tests: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def delta(self) -> float | None:
        """New minus old automatic points (None until both exist)."""
        if self.old is None or self.new is None:
            return None
        if self.old.auto_earned is None or self.new.auto_earned is None:
            return None
        return round(self.new.auto_earned - self.old.auto_earned, 4)


def regrade_changes(course: Course, assignment_name: str) -> tuple[Assignment, list[Change]]:
    """What the regrade on the current version changed, per submission graded on it.

    For each submission with a job on the current version's assignment and an earlier
    result: the previous result, the new one (None while pending), the job status and the
    tests whose status changed as ``(cell_id, old_status, new_status)``. Read only.
    """
    target = current_assignment(course, assignment_name)
    changes = []
    for submission in _submissions(course, assignment_name):
        regrade = next((j for j in submission.jobs if _graded_on(j) == target.id), None)
        earlier = [j.result for j in submission.jobs if j.result is not None and j is not regrade]
        if regrade is None or not earlier or earlier[-1].job_id > regrade.id:
            continue  # not regraded on this version (its first grading already was)
        old, new = earlier[-1], regrade.result
        changes.append(Change(submission, old, new, regrade.status.value, _test_changes(old, new)))
    return target, changes


def _test_changes(old: GradingResult, new: GradingResult | None) -> list[tuple[str, str, str]]:
    if new is None:
        return []
    before = {p.cell_id: p.status for p in old.parts if p.kind == "test"}
    after = {p.cell_id: p.status for p in new.parts if p.kind == "test"}
    return [
        (cell, before.get(cell, "-"), after.get(cell, "-"))
        for cell in sorted(before.keys() | after.keys())
        if before.get(cell) != after.get(cell)
    ]
