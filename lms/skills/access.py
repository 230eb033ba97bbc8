"""Who may see whose skill profile, and which evidence a viewer may open.

A learner sees their own profile and opens all its evidence. Admins see anyone's. Course
staff see the part of a learner's profile that comes from the courses they teach and in
which the learner is enrolled, and open the submissions of those courses. Anyone else gets
``NotFound`` (a profile's existence does not leak). Organisation managers see skills only
through the organisation pages, with the member's consent (REPORTING).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union

from lms.accounts.models import Role, User
from lms.catalog.models import Cohort, CohortInstructor, CourseInstructor, Enrollment
from lms.db import db
from lms.errors import NotFound
from lms.skills.evidence import SkillStatus


def managed_course_ids(viewer: User) -> set[int]:
    """Courses ``viewer`` teaches (course or cohort instructor), in one query."""
    by_course = select(CourseInstructor.course_id).where(CourseInstructor.user_id == viewer.id)
    by_cohort = (
        select(Cohort.course_id)
        .join(CohortInstructor, CohortInstructor.cohort_id == Cohort.id)
        .where(CohortInstructor.user_id == viewer.id)
    )
    return set(db.session.scalars(union(by_course, by_cohort)))


def profile_scope(viewer: User, user_id: int) -> tuple[User, set[int] | None]:
    """``(subject, course ids the viewer may see, None = all)`` for ``viewer`` opening the
    profile of ``user_id``; ``NotFound`` (``profile_not_found``) when they may not."""
    subject = db.session.get(User, user_id)
    if subject is not None and (subject.id == viewer.id or viewer.role == Role.ADMIN):
        return subject, None
    if subject is not None:
        enrolled = set(
            db.session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == subject.id))
        )
        shared = enrolled & managed_course_ids(viewer)
        if shared:
            return subject, shared
    raise NotFound("profile_not_found", _l("No such skill profile."))


def openable_courses(viewer: User, subject: User, statuses: Iterable[SkillStatus]) -> set[int]:
    """Ids of the evidence courses whose submissions ``viewer`` may open (the grading
    pages check again on opening)."""
    courses = {e.course_id for s in statuses for e in s.evidence}
    if viewer.id == subject.id or viewer.role == Role.ADMIN:
        return courses
    return courses & managed_course_ids(viewer)
