"""The database's answer on achieved units (``achieved_units``, ``achievement_counts``) is
exactly the full profiles' on varied graded work: regrades, failed and ungradable jobs,
manual points (also lower than the automatic ones), late attempts, "best" and "last"
courses, a current version that changes the policy or drops an assignment, missing cells,
completed courses and units evidenced in several courses."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from lms.db import db
from lms.grading.models import GradingJob, GradingResult, JobStatus, ResultPart, Submission
from lms.grading.policy import counted_score
from lms.publishing.models import Assignment, CourseVersion
from lms.skills import graded
from lms.skills.evidence import (
    achieved_units,
    achievement_counts,
    skill_profile,
    skills_gained,
)
from lms.skills.models import CompetencyUnit, SkillMapping
from lms.skills.services import load_starter

START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
TESTS = ("t1", "t2", "t3")
CELLS = (*TESTS, "essay")
#: (course counts per version, assignments of the current version)
COURSES = (
    (("best",), ("lab1", "lab2", "lab3")),
    (("last",), ("lab1", "lab2", "lab3")),
    (("last", "best"), ("lab1", "lab2", "lab3")),  # regraded against version 2
    (("best", "best"), ("lab1", "lab2")),  # lab3 dropped: it counts "last"
)


class World:
    """Graded work of many learners, inserted directly (no grader run), from a seed."""

    def __init__(self, rng: random.Random, make_user, make_course, make_enrollment):
        self.rng, self.clock = rng, START
        self.users = [make_user() for _ in range(24)]
        self.courses = [make_course() for _ in COURSES]
        self.assignments: dict[tuple[int, int, str], Assignment] = {}
        for course, (policies, current) in zip(self.courses, COURSES, strict=True):
            self._versions(course, policies, current)
        self._mappings()
        for user in self.users:
            for course in rng.sample(self.courses, rng.randint(1, len(self.courses))):
                status = rng.choice(["active", "active", "completed", "dropped"])
                make_enrollment(user, course, status=status)
                self._work(user, course)
        db.session.commit()

    def tick(self) -> datetime:
        self.clock += timedelta(minutes=self.rng.randint(1, 600))
        return self.clock

    def _versions(self, course, policies: tuple[str, ...], current: tuple[str, ...]) -> None:
        for number, counts in enumerate(policies, 1):
            version = CourseVersion(
                course=course, number=number, content_hash=f"{course.id}-{number}", package_meta={}
            )
            db.session.add(version)
            names = current if number == len(policies) else ("lab1", "lab2", "lab3")
            for position, name in enumerate(names, 1):
                a = Assignment(version=version, course_id=course.id, name=name, position=position,
                               title_ko=name, title_en=name, kind="lab", points=8.0,
                               resource_class="cpu", schedule={}, grace_minutes=0,
                               penalty_percent=10.0, penalty_period="day", floor_percent=50.0,
                               cutoff_after_hours=None, max_attempts=None, counts=counts,
                               notebooks=[f"{name}.ipynb"], release_tree="r", template_blob="t")  # fmt: skip
                db.session.add(a)
                self.assignments[(course.id, number, name)] = a
        db.session.flush()

    def _mappings(self) -> None:
        """Six units, each mapped in two or three courses: cells (with weights), whole
        assignments, a cell no result has, whole courses."""
        units = list(db.session.scalars(select(CompetencyUnit).order_by(CompetencyUnit.code)))[:6]
        for unit in units:
            for course in self.rng.sample(self.courses, self.rng.randint(2, 3)):
                targets = self.rng.choice([
                    [("lab1", "t1"), ("lab1", "t2")],
                    [("lab2", "")],
                    [("lab1", "essay"), ("lab3", "t3")],
                    [("", "")],
                    [("lab2", "t1"), ("lab2", "missing")],
                    [("lab3", "")],
                ])  # fmt: skip
                for name, cell in targets:
                    weight = self.rng.choice([1.0, 1.0, 2.0, 0.5])
                    db.session.add(SkillMapping(unit=unit, course=course, assignment_name=name,
                                                cell_id=cell, weight=weight))  # fmt: skip
        db.session.flush()

    def _work(self, user, course) -> None:
        versions = 2 if course is self.courses[2] or course is self.courses[3] else 1
        for name in ("lab1", "lab2", "lab3"):
            for attempt in range(1, self.rng.choice([0, 1, 2, 3, 3]) + 1):
                assignment = self.assignments[(course.id, 1, name)]
                late = self.rng.choice([1.0, 1.0, 0.5])
                submission = Submission(user=user, course_id=course.id, assignment=assignment,
                                        course_version_id=assignment.course_version_id,
                                        assignment_name=name, notebook_name=f"{name}.ipynb",
                                        content_sha="0" * 64, size_bytes=1, attempt=attempt,
                                        submitted_at=self.tick(), late_factor=late)  # fmt: skip
                db.session.add(submission)
                db.session.flush()
                self._grade(submission, None, late)
                regrade = self.assignments.get((course.id, 2, name))
                if versions == 2 and regrade is not None and self.rng.random() < 0.4:
                    self._grade(submission, regrade, late)  # against the current version

    def _grade(self, submission, against, late: float) -> None:
        roll = self.rng.random()
        status = JobStatus.FAILED if roll < 0.08 else JobStatus.GRADED
        job = GradingJob(submission=submission, assignment=against, status=status,
                         backend="fake", backend_job_id=f"j-{self.rng.random()}")  # fmt: skip
        db.session.add(job)
        if status == JobStatus.FAILED:
            return
        if roll < 0.13:
            db.session.add(GradingResult(job=job, submission_id=submission.id, possible=8.0,
                                         course_version_id=submission.course_version_id,
                                         status="not_gradable", late_factor=late,
                                         recorded_at=self.tick()))  # fmt: skip
            return
        result = GradingResult(job=job, submission_id=submission.id, status="graded", possible=8.0,
                               late_factor=late, course_version_id=submission.course_version_id,
                               recorded_at=self.tick())  # fmt: skip
        for position, cell in enumerate(CELLS, 1):
            auto = self.rng.choice([0.0, 1.0, 2.0, 2.0])
            manual = self.rng.choice([None, None, 0.0, 1.0, 2.0]) if cell == "essay" else None
            result.parts.append(ResultPart(position=position, cell_id=cell, kind="test",
                                           status="passed", auto_earned=auto, possible=2.0,
                                           manual_earned=manual))  # fmt: skip
        result.auto_earned = sum(p.auto_earned for p in result.parts)
        result.earned = sum(p.earned for p in result.parts)
        result.score = round(result.earned * late, 4)
        db.session.add(result)


@pytest.fixture(params=[1, 2, 3])
def world(request, app, make_user, make_course, make_enrollment):
    load_starter()
    db.session.commit()
    return World(random.Random(request.param), make_user, make_course, make_enrollment)


def _from_profiles(world: World) -> dict[int, dict[int, datetime | None]]:
    return {
        u.id: {s.unit_id: s.achieved_at for s in skill_profile(u) if s.achieved}
        for u in world.users
    }


def test_achieved_units_are_the_full_profiles_achieved_units(world):
    expected = _from_profiles(world)
    found = achieved_units([u.id for u in world.users])
    assert {uid: dict(units) for uid, units in found.items()} == expected
    assert all(units == sorted(units) for units in found.values())
    # the fixture is varied enough to mean something
    assert 5 < sum(map(len, expected.values())) < 6 * len(world.users)


def test_skills_gained_keeps_the_profiles_statuses(world):
    profiles = {u.id: [s for s in skill_profile(u) if s.achieved] for u in world.users}
    assert skills_gained([u.id for u in world.users]) == profiles


def test_achievement_counts_count_what_the_profiles_say(world):
    expected = _from_profiles(world)
    outsider = -1  # an id without any work is counted 0
    counts = achievement_counts([u.id for u in world.users] + [outsider])
    assert counts.per_user == {**{uid: len(v) for uid, v in expected.items()}, outsider: 0}
    assert counts.per_unit == Counter(unit for v in expected.values() for unit in v)
    ranked = counts.most_achieved(3)
    assert [n for _unit, n in ranked] == sorted(counts.per_unit.values(), reverse=True)[:3]
    assert {unit.id for unit, _n in ranked} <= set(counts.per_unit)


def test_the_counted_attempt_is_the_gradebooks(world):
    """Each attempt's latest graded result; the current version's policy (``last`` for an
    assignment it dropped); the latest attempt among equal best scores."""
    mappings = graded.load_mappings(None)
    mapped = {(m.course_id, m.assignment_name) for m in mappings}
    chosen = graded.counted_attempts([u.id for u in world.users], mappings)
    expected = {}
    for submission in db.session.scalars(select(Submission).order_by(Submission.attempt)):
        key = (submission.user_id, submission.course_id, submission.assignment_name)
        if key[1:] not in mapped:
            continue
        results = [j.result for j in submission.jobs if j.status == JobStatus.GRADED]
        results = [r for r in results if r is not None and r.score is not None]
        if results:
            expected.setdefault(key, []).append(results[-1])
    for key, results in expected.items():
        counts = _current_counts(world, key[1], key[2])
        score = counted_score([r.score for r in results], counts)
        result = next(r for r in reversed(results) if r.score == score)
        assert chosen.get(key) is not None and chosen[key].result_id == result.id, key
    assert set(chosen) == set(expected)


def _current_counts(world: World, course_id: int, name: str) -> str:
    numbers = [n for (c, n, _name) in world.assignments if c == course_id]
    current = world.assignments.get((course_id, max(numbers), name))
    return current.counts if current is not None else "last"


def test_the_fast_paths_run_a_fixed_number_of_statements(world):
    def count(call):
        statements: list[str] = []

        def listener(*_args):
            statements.append("q")

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            call()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    one, every = [world.users[0].id], [u.id for u in world.users]
    assert count(lambda: achieved_units(one)) == count(lambda: achieved_units(every)) == 1
    assert count(lambda: achievement_counts(one)) <= count(lambda: achievement_counts(every)) == 2


def test_exactly_the_threshold_achieves_a_unit(app, make_user, make_course, make_enrollment):
    load_starter()
    course = make_course()
    version = CourseVersion(course=course, number=1, content_hash="h", package_meta={})
    lab = Assignment(version=version, course_id=course.id, name="lab1", position=1,
                     title_ko="lab1", title_en="lab1", kind="lab", points=10.0,
                     resource_class="cpu", schedule={}, grace_minutes=0, penalty_percent=10.0,
                     penalty_period="day", floor_percent=50.0, counts="best",
                     notebooks=["lab1.ipynb"], release_tree="r", template_blob="t")  # fmt: skip
    unit = db.session.scalars(select(CompetencyUnit).order_by(CompetencyUnit.code)).first()
    cells = ("c1", "c2", "c3", "c4", "c5")
    db.session.add_all([version, lab])
    db.session.add_all(SkillMapping(unit=unit, course=course, assignment_name="lab1", cell_id=c)
                       for c in cells)  # fmt: skip
    exact, below = make_user(), make_user()
    for user, points in ((exact, (2, 2, 2, 2, 0)), (below, (2, 2, 2, 1.9, 0))):
        make_enrollment(user, course)
        submission = Submission(user=user, course_id=course.id, assignment=lab,
                                course_version_id=version.id, assignment_name="lab1",
                                notebook_name="lab1.ipynb", content_sha="0" * 64, size_bytes=1,
                                attempt=1, late_factor=0.5)  # fmt: skip
        job = GradingJob(submission=submission, status=JobStatus.GRADED, backend="fake",
                         backend_job_id=f"j-{user.id}")  # fmt: skip
        db.session.add_all([submission, job])
        db.session.flush()
        result = GradingResult(job=job, submission_id=submission.id, status="graded",
                               course_version_id=version.id, possible=10.0, late_factor=0.5,
                               auto_earned=sum(points), earned=sum(points),
                               score=sum(points) / 2)  # fmt: skip
        result.parts = [ResultPart(position=i, cell_id=c, kind="test", status="passed",
                                   auto_earned=p, possible=2.0)
                        for i, (c, p) in enumerate(zip(cells, points, strict=True), 1)]  # fmt: skip
        db.session.add(result)
    db.session.commit()
    found = achieved_units([exact.id, below.id])
    assert [a.unit_id for a in found[exact.id]] == [unit.id] and found[below.id] == []
    assert {u.id: dict(found[u.id]) for u in (exact, below)} == {
        u.id: {s.unit_id: s.achieved_at for s in skill_profile(u) if s.achieved}
        for u in (exact, below)
    }
