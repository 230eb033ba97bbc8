"""The nbgrader course directory: configuration, paths and the gradebook.

This is the drop-in side of the autograder. It reads a course exactly like nbgrader does
(``nbgrader_config.py`` in the course root, ``CourseDirectory`` paths, the ``Gradebook``
database) and writes grades back the way ``nbgrader autograde`` does (``SaveAutoGrades``), so
``nbgrader export`` and formgrader keep working. nbgrader's heavy machinery is only imported
here and in :mod:`autograder.template`, never in the per-submission grading path.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.contract import CellResult, Result

log = logging.getLogger(__name__)
TEMPLATE_DIRNAME = "autograder"
NO_RESPONSE = "No response."


class CourseError(Exception):
    """The course directory cannot be used (missing, no such assignment, nbgrader failed)."""


@dataclass
class Submission:
    """One student's submitted notebook, found under ``submitted/<student>/<assignment>/``."""

    student_id: str
    notebook_name: str  # without ".ipynb"
    path: Path  # the submitted notebook (may not exist: then it was not submitted)
    directory: Path  # submitted/<student>/<assignment>
    timestamp: str | None


def template_path(course_root: Path, assignment: str) -> Path:
    """Where ``generate`` writes the assignment's grading template (never under release/)."""
    return Path(course_root) / TEMPLATE_DIRNAME / assignment / "template.json"


def nbgrader_config(course_root: Path) -> Any:
    """The traitlets Config nbgrader would use for this course (its nbgrader_config.py)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = Path(course_root).resolve()
    if not root.is_dir():
        raise CourseError(f"course directory not found: {course_root}")
    config = Config()
    cfg_file = root / "nbgrader_config.py"
    if cfg_file.is_file():
        config.merge(PyFileConfigLoader(cfg_file.name, path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    return config


def course_directory(course_root: Path) -> Any:
    """An nbgrader ``CourseDirectory`` for the course (imports nbgrader: slow; generate only)."""
    from nbgrader.coursedir import CourseDirectory

    config = nbgrader_config(course_root)
    return CourseDirectory(config=config)


@dataclass
class CoursePaths:
    """The course's paths and database as nbgrader's ``CourseDirectory`` computes them.

    Read from nbgrader_config.py with traitlets only: importing nbgrader costs seconds, which
    ``autograde`` spends while the workers grade instead of before they start.
    """

    root: str
    directory_structure: str
    submitted_directory: str
    autograded_directory: str
    release_directory: str
    db_url: str
    course_id: str
    exclude_overwriting: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, course_root: Path) -> CoursePaths:
        config = nbgrader_config(course_root)
        cfg = config.CourseDirectory
        root = cfg.root
        exclude = config.Autograde.get("exclude_overwriting", {})

        def get(name: str, default: str) -> str:
            value = cfg.get(name, default)
            return value if isinstance(value, str) else default

        return cls(
            root=root,
            directory_structure=get(
                "directory_structure",
                os.path.join("{nbgrader_step}", "{student_id}", "{assignment_id}"),
            ),
            submitted_directory=get("submitted_directory", "submitted"),
            autograded_directory=get("autograded_directory", "autograded"),
            release_directory=get("release_directory", "release"),
            db_url=get("db_url", "") or f"sqlite:///{os.path.join(root, 'gradebook.db')}",
            course_id=get("course_id", ""),
            exclude_overwriting=exclude if isinstance(exclude, dict) else {},
        )

    def format_path(self, step: str, student_id: str, assignment_id: str) -> str:
        """nbgrader's ``CourseDirectory.format_path`` (without the regex-escaping variant)."""
        sub = self.directory_structure.format(
            nbgrader_step=step, student_id=student_id, assignment_id=assignment_id
        )
        return os.path.join(self.root, sub)

    def student_dirs(self, assignment: str, student_glob: str) -> list[tuple[str, Path]]:
        """(student id, directory) of every submission of ``assignment``, sorted by id."""
        import glob
        import re

        sentinel = "\x00student\x00"
        before, after = self.format_path(self.submitted_directory, sentinel, assignment).split(
            sentinel
        )
        pattern = re.compile(re.escape(before) + r"([^/]+)" + re.escape(after) + "$")
        found = []
        for path in glob.glob(self.format_path(self.submitted_directory, student_glob, assignment)):
            match = pattern.match(path)
            if match and os.path.isdir(path):
                found.append((match.group(1), Path(path)))
        return sorted(found)


@contextmanager
def gradebook(coursedir: Any) -> Iterator[Any]:
    """Open the course's nbgrader Gradebook (``coursedir``: CoursePaths or CourseDirectory).

    Creating a new gradebook runs the ``alembic`` executable; it is made findable next to the
    running interpreter so a bare ``PATH`` in a service does not break it.
    """
    from nbgrader.api import Gradebook

    old_path = os.environ.get("PATH", "")
    if shutil.which("alembic") is None:
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old_path])
    try:
        with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
            yield gb
    finally:
        os.environ["PATH"] = old_path


