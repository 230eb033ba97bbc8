"""The stored achievements (``skill_achievements``) always equal what the rules compute
(``achieved_units``), after every public write: a graded result, manual points, a regrade,
a new course version, mappings added and removed, completions confirmed and revoked, an
enrolment dropped; bulk statements call the refresh; the CLI checks and repairs."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, insert, select, update

from lms.catalog.models import Enrollment, EnrollmentStatus
from lms.catalog.services import set_enrollment_status
from lms.completion.services import confirm_course, revoke
from lms.db import db
from lms.grading.models import GradingJob, GradingResult, ResultPart, Submission
from lms.grading.regrade import dispatch_regrade, regrade_assignment
from lms.grading.results import collect_once, dispatch_job
from lms.grading.review import set_manual_score
from lms.grading.submission import submit
from lms.publishing import services as publishing
from lms.publishing.models import Assignment, CourseVersion
from lms.publishing.services import current_assignment
from lms.skills.cli import skills_cli
from lms.skills.evidence import achieved_units, achievement_counts
from lms.skills.mapping import add_mapping, remove_mapping, sync_course
from lms.skills.models import CompetencyUnit, MappingSource, SkillAchievement, SkillMapping
from lms.skills.services import load_starter
from lms.skills.stored import refresh_achievements, stored_achievement_counts
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
from tests.lms.test_skills_achieved import World


def stored() -> dict[int, dict[int, object]]:
    out: dict[int, dict[int, object]] = {}
    for row in db.session.scalars(select(SkillAchievement)):
        out.setdefault(row.user_id, {})[row.unit_id] = row.achieved_at
    return out


def computed() -> dict[int, dict[int, object]]:
    users = set(db.session.scalars(select(Submission.user_id))) | set(
        db.session.scalars(select(Enrollment.user_id))
    )
    return {uid: dict(units) for uid, units in achieved_units(sorted(users)).items() if units}


def assert_consistent() -> dict[int, dict[int, object]]:
    db.session.expire_all()
    found = stored()
    assert found == computed()
    return found


# Through the grading pipeline ------------------------------------------------------------


@pytest.fixture
def mapped(published):
    load_starter()
    sync_course(None, published.course)
    db.session.commit()
    return published


def _graded(course, learner, data: bytes) -> Submission:
    submission = submit(learner, current_assignment(course, LAB1), data)
    db.session.commit()
    dispatch_job(submission.job)
    db.session.commit()
    collect_once()
    db.session.commit()
    return submission


def _codes(user) -> set[str]:
    stmt = (
        select(CompetencyUnit.code)
        .join(SkillAchievement, SkillAchievement.unit_id == CompetencyUnit.id)
        .where(SkillAchievement.user_id == user.id)
    )
    return set(db.session.scalars(stmt))


def test_a_recorded_result_stores_the_units_it_achieves(mapped, enrolled):
    learner, other = enrolled(), enrolled()
    _graded(mapped.course, learner, solution_bytes())
    _graded(mapped.course, other, release_bytes(current_assignment(mapped.course, LAB1)))
    assert_consistent()
    assert "AIF-PY-01" in _codes(learner) and _codes(other) == set()


def test_manual_points_store_the_unit_they_complete(mapped, enrolled):
    learner = enrolled()
    submission = _graded(mapped.course, learner, solution_bytes())
    assert "AIF-NP-02" not in _codes(learner)
    part = db.session.scalar(
        select(ResultPart).where(
            ResultPart.result_id == submission.job.result.id, ResultPart.cell_id == "reflection"
        )
    )
    set_manual_score(None, part, 2.0)
    db.session.commit()
    assert "AIF-NP-02" in _codes(learner)
    set_manual_score(None, part, None)
    db.session.commit()
    assert "AIF-NP-02" not in _codes(learner)
    assert_consistent()


def test_a_new_version_that_counts_the_last_attempt_changes_the_stored_units(
    mapped, enrolled, package_copy
):
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    _graded(mapped.course, learner, release_bytes(current_assignment(mapped.course, LAB1)))
    assert "AIF-PY-01" in _codes(learner)  # "best": the solved attempt counts
    publishing.publish(
        None, package_copy(lambda t: t.replace('counts = "best"', 'counts = "last"'))
    )
    db.session.commit()
    assert "AIF-PY-01" not in _codes(learner)
    assert_consistent()


def test_a_regrade_keeps_the_stored_units_right(mapped, enrolled, package_copy):
    learners = [enrolled(), enrolled()]
    _graded(mapped.course, learners[0], solution_bytes())
    _graded(mapped.course, learners[1], release_bytes(current_assignment(mapped.course, LAB1)))
    publishing.publish(None, package_copy(lambda t: t.replace("max = 10", "max = 9", 1)))
    db.session.commit()
    _target, jobs = regrade_assignment(None, mapped.course, LAB1)
    db.session.commit()
    dispatch_regrade(jobs)
    db.session.commit()
    collect_once()
    db.session.commit()
    assert jobs and all(j.result is not None for j in jobs)
    assert "AIF-PY-01" in _codes(learners[0])
    assert_consistent()


def test_mappings_added_and_removed_change_the_stored_units(mapped, enrolled):
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    mapping = add_mapping(None, mapped.course, "AIF-ML-01", LAB1)
    db.session.commit()
    assert_consistent()
    assert "AIF-ML-01" in _codes(learner)
    remove_mapping(None, mapping)
    db.session.commit()
    assert "AIF-ML-01" not in _codes(learner)
    assert_consistent()


LAB2 = "lab02-pandas-production"


def _without_skills(text: str) -> str:
    """Only the pandas cleaning unit stays in the package (the staff map it too)."""
    kept = text.index('code = "AIF-PD-01"')
    kept = text[text.rindex("[[skills]]", 0, kept) : text.index("[[skills]]", kept)]
    return text[: text.index("[[skills]]")] + kept + text[text.index("[[assignments]]") :]


def test_a_sync_that_only_removes_package_mappings_refreshes(mapped, enrolled, package_copy):
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    assert "AIF-PY-01" in _codes(learner)
    for mapping in db.session.scalars(select(SkillMapping).filter_by(assignment_name=LAB2)):
        remove_mapping(None, mapping)  # lab02's units become the staff's own
        add_mapping(None, mapped.course, mapping.unit.code, LAB2, mapping.cell_id, mapping.weight)
    publishing.publish(None, package_copy(_without_skills))  # syncs: lab01's units go
    db.session.commit()
    assert _codes(learner) == set()
    unit = db.session.scalar(select(CompetencyUnit).filter_by(code="AIF-ML-01"))
    db.session.add(
        SkillMapping(unit=unit, course=mapped.course, assignment_name=LAB1,
                     cell_id="test_to_kelvin", source=MappingSource.PACKAGE)
    )  # fmt: skip
    db.session.commit()
    assert _codes(learner) == {"AIF-ML-01"}
    report = sync_course(None, mapped.course)  # only its DELETE, which bypasses the ORM
    db.session.commit()
    assert (report.removed, report.added) == (1, 0)
    assert _codes(learner) == set()
    assert_consistent()


def test_completions_confirmed_and_revoked_change_the_stored_units(mapped, enrolled):
    learner = enrolled()
    add_mapping(None, mapped.course, "AIF-ML-01")  # the whole course
    db.session.commit()
    enrollment = db.session.scalar(select(Enrollment).filter_by(user_id=learner.id))
    completion = confirm_course(None, enrollment, override_reason="finished elsewhere")
    db.session.commit()
    assert "AIF-ML-01" in _codes(learner)
    assert_consistent()
    revoke(None, completion, "confirmed by mistake")
    db.session.commit()
    assert "AIF-ML-01" not in _codes(learner)
    assert_consistent()


def test_a_dropped_enrolment_keeps_the_table_right(mapped, enrolled):
    learner = enrolled()
    _graded(mapped.course, learner, solution_bytes())
    enrollment = db.session.scalar(select(Enrollment).filter_by(user_id=learner.id))
    set_enrollment_status(learner, enrollment, EnrollmentStatus.DROPPED)
    db.session.commit()
    assert_consistent()


# On varied graded work, changed row by row ------------------------------------------------


@pytest.fixture(params=[1, 2])
def world(request, app, make_user, make_course, make_enrollment):
    load_starter()
    db.session.commit()
    return World(random.Random(request.param), make_user, make_course, make_enrollment)


def test_the_varied_world_is_stored_as_computed(world):
    found = assert_consistent()
    assert sum(map(len, found.values())) > 5
    ids = [u.id for u in world.users] + [-1]
    expected = achievement_counts(ids)
    for users in (ids, select(Submission.user_id).distinct()):
        counts = stored_achievement_counts(users)
        wanted = ids if isinstance(users, list) else set(db.session.scalars(users))
        assert counts.per_user == {u: expected.per_user[u] for u in wanted}
        assert counts.per_unit == achievement_counts(list(wanted)).per_unit
        assert counts.units == achievement_counts(list(wanted)).units


def test_every_kind_of_row_change_keeps_the_table_right(world):
    rng = random.Random(7)
    parts = list(db.session.scalars(select(ResultPart)))
    for part in rng.sample(parts, 20):  # manual points given and taken
        part.manual_earned = rng.choice([None, 0.0, 2.0])
    db.session.commit()
    assert_consistent()
    for course in world.courses[:2]:  # a new version with the other policy
        _flip_policy(course)
    db.session.commit()
    assert_consistent()
    for job in rng.sample(list(db.session.scalars(select(GradingJob))), 10):
        job.status = "failed"
    db.session.commit()
    assert_consistent()
    for enrollment in db.session.scalars(select(Enrollment)):
        if enrollment.status != EnrollmentStatus.COMPLETED and rng.random() < 0.4:
            enrollment.status = EnrollmentStatus.COMPLETED
        elif enrollment.status == EnrollmentStatus.COMPLETED and rng.random() < 0.4:
            enrollment.status = EnrollmentStatus.DROPPED
    db.session.commit()
    assert_consistent()
    for row in rng.sample(list(db.session.scalars(select(GradingResult))), 10):
        db.session.delete(row)
    for row in rng.sample(list(db.session.scalars(select(Submission))), 5):
        for job in row.jobs:
            if job.result is not None:
                db.session.delete(job.result)
            db.session.delete(job)
        db.session.delete(row)
    db.session.commit()
    assert_consistent()
    for mapping in rng.sample(list(db.session.scalars(select(SkillMapping))), 4):
        db.session.delete(mapping)
    db.session.commit()
    assert_consistent()
    db.session.delete(world.courses[0])
    db.session.commit()
    assert_consistent()
    achieved = db.session.scalars(select(SkillAchievement.unit_id)).first()
    db.session.delete(db.session.get(CompetencyUnit, achieved))  # its rows go with it
    db.session.commit()
    assert_consistent()


def _flip_policy(course) -> None:
    latest = max(course_versions(course), key=lambda v: v.number)
    version = CourseVersion(
        course=course, number=latest.number + 1, content_hash=f"{course.id}-flip", package_meta={}
    )
    db.session.add(version)
    for a in latest.assignments:
        columns = {c.key: getattr(a, c.key) for c in Assignment.__table__.columns if c.key != "id"}
        columns.update(course_version_id=None, counts="last" if a.counts == "best" else "best")
        db.session.add(Assignment(**columns, version=version))


def course_versions(course) -> list[CourseVersion]:
    return list(db.session.scalars(select(CourseVersion).filter_by(course_id=course.id)))


def test_a_bulk_change_is_repaired_by_the_refresh(world):
    course = world.courses[1]
    db.session.execute(delete(SkillMapping).where(SkillMapping.course_id == course.id))
    db.session.execute(update(ResultPart).values(manual_earned=2.0))  # bypasses the ORM
    refresh_achievements(db.session.connection(), course_ids=[course.id])
    refresh_achievements(db.session.connection(), user_ids=[u.id for u in world.users])
    db.session.commit()
    assert_consistent()


def test_the_cli_checks_and_repairs_the_table(world, app):
    runner = app.test_cli_runner()
    ok = runner.invoke(skills_cli, ["refresh-achievements", "--check"])
    assert ok.exit_code == 0, ok.output
    assert "match the rules" in ok.output
    victim = db.session.scalars(select(SkillAchievement)).first()
    table = SkillAchievement.__table__
    db.session.execute(delete(table).where(table.c.user_id == victim.user_id))
    db.session.execute(insert(table).values(user_id=victim.user_id, unit_id=victim.unit_id))
    db.session.commit()
    found = runner.invoke(skills_cli, ["refresh-achievements", "--check"])
    assert found.exit_code == 1
    assert f"user {victim.user_id}" in found.output
    repaired = runner.invoke(skills_cli, ["refresh-achievements"])
    assert repaired.exit_code == 0, repaired.output
    assert runner.invoke(skills_cli, ["refresh-achievements", "--check"]).exit_code == 0
    assert_consistent()
