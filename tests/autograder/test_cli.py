"""``python -m autograder``: generate, grade (one job), autograde (a course), sandbox refusal."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import pytest

from autograder import cli
from autograder.contract import Result
from autograder.execute import register_executor
from autograder.sandbox import SandboxStatus
from tests.autograder.ag_support import InProcessExecutor, answer, release_notebook

MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"


@pytest.fixture(autouse=True)
def double_executor(monkeypatch):
    register_executor("test-inprocess", lambda **kw: InProcessExecutor())
    monkeypatch.delenv("AUTOGRADER_ALLOW_UNSANDBOXED", raising=False)
    monkeypatch.delenv("AUTOGRADER_EXECUTOR", raising=False)


def _grade_args(generated, submission):
    return [
        "grade",
        "--release",
        str(generated / "release" / "lab"),
        "--submission",
        str(submission),
        "--executor",
        "test-inprocess",
        "--unsandboxed",
        "--json",
    ]


def test_grade_prints_a_valid_result_json(generated, tmp_path, capsys):
    sub = tmp_path / "mine.ipynb"
    sub.write_text(json.dumps(answer(release_notebook(generated), "mean_answer", MEAN)))
    assert cli.main(_grade_args(generated, sub)) == 0
    result = Result.from_json(capsys.readouterr().out)
    assert (result.status, result.earned, result.possible) == ("graded", 3.0, 9.0)


def test_grade_of_a_broken_notebook_explains_why(generated, tmp_path, capsys):
    sub = tmp_path / "broken.ipynb"
    sub.write_text('{"cells": [')
    assert cli.main(_grade_args(generated, sub)) == 0
    result = Result.from_json(capsys.readouterr().out)
    assert result.status == "needs_review" and "bad JSON" in result.reason


def test_grade_without_template_says_how_to_fix(tmp_path, capsys):
    (tmp_path / "release" / "x").mkdir(parents=True)
    sub = tmp_path / "s.ipynb"
    sub.write_text("{}")
    args = ["grade", "--release", str(tmp_path / "release" / "x"), "--submission", str(sub)]
    assert cli.main([*args, "--executor", "test-inprocess", "--unsandboxed"]) == 2
    assert "pass --template" in capsys.readouterr().err


def test_grading_is_refused_when_the_sandbox_is_unavailable(
    generated, tmp_path, capsys, monkeypatch
):
    import autograder.execute

    down = SandboxStatus(False, "namespaces", "the grader must run as root")
    monkeypatch.setattr(autograder.execute, "sandbox_status", lambda: down)
    sub = tmp_path / "s.ipynb"
    sub.write_text("{}")
    args = ["grade", "--release", str(generated / "release" / "lab"), "--submission", str(sub)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "must run as root" in err and "Refusing" in err and "--unsandboxed" in err


def test_generate_reports_errors_without_a_traceback(tmp_path, capsys):
    (tmp_path / "course").mkdir()
    assert cli.main(["generate", str(tmp_path / "course"), "nope"]) == 2
    assert "no source/nope directory" in capsys.readouterr().err


def test_sandbox_check_prints_the_status(capsys):
    code = cli.main(["sandbox-check"])
    out = capsys.readouterr().out
    assert out.startswith("sandbox ") and code in (0, 1)


@pytest.mark.slow
def test_autograde_command_grades_a_course_end_to_end(generated, tmp_path):
    from autograder.execute import sandbox_status

    course = tmp_path / "course"
    shutil.copytree(generated, course)
    release = release_notebook(course)
    for student, nb in {"s1": answer(release, "mean_answer", MEAN), "s2": release}.items():
        (course / "submitted" / student / "lab").mkdir(parents=True)
        (course / "submitted" / student / "lab" / "lab.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "results.json"
    cmd = [sys.executable, "-m", "autograder", "autograde", str(course), "lab", "--workers", "2"]
    cmd += ["--json", str(out), "--cell-timeout", "10"]
    if not sandbox_status().available:
        cmd.append("--unsandboxed")
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["students"]["s1"]["earned"] == 3.0
    assert report["students"]["s2"]["notebooks"]["lab"]["cells"][0]["status"] == "error"
    grades = tmp_path / "grades.csv"
    export = [sys.executable, "-m", "nbgrader", "export", "--to", str(grades)]
    subprocess.run(export, cwd=course, check=True, capture_output=True, timeout=120)
    rows = {r["student_id"]: r["score"] for r in csv.DictReader(grades.open())}
    assert rows == {"s1": "3.0", "s2": "0.0"}
    assert (course / "autograded" / "s1" / "lab" / "lab.ipynb").is_file()
