"""Demo data for the manager dashboard: a dozen shipyard workers in two departments, with
different consents, enrolments, progress spread over the last weeks and GPU sessions, so
that every part of /orgs/hd-shipyard/dashboard has something to show. Idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.accounts.services import get_user_by_email, register
from lms.catalog.models import Course, CourseItem, Enrollment, EnrollmentStatus, Progress
from lms.consent.models import DataKind
from lms.consent.services import set_consent
from lms.db import db, utcnow
from lms.hub.models import LabSession
from lms.orgs.models import Department, MemberRole, Membership, Organisation

DEPARTMENTS = ("생산기술팀", "설계팀")
SHARES = (
    (DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS),
    (DataKind.PROGRESS,),
    (DataKind.PROGRESS, DataKind.SCORES),
    (),
)
NAMES = ("강", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송")


def load_reporting_demo(counter: list[int], org: Organisation, courses: list[Course]) -> None:
    """Twelve workers of ``org`` (worker01..12@demo.local) unless they exist. Flushes."""
    if get_user_by_email("worker01@demo.local") is not None:
        return
    from lms.demo import DEMO_PASSWORD

    departments = [_department(org, name) for name in DEPARTMENTS]
    for i, family in enumerate(NAMES):
        user = register(
            f"worker{i + 1:02d}@demo.local",
            f"{family}작업",
            DEMO_PASSWORD,
            Role.LEARNER,
            "worker",
            None,
        )
        db.session.add(
            Membership(
                user=user,
                org=org,
                role=MemberRole.MEMBER,
                department=departments[i % 2],
                started_on=date.today() - timedelta(days=120),
            )
        )
        db.session.flush()
        _history(user, org, courses[i % len(courses)], i)
        if SHARES[i % len(SHARES)]:
            set_consent(user, org, {k: True for k in SHARES[i % len(SHARES)]}, "page")
        counter[0] += 1


def _department(org: Organisation, name: str) -> Department:
    found = db.session.scalar(
        select(Department).where(Department.org_id == org.id, Department.name == name)
    )
    if found is None:
        found = Department(org=org, name=name)
        db.session.add(found)
        db.session.flush()
    return found


def _history(user: User, org: Organisation, course: Course, i: int) -> None:
    completed = i % 5 == 0
    enrollment = Enrollment(
        user=user,
        course=course,
        sponsor_org=org,
        status=EnrollmentStatus.COMPLETED if completed else EnrollmentStatus.ACTIVE,
        completed_at=utcnow() if completed else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    items = db.session.scalars(
        select(CourseItem).where(CourseItem.course_id == course.id).order_by(CourseItem.position)
    ).all()
    done = items if completed else items[: i % 4]
    for n, item in enumerate(done):
        when = utcnow() - timedelta(days=7 * (n + 1) + i)
        db.session.add(Progress(enrollment_id=enrollment.id, item_id=item.id, completed_at=when))
    if i % 3 == 0:
        start = utcnow() - timedelta(days=i + 1, hours=3)
        db.session.add(
            LabSession(
                user=user,
                course=course,
                org=org,
                server="",
                profile="gpu-mig-1g",
                gpu_share=1 / 7,
                started_at=start,
                stopped_at=start + timedelta(hours=2 + i % 4),
            )
        )
    db.session.flush()
