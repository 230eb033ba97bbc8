"""Course metadata: the schema, the starter curriculum, and the checker's error reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from check_courses import SCHEMA_PATH, check_package, check_tree, course_dirs, load_course
from course_harness import COURSES

BROKEN = Path(__file__).resolve().parent / "broken" / "broken-course"
SLUGS = [d.name for d in course_dirs()]
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("slug", SLUGS)
def test_course_metadata_validates_against_the_schema(slug):
    jsonschema.Draft202012Validator(SCHEMA).validate(load_course(COURSES / slug))


def test_every_package_and_cross_reference_is_valid():
    problems = check_tree()
    assert problems == [], "\n".join(map(str, problems))


def test_starter_curriculum_covers_every_track():
    metas = [load_course(d) for d in course_dirs()]
    tracks = [m["track"] for m in metas]
    assert len(metas) >= 4
    assert tracks.count("smart_factory") >= 2, "predictive maintenance and quality inspection"
    assert set(tracks) == set(SCHEMA["properties"]["track"]["enum"]), "every track has a course"
    assert all(len(m["assignments"]) >= 2 for m in metas)
    gpu_labs = [a for m in metas for a in m["assignments"] if a.get("gpu", m["gpu"]) != "none"]
    assert len(gpu_labs) == 1, "exactly one GPU-tagged lab in the starter set"


def test_the_broken_example_reports_every_problem_with_file_and_location(tmp_path):
    broken = tmp_path / "broken-course"
    shutil.copytree(BROKEN, broken)
    # kept out of the repository: linters would trip over a notebook that is not JSON
    (broken / "source" / "lab01-broken" / "not_json.ipynb").write_text('{"cells": [ oops')
    problems = {(p.file, p.location, p.message) for p in check_package(broken, set(SLUGS))}
    expected = [
        ("course.toml", "slug", "differs from the folder name"),
        ("course.toml", "prerequisites[0]", "no course 'no-such-course'"),
        ("course.toml", "assignments[0](lab01-broken).points", "sum to 5"),
        ("course.toml", "assignments[0](lab01-broken).schedule", "due must be after opens"),
        ("course.toml", "assignments[0](lab01-broken).late_policy.cutoff_after_hours", "grace"),
        ("course.toml", "assignments[0](lab01-broken).gpu", "more than the course's gpu"),
        ("course.toml", "assignments[1](lab02-missing).name", "no folder source/lab02-missing/"),
        ("course.toml", "assignments[1](lab02-missing).schedule", "due_at must be after opens_at"),
        ("course.toml", "assignments[2](lab01-broken).name", "duplicate assignment name"),
        ("course.toml", "assignments", "source/stray/ is not listed"),
        (
            "course.toml",
            "skills[0](SM-BAT-01).evidence[0]",
            "'test_nonexistent' is not a graded cell",
        ),
        ("course.toml", "skills[0](SM-BAT-01).evidence[1]", "'lab09-nowhere' is not an assignment"),
        ("course.toml", "skills[1](SM-BAT-01).code", "duplicate skill code"),
        ("broken.ipynb", "cell 0 (intro)", "BEGIN SOLUTION appears outside a solution cell"),
        ("broken.ipynb", "cell 1 (answer)", "needs ### BEGIN SOLUTION"),
        ("broken.ipynb", "cell 2 (test_f)", "must be a locked code cell"),
        ("broken.ipynb", "cell 3 (test_f)", "duplicate grade_id"),
        ("broken.ipynb", "(notebook)", "hidden tests"),
        ("broken.ipynb", "(notebook)", "manually graded answer cell"),
        ("not_json.ipynb", "(file)", "not a readable notebook"),
    ]
    for file, location, message in expected:
        hits = [p for p in problems if p[0].endswith(file) and p[1] == location and message in p[2]]
        assert hits, f"missing: {file}: {location}: {message}\ngot:\n" + "\n".join(
            map(str, problems)
        )
    assert len(problems) == len(expected)


@pytest.fixture
def course_copy(tmp_path):
    """A writable copy of ai-foundations; returns (folder, edit(old, new) on its course.toml)."""
    folder = tmp_path / "ai-foundations"
    shutil.copytree(COURSES / "ai-foundations", folder)
    toml = folder / "course.toml"

    def edit(old: str, new: str) -> None:
        text = toml.read_text(encoding="utf-8")
        assert old in text, old
        toml.write_text(text.replace(old, new, 1), encoding="utf-8")

    return folder, edit


SCHEMA_MUTATIONS = [
    ('track = "ai_foundations"', 'track = "robotics"', "track", "is not one of"),
    (
        'en = "AI Foundations: Factory Data with Python, NumPy and pandas"',
        "",
        "title",
        "'en' is a required property",
    ),
    (
        'audience = ["school", "university", "worker"]',
        "audience = []",
        "audience",
        "should be non-empty",
    ),
    ('code = "AIF-PY-01"', 'code = "aif-py-1"', "skills[0].code", "does not match"),
    (
        "opens_after_days = 0, due_after_days = 7,",
        'opens_at = "2027-03-02T09:00:00+09:00", due_after_days = 7,',
        "assignments[0](lab01-python-numpy).schedule",
        "must be either",
    ),
    (
        'opens_after_days = 7, due_after_days = 14, open_time = "09:00", due_time = "23:59"',
        "opens_at = 2027-03-02T09:00:00, due_at = 2027-03-09T09:00:00",
        "assignments[1](lab02-pandas-production).schedule",
        "must be either",
    ),
    (
        'penalty_period = "day"',
        'penalty_period = "week"',
        "assignments[0](lab01-python-numpy).late_policy.penalty_period",
        "is not one of",
    ),
    (
        'counts = "best"',
        'counts = "first"',
        "assignments[0](lab01-python-numpy).attempts.counts",
        "is not one of",
    ),
    (
        "points = 12",
        "points = 0",
        "assignments[0](lab01-python-numpy).points",
        "less than or equal to the minimum of 0",
    ),
    ('gpu = "none"', 'gpu = "maybe"', "gpu", "is not one of"),
    (
        'slug = "ai-foundations"',
        'slug = "ai-foundations"\ncolour = "blue"',
        "(top level)",
        "'colour' was unexpected",
    ),
]


@pytest.mark.parametrize(("old", "new", "location", "message"), SCHEMA_MUTATIONS)
def test_schema_errors_name_the_field(course_copy, old, new, location, message):
    folder, edit = course_copy
    edit(old, new)
    problems = check_package(folder)
    assert any(p.location == location and message in p.message for p in problems), problems


def test_toml_syntax_error_is_reported_not_raised(course_copy):
    folder, edit = course_copy
    edit("schema_version = 1", "schema_version = = 1")
    [problem] = check_package(folder)
    assert problem.file == "ai-foundations/course.toml" and "cannot read TOML" in problem.message


def test_large_data_files_are_refused(course_copy):
    folder, _ = course_copy
    (folder / "source" / "lab01-python-numpy" / "big.csv").write_bytes(b"0," * 110_000)
    problems = check_package(folder)
    assert [p.location for p in problems] == ["size"]
    assert problems[0].file == "ai-foundations/source/lab01-python-numpy/big.csv"


def test_symbolic_links_are_refused_before_anything_is_read_through_them(course_copy, tmp_path):
    folder, _ = course_copy
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the portal")
    (folder / "source" / "lab01-python-numpy" / "data.txt").symlink_to(secret)
    problems = check_package(folder)
    assert [(p.file, p.message) for p in problems] == [
        ("ai-foundations/source/lab01-python-numpy/data.txt", "symbolic links are not allowed")
    ]


def test_prerequisite_cycles_are_found(tmp_path):
    for slug in ("ai-foundations", "smart-factory-pdm"):
        shutil.copytree(COURSES / slug, tmp_path / slug)
    toml = tmp_path / "ai-foundations" / "course.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "prerequisites = []", 'prerequisites = ["smart-factory-pdm"]'
        ),
        encoding="utf-8",
    )
    cyclic = {p.file for p in check_tree(tmp_path) if p.message == "prerequisites form a cycle"}
    assert cyclic == {"ai-foundations/course.toml", "smart-factory-pdm/course.toml"}


def test_readme_documents_every_schema_field():
    readme = (COURSES / "README.md").read_text(encoding="utf-8")
    names = set(SCHEMA["properties"])
    for definition in SCHEMA["$defs"].values():
        names |= set(definition.get("properties", {}))
        for branch in definition.get("oneOf", []):
            names |= set(branch.get("properties", {}))
    missing = sorted(n for n in names if f"`{n}`" not in readme)
    assert not missing, f"courses/README.md does not document {missing}"
