"""Shared data builders of the reporting tests: an organisation with members who share
different kinds of data, courses with items, progress rows and GPU sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from lms.accounts.models import User
from lms.catalog.models import Course, CourseItem, Enrollment, ItemKind, Progress
from lms.consent.models import DataKind
from lms.consent.services import set_consent
from lms.db import db, utcnow
from lms.hub.models import LabSession
from lms.orgs.models import Department, Organisation


def share(user: User, org: Organisation, *kinds: DataKind, granted: bool = True) -> None:
    """``user`` shares (or withdraws) ``kinds`` with ``org``, committed."""
    set_consent(user, org, {k: granted for k in kinds}, via="page")
    db.session.commit()


def add_items(course: Course, n: int, overdue: int = 0) -> list[CourseItem]:
    """``n`` lab items; the first ``overdue`` were due yesterday."""
    items = []
    for i in range(n):
        due = utcnow() - timedelta(days=1) if i < overdue else None
        items.append(
            CourseItem(
                course=course,
                position=i + 1,
                kind=ItemKind.LAB,
                title_ko=f"실습 {i + 1}",
                title_en=f"Lab {i + 1}",
                due_at=due,
            )
        )
    db.session.add_all(items)
    db.session.commit()
    return items


def complete(enrollment: Enrollment, items: list[CourseItem], days_ago: int = 1) -> None:
    when = utcnow() - timedelta(days=days_ago)
    for item in items:
        db.session.add(Progress(enrollment_id=enrollment.id, item_id=item.id, completed_at=when))
    db.session.commit()


def gpu_session(user: User, org: Organisation, hours: float, share_: float = 1.0) -> None:
    start = utcnow() - timedelta(hours=hours + 1)
    db.session.add(
        LabSession(
            user=user,
            org=org,
            server="",
            profile="gpu-small",
            gpu_share=share_,
            started_at=start,
            stopped_at=start + timedelta(hours=hours),
        )
    )
    db.session.commit()


@dataclass
class OrgWorld:
    """An org with a manager and four members: ``open_`` shares everything, ``progress``
    shares progress only, ``private`` shares nothing, ``skills`` shares skills only; plus
    ``outsider``, a member of another organisation who shares everything with it."""

    org: Organisation
    other: Organisation
    manager: User
    other_manager: User
    open_: User
    progress: User
    private: User
    outsider: User
    course: Course
    items: list[CourseItem] = field(default_factory=list)
    department: Department | None = None


def build_world(make_org, make_user, make_course, make_enrollment) -> OrgWorld:
    org, other = make_org(name_ko="한빛조선"), make_org(name_ko="다른회사")
    department = Department(org=org, name="생산기술팀")
    db.session.add(department)
    db.session.commit()
    manager = make_user("org_manager", org=org, org_role="manager", name="관리자")
    other_manager = make_user("org_manager", org=other, org_role="manager", name="타사관리자")
    open_ = make_user(org=org, name="김공개")
    progress = make_user(org=org, name="이진도")
    private = make_user(org=org, name="박비공개")
    outsider = make_user(org=other, name="최외부")
    from lms.orgs.models import Membership

    db.session.query(Membership).filter(Membership.user_id == open_.id).update(
        {"department_id": department.id}
    )
    db.session.commit()
    course = make_course(title_ko="스마트팩토리 기초", title_en="Smart factory basics")
    items = add_items(course, 4, overdue=2)
    for user in (open_, progress, private, outsider):
        enrollment = make_enrollment(user, course)
        complete(enrollment, items[:1])
    share(open_, org, DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS)
    share(progress, org, DataKind.PROGRESS)
    share(outsider, other, DataKind.PROGRESS, DataKind.SCORES, DataKind.SKILLS)
    gpu_session(open_, org, 2.0)
    gpu_session(private, org, 5.0)
    return OrgWorld(
        org,
        other,
        manager,
        other_manager,
        open_,
        progress,
        private,
        outsider,
        course,
        items,
        department,
    )
