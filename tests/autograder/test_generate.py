"""generate: nbgrader's own release plus a grading template that holds the hidden tests."""

from __future__ import annotations

import json
import shutil

import pytest

from autograder.course_dir import CourseError
from autograder.template import generate, load_template
from tests.autograder.ag_support import FILES, NBGRADER_FILES


def _release_text(course) -> str:
    return (course / "release" / "lab" / "lab.ipynb").read_text()


def test_release_has_no_solutions_or_hidden_tests_and_ships_data(generated):
    text = _release_text(generated)
    assert "BEGIN SOLUTION" not in text and "sum(xs) / len(xs)" not in text
    assert "raise NotImplementedError()" in text
    assert "HIDDEN TESTS" not in text and "mean(DATA)" not in text
    assert (generated / "release" / "lab" / "numbers.csv").read_text() == "1\n2\n3\n4\n"


def test_template_lists_cells_in_order_with_kinds_points_and_hidden_source(generated):
    path = generated / "autograder" / "lab" / "template.json"
    assert "release" not in path.relative_to(generated).parts
    cells = load_template(str(path))["notebooks"]["lab"]["cells"]
    summary = [(c["grade_id"], c["kind"], c["points"], c["hidden"]) for c in cells]
    assert summary == [
        ("intro", "locked", 0.0, False),
        ("setup", "locked", 0.0, False),
        ("mean_answer", "answer", 0.0, False),
        ("test_mean", "test", 2.0, True),
        ("scale_answer", "answer", 0.0, False),
        ("test_scale", "test", 1.0, False),
        ("test_partial", "test", 3.0, False),
        ("test_warns", "test", 1.0, False),
        ("explain", "manual", 2.0, False),
    ]
    test_mean = cells[3]
    assert "assert mean(DATA) == 2.5" in test_mean["source"]
    assert "mean(DATA)" not in test_mean["visible_source"]
    assert "sum(xs)" not in json.dumps(cells)  # no solutions in the template


def test_template_checksums_are_the_gradebook_checksums(generated):
    from nbgrader.api import Gradebook

    cells = load_template(str(generated / "autograder" / "lab" / "template.json"))
    with Gradebook(f"sqlite:///{generated / 'gradebook.db'}") as gb:
        db = {c.name: c.checksum for c in gb.find_notebook("lab", "lab").source_cells}
    assert {c["grade_id"]: c["checksum"] for c in cells["notebooks"]["lab"]["cells"]} == db


def test_nbgrader_sample_assignment_generates(make_course):
    course = make_course(
        {"p1": NBGRADER_FILES / "test.ipynb", "p2": NBGRADER_FILES / "test-hidden-tests.ipynb"},
        data=[NBGRADER_FILES / "data.txt"],
    )
    template = load_template(str(generate(course, "ps1")))
    assert sorted(template["notebooks"]) == ["p1", "p2"]
    hidden = [c["grade_id"] for c in template["notebooks"]["p2"]["cells"] if c["hidden"]]
    assert hidden == ["correct_squares", "correct_sum_of_squares"]
    assert (course / "release" / "ps1" / "data.txt").exists()


def test_unterminated_solution_region_is_a_clear_error(make_course, tmp_path):
    nb = json.loads((FILES / "lab.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "mean_answer":
            cell["source"] = "def mean(xs):\n    ### BEGIN SOLUTION\n    return 1\n"
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps(nb))
    course = make_course({"lab": bad}, assignment="lab")
    with pytest.raises(CourseError, match="nbgrader could not release 'lab'"):
        generate(course, "lab")


def test_missing_source_directory_is_a_clear_error(make_course):
    course = make_course({"lab": FILES / "lab.ipynb"}, assignment="lab")
    shutil.rmtree(course / "source" / "lab")
    with pytest.raises(CourseError, match="no source/lab directory"):
        generate(course, "lab")
