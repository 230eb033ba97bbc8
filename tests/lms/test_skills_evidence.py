"""A learner's skill profile is built from graded evidence: the counted attempt's cells and
scores, manual points, completed courses; ``skills_gained`` answers for many learners with
a fixed number of queries."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from lms.catalog.models import EnrollmentStatus
from lms.db import db
from lms.grading.models import ResultPart
from lms.grading.results import collect_once, dispatch_job
from lms.grading.review import set_manual_score
from lms.grading.submission import submit
from lms.publishing import services as publishing
from lms.publishing.services import current_assignment
from lms.skills.evidence import ACHIEVED, IN_PROGRESS, NOT_STARTED, skill_profile, skills_gained
from lms.skills.mapping import add_mapping, sync_course
from lms.skills.services import load_starter
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    release_bytes,
    solution_bytes,
)


@pytest.fixture
def mapped(published):
    """ai-foundations published, the starter framework loaded and the package synced."""
    load_starter()
    sync_course(None, published.course)
    db.session.commit()
    return published


def _graded(course, learner, data: bytes):
    submission = submit(learner, current_assignment(course, LAB1), data)
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


def _by_code(statuses):
    return {s.code: s for s in statuses}


def test_passed_test_cells_achieve_their_units_and_link_to_the_submission(mapped, enrolled):
    learner = enrolled()
    submission = _graded(mapped.course, learner, solution_bytes())
    profile = _by_code(skill_profile(learner))
    python = profile["AIF-PY-01"]
    assert python.state == ACHIEVED and python.percent == 100 and python.level == 1
    assert {e.submission_id for e in python.evidence} == {submission.id}
    assert {e.cell_id for e in python.evidence} == {"test_to_kelvin", "test_moving_average"}
    assert python.achieved_at == submission.job.result.recorded_at
    # the spikes unit also needs the manually graded reflection: half the evidence so far
    assert profile["AIF-NP-02"].state == IN_PROGRESS and profile["AIF-NP-02"].percent == 50
    # lab02 is not submitted yet: its units are listed, not started
    assert profile["AIF-PD-01"].state == NOT_STARTED and profile["AIF-PD-01"].evidence[0].at is None


def test_failed_tests_are_no_evidence(mapped, enrolled):
    learner = enrolled()
    _graded(mapped.course, learner, release_bytes(current_assignment(mapped.course, LAB1)))
    profile = _by_code(skill_profile(learner))
    assert profile["AIF-PY-01"].state == NOT_STARTED
    assert skills_gained([learner.id]) == {learner.id: []}


def test_manual_points_complete_the_evidence_at_once(mapped, enrolled):
    learner = enrolled()
    submission = _graded(mapped.course, learner, solution_bytes())
    part = db.session.scalar(
        select(ResultPart).where(
            ResultPart.result_id == submission.job.result.id, ResultPart.cell_id == "reflection"
        )
    )
    set_manual_score(None, part, 2.0)
    db.session.commit()
    assert _by_code(skill_profile(learner))["AIF-NP-02"].state == ACHIEVED


def test_the_best_attempt_counts_when_the_course_says_best(mapped, enrolled):
    learner = enrolled()
    good = _graded(mapped.course, learner, solution_bytes())
    _graded(mapped.course, learner, release_bytes(current_assignment(mapped.course, LAB1)))
    python = _by_code(skill_profile(learner))["AIF-PY-01"]
    assert python.state == ACHIEVED and python.evidence[0].submission_id == good.id


def test_the_last_attempt_counts_when_the_course_says_last(mapped, enrolled, package_copy):
    version, created = publishing.publish(
        None, package_copy(lambda t: t.replace('counts = "best"', 'counts = "last"'))
    )
    db.session.commit()
    assert created and current_assignment(version.course, LAB1).counts == "last"
    learner = enrolled()
    _graded(version.course, learner, solution_bytes())
    blank = _graded(
        version.course, learner, release_bytes(current_assignment(version.course, LAB1))
    )
    python = _by_code(skill_profile(learner))["AIF-PY-01"]
    assert python.state == NOT_STARTED and python.evidence[0].submission_id == blank.id


def test_an_assignment_mapping_uses_the_share_of_points(mapped, enrolled):
    add_mapping(None, mapped.course, "AIF-ML-01", LAB1)
    db.session.commit()
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    ml = _by_code(skill_profile(learner))["AIF-ML-01"]
    # every test passed (10 of 12 points), the 2-point reflection awaits a grader
    assert ml.state == ACHIEVED and ml.percent == 83
    assert ml.evidence[0].target == "assignment" and ml.evidence[0].possible == 12


def test_weights_tilt_the_score(mapped, enrolled):
    add_mapping(None, mapped.course, "AIF-ETH-01", LAB1, "test_to_kelvin", weight=1)
    add_mapping(None, mapped.course, "AIF-ETH-01", LAB1, "reflection", weight=3)
    db.session.commit()
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    assert _by_code(skill_profile(learner))["AIF-ETH-01"].percent == 25


def test_a_course_mapping_is_met_by_a_completed_enrolment(
    app, make_course, make_user, make_enrollment
):
    load_starter()
    course = make_course(skills=["AIF-ETH-01", "not-a-code"])
    sync_course(None, course)
    db.session.commit()
    done, busy = make_user(), make_user()
    enrollment = make_enrollment(done, course)
    make_enrollment(busy, course)
    assert _by_code(skill_profile(done))["AIF-ETH-01"].state == NOT_STARTED
    enrollment.status = EnrollmentStatus.COMPLETED
    db.session.commit()
    gained = skills_gained([done.id, busy.id])
    assert [s.code for s in gained[done.id]] == ["AIF-ETH-01"] and gained[busy.id] == []
    assert gained[done.id][0].evidence[0].target == "course"


def test_a_unit_evidenced_in_two_courses_takes_the_best(mapped, enrolled, make_course):
    other = make_course()
    add_mapping(None, other, "AIF-PY-01")  # a whole-course mapping, never completed here
    db.session.commit()
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    python = _by_code(skill_profile(learner))["AIF-PY-01"]
    assert python.state == ACHIEVED and python.best_course_id == mapped.course.id
    assert {e.course_slug for e in python.evidence} == {"ai-foundations", other.slug}


def test_an_instructor_sees_only_their_courses_part_of_a_profile(mapped, enrolled, make_course):
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    other = make_course()
    assert skill_profile(learner, course_ids=[other.id]) == []
    assert skill_profile(learner, course_ids=[mapped.course.id])


def test_skills_gained_runs_a_fixed_number_of_queries(mapped, enrolled, make_user):
    learners = [enrolled() for _ in range(3)]
    for learner in learners[:2]:
        _graded(mapped.course, learner, solution_bytes(str(learner.id)))
    outsider = make_user()

    def count(ids):
        statements: list[str] = []

        def listener(*_args):
            statements.append("q")

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            result = skills_gained(ids)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return result, len(statements)

    one, queries_one = count([learners[0].id])
    many, queries_many = count([u.id for u in learners] + [outsider.id])
    assert queries_one == queries_many <= 6
    assert set(many) == {u.id for u in learners} | {outsider.id}
    codes = {s.code for s in many[learners[1].id]}
    assert {"AIF-PY-01", "AIF-NP-01"} <= codes and "AIF-NP-02" not in codes
    assert many[learners[2].id] == [] and many[outsider.id] == []
    assert [s.code for s in one[learners[0].id]] == [s.code for s in many[learners[0].id]]
