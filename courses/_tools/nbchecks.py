"""Checks on one nbgrader source notebook (no execution).

A source notebook must be valid nbformat 4, declare a kernelspec, and carry nbgrader cell
metadata (schema 3) that nbgrader 0.9.6 accepts, plus this project's rules: every notebook has
at least one hidden test and at least one manually graded cell, test cells are locked code
cells with positive points, solution code cells hold a BEGIN/END SOLUTION region.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

GPU_ORDER = {"none": 0, "optional": 1, "required": 2}
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the file (relative to courses/), where in it, and what."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}"


def notebook_cells(path: Path) -> list[dict]:
    """The raw cells of a notebook, or [] when it is not readable JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    cells = data.get("cells") if isinstance(data, dict) else None
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def check_notebook(path: Path) -> list[tuple[str, str]]:
    """(location, message) for each problem in one source notebook."""
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as exc:  # nbformat raises several unrelated types for unreadable files
        return [("(file)", f"not a readable notebook: {exc}")]
    if nb.get("nbformat") != 4:
        return [("(file)", f"nbformat {nb.get('nbformat')} is not 4")]
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        return [("(file)", f"invalid nbformat 4: {exc.message}")]
    problems = []
    if not nb.metadata.get("kernelspec", {}).get("name"):
        problems.append(("metadata.kernelspec", "missing kernelspec name"))
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        problems += _cell_problems(index, cell, seen)
    problems += _notebook_rules(nb.cells)
    return problems


def _cell_problems(index: int, cell, seen: set[str]) -> list[tuple[str, str]]:
    meta = cell.metadata.get("nbgrader")
    if meta is None:
        return []
    grade_id = meta.get("grade_id", "")
    where = f"cell {index} ({grade_id or 'no grade_id'})"
    out = []
    if meta.get("schema_version") != 3:
        out.append((where, "nbgrader schema_version must be 3"))
    if not GRADE_ID.match(str(grade_id)):
        out.append((where, "grade_id must match [A-Za-z0-9_-]{1,64}"))
    elif grade_id in seen:
        out.append((where, f"duplicate grade_id {grade_id!r}"))
    seen.add(grade_id)
    is_grade, is_solution = bool(meta.get("grade")), bool(meta.get("solution"))
    if is_grade and not (isinstance(meta.get("points"), int | float) and meta["points"] > 0):
        out.append((where, "graded cell needs positive points"))
    is_test = is_grade and not is_solution
    if is_test and (cell.cell_type != "code" or not meta.get("locked")):
        out.append((where, "autograded test cell must be a locked code cell"))
    has_markers = SOLUTION_BEGIN in cell.source and SOLUTION_END in cell.source
    if is_solution and cell.cell_type == "code" and not has_markers:
        out.append((where, "solution code cell needs ### BEGIN SOLUTION / ### END SOLUTION"))
    if cell.source.count(HIDDEN_BEGIN) != cell.source.count(HIDDEN_END):
        out.append((where, "unbalanced BEGIN/END HIDDEN TESTS markers"))
    if "BEGIN HIDDEN TESTS" in cell.source and not is_test:
        out.append((where, "hidden tests are only allowed in autograded test cells"))
    if "BEGIN SOLUTION" in cell.source and not is_solution:
        out.append(
            (where, "BEGIN SOLUTION appears outside a solution cell (nbgrader would cut it)")
        )
    return out


def _notebook_rules(cells) -> list[tuple[str, str]]:
    def flags(cell):
        meta = cell.metadata.get("nbgrader", {})
        return bool(meta.get("grade")), bool(meta.get("solution"))

    tests = [c for c in cells if flags(c) == (True, False)]
    out = []
    if not any(HIDDEN_BEGIN in c.source for c in tests):
        out.append(("(notebook)", "needs at least one test cell with hidden tests"))
    if not any(flags(c) == (True, True) for c in cells):
        out.append(("(notebook)", "needs at least one manually graded answer cell"))
    if not any(flags(c) == (False, True) for c in cells):
        out.append(("(notebook)", "needs at least one solution cell"))
    return out
