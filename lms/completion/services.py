"""Confirming and revoking completions of courses and programmes.

Automatic grading never completes anyone: a course's instructor (or an admin) confirms,
seeing whether the learner qualifies under the policy; confirming someone who does not
qualify needs an override reason. A programme is confirmed once every one of its courses
is. Each confirmation is audited and announced with ``signals.completion_confirmed`` after
it is flushed; revocations with ``signals.completion_revoked``. Flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.audit.services import record
from lms.catalog.models import Course, Enrollment, EnrollmentStatus, Programme
from lms.catalog.services import can_manage_course
from lms.completion.models import Completion
from lms.completion.policies import can_manage_programme
from lms.completion.qualification import Qualification, evaluate_many, evaluate_programme
from lms.completion.signals import completion_confirmed, completion_revoked
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError

MAX_REASON = 1000


def completions_for(user: User) -> list[Completion]:
    """Every completion of ``user``, newest first, revoked ones included (check
    ``revoked_at``)."""
    stmt = select(Completion).where(Completion.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(Completion.confirmed_at.desc(), Completion.id)))


def get_completion(actor: User | None, completion_id: int) -> Completion:
    """The completion if ``actor`` is its learner or may manage its course/programme."""
    completion = db.session.get(Completion, completion_id)
    if completion is None or not _may_see(actor, completion):
        raise NotFound("completion_not_found", _l("No such completion."))
    return completion


def _may_see(actor: User | None, completion: Completion) -> bool:
    if actor is None:
        return False
    return actor.id == completion.user_id or _may_manage(actor, completion)


def _may_manage(actor: User, completion: Completion) -> bool:
    if completion.course is not None:
        return can_manage_course(actor, completion.course)
    return can_manage_programme(actor, completion.programme)


def confirm_course(
    actor: User | None, enrollment: Enrollment, override_reason: str | None = None
) -> Completion:
    """Confirm that ``enrollment``'s learner completed the course (see ``confirm_many``)."""
    return confirm_many(actor, enrollment.course, [enrollment], override_reason)[0]


def confirm_many(
    actor: User | None,
    course: Course,
    enrollments: Sequence[Enrollment],
    override_reason: str | None = None,
) -> list[Completion]:
    """Confirm the completion of each of ``enrollments`` (all of ``course``), all or none.

    ``actor`` must manage the course (``Forbidden``; ``None`` for CLI/demo). Refused, with
    nothing confirmed: an enrolment of another course or dropped (``ValidationError``
    ``invalid_enrollment``), one already confirmed (``Conflict`` ``already_completed``), and
    learners who do not qualify when no ``override_reason`` is given (``ValidationError``
    ``override_reason_required``, naming them). Each enrolment becomes COMPLETED; audited as
    ``completion.confirm``; ``completion_confirmed`` is sent for each after the flush.
    """
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("Only the course's instructors can confirm completion."))
    if not enrollments:
        raise ValidationError("nothing_selected", _l("Select at least one learner."))
    reason = _reason(override_reason)
    found = _check_course_batch(course, enrollments, reason)
    completions = []
    for enrollment in enrollments:
        q = found[enrollment.id]
        completions.append(_new_completion(actor, q, reason, enrollment=enrollment))
        enrollment.status, enrollment.completed_at = EnrollmentStatus.COMPLETED, utcnow()
    db.session.flush()
    for completion in completions:
        _announce(actor, completion, course.slug)
    return completions


def _check_course_batch(course, enrollments, reason) -> dict[int, Qualification]:
    for e in enrollments:
        if e.course_id != course.id or e.status == EnrollmentStatus.DROPPED:
            raise ValidationError(
                "invalid_enrollment", _l("Only active learners of this course can be confirmed.")
            )
    found = evaluate_many(list(enrollments))
    done = [e.user.name for e in enrollments if found[e.id].completion is not None]
    if done:
        raise Conflict(
            "already_completed",
            _l("Already confirmed: %(names)s.", names=", ".join(sorted(done))),
        )
    unqualified = [e.user.name for e in enrollments if not found[e.id].qualified]
    if unqualified and reason is None:
        raise ValidationError(
            "override_reason_required",
            _l(
                "%(names)s do not meet the completion policy. Give the reason for confirming "
                "them anyway, or leave them out.",
                names=", ".join(sorted(unqualified)),
            ),
            "override_reason",
        )
    return found


