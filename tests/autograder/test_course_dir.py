"""autograde on an nbgrader course directory: gradebook, autograded/, nbgrader export."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

from autograder.batch import autograde
from autograder.contract import Result
from autograder.course_dir import CourseError
from autograder.grading import grade, not_gradable
from autograder.template import generate
from tests.autograder.ag_support import FILES, InProcessExecutor, answer, release_notebook

MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
SCALE = "def scale(xs, k):\n    return [x * k for x in xs]"


@pytest.fixture
def course(make_course):
    root = make_course({"lab": FILES / "lab.ipynb"}, assignment="lab", data=[FILES / "numbers.csv"])
    generate(root, "lab")
    release = release_notebook(root)
    good = answer(
        answer(answer(release, "mean_answer", MEAN), "scale_answer", SCALE), "explain", "If empty."
    )
    for student, nb in {
        "alice": good,
        "bob": answer(release, "mean_answer", MEAN),
        "carol": release,
    }.items():
        d = root / "submitted" / student / "lab"
        d.mkdir(parents=True)
        (d / "lab.ipynb").write_text(json.dumps(nb))
        (d / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    (root / "submitted" / "dave" / "lab").mkdir(parents=True)  # submitted nothing
    return root


def in_process(executor=None):
    executor = executor or InProcessExecutor()

    def run_jobs(jobs, on_result):
        for job in jobs:
            on_result(grade(job, executor=executor))

    return run_jobs


def _gradebook(root):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}")


def test_autograde_records_scores_like_nbgrader_and_export_works(course, tmp_path):
    report = autograde(course, "lab", run_jobs=in_process())
    assert report.to_dict()["summary"] == {
        "graded": 3,
        "needs_review": 0,
        "not_gradable": 0,
        "missing": 1,
    }
    with _gradebook(course) as gb:
        scores = {s: gb.find_submission("lab", s).score for s in ("alice", "bob", "carol", "dave")}
        explain = gb.find_grade("explain", "lab", "lab", "alice")
        assert (explain.auto_score, explain.needs_manual_grade) == (None, True)
        assert gb.find_grade("explain", "lab", "lab", "carol").auto_score == 0.0
        assert gb.find_comment("explain", "lab", "lab", "carol").auto_comment == "No response."
        assert gb.find_comment("mean_answer", "lab", "lab", "alice").auto_comment is None
    assert scores == {"alice": 7.0, "bob": 3.0, "carol": 0.0, "dave": 0.0}
    out = tmp_path / "grades.csv"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", "--to", str(out)],
        cwd=course,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert rows["alice"]["score"] == "7.0" and rows["alice"]["max_score"] == "9.0"
    assert rows["bob"]["timestamp"].startswith("2026-11-20 10:00:00")
    feedback = [sys.executable, "-m", "nbgrader", "generate_feedback", "lab", "--student", "bob"]
    done = subprocess.run(feedback, cwd=course, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # formgrader's pipeline reads our autograded/
    assert (course / "feedback" / "bob" / "lab" / "lab.html").is_file()


def test_autograded_directory_has_executed_notebook_and_files(course):
    autograde(course, "lab", run_jobs=in_process(), student_glob="alice")
    dest = course / "autograded" / "alice" / "lab"
    assert sorted(p.name for p in dest.iterdir()) == ["lab.ipynb", "numbers.csv", "timestamp.txt"]
    nb = json.loads((dest / "lab.ipynb").read_text())
    assert any(c.get("outputs") for c in nb["cells"])
    assert not (course / "autograded" / "bob").exists()


def test_manual_scores_survive_regrading(course):
    autograde(course, "lab", run_jobs=in_process(), student_glob="alice")
    with _gradebook(course) as gb:
        gb.find_grade("explain", "lab", "lab", "alice").manual_score = 2.0
        gb.db.commit()
    autograde(course, "lab", run_jobs=in_process(), student_glob="alice")
    with _gradebook(course) as gb:
        assert gb.find_grade("explain", "lab", "lab", "alice").manual_score == 2.0
        assert gb.find_submission("lab", "alice").score == 9.0


def test_not_gradable_submission_keeps_previous_grades(course):
    autograde(course, "lab", run_jobs=in_process(), student_glob="alice")

    def broken(jobs, on_result):
        for job in jobs:
            on_result(not_gradable(job, "sandbox exploded"))

    report = autograde(course, "lab", run_jobs=broken, student_glob="alice")
    result: Result = report.results[("alice", "lab")]
    assert result.status == "not_gradable"
    with _gradebook(course) as gb:
        assert gb.find_submission("lab", "alice").score == 7.0


def test_json_report_has_per_student_and_per_cell_results(course):
    report = autograde(course, "lab", run_jobs=in_process()).to_dict()
    bob = report["students"]["bob"]
    assert (bob["earned"], bob["possible"]) == (3.0, 9.0)
    cells = {c["cell_id"]: c["status"] for c in bob["notebooks"]["lab"]["cells"]}
    assert cells["test_mean"] == "passed" and cells["test_scale"] == "error"
    assert report["students"]["dave"]["notebooks"]["lab"]["status"] == "missing"


def test_autograde_without_generate_is_a_clear_error(make_course):
    root = make_course({"lab": FILES / "lab.ipynb"}, assignment="lab")
    with pytest.raises(CourseError, match="run `python -m autograder generate"):
        autograde(root, "lab", run_jobs=in_process())


def test_flagged_submission_is_listed_for_manual_grading(course):
    nb = json.loads((course / "submitted" / "alice" / "lab" / "lab.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test_scale":
            cell["source"] = "pass  # edited"
    (course / "submitted" / "alice" / "lab" / "lab.ipynb").write_text(json.dumps(nb))
    report = autograde(course, "lab", run_jobs=in_process(), student_glob="alice")
    assert report.results[("alice", "lab")].status == "needs_review"
    with _gradebook(course) as gb:
        grade = gb.find_grade("test_scale", "lab", "lab", "alice")
        assert (grade.auto_score, grade.needs_manual_grade) == (1.0, True)
        assert gb.find_submission("lab", "alice").needs_manual_grade


def test_course_paths_follow_nbgrader_config(tmp_path):
    from autograder.course_dir import CoursePaths

    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        "c.CourseDirectory.submitted_directory = 'inbox'\n"
        "c.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n"
    )
    for student in ("ann", "bo b", "cy"):
        (tmp_path / "inbox" / "lab" / student).mkdir(parents=True)
    (tmp_path / "inbox" / "lab" / "stray.txt").write_text("")
    paths = CoursePaths.load(tmp_path)
    found = paths.student_dirs("lab", "*")
    assert [s for s, _ in found] == ["ann", "bo b", "cy"]
    assert paths.student_dirs("lab", "c*") == [("cy", tmp_path / "inbox" / "lab" / "cy")]
    assert paths.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_gpu_assignment_jobs_ask_for_a_gpu(course):
    seen = []

    def run_jobs(jobs, on_result):
        seen.extend(job.resource_class for job in jobs)
        in_process()(jobs, on_result)

    autograde(course, "lab", run_jobs=run_jobs, student_glob="alice", resource_class="gpu")
    assert seen == ["gpu"]


def test_exclude_overwriting_keeps_the_students_file(course):
    config = course / "nbgrader_config.py"
    config.write_text(
        config.read_text() + "c.Autograde.exclude_overwriting = {'lab': ['numbers.csv']}\n"
    )
    (course / "submitted" / "alice" / "lab" / "numbers.csv").write_text("7\n")
    (course / "submitted" / "bob" / "lab" / "numbers.csv").write_text("7\n")
    report = autograde(course, "lab", run_jobs=in_process(), student_glob="[ab]*")
    # the hidden test checks mean(DATA) == 2.5: it now reads the student's own data file
    alice = {c.cell_id: c.earned for c in report.results[("alice", "lab")].cells}
    assert alice["test_mean"] == 0.0
    assert (course / "autograded" / "alice" / "lab" / "numbers.csv").read_text() == "7\n"
