"""Shared helpers for the course-package tests: run a lab through the real nbgrader 0.9.6 API.

``grade_lab`` copies one assignment's source into a throw-away nbgrader course root, runs
``generate_assignment``, then autogrades two submissions — the *source* notebook (the model
solution, hidden tests included) as student ``solution`` and the generated *release* (the blank
notebook a learner receives) as student ``blank`` — and reads every grade back from the
gradebook. Harness failures (nbgrader reporting ``success: False``) raise ``HarnessError``
with nbgrader's log, so a broken pipeline is never mistaken for a score of zero.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
COURSES = REPO / "courses"
sys.path.insert(0, str(COURSES / "_tools"))

from check_courses import course_dirs, load_course  # noqa: E402


class HarnessError(RuntimeError):
    """nbgrader itself failed (not a student's score)."""


@dataclass
class CellGrade:
    notebook: str
    grade_id: str
    auto_score: float | None
    max_score: float


@dataclass
class LabGrades:
    """Grades of the solution and the blank release for one assignment, per graded cell."""

    release_dir: Path
    test_ids: set[tuple[str, str]]  # (notebook, grade_id) of autograded test cells
    solution: list[CellGrade]
    blank: list[CellGrade]
    edited: list[CellGrade]

    def auto(self, who: str) -> tuple[float, float]:
        """(earned, possible) auto-graded test points for ``who`` in {solution, blank, edited}."""
        rows = [g for g in getattr(self, who) if (g.notebook, g.grade_id) in self.test_ids]
        return sum(g.auto_score or 0.0 for g in rows), sum(g.max_score for g in rows)

    def manual(self, who: str) -> list[CellGrade]:
        """Grades of the manually graded cells for ``who``."""
        return [g for g in getattr(self, who) if (g.notebook, g.grade_id) not in self.test_ids]

    def failing(self, who: str) -> list[str]:
        rows = [g for g in getattr(self, who) if (g.notebook, g.grade_id) in self.test_ids]
        return [f"{g.notebook}:{g.grade_id}" for g in rows if g.auto_score != g.max_score]


def all_labs() -> list[tuple[str, str]]:
    """(course slug, assignment name) for every assignment of every course package."""
    labs = []
    for course_dir in course_dirs():
        meta = load_course(course_dir)
        labs += [(course_dir.name, a["name"]) for a in meta.get("assignments", [])]
    return labs


def make_template_gradebook(path: Path) -> None:
    """Create an empty gradebook once, to be copied into every lab's course root.

    nbgrader stamps a new gradebook with the alembic head revision by running the ``alembic``
    CLI in a subprocess (2-8 s on a busy machine); the same head is read in-process instead.
    """
    from unittest import mock

    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    from nbgrader import api, dbutil

    alembic_config = AlembicConfig()
    alembic_config.set_main_option("script_location", dbutil.ALEMBIC_DIR)
    head = ScriptDirectory.from_config(alembic_config).get_current_head()
    with (
        mock.patch.object(api, "get_alembic_version", return_value=head),
        api.Gradebook(f"sqlite:///{path}"),
    ):
        pass


def _test_cell_ids(release_dir: Path) -> set[tuple[str, str]]:
    ids = set()
    for path in release_dir.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                ids.add((path.stem, meta["grade_id"]))
    return ids


def _read_grades(db_url: str, assignment: str, student: str) -> list[CellGrade]:
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(db_url) as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for grade in nb.grades:
                rows.append(CellGrade(nb.name, grade.name, grade.auto_score, grade.max_score))
    return rows


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        raise HarnessError(f"nbgrader {what} failed:\n{result.get('log')}\n{result.get('error')}")


def _edited_copy(source: Path, target: Path, edits: dict[str, tuple[str, str]]) -> None:
    """Copy an assignment, replacing text in the cells named by grade_id (each must match)."""
    shutil.copytree(source, target)
    for path in target.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in edits:
                old, new = edits[grade_id]
                if old not in cell.source:
                    raise HarnessError(f"{grade_id}: {old!r} not found")
                cell.source = cell.source.replace(old, new)
        nbformat.write(nb, path)


def grade_lab(
    slug: str,
    assignment: str,
    work: Path,
    template_db: Path,
    edits: dict[str, tuple[str, str]] | None = None,
) -> LabGrades:
    """Run generate_assignment + autograde(solution, blank[, edited]) for one lab in ``work``.

    ``edits`` (grade_id -> (old, new)) adds a third submission, ``edited``: the model solution
    with those replacements, e.g. a plausible mistake that only hidden tests catch.
    """
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = work / "course"
    source = root / "source" / assignment
    shutil.copytree(COURSES / slug / "source" / assignment, source)
    shutil.copy(template_db, root / "gradebook.db")
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = slug
    config.CourseDirectory.db_url = db_url
    config.Exchange.root = str(work / "exchange")
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    students = ["solution", "blank"] + (["edited"] if edits else [])
    cwd = os.getcwd()
    try:
        _check(api.generate_assignment(assignment), "generate_assignment")
        release = root / "release" / assignment
        shutil.copytree(source, root / "submitted" / "solution" / assignment)
        shutil.copytree(release, root / "submitted" / "blank" / assignment)
        if edits:
            _edited_copy(source, root / "submitted" / "edited" / assignment, edits)
        for student in students:
            _check(api.autograde(assignment, student), f"autograde {student}")
    finally:
        os.chdir(cwd)  # nbgrader's converters chdir into the course root
    return LabGrades(
        release_dir=release,
        test_ids=_test_cell_ids(release),
        solution=_read_grades(db_url, assignment, "solution"),
        blank=_read_grades(db_url, assignment, "blank"),
        edited=_read_grades(db_url, assignment, "edited") if edits else [],
    )
