"""Enrolment rules, cohorts and progress."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.admin.services import add_course_item
from lms.audit.models import AuditEvent
from lms.catalog import services
from lms.catalog.models import EnrollmentStatus
from lms.db import db
from lms.errors import Conflict, Forbidden, NotFound, ValidationError


def test_learner_enrols_themself(make_user, make_course):
    learner, course = make_user(), make_course()
    enrollment = services.enroll(learner, learner, course)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    assert enrollment.enrolled_by == learner
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrollment.create"))
    assert event.actor_id == learner.id and event.object_id == str(enrollment.id)


def test_enrolling_twice_is_refused(make_user, make_course):
    learner, course = make_user(), make_course()
    services.enroll(learner, learner, course)
    with pytest.raises(Conflict) as err:
        services.enroll(learner, learner, course)
    assert err.value.code == "already_enrolled"


def test_dropped_enrolment_is_reactivated(make_user, make_course, make_enrollment):
    learner, course = make_user(), make_course()
    old = make_enrollment(learner, course, status="dropped")
    assert services.enroll(learner, learner, course) is old
    assert old.status == EnrollmentStatus.ACTIVE


def test_closed_course_refuses_self_enrolment(make_user, make_course):
    learner = make_user()
    with pytest.raises(Forbidden) as err:
        services.enroll(learner, learner, make_course(self_enroll=False))
    assert err.value.code == "self_enroll_closed"


def test_learner_cannot_enrol_another(make_user, make_course):
    with pytest.raises(Forbidden):
        services.enroll(make_user(), make_user(), make_course())


def test_instructor_enrols_in_own_course_only(make_user, make_course):
    teacher, learner = make_user(role="instructor"), make_user()
    own = make_course(instructors=[teacher], self_enroll=False)
    assert services.enroll(teacher, learner, own).user == learner
    with pytest.raises(Forbidden):
        services.enroll(teacher, learner, make_course())


def test_unpublished_course_is_not_found_for_learners(make_user, make_course):
    learner = make_user()
    draft = make_course(slug="draft", is_published=False)
    with pytest.raises(NotFound):
        services.enroll(learner, learner, draft)
    with pytest.raises(NotFound):
        services.get_course(learner, "draft")


def test_prerequisites_are_named_in_the_users_language(make_user, make_course, make_enrollment):
    learner = make_user()
    basics = make_course(title_ko="파이썬 기초", title_en="Python Basics")
    stats = make_course(title_ko="통계", title_en="Statistics")
    advanced = make_course(prerequisites=[basics, stats])
    make_enrollment(learner, stats, status="completed")
    with force_locale("en"), pytest.raises(Conflict) as err:
        services.enroll(learner, learner, advanced)
    assert err.value.code == "prerequisites_missing"
    with force_locale("en"):
        assert "Python Basics" in str(err.value.message)
        assert "Statistics" not in str(err.value.message)


def test_active_prerequisite_is_not_enough(make_user, make_course, make_enrollment):
    learner, basics = make_user(), make_course()
    make_enrollment(learner, basics, status="active")
    with pytest.raises(Conflict):
        services.enroll(learner, learner, make_course(prerequisites=[basics]))


def test_full_cohort_and_full_course(make_user, make_course, make_cohort, make_enrollment):
    course = make_course(capacity=2)
    cohort = make_cohort(course, capacity=1)
    make_enrollment(make_user(), course, cohort=cohort)
    learner = make_user()
    with pytest.raises(Conflict) as cohort_full:
        services.enroll(learner, learner, course, cohort)
    assert cohort_full.value.code == "cohort_full"
    make_enrollment(make_user(), course)
    with pytest.raises(Conflict) as course_full:
        services.enroll(learner, learner, course)
    assert course_full.value.code == "course_full"


def test_dropped_enrolments_free_their_seat(make_user, make_course, make_cohort, make_enrollment):
    course = make_course()
    cohort = make_cohort(course, capacity=1)
    make_enrollment(make_user(), course, cohort=cohort, status="dropped")
    learner = make_user()
    assert services.enroll(learner, learner, course, cohort).cohort == cohort


def test_cohort_of_another_course_is_refused(make_user, make_course, make_cohort):
    learner = make_user()
    with pytest.raises(ValidationError):
        services.enroll(learner, learner, make_course(), make_cohort(make_course()))


def test_manager_sponsors_current_members_only(make_user, make_org, make_course):
    org, other = make_org(), make_org()
    manager = make_user(role="org-manager", org=org, org_role="manager")
    member, stranger = make_user(org=org), make_user(org=other)
    course = make_course(self_enroll=False)
    enrollment = services.sponsor_enrollment(manager, member, course, org)
    assert enrollment.sponsor_org == org
    with pytest.raises(Forbidden) as err:
        services.sponsor_enrollment(manager, stranger, course, org)
    assert err.value.code == "not_org_member"
    with pytest.raises(Forbidden) as err:
        services.sponsor_enrollment(manager, stranger, course, other)
    assert err.value.code == "not_org_manager"


def test_create_cohort_validates(make_user, make_course):
    teacher = make_user(role="instructor")
    course = make_course(instructors=[teacher])
    start = date.today()
    cohort = services.create_cohort(teacher, course, "Spring", start, start + timedelta(days=30))
    assert cohort.course == course
    with pytest.raises(Conflict):
        services.create_cohort(teacher, course, "Spring", start, start)
    with pytest.raises(ValidationError):
        services.create_cohort(teacher, course, "Late", start, start - timedelta(days=1))
    with pytest.raises(ValidationError):
        services.create_cohort(teacher, course, "Zero", start, start, capacity=0)
    with pytest.raises(Forbidden):
        services.create_cohort(make_user(role="instructor"), course, "X", start, start)


def test_complete_item_and_scores(make_user, make_course, make_enrollment):
    teacher, learner = make_user(role="instructor"), make_user()
    course = make_course(instructors=[teacher])
    item = add_course_item(None, course, "assignment", "과제", "Assignment")
    enrollment = make_enrollment(learner, course)
    services.complete_item(learner, enrollment, item)
    with pytest.raises(Forbidden):
        services.complete_item(learner, enrollment, item, score=100)
    progress = services.complete_item(teacher, enrollment, item, score=85)
    assert progress.score == 85
    with pytest.raises(ValidationError):
        services.complete_item(teacher, enrollment, item, score=101)


def test_completion_is_never_set_by_a_status_change(make_user, make_course, make_enrollment):
    teacher, learner = make_user(role="instructor"), make_user()
    course = make_course(instructors=[teacher])
    enrollment = make_enrollment(learner, course)
    with pytest.raises(ValidationError) as refused:
        services.set_enrollment_status(teacher, enrollment, EnrollmentStatus.COMPLETED)
    assert refused.value.code == "use_completion" and enrollment.completed_at is None
    with pytest.raises(Forbidden):
        services.set_enrollment_status(learner, enrollment, EnrollmentStatus.ACTIVE)
    services.set_enrollment_status(learner, enrollment, EnrollmentStatus.DROPPED)
    assert enrollment.status == EnrollmentStatus.DROPPED
    services.set_enrollment_status(teacher, enrollment, EnrollmentStatus.ACTIVE)
    completed = make_enrollment(make_user(), course, status="completed")
    with pytest.raises(ValidationError):  # revoked on the completion page, not here
        services.set_enrollment_status(teacher, completed, EnrollmentStatus.DROPPED)


def test_two_enrolments_cannot_both_take_the_last_seat(app, make_user, make_course, make_cohort):
    """Two requests at once (two sessions): the cohort row lock makes the second wait and
    then see the cohort full."""
    import threading

    from lms.accounts.models import User
    from lms.catalog.models import Cohort, Enrollment

    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL row locks (set LMS_TEST_DATABASE_URL); SQLite has one writer")
    course = make_course()
    cohort_id = make_cohort(course, capacity=1).id
    first_id, second_id = make_user().id, make_user().id
    locked, outcome = threading.Event(), {}

    def attempt(user_id, hold_lock):
        with app.app_context():
            user, cohort = db.session.get(User, user_id), db.session.get(Cohort, cohort_id)
            try:
                services.enroll(user, user, cohort.course, cohort)
                if hold_lock:
                    locked.set()
                    threading.Event().wait(0.5)  # keep the lock while the other one tries
                db.session.commit()
                outcome[user_id] = "enrolled"
            except Conflict as error:
                db.session.rollback()
                outcome[user_id] = error.code
            finally:
                locked.set()
                db.session.remove()

    first = threading.Thread(target=attempt, args=(first_id, True))
    first.start()
    locked.wait(10)
    attempt(second_id, False)
    first.join(10)
    assert outcome == {first_id: "enrolled", second_id: "cohort_full"}
    assert db.session.query(Enrollment).filter_by(cohort_id=cohort_id).count() == 1
