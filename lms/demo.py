"""``flask --app lms demo load``: idempotent demo data (organisations of every kind,
programmes for every track, courses with prerequisites, cohorts, deadlines and accounts).

Running it again adds only what is missing. The demo accounts' passwords are printed; they
are for a local demo only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.accounts.services import get_user_by_email, register
from lms.admin.services import add_course_item, create_course, create_programme
from lms.catalog.models import Course, Enrollment, Programme
from lms.catalog.services import complete_item, create_cohort, enroll
from lms.cli import domain_errors_exit, make_group
from lms.db import db
from lms.orgs.models import MemberRole, Organisation
from lms.orgs.services import add_member, create_org, is_current_member

demo_cli = make_group("demo", "Demo data.")
DEMO_PASSWORD = "Demo-pass-2026"

ORGS = [
    ("hd-shipyard", "HD 조선해양", "HD Shipbuilding", "company"),
    ("ulsan-motors", "울산모터스", "Ulsan Motors", "company"),
    ("taehwa-high", "태화고등학교", "Taehwa High School", "school"),
    ("ulsan-tech", "울산과학기술대학교", "Ulsan Tech University", "university"),
    ("ulsan-ai-agency", "울산AI진흥원", "Ulsan AI Promotion Agency", "agency"),
]

# slug, title ko, title en, track, level, gpu, self-enrol, prerequisites
COURSES = [
    (
        "python-basics",
        "파이썬 기초",
        "Python Basics",
        "ai_foundations",
        "beginner",
        False,
        True,
        [],
    ),
    (
        "data-analysis",
        "데이터 분석",
        "Data Analysis with pandas",
        "ai_foundations",
        "beginner",
        False,
        True,
        ["python-basics"],
    ),
    (
        "ml-intro",
        "머신러닝 입문",
        "Introduction to Machine Learning",
        "ai_foundations",
        "intermediate",
        False,
        True,
        ["data-analysis"],
    ),
    (
        "deep-learning",
        "딥러닝",
        "Deep Learning",
        "ai_foundations",
        "advanced",
        True,
        True,
        ["ml-intro"],
    ),
    (
        "factory-vision",
        "스마트팩토리 비전 검사",
        "Vision Inspection for Smart Factories",
        "smart_factory",
        "intermediate",
        True,
        True,
        ["ml-intro"],
    ),
    (
        "predictive-maintenance",
        "예지 보전",
        "Predictive Maintenance",
        "smart_factory",
        "advanced",
        False,
        False,
        ["ml-intro"],
    ),
    (
        "vehicle-sensors",
        "차량 센서 데이터",
        "Vehicle Sensor Data",
        "smart_mobility",
        "beginner",
        False,
        True,
        ["python-basics"],
    ),
    (
        "autonomous-driving",
        "자율주행 인지",
        "Perception for Autonomous Driving",
        "smart_mobility",
        "advanced",
        True,
        True,
        ["deep-learning"],
    ),
    (
        "chip-basics",
        "반도체 공정 기초",
        "Semiconductor Process Basics",
        "semiconductors",
        "beginner",
        False,
        True,
        [],
    ),
    (
        "wafer-defects",
        "웨이퍼 결함 분류",
        "Wafer Defect Classification",
        "semiconductors",
        "intermediate",
        True,
        True,
        ["chip-basics", "ml-intro"],
    ),
    (
        "medical-data",
        "의료 데이터 기초",
        "Medical Data Basics",
        "smart_healthcare",
        "beginner",
        False,
        True,
        ["python-basics"],
    ),
    (
        "medical-imaging",
        "의료 영상 AI",
        "AI for Medical Imaging",
        "smart_healthcare",
        "advanced",
        True,
        True,
        ["medical-data", "deep-learning"],
    ),
]

PROGRAMMES = [
    (
        "ai-foundations-path",
        "AI 기초 과정",
        "AI Foundations Path",
        "ai_foundations",
        ["python-basics", "data-analysis", "ml-intro", "deep-learning"],
        ["school", "university", "graduate", "worker"],
    ),
    (
        "smart-factory-path",
        "스마트팩토리 인재 과정",
        "Smart Factory Path",
        "smart_factory",
        ["python-basics", "data-analysis", "ml-intro", "factory-vision", "predictive-maintenance"],
        ["worker", "graduate"],
    ),
    (
        "smart-mobility-path",
        "스마트 모빌리티 과정",
        "Smart Mobility Path",
        "smart_mobility",
        ["python-basics", "vehicle-sensors", "autonomous-driving"],
        ["university", "graduate", "worker"],
    ),
    (
        "semiconductor-path",
        "차세대 반도체 과정",
        "Next-generation Semiconductors Path",
        "semiconductors",
        ["chip-basics", "wafer-defects"],
        ["university", "graduate", "worker"],
    ),
    (
        "healthcare-path",
        "스마트 헬스케어 과정",
        "Smart Healthcare Path",
        "smart_healthcare",
        ["python-basics", "medical-data", "medical-imaging"],
        ["school", "university", "graduate"],
    ),
]

# e-mail, name, role, segment, (org slug, membership role)
ACCOUNTS = [
    ("admin@demo.local", "관리자", Role.ADMIN, None, None),
    ("instructor@demo.local", "이강사", Role.INSTRUCTOR, None, None),
    ("manager@demo.local", "박매니저", Role.ORG_MANAGER, None, ("hd-shipyard", MemberRole.MANAGER)),
    ("learner@demo.local", "김학습", Role.LEARNER, "worker", ("hd-shipyard", MemberRole.MEMBER)),
    ("student@demo.local", "최학생", Role.LEARNER, "school", ("taehwa-high", MemberRole.MEMBER)),
    (
        "undergrad@demo.local",
        "정대학",
        Role.LEARNER,
        "university",
        ("ulsan-tech", MemberRole.MEMBER),
    ),
]


@demo_cli.command("load")
@click.option(
    "--courses",
    "courses_dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Also publish every course package in this folder (e.g. courses/) as the demo "
    "instructor, with an open cohort, and enrol the demo learner in the first one.",
)
@domain_errors_exit
def load_command(courses_dir: str | None) -> None:
    """Load the demo data (idempotent) and print the demo accounts."""
    created = load_demo()
    if courses_dir:
        created += load_starter_courses(Path(courses_dir), echo=click.echo)
    db.session.commit()
    click.echo(f"Demo data ready ({created} new objects).")
    click.echo(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
    for email, name, role, _segment, _org in ACCOUNTS:
        click.echo(f"  {email:<24} {role.value:<12} {name}")


def load_demo() -> int:
    """Create whatever demo object is missing; returns how many were created. Flushes."""
    counter = [0]
    orgs = {slug: _org(counter, slug, ko, en, kind) for slug, ko, en, kind in ORGS}
    users = {a[0]: _account(counter, orgs, *a) for a in ACCOUNTS}
    instructor = users["instructor@demo.local"]
    courses: dict[str, Course] = {}
    for row in COURSES:
        courses[row[0]] = _course(counter, courses, instructor, *row)
    for slug, ko, en, track, slugs, audience in PROGRAMMES:
        if db.session.scalar(select(Programme.id).where(Programme.slug == slug)) is None:
            create_programme(
                None,
                slug,
                ko,
                en,
                track,
                [courses[s] for s in slugs],
                audience=audience,
                is_published=True,
            )
            counter[0] += 1
    _learning_history(counter, users, courses, orgs)
    from lms.consent.demo import load_consent_demo  # issue 6

    load_consent_demo(counter, users["learner@demo.local"], orgs["hd-shipyard"])
    from lms.orgs.demo import load_members_demo  # issue 6: invitations, a request to join

    load_members_demo(counter, orgs["hd-shipyard"], users["undergrad@demo.local"])
    from lms.reporting.demo import load_reporting_demo  # issue 6: dashboard figures

    load_reporting_demo(
        counter, orgs["hd-shipyard"], [courses["data-analysis"], courses["python-basics"]]
    )
    from lms.skills.demo import load_skills_demo  # issue 6: framework and mappings

    load_skills_demo(counter, courses)
    from lms.credentials.demo import load_credentials_demo  # issue 6: a shareable credential

    load_credentials_demo(counter, users["learner@demo.local"], courses["python-basics"])
    from lms.completion.demo import load_completion_demo  # issue 6: policy, live sessions

    load_completion_demo(counter, courses["data-analysis"], users["learner@demo.local"])
    return counter[0]


def _org(counter: list[int], slug: str, ko: str, en: str, kind: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = create_org(None, slug, ko, kind, en)
        counter[0] += 1
    return org


def _account(counter, orgs, email, name, role, segment, membership) -> User:
    user = get_user_by_email(email)
    if user is None:
        user = register(email, name, DEMO_PASSWORD, role, segment, locale=None)
        counter[0] += 1
    if membership and not is_current_member(user, orgs[membership[0]]):
        add_member(
            None,
            orgs[membership[0]],
            user,
            membership[1],
            started_on=date.today() - timedelta(days=400),
        )
    return user


def _course(counter, courses, instructor, slug, ko, en, track, level, gpu, self_enroll, prereqs):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is not None:
        return course
    course = create_course(
        None,
        slug,
        ko,
        en,
        track,
        level,
        description_ko=f"{ko}: 실습 노트북으로 배우는 과정입니다.",
        description_en=f"{en}: a hands-on course with notebook labs.",
        skills=[track.replace("_", "-"), level],
        needs_gpu=gpu,
        self_enroll=self_enroll,
        is_published=True,
        instructors=[instructor],
        prerequisites=[courses[p] for p in prereqs],
    )
    start = date.today() - timedelta(days=14)
    create_cohort(None, course, "2026-가을", start, start + timedelta(weeks=10), capacity=40)
    for week, kind in enumerate(["lesson", "lab", "assignment", "lab", "assignment"], 1):
        due = datetime.combine(start + timedelta(weeks=week), time(14, 59), UTC)
        add_course_item(
            None,
            course,
            kind,
            f"{week}주차 {ko}",
            f"Week {week}: {en}",
            due_at=due if kind == "assignment" else None,
        )
    counter[0] += 1
    return course


def _learning_history(counter, users, courses, orgs) -> None:
    """The demo learner finished the basics and is midway through two courses."""
    learner, admin = users["learner@demo.local"], users["admin@demo.local"]
    plan: list[tuple[str, str, Any]] = [
        ("python-basics", "completed", None),
        ("data-analysis", "active", orgs["hd-shipyard"]),
        ("vehicle-sensors", "active", None),
    ]
    for slug, status, sponsor in plan:
        course = courses[slug]
        exists = db.session.scalar(
            select(Enrollment).where(
                Enrollment.user_id == learner.id, Enrollment.course_id == course.id
            )
        )
        if exists is not None:
            continue
        actor = users["manager@demo.local"] if sponsor else learner
        enrollment = enroll(actor, learner, course, course.cohorts[0], sponsor_org=sponsor)
        items = _items(course)
        done = items if status == "completed" else items[:2]
        for item in done:
            complete_item(admin, enrollment, item, 90.0 if item.kind == "assignment" else None)
        if status == "completed":
            _confirm_completion(enrollment)
        counter[0] += 1


def _confirm_completion(enrollment) -> None:
    """An instructor's confirmation, as on the completion page (never automatic)."""
    from lms.completion.qualification import evaluate
    from lms.completion.services import confirm_course

    reason = (
        None if evaluate(enrollment).qualified else "데모 데이터: 수업에서 이수 확인 (demo data)"
    )
    confirm_course(None, enrollment, override_reason=reason)


