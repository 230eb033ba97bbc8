"""Publishing course packages: validation, immutable versions, the catalogue course."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lms.catalog.models import Course
from lms.db import db
from lms.errors import Forbidden
from lms.publishing.loader import PackageInvalid
from lms.publishing.models import CourseVersion, ImmutableVersionError
from lms.publishing.services import current_assignment, publish
from lms.storage import blob_store
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    PACKAGE,
    app_config,
    blob_dir,
    fast_release,
    package_copy,
    published,
)


def test_publishing_creates_the_course_and_an_immutable_version(published):
    course = published.course
    assert (course.slug, course.is_published, course.track.value) == (
        "ai-foundations",
        True,
        "ai_foundations",
    )
    assert "AIF-PY-01" in course.skills
    assert published.number == 1 and len(published.content_hash) == 64
    lab1 = current_assignment(course, LAB1)
    assert (lab1.points, lab1.max_attempts, lab1.counts) == (12.0, 10, "best")
    assert lab1.late_policy == {
        "grace_minutes": 15,
        "penalty_percent": 10.0,
        "penalty_period": "day",
        "floor_percent": 50.0,
        "cutoff_after_hours": 168,
    }
    assert lab1.schedule["due_after_days"] == 7 and lab1.notebooks == ["python_numpy"]


def test_publishing_maps_the_packages_skills_to_the_course(published):
    from lms.skills.models import CompetencyUnit, MappingSource, SkillMapping

    rows = db.session.execute(
        select(CompetencyUnit.code, SkillMapping.source)
        .join(SkillMapping, SkillMapping.unit_id == CompetencyUnit.id)
        .where(SkillMapping.course_id == published.course.id)
    ).all()
    assert "AIF-PY-01" in {code for code, _source in rows}
    assert {source for _code, source in rows} == {MappingSource.PACKAGE}


def test_the_release_has_no_solutions_and_the_template_keeps_hidden_tests(published):
    lab1 = current_assignment(published.course, LAB1)
    store = blob_store()
    release = (store.tree_path(lab1.release_tree) / "python_numpy.ipynb").read_text()
    assert "BEGIN SOLUTION" not in release and "BEGIN HIDDEN TESTS" not in release
    template = json.loads(store.get(lab1.template_blob))
    cells = template["notebooks"]["python_numpy"]["cells"]
    assert any(cell["hidden"] for cell in cells)


def test_publishing_an_unchanged_package_is_a_no_op(published):
    again, created = publish(None, PACKAGE)
    assert not created and again.id == published.id
    assert db.session.scalar(select(func.count(CourseVersion.id))) == 1


def test_a_changed_package_makes_a_new_version_and_keeps_the_old(published, package_copy):
    changed = package_copy(lambda text: text.replace("max = 10", "max = 2", 1))
    version, created = publish(None, changed)
    db.session.commit()
    assert created and version.number == 2
    assert current_assignment(published.course, LAB1).max_attempts == 2
    first = db.session.get(CourseVersion, published.id)
    assert next(a for a in first.assignments if a.name == LAB1).max_attempts == 10


def test_course_metadata_updates_the_catalogue(published, package_copy):
    changed = package_copy(lambda text: text.replace('en = "AI Foundations', 'en = "AI Basics', 1))
    publish(None, changed)
    db.session.commit()
    assert db.session.get(Course, published.course_id).title_en.startswith("AI Basics")


def test_stored_versions_cannot_be_changed(published):
    lab1 = current_assignment(published.course, LAB1)
    lab1.points = 99
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()


def test_an_invalid_package_names_file_location_and_field(app, package_copy):
    broken = package_copy(lambda text: text.replace("points = 12", "points = 10", 1))
    with pytest.raises(PackageInvalid) as info:
        publish(None, broken)
    line = info.value.problems[0]
    assert line.startswith("ai-foundations/course.toml: assignments[0]")
    assert "points" in line
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_a_folder_without_course_toml_is_refused(app, tmp_path):
    with pytest.raises(PackageInvalid, match="no course.toml"):
        publish(None, tmp_path)


def test_learners_may_not_publish(app, make_user):
    with pytest.raises(Forbidden):
        publish(make_user(role="learner"), PACKAGE)


def test_an_instructor_publishing_a_new_course_teaches_it(app, make_user):
    instructor = make_user(role="instructor")
    version, _ = publish(instructor, PACKAGE)
    assert version.course.instructors == [instructor]
    assert version.published_by_id == instructor.id


def test_cli_publish_reports_each_problem_and_stores_nothing(app, package_copy):
    broken = package_copy(lambda text: text.replace('track = "ai_foundations"', 'track = "x"'))
    result = app.test_cli_runner().invoke(args=["courses", "publish", str(broken)])
    assert result.exit_code == 1
    assert "ai-foundations/course.toml: track:" in result.output
    assert "nothing was published" in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_cli_publish_then_republish(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["courses", "publish", str(PACKAGE)])
    assert first.exit_code == 0, first.output
    assert "published version 1" in first.output
    second = runner.invoke(args=["courses", "publish", str(PACKAGE)])
    assert "unchanged, version 1 is current" in second.output
