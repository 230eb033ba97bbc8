"""The gradebook rows written with SQLAlchemy Core are the rows nbgrader itself would write."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course_dir import CourseError, CoursePaths, Submission, record_results
from autograder.gradebook_rows import parse_utc
from autograder.template import generate
from tests.autograder.ag_support import FILES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(make_course):
    root = make_course({"lab": FILES / "lab.ipynb"}, assignment="lab", data=[FILES / "numbers.csv"])
    generate(root, "lab")
    return root


def _structure(db: Path, student: str) -> list[tuple]:
    """Every row nbgrader keeps for a student's submission, ids replaced by cell names."""
    con = sqlite3.connect(db)
    sub = """select sa.id from submitted_assignment sa where sa.student_id = ?"""
    (sid,) = con.execute(sub, (student,)).fetchone()
    out = [("student", *con.execute("select * from student where id = ?", (student,)).fetchone())]
    out += [("sa", *con.execute(
        "select student_id, timestamp, extension from submitted_assignment where id = ?", (sid,)
    ).fetchone())]  # fmt: skip
    out += [("snb", *r) for r in con.execute(
        "select n.name, s.flagged, s.late_submission_penalty from submitted_notebook s "
        "join notebook n on n.id = s.notebook_id where s.assignment_id = ?", (sid,))]  # fmt: skip
    for table, cols in (("grade", "auto_score, manual_score, extra_credit, needs_manual_grade"),
                        ("comment", "auto_comment, manual_comment")):  # fmt: skip
        out += sorted((table, *r) for r in con.execute(
            f"select c.name, c.type, {cols} from {table} g join base_cell c on c.id = g.cell_id "
            "join submitted_notebook s on s.id = g.notebook_id where s.assignment_id = ?", (sid,)))  # fmt: skip
    con.close()
    return [tuple("ID" if isinstance(v, str) and len(v) == 32 else v for v in r) for r in out]


def test_new_submission_rows_equal_nbgraders_add_submission(course):
    from nbgrader.api import Gradebook

    stamp = "2026-11-20 10:00:00.000000 UTC"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ml101") as gb:
        gb.add_student("nbg")
        gb.add_submission("lab", "nbg", timestamp=stamp)
    d = course / "submitted" / "ours" / "lab"
    d.mkdir(parents=True)
    sub = Submission("ours", "lab", d / "lab.ipynb", d, stamp)
    # A notebook that was not submitted: nbgrader's add_submission rows, then zeros.
    record_results(CoursePaths.load(course), "lab", [(sub, None)])
    ours = _structure(course / "gradebook.db", "ours")
    nbg = _structure(course / "gradebook.db", "nbg")
    assert [r for r in ours if r[0] != "grade"] == [
        tuple("ours" if v == "nbg" else v for v in r) for r in nbg if r[0] != "grade"
    ]
    # Same grade rows, scored 0 and no longer waiting for a manual grade.
    assert [r[:3] for r in ours if r[0] == "grade"] == [r[:3] for r in nbg if r[0] == "grade"]
    assert {r[3:] for r in ours if r[0] == "grade"} == {(0.0, None, None, 0)}
    assert {r[3:] for r in nbg if r[0] == "grade"} == {(None, None, None, 1)}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "ml101") as gb:
        submission = gb.find_submission("lab", "ours")  # nbgrader's ORM reads our rows
        assert submission.score == 0 and submission.timestamp.year == 2026


def test_an_assignment_missing_from_the_gradebook_is_a_course_error(course):
    d = course / "submitted" / "x" / "lab"
    sub = Submission("x", "lab", d / "lab.ipynb", d, None)
    paths = CoursePaths.load(course)
    shutil.copy(course / "autograder" / "lab" / "template.json", course / "t.json")
    (course / "autograder" / "other").mkdir()
    shutil.copy(course / "t.json", course / "autograder" / "other" / "template.json")
    with pytest.raises(CourseError, match="not in the gradebook"):
        record_results(paths, "other", [(sub, None)])


def test_a_missing_gradebook_is_created_by_nbgrader_first(course):
    (course / "gradebook.db").unlink()
    d = course / "submitted" / "x" / "lab"
    sub = Submission("x", "lab", d / "lab.ipynb", d, None)
    with pytest.raises(CourseError, match="not in the gradebook"):
        record_results(CoursePaths.load(course), "lab", [(sub, None)])
    tables = sqlite3.connect(course / "gradebook.db").execute(
        "select name from sqlite_master where name in ('grade', 'alembic_version')"
    )
    assert sorted(r[0] for r in tables) == ["alembic_version", "grade"]


@pytest.mark.parametrize(
    "text",
    ["2026-11-20 10:00:00.000000 UTC", "2026-11-20 10:00:00 +0900", "2026-11-20T10:00:00",
     "2026-11-20 10:00:00.5 America/New_York", "2026-11-20 11:00:00+01:00"],
)  # fmt: skip
def test_timestamps_parse_like_nbgrader(text):
    from nbgrader.utils import parse_utc as nbgrader_parse_utc

    assert parse_utc(text) == nbgrader_parse_utc(text)


def test_grading_a_course_never_imports_nbgrader(course):
    d = course / "submitted" / "x" / "lab"
    d.mkdir(parents=True)
    code = (
        "import sys\nfrom pathlib import Path\nfrom autograder.course_dir import CoursePaths, "
        "Submission, record_results\n"
        f"d = Path({str(d)!r})\n"
        "sub = Submission('x', 'lab', d / 'lab.ipynb', d, None)\n"
        f"record_results(CoursePaths.load(Path({str(course)!r})), 'lab', [(sub, None)])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'nbgrader'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stderr
