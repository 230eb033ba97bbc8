"""``enrollments.labs_failing``: the enrolment has a counted lab grade below the pass mark.

``lms.completion.progress`` defines *failing labs* (of each submission its latest grading
job, counted only when that job graded it; of each current assignment the counted grade by
the current version's ``counts``; failing below ``points × pass mark``, the course's
completion policy or ``DEFAULT_LAB_PASS_PERCENT``). ``failing_select`` is that rule as one
statement; this module keeps the column equal to it in the same transaction as every ORM
change that can move it — a submission, a grading job's status, a result's score, a new
course version or assignment, a completion policy's pass mark, an enrolment created — for
the learners and courses touched (``after_flush``). Bulk loads call ``refresh_labs_failing``.
The organisation dashboard then reads a column instead of every graded attempt of thousands
of learners (``tests/lms/test_completion_failing.py`` checks the column and
``failing_select`` against ``progress_for``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, event, func, literal, or_, select, update
from sqlalchemy.orm import Session

from lms.catalog.models import Enrollment
from lms.completion.models import CompletionPolicy
from lms.grading.models import GradingJob, GradingResult, JobStatus, Submission
from lms.publishing.models import Assignment, CourseVersion

#: An assignment is a passed lab from this share of its points, unless the course's
#: completion policy sets another pass mark (``lms.completion.progress`` uses it too).
DEFAULT_LAB_PASS_PERCENT = 60.0
#: The slack ``progress_for`` gives the pass mark (float sums of cell points).
EPSILON = 1e-9
_PENDING = "lms.labs_failing.pending"


def failing_select(user_ids: Any = None, course_ids: Collection[int] | None = None) -> Any:
    """SELECT of the ids of enrolments (any status) with a counted lab grade below the pass
    mark, of ``user_ids`` (a SELECT or a list; None: everyone) in ``course_ids`` (None: any
    course)."""
    newest = func.row_number().over(partition_by=Submission.id, order_by=GradingJob.id.desc())
    latest = (
        select(
            Submission.user_id,
            Submission.course_id,
            Submission.assignment_name,
            Submission.attempt,
            GradingJob.status,
            GradingResult.score,
            newest.label("newest"),
        )
        .join(GradingJob, GradingJob.submission_id == Submission.id)
        .outerjoin(GradingResult, GradingResult.job_id == GradingJob.id)
    )
    if user_ids is not None:
        latest = latest.where(Submission.user_id.in_(user_ids))
    if course_ids is not None:
        latest = latest.where(Submission.course_id.in_(sorted(course_ids)))
    latest = latest.cte("latest")
    labs = current_labs().cte("labs")
    best_first = case((labs.c.counts == "best", latest.c.score), else_=literal(0.0))
    pick = func.row_number().over(
        partition_by=(latest.c.user_id, latest.c.course_id, latest.c.assignment_name),
        order_by=(best_first.desc(), latest.c.attempt.desc()),
    )
    ranked = (
        select(latest.c.user_id, latest.c.course_id, latest.c.score, labs.c.points)
        .add_columns(pick.label("pick"))
        .join(
            labs,
            and_(
                labs.c.course_id == latest.c.course_id,
                labs.c.name == latest.c.assignment_name,
            ),
        )
        .where(
            latest.c.newest == 1,
            latest.c.status == JobStatus.GRADED,
            latest.c.score.is_not(None),
        )
        .cte("ranked")
    )
    mark = func.coalesce(CompletionPolicy.lab_pass_percent, DEFAULT_LAB_PASS_PERCENT) / 100.0
    en = Enrollment.__table__.alias("failing_enrolment")  # never correlated to an UPDATE's
    return (
        select(en.c.id)
        .join(
            ranked,
            and_(ranked.c.user_id == en.c.user_id, ranked.c.course_id == en.c.course_id),
        )
        .outerjoin(CompletionPolicy, CompletionPolicy.course_id == ranked.c.course_id)
        .where(ranked.c.pick == 1, ranked.c.score < ranked.c.points * mark - EPSILON)
        .distinct()
    )


def current_labs(course_filter: Any = None) -> Any:
    """SELECT ``course_id name points counts`` of the assignments of each course's current
    (highest numbered) version; ``course_filter``: a condition on ``CourseVersion.course_id``
    (None: every course). ``progress_for`` reads it too."""
    latest = select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
    if course_filter is not None:
        latest = latest.where(course_filter)
    latest = latest.group_by(CourseVersion.course_id).subquery()
    return (
        select(Assignment.course_id, Assignment.name, Assignment.points, Assignment.counts)
        .join(CourseVersion, Assignment.course_version_id == CourseVersion.id)
        .join(
            latest,
            and_(
                latest.c.course_id == CourseVersion.course_id,
                latest.c.number == CourseVersion.number,
            ),
        )
    )


def refresh_labs_failing(
    connection: Any,
    *,
    user_ids: Collection[int] | None = None,
    course_ids: Collection[int] | None = None,
    enrollment_ids: Collection[int] | None = None,
) -> None:
    """Recompute ``labs_failing`` of the enrolments of these learners, of these courses and
    these enrolments (all None: of every enrolment). One UPDATE statement."""
    e = Enrollment.__table__
    wanted = []
    if user_ids:
        wanted.append(e.c.user_id.in_(sorted(set(user_ids))))
    if course_ids:
        wanted.append(e.c.course_id.in_(sorted(set(course_ids))))
    if enrollment_ids:
        wanted.append(e.c.id.in_(sorted(set(enrollment_ids))))
    everyone = user_ids is None and course_ids is None and enrollment_ids is None
    if not wanted and not everyone:
        return
    # Only the graded work of the learners concerned is read.
    learners = select(e.c.user_id).where(or_(*wanted)) if wanted else None
    stmt = update(e).values(labs_failing=e.c.id.in_(failing_select(learners)))
    if wanted:
        stmt = stmt.where(or_(*wanted))
    connection.execute(stmt)


@dataclass
class _Touched:
    user_ids: set[int] = field(default_factory=set)
    course_ids: set[int] = field(default_factory=set)
    enrollment_ids: set[int] = field(default_factory=set)
    submission_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.course_ids or self.enrollment_ids or self.submission_ids)


def _touched(session: Session) -> _Touched:
    found = _Touched()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Submission):
            found.user_ids.add(obj.user_id)
        elif isinstance(obj, GradingJob | GradingResult):
            if obj.submission_id is not None:
                found.submission_ids.add(obj.submission_id)
        elif isinstance(obj, Assignment | CourseVersion | CompletionPolicy):
            if obj.course_id is not None:
                found.course_ids.add(obj.course_id)
        elif isinstance(obj, Enrollment) and obj in session.new and obj.id is not None:
            found.enrollment_ids.add(obj.id)
    return found


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    found = _touched(session)
    if found:
        pending = session.info.setdefault(_PENDING, _Touched())
        pending.user_ids |= found.user_ids
        pending.course_ids |= found.course_ids
        pending.enrollment_ids |= found.enrollment_ids
        pending.submission_ids |= found.submission_ids


@event.listens_for(Session, "after_flush_postexec")
def _refresh(session: Session, _context: Any) -> None:
    pending: _Touched | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = session.connection()
    users = set(pending.user_ids)
    if pending.submission_ids:
        stmt = select(Submission.user_id).where(Submission.id.in_(sorted(pending.submission_ids)))
        users.update(connection.execute(stmt).scalars())
    if users:
        refresh_labs_failing(connection, user_ids=users)
    if pending.course_ids or pending.enrollment_ids:
        refresh_labs_failing(
            connection,
            course_ids=pending.course_ids or None,
            enrollment_ids=pending.enrollment_ids or None,
        )
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Enrollment):
            session.expire(obj, ["labs_failing"])