def find_submissions(
    paths: CoursePaths, assignment: str, notebooks: list[str], student_glob: str = "*"
) -> list[Submission]:
    """Every (student, notebook) of ``assignment`` under submitted/, sorted like nbgrader.

    ``notebooks``: the assignment's notebook names (from the template). Notebooks the student
    did not submit are listed with a non-existing ``path`` so they can be scored 0 like
    nbgrader does. The timestamp is the raw text of ``timestamp.txt`` (parsed when recorded).
    """
    found: list[Submission] = []
    for student, directory in paths.student_dirs(assignment, student_glob):
        stamp = _read_timestamp(directory)
        for name in sorted(notebooks):
            path = directory / f"{name}.ipynb"
            found.append(Submission(student, name, path, directory, stamp))
    return found


def _read_timestamp(directory: Path) -> str | None:
    try:
        text = (directory / "timestamp.txt").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    return text[:100] or None


def record_results(
    coursedir: Any, assignment: str, graded: Iterable[tuple[Submission, Result | None]]
) -> None:
    """Write all grades of a batch to the gradebook in ONE transaction, as SaveAutoGrades would.

    ``None`` as the result means the notebook was not submitted: every grade becomes 0 without
    manual grading, like nbgrader. A "not_gradable" result leaves that notebook's grades
    untouched (an infrastructure failure is never recorded as a zero). Manual scores already
    in the gradebook are kept and mark the grade for review, as nbgrader does; a
    "needs_review" result marks every grade of the notebook for manual grading (formgrader
    lists it). Rows are created like ``Gradebook.add_submission`` and updated in bulk, with
    SQLAlchemy Core on nbgrader's own tables (:mod:`autograder.gradebook_rows`: no nbgrader
    import, unless the gradebook does not exist yet). Raises :class:`CourseError` when the
    assignment is not in the gradebook.
    """
    from autograder.gradebook_rows import GradebookWriter, MissingAssignment, open_tables

    graded = list(graded)
    template = load_template_file(template_path(Path(coursedir.root), assignment))
    engine, tables = open_tables(coursedir.db_url)
    if tables is None:
        engine.dispose()
        with gradebook(coursedir):  # nbgrader creates its schema (and alembic stamp)
            pass
        engine, tables = open_tables(coursedir.db_url)
    assert tables is not None
    try:
        with engine.begin() as conn:
            writer = GradebookWriter(conn, tables)
            try:
                aid = writer.assignment_id(assignment)
            except MissingAssignment:
                raise CourseError(
                    f"assignment {assignment!r} is not in the gradebook; run `python -m "
                    f"autograder generate {coursedir.root} {assignment}` first"
                ) from None
            stamps = {sub.student_id: _parse_stamp(sub) for sub, _ in graded}
            writer.ensure_submissions(aid, stamps)
            rows = (writer.rows(aid, stamps, "grade"), writer.rows(aid, stamps, "comment"))
            updates: tuple[list, list] = ([], [])
            for sub, result in graded:
                cells = template["notebooks"].get(sub.notebook_name, {}).get("cells", [])
                _record_notebook(rows, updates, sub, result, cells)
            writer.update_grades(updates[0])
            writer.update_comments(updates[1])
    finally:
        engine.dispose()


def _parse_stamp(sub: Submission) -> Any:
    from autograder.gradebook_rows import parse_utc

    if not sub.timestamp:
        return None
    try:
        return parse_utc(sub.timestamp)
    except (ValueError, OverflowError):
        log.warning("ignoring an invalid timestamp.txt of %s", sub.student_id)
        return None


def _record_notebook(
    rows: tuple[dict, dict],
    updates: tuple[list, list],
    sub: Submission,
    result: Result | None,
    cells: list[dict],
) -> None:
    """Append the notebook's grade and comment updates (nothing for a not_gradable result)."""
    if result is not None and result.status == "not_gradable":
        return
    grades, comments = rows
    scored = {c.cell_id: c for c in result.cells} if result is not None else {}
    unanswered = _unanswered(sub, cells) if result is not None else set()
    for cell in cells:
        gid, kind = cell["grade_id"], cell["kind"]
        key = (sub.student_id, sub.notebook_name, gid)
        if kind in ("test", "manual") and key in grades:
            grade = grades[key]
            auto = _auto_score(scored.get(gid), gid in unanswered, result is None)
            review = result is not None and result.status == "needs_review"
            review = review or grade.manual_score is not None or auto is None
            updates[0].append({"gid": grade.id, "auto": auto, "review": review})
        if kind in ("answer", "manual", "task") and result is not None and key in comments:
            no_response = kind != "task" and gid in unanswered
            updates[1].append(
                {"cid": comments[key].id, "text": NO_RESPONSE if no_response else None}
            )


def _auto_score(cell: CellResult | None, unanswered: bool, missing: bool) -> float | None:
    """nbgrader's auto_score: None for answers awaiting a manual grade, 0 if unanswered."""
    if missing:
        return 0.0
    if cell is None:
        return None
    if cell.status == "manual":
        return 0.0 if unanswered else None
    return cell.earned


def _unanswered(sub: Submission, cells: list[dict]) -> set[str]:
    """Answer cells the student left as released (nbgrader's "No response.")."""
    from autograder.notebook import SubmissionError, plan_notebook, read_submission

    try:
        plan = plan_notebook({"cells": cells}, read_submission(str(sub.path)), sub.notebook_name)
    except SubmissionError:
        return {c["grade_id"] for c in cells}
    return plan.unanswered


def load_template_file(path: Path) -> dict:
    """Read a template written by ``generate`` (see :mod:`autograder.template`)."""
    from autograder.template import load_template

    return load_template(str(path))
