"""`demo load --courses DIR`: the one-machine runner publishes the starter curriculum so a
newcomer can submit a lab at once."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog.models import Course, Enrollment
from lms.db import db
from lms.publishing.models import CourseVersion

COURSES = Path(__file__).resolve().parents[2] / "courses"
pytestmark = pytest.mark.slow


@pytest.fixture
def one_course(tmp_path):
    shutil.copytree(COURSES / "ai-foundations", tmp_path / "ai-foundations")
    return tmp_path


def test_demo_publishes_the_courses_and_enrols_the_learner_once(app, one_course):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--courses", str(one_course)])
    assert first.exit_code == 0, first.output
    assert "ai-foundations: version 1 (new)" in first.output
    course = db.session.scalar(select(Course).where(Course.slug == "ai-foundations"))
    assert [u.email for u in course.instructors] == ["instructor@demo.local"]
    assert course.cohorts, "an open cohort is created"
    learners = db.session.scalars(
        select(Enrollment.user_id).where(Enrollment.course_id == course.id)
    ).all()
    assert len(learners) == 1

    again = runner.invoke(args=["demo", "load", "--courses", str(one_course)])
    assert again.exit_code == 0, again.output
    assert "(0 new objects)" in again.output
    versions = db.session.scalars(select(CourseVersion.id)).all()
    assert len(versions) == 1


def test_demo_with_a_missing_courses_folder_is_a_clear_error(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["demo", "load", "--courses", str(tmp_path / "nope")]
    )
    assert result.exit_code != 0
    assert "does not exist" in result.output