def _reason(text: str | None) -> str | None:
    reason = (text or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise ValidationError(
            "reason_too_long",
            _l("Keep the reason under %(n)s characters.", n=MAX_REASON),
            "override_reason",
        )
    return reason


def _new_completion(actor, q: Qualification, reason, enrollment=None) -> Completion:
    completion = Completion(
        user_id=q.user_id,
        course_id=q.course_id,
        programme_id=q.programme_id,
        enrollment_id=getattr(enrollment, "id", None),
        confirmed_by_id=getattr(actor, "id", None),
        confirmed_at=utcnow(),
        qualified=q.qualified,
        override_reason=None if q.qualified else reason,
        criteria=q.snapshot(),
    )
    db.session.add(completion)
    return completion


def _announce(actor, completion: Completion, target: str) -> None:
    details = {
        "user_id": completion.user_id,
        "target": target,
        "qualified": completion.qualified,
        "override_reason": completion.override_reason,
    }
    record("completion.confirm", actor=actor, obj=completion, details=details)
    completion_confirmed.send(completion)


def confirm_programme(
    actor: User | None, programme: Programme, user: User, override_reason: str | None = None
) -> Completion:
    """Confirm ``user``'s completion of ``programme`` (``can_manage_programme``). Every course
    of the programme must be confirmed complete first (``Conflict``
    ``courses_not_complete``, no override); the programme policy's other terms can be
    overridden with a reason (``ValidationError`` ``override_reason_required``). Audited;
    ``completion_confirmed`` sent."""
    if actor is not None and not can_manage_programme(actor, programme):
        raise Forbidden("forbidden", _l("Only the programme's instructors can confirm it."))
    reason = _reason(override_reason)
    found = evaluate_programme(programme, [user.id])
    if not found:
        raise NotFound("not_in_programme", _l("This person has no course of this programme."))
    q = found[0]
    if q.completion is not None:
        raise Conflict("already_completed", _l("Already confirmed: %(names)s.", names=user.name))
    if "courses" in q.unmet:
        raise Conflict(
            "courses_not_complete",
            _l("Every course of the programme must be confirmed complete first."),
        )
    if not q.qualified and reason is None:
        raise ValidationError(
            "override_reason_required",
            _l(
                "%(names)s do not meet the completion policy. Give the reason for confirming "
                "them anyway, or leave them out.",
                names=user.name,
            ),
            "override_reason",
        )
    completion = _new_completion(actor, q, reason)
    db.session.flush()
    _announce(actor, completion, programme.slug)
    return completion


def revoke(actor: User | None, completion: Completion, reason: str) -> Completion:
    """Undo a confirmation, keeping it as history (who, when, why: ``reason`` required,
    ``ValidationError`` ``reason_required``). A course's enrolment becomes active again and
    the learner's confirmed programmes containing that course are revoked too. Audited;
    ``completion_revoked`` sent for each revoked completion."""
    if actor is not None and not _may_manage(actor, completion):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    text = _reason(reason)
    if text is None:
        raise ValidationError("reason_required", _l("Give the reason for revoking."), "reason")
    if completion.revoked_at is not None:
        raise Conflict("already_revoked", _l("This completion was already revoked."))
    revoked = [completion, *_dependent_programmes(completion)]
    for item in revoked:
        item.revoked_at, item.revoked_by_id, item.revoke_reason = (
            utcnow(),
            getattr(actor, "id", None),
            text,
        )
    _reopen_enrollment(completion)
    db.session.flush()
    for item in revoked:
        record("completion.revoke", actor=actor, obj=item, details={"reason": text})
        completion_revoked.send(item, reason=text)
    return completion


def _dependent_programmes(completion: Completion) -> list[Completion]:
    from lms.catalog.models import ProgrammeCourse

    if completion.course_id is None:
        return []
    programmes = select(ProgrammeCourse.programme_id).where(
        ProgrammeCourse.course_id == completion.course_id
    )
    stmt = select(Completion).where(
        Completion.user_id == completion.user_id,
        Completion.programme_id.in_(programmes),
        Completion.revoked_at.is_(None),
    )
    return list(db.session.scalars(stmt))


def _reopen_enrollment(completion: Completion) -> None:
    if completion.enrollment_id is None:
        return
    enrollment = db.session.get(Enrollment, completion.enrollment_id)
    if enrollment is not None and enrollment.status == EnrollmentStatus.COMPLETED:
        enrollment.status, enrollment.completed_at = EnrollmentStatus.ACTIVE, None
