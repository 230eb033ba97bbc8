"""Policies, qualification, confirmation, override reasons, revocation, programmes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.audit.models import AuditEvent
from lms.catalog.models import EnrollmentStatus
from lms.completion import services
from lms.completion.attendance import create_session, record_attendance
from lms.completion.models import AttendanceStatus, Completion
from lms.completion.policies import PolicyTerms, set_course_policy, set_programme_policy
from lms.completion.qualification import (
    course_qualifications,
    evaluate,
    evaluate_many,
    evaluate_programme,
)
from lms.completion.signals import completion_confirmed, completion_revoked
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, ValidationError
from tests.lms.completion_support import (
    add_attempt,
    add_items,
    add_version,
    count_queries,
    mark_done,
)


@pytest.fixture
def setup(make_user, make_course, make_enrollment):
    """A course with 2 lessons and two labs (10 + 10 points), its instructor, and a
    learner who finished one lesson and scored 9 on lab1."""
    teacher = make_user(role="instructor")
    course = make_course(instructors=[teacher])
    items = add_items(course, 2)
    add_version(course, [("lab1", 10.0, "best"), ("lab2", 10.0, "best")])
    learner = make_user(name="Kim")
    enrollment = make_enrollment(learner, course)
    mark_done(enrollment, items[:1])
    add_attempt(learner, course, "lab1", 9.0)
    return teacher, course, learner, enrollment, items


def terms(**kw):
    base = {"min_progress_percent": None, "min_score_percent": None}
    return PolicyTerms(**{**base, **kw})


def test_the_default_policy_asks_80_percent_progress_and_60_percent_of_points(setup):
    _teacher, _course, _learner, enrollment, _items = setup
    q = evaluate(enrollment)
    assert q.terms.is_default
    assert {c.code: c.met for c in q.criteria} == {"progress": False, "score": False}
    assert [c.actual for c in q.criteria] == [50.0, 45.0]


def test_each_criterion_reports_its_figures_and_all_met_qualifies(setup):
    teacher, course, learner, enrollment, items = setup
    set_course_policy(
        teacher,
        course,
        terms(min_progress_percent=100, min_score_percent=90, required_labs=("lab1", "lab2")),
    )
    db.session.commit()
    q = evaluate(enrollment)
    assert not q.qualified and set(q.unmet) == {"progress", "score", "labs"}

    mark_done(enrollment, items[1:])
    add_attempt(learner, course, "lab2", 10.0)
    q = evaluate(enrollment)
    assert q.qualified
    assert q.snapshot()["labs"]["actual"] == ["lab1", "lab2"]


def test_a_policy_refuses_unknown_labs_and_bad_percentages(setup, make_user):
    teacher, course, *_ = setup
    with pytest.raises(ValidationError) as error:
        set_course_policy(teacher, course, terms(required_labs=("lab9",)))
    assert error.value.code == "unknown_labs"
    with pytest.raises(ValidationError):
        set_course_policy(teacher, course, terms(min_score_percent=120))
    with pytest.raises(Forbidden):
        set_course_policy(make_user(role="instructor"), course, terms())


def test_confirming_a_qualified_learner_completes_the_enrolment_and_is_announced(setup):
    teacher, course, learner, enrollment, _ = setup
    set_course_policy(teacher, course, terms(min_score_percent=40))
    received = []

    def receiver(completion, **extra):
        received.append((completion.id, completion.qualified))

    completion_confirmed.connect(receiver)
    try:
        completion = services.confirm_course(teacher, enrollment)
        db.session.commit()
    finally:
        completion_confirmed.disconnect(receiver)

    assert received == [(completion.id, True)]
    assert completion.qualified and completion.override_reason is None
    assert completion.confirmed_by_id == teacher.id
    assert enrollment.status == EnrollmentStatus.COMPLETED and enrollment.completed_at
    assert services.completions_for(learner) == [completion]
    assert db.session.query(AuditEvent).filter_by(action="completion.confirm").count() == 1


def test_confirming_someone_who_does_not_qualify_needs_a_reason(setup):
    teacher, _course, _learner, enrollment, _ = setup
    with pytest.raises(ValidationError) as error:
        services.confirm_course(teacher, enrollment, override_reason="   ")
    assert error.value.code == "override_reason_required"
    assert "Kim" in str(error.value.message)
    assert db.session.query(Completion).count() == 0

    completion = services.confirm_course(teacher, enrollment, "Finished the work offline")
    assert not completion.qualified
    assert completion.override_reason == "Finished the work offline"
    assert completion.criteria["progress"]["met"] is False


def test_bulk_confirmation_is_all_or_nothing(setup, make_user, make_enrollment):
    teacher, course, _learner, enrollment, items = setup
    set_course_policy(teacher, course, terms(min_progress_percent=50))
    lagging = make_enrollment(make_user(name="Lee"), course)
    with pytest.raises(ValidationError) as error:
        services.confirm_many(teacher, course, [enrollment, lagging])
    assert "Lee" in str(error.value.message) and "Kim" not in str(error.value.message)
    assert db.session.query(Completion).count() == 0

    mark_done(lagging, items)
    done = services.confirm_many(teacher, course, [enrollment, lagging])
    assert [c.qualified for c in done] == [True, True]
    with pytest.raises(Conflict):
        services.confirm_course(teacher, enrollment)


def test_only_the_course_staff_confirm(setup, make_user):
    _teacher, _course, learner, enrollment, _ = setup
    with pytest.raises(Forbidden):
        services.confirm_course(learner, enrollment, "I say so")
    with pytest.raises(Forbidden):
        services.confirm_course(make_user(role="instructor"), enrollment, "reason")


def test_revoking_keeps_history_reopens_the_enrolment_and_allows_a_new_confirmation(setup):
    teacher, _course, learner, enrollment, _ = setup
    completion = services.confirm_course(teacher, enrollment, "offline work")
    got = []
    completion_revoked.connect(lambda c, **kw: got.append(kw["reason"]), weak=False)
    with pytest.raises(ValidationError):
        services.revoke(teacher, completion, "")
    services.revoke(teacher, completion, "confirmed by mistake")
    db.session.commit()
    assert got == ["confirmed by mistake"]
    assert completion.revoked_at and completion.revoked_by_id == teacher.id
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.completed_at is None
    with pytest.raises(Conflict):
        services.revoke(teacher, completion, "again")
    again = services.confirm_course(teacher, enrollment, "now really done")
    db.session.commit()
    assert len(services.completions_for(learner)) == 2 and again.revoked_at is None
    completion_revoked.receivers.clear()


def test_attendance_counts_for_cohorts_that_record_sessions(
    setup, make_cohort, make_user, make_enrollment
):
    teacher, course, *_ = setup
    cohort = make_cohort(course)
    learner = make_user(name="Park")
    enrollment = make_enrollment(learner, course, cohort=cohort)
    set_course_policy(teacher, course, terms(min_attendance_percent=75))
    q = evaluate(enrollment)
    assert q.qualified and not q.criteria[0].applies  # no session held yet

    sessions = [
        create_session(teacher, cohort, f"Live {i}", utcnow() - timedelta(days=i + 1), 90)
        for i in range(4)
    ]
    create_session(teacher, cohort, "Next week", utcnow() + timedelta(days=7), 90)
    marks = [AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.EXCUSED]
    for session, mark in zip(sessions, marks, strict=False):
        record_attendance(teacher, session, {learner.id: mark})
    db.session.commit()

    q = evaluate(enrollment)
    assert q.attendance.percent == pytest.approx(66.67, abs=0.01)  # 2 of 3 (1 excused)
    assert q.unmet == ("attendance",)
    record_attendance(teacher, sessions[3], {learner.id: AttendanceStatus.PRESENT})
    assert evaluate(enrollment).qualified


def test_attendance_is_taken_only_for_the_cohort_s_learners(setup, make_cohort, make_user):
    teacher, course, *_ = setup
    cohort = make_cohort(course)
    session = create_session(teacher, cohort, "Live", utcnow(), 60)
    with pytest.raises(ValidationError):
        record_attendance(teacher, session, {make_user().id: AttendanceStatus.PRESENT})
    with pytest.raises(Forbidden):
        create_session(make_user(role="instructor"), cohort, "x", utcnow(), 60)


def test_course_qualifications_list_every_learner_with_their_completion(setup):
    teacher, course, _learner, enrollment, _ = setup
    services.confirm_course(teacher, enrollment, "ok")
    rows = course_qualifications(course)
    assert [r.enrollment_id for r in rows] == [enrollment.id]
    assert rows[0].completion is not None


def test_a_programme_completes_only_after_all_its_courses(
    setup, make_course, make_programme, make_enrollment, make_user
):
    teacher, course, learner, enrollment, _ = setup
    other = make_course(instructors=[teacher])
    programme = make_programme([course, other])
    second = make_enrollment(learner, other)
    set_programme_policy(teacher, programme, terms(min_score_percent=40))
    services.confirm_course(teacher, enrollment, "ok")
    with pytest.raises(Conflict) as error:
        services.confirm_programme(teacher, programme, learner)
    assert error.value.code == "courses_not_complete"

    services.confirm_course(teacher, second, "ok")
    [q] = evaluate_programme(programme)
    assert q.qualified  # 9 of 20 points = 45 % >= 40 %
    done = services.confirm_programme(teacher, programme, learner)
    assert done.programme_id == programme.id and done.qualified
    with pytest.raises(Forbidden):
        services.confirm_programme(make_user(role="instructor"), programme, learner)

    services.revoke(teacher, services.completions_for(learner)[-1], "wrong learner")
    db.session.refresh(done)
    assert done.revoked_at is not None  # the programme's completion goes with its course


def test_the_demo_gives_a_course_a_policy_and_recorded_attendance(app):
    from sqlalchemy import select

    from lms.accounts.services import get_user_by_email
    from lms.catalog.models import Course, Enrollment
    from lms.demo import load_demo

    load_demo()
    load_demo()  # idempotent
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == "data-analysis"))
    learner = get_user_by_email("learner@demo.local")
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.user_id == learner.id
        )
    )
    q = evaluate(enrollment)
    assert not q.terms.is_default
    assert q.attendance.held == 2 and q.attendance.percent == 50.0
    assert "attendance" in q.unmet


def test_bulk_evaluation_takes_a_fixed_number_of_queries(
    setup, make_user, make_enrollment, make_cohort
):
    teacher, course, learner, enrollment, _ = setup
    cohort = make_cohort(course)
    create_session(teacher, cohort, "Live", utcnow() - timedelta(days=1), 60)
    db.session.commit()

    def measure(extra: int) -> int:
        for _ in range(extra):
            make_enrollment(make_user(), course, cohort=cohort)
        db.session.expire_all()
        enrollments = list(db.session.query(type(enrollment)))
        with count_queries() as statements:
            found = evaluate_many(enrollments)
        assert len(found) == len(enrollments)
        return len(statements)

    assert measure(1) == measure(6)


def test_policy_changes_and_attendance_are_audited(setup, make_cohort):
    teacher, course, learner, *_ = setup
    set_course_policy(teacher, course, terms(min_progress_percent=70))
    set_course_policy(teacher, course, terms(min_progress_percent=90))
    cohort = make_cohort(course)
    from lms.catalog.models import Enrollment

    db.session.query(Enrollment).filter_by(user_id=learner.id).one().cohort_id = cohort.id
    session = create_session(teacher, cohort, "Live", utcnow(), 60)
    record_attendance(teacher, session, {learner.id: AttendanceStatus.LATE})
    db.session.commit()
    events = {e.action: e for e in db.session.query(AuditEvent)}
    assert events["completion.policy"].details["old"]["min_progress_percent"] == 70
    assert events["completion.policy"].details["new"]["min_progress_percent"] == 90
    assert events["attendance.record"].details["marks"] == {str(learner.id): "late"}
    assert events["cohort_session.create"].actor_id == teacher.id
