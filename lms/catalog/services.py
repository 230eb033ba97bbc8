"""Courses, cohorts and enrolment, with the access checks pages and the API share.

Services flush and never commit. Read-only listings live in ``lms.catalog.queries``.
"""

from __future__ import annotations

from datetime import date

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from lms.accounts.models import Role, User
from lms.audit.services import record
from lms.catalog.models import (
    Cohort,
    CohortInstructor,
    Course,
    CourseInstructor,
    CourseItem,
    CoursePrerequisite,
    Enrollment,
    EnrollmentStatus,
    Progress,
)
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, ValidationError
from lms.orgs.models import Organisation
from lms.orgs.services import is_current_member, managed_org_ids

COUNTED = (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


def is_course_instructor(user: User | None, course: Course) -> bool:
    """Whether ``user`` teaches ``course`` or one of its cohorts."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    course_level = exists().where(
        CourseInstructor.course_id == course.id, CourseInstructor.user_id == user.id
    )
    cohort_level = exists().where(
        CohortInstructor.user_id == user.id,
        CohortInstructor.cohort_id == Cohort.id,
        Cohort.course_id == course.id,
    )
    return bool(db.session.scalar(select(course_level | cohort_level)))


def can_manage_course(actor: User | None, course: Course) -> bool:
    """Admins and the course's instructors: see unpublished, manage cohorts, enrol others."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.role == Role.ADMIN or is_course_instructor(actor, course)


def can_view_course(actor: User | None, course: Course) -> bool:
    """Published courses are public; unpublished ones only to those who manage them."""
    return course.is_published or can_manage_course(actor, course)


def can_view_enrollments(actor: User | None, course: Course) -> bool:
    """Who may list a course's enrolments: its managers, and organisation managers (who then
    see only their current members, see ``lms.catalog.queries.list_enrollments``)."""
    if can_manage_course(actor, course):
        return True
    return actor is not None and actor.role == Role.ORG_MANAGER and bool(managed_org_ids(actor))


def get_course(actor: User | None, slug: str) -> Course:
    """The course ``actor`` may see, else ``NotFound`` (``course_not_found``) — also for
    unpublished courses, so their existence does not leak."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_view_course(actor, course):
        raise NotFound("course_not_found", _l("No course is called %(slug)s.", slug=slug))
    return course


def get_cohort(course: Course, cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or cohort.course_id != course.id:
        raise ValidationError(
            "invalid_cohort", _l("This cohort is not part of the course."), "cohort"
        )
    return cohort


def enroll(
    actor: User,
    user: User,
    course: Course,
    cohort: Cohort | None = None,
    sponsor_org: Organisation | None = None,
) -> Enrollment:
    """Enrol ``user`` in ``course`` (optionally a cohort), on behalf of ``actor``.

    Allowed: the user themself where the course allows self-enrolment; the course's
    instructors and admins; an organisation manager for a current member of an organisation
    they manage (``sponsor_org``). Enforced: published course, cohort of this course,
    prerequisites completed, capacity of course and cohort, no duplicate. A dropped
    enrolment is re-activated. Errors: ``NotFound``, ``Forbidden``, ``ValidationError``,
    ``Conflict`` (``already_enrolled``, ``prerequisites_missing``, ``cohort_full``,
    ``course_full``). Audited as ``enrollment.create``.
    """
    _check_may_enroll(actor, user, course, sponsor_org)
    if cohort is not None and cohort.course_id != course.id:
        raise ValidationError(
            "invalid_cohort", _l("This cohort is not part of the course."), "cohort"
        )
    existing = db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )
    if existing is not None and existing.status != EnrollmentStatus.DROPPED:
        raise Conflict(
            "already_enrolled", _l("%(name)s is already enrolled in this course.", name=user.name)
        )
    _check_prerequisites(user, course)
    _check_capacity(course, cohort)
    enrollment = existing or Enrollment(user=user, course=course)
    enrollment.status, enrollment.cohort = EnrollmentStatus.ACTIVE, cohort
    enrollment.sponsor_org, enrollment.enrolled_by = sponsor_org, actor
    enrollment.completed_at = None
    db.session.add(enrollment)
    db.session.flush()
    details = {"user_id": user.id, "course": course.slug, "cohort_id": getattr(cohort, "id", None)}
    if sponsor_org is not None:
        details["sponsor_org"] = sponsor_org.slug
    record("enrollment.create", actor=actor, obj=enrollment, details=details)
    return enrollment


def sponsor_enrollment(
    manager: User, user: User, course: Course, org: Organisation, cohort: Cohort | None = None
) -> Enrollment:
    """An organisation manager enrols a current member of ``org``, sponsored by ``org``."""
    return enroll(manager, user, course, cohort, sponsor_org=org)


def _check_may_enroll(actor, user, course, sponsor_org) -> None:
    if not can_view_course(actor, course):
        raise NotFound("course_not_found", _l("No course is called %(slug)s.", slug=course.slug))
    if sponsor_org is not None:
        if not (actor.role == Role.ADMIN or sponsor_org.id in managed_org_ids(actor)):
            raise Forbidden("not_org_manager", _l("You do not manage this organisation."))
        if not is_current_member(user, sponsor_org):
            raise Forbidden(
                "not_org_member", _l("This person is not a current member of your organisation.")
            )
        return
    if can_manage_course(actor, course):
        return
    if actor.id != user.id:
        raise Forbidden(
            "cannot_enroll_others", _l("You may not enrol other people in this course.")
        )
    if not course.self_enroll:
        raise Forbidden(
            "self_enroll_closed",
            _l("This course does not allow self-enrolment; ask its instructor."),
        )


def missing_prerequisites(user: User, course: Course) -> list[Course]:
    """Prerequisites of ``course`` that ``user`` has not completed."""
    completed = select(Enrollment.course_id).where(
        Enrollment.user_id == user.id, Enrollment.status == EnrollmentStatus.COMPLETED
    )
    stmt = (
        select(Course)
        .join(CoursePrerequisite, CoursePrerequisite.prerequisite_id == Course.id)
        .where(CoursePrerequisite.course_id == course.id, Course.id.not_in(completed))
        .order_by(Course.slug)
    )
    return list(db.session.scalars(stmt))


def _check_prerequisites(user: User, course: Course) -> None:
    missing = missing_prerequisites(user, course)
    if missing:
        locale = str(get_locale() or "ko")
        names = ", ".join(c.title(locale) for c in missing)
        raise Conflict(
            "prerequisites_missing",
            _l("Complete these courses first: %(courses)s", courses=names),
        )


def _check_capacity(course: Course, cohort: Cohort | None) -> None:
    if cohort is not None:
        # Lock the cohort row (PostgreSQL) so two enrolments cannot both take the last seat.
        db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
        if (
            cohort.capacity is not None
            and _count(Enrollment.cohort_id == cohort.id) >= cohort.capacity
        ):
            raise Conflict("cohort_full", _l("The cohort %(name)s is full.", name=cohort.name))
    if course.capacity is not None:
        db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())
        if _count(Enrollment.course_id == course.id) >= course.capacity:
            raise Conflict("course_full", _l("This course is full."))


def _count(condition) -> int:
    stmt = (
        select(func.count())
        .select_from(Enrollment)
        .where(condition, Enrollment.status.in_(COUNTED))
    )
    return db.session.scalar(stmt) or 0


def set_enrollment_status(
    actor: User, enrollment: Enrollment, status: EnrollmentStatus
) -> Enrollment:
    """Drop an enrolment or make a dropped one active again (course managers; learners may
    drop their own). Completion is not set here: an instructor confirms it against the
    course's completion policy (``lms.completion.services``), and revokes it there too, so
    a completed enrolment is refused (``ValidationError`` ``use_completion``)."""
    status = EnrollmentStatus(status)
    own_drop = actor.id == enrollment.user_id and status == EnrollmentStatus.DROPPED
    if not (own_drop or can_manage_course(actor, enrollment.course)):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    if EnrollmentStatus.COMPLETED in (status, enrollment.status):
        raise ValidationError(
            "use_completion",
            _l("Completion is confirmed or revoked on the course's completion page."),
        )
    old, enrollment.status = enrollment.status, status
    enrollment.completed_at = None
    record(
        "enrollment.status",
        actor=actor,
        obj=enrollment,
        details={"from": str(old), "to": str(status)},
    )
    return enrollment


def create_cohort(
    actor: User | None,
    course: Course,
    name: str,
    starts_on: date,
    ends_on: date,
    capacity: int | None = None,
    instructors: list[User] | tuple[User, ...] = (),
) -> Cohort:
    """Create a cohort (course managers; ``actor=None`` for the CLI/demo). Raises
    ``ValidationError`` (name, dates, capacity) or ``Conflict`` (``cohort_exists``)."""
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("Only the course's instructors can manage cohorts."))
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("invalid_name", _l("Enter a name (up to 100 characters)."), "name")
    if ends_on < starts_on:
        raise ValidationError("invalid_dates", _l("The end is before the start."), "ends_on")
    if capacity is not None and capacity < 1:
        raise ValidationError(
            "invalid_capacity", _l("The capacity must be at least 1."), "capacity"
        )
    if any(c.name == name for c in course.cohorts):
        raise Conflict("cohort_exists", _l("This course already has a cohort with that name."))
    cohort = Cohort(
        course=course, name=name, starts_on=starts_on, ends_on=ends_on, capacity=capacity
    )
    cohort.instructors = list(instructors)
    db.session.add(cohort)
    db.session.flush()
    record("cohort.create", actor=actor, obj=cohort, details={"course": course.slug})
    return cohort


def complete_item(
    actor: User, enrollment: Enrollment, item: CourseItem, score: float | None = None
) -> Progress:
    """Record that ``enrollment``'s learner completed ``item`` (the learner, or the course's
    managers — only they may give a score). Repeating it updates the score."""
    is_self = actor.id == enrollment.user_id and score is None
    if not (is_self or can_manage_course(actor, enrollment.course)):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    if item.course_id != enrollment.course_id:
        raise ValidationError("invalid_item", _l("This item is not part of the course."), "item")
    if score is not None and not 0 <= score <= 100:
        raise ValidationError("invalid_score", _l("The score must be between 0 and 100."), "score")
    progress = db.session.scalar(
        select(Progress).where(Progress.enrollment_id == enrollment.id, Progress.item_id == item.id)
    )
    if progress is None:
        progress = Progress(enrollment_id=enrollment.id, item_id=item.id)
        db.session.add(progress)
    progress.score, progress.completed_at = score, utcnow()
    db.session.flush()
    if score is not None:
        record("progress.score", actor=actor, obj=progress, details={"score": score})
    return progress