def _items(course: Course) -> list:
    from lms.catalog.models import CourseItem

    stmt = select(CourseItem).where(CourseItem.course_id == course.id).order_by(CourseItem.position)
    return list(db.session.scalars(stmt))


def load_starter_courses(folder: Path, echo: Callable[[str], Any] = print) -> int:
    """Publish each course package under ``folder`` as the demo instructor (unchanged
    packages are no-ops), give each an open cohort, and enrol the demo learner in the entry
    course (the one without prerequisites) so a lab can be submitted at once. Flushes."""
    from lms.publishing.services import publish

    instructor = get_user_by_email("instructor@demo.local")
    learner = get_user_by_email("learner@demo.local")
    created = 0
    for path in sorted(p.parent for p in folder.glob("*/course.toml")):
        version, is_new = publish(instructor, path)
        course = version.course
        echo(f"  course {course.slug}: version {version.number}{' (new)' if is_new else ''}")
        created += int(is_new)
        if not course.cohorts:
            # Started 3 days ago: the first lab is open and not yet due (due on day 7, 23:59).
            start = date.today() - timedelta(days=3)
            create_cohort(None, course, "2026-가을", start, start + timedelta(weeks=12), 60)
            created += 1
        entry = not course.prerequisites
        enrolled = db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == learner.id, Enrollment.course_id == course.id
            )
        )
        if entry and enrolled is None:
            enroll(learner, learner, course, course.cohorts[0])
            created += 1
    from lms.skills.demo import sync_published  # issue 6: map the packages' [[skills]]

    sync_published()
    return created
