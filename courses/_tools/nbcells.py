"""Cell builders for nbgrader *source* notebooks (nbgrader cell metadata schema 3).

Every builder returns an ``nbformat`` v4 cell whose ``metadata.nbgrader`` follows the rules
nbgrader 0.9.6 enforces (``CheckCellMetadata``):

- ``instructions`` / ``locked_code``: read-only cells (``locked: true``, not graded);
- ``solution``: an editable code cell whose ``### BEGIN SOLUTION`` region nbgrader replaces
  with ``raise NotImplementedError()`` in the release;
- ``tests``: a locked, autograded code cell with ``points``; text between
  ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` is removed from the release and
  restored at grading time;
- ``manual``: a manually graded markdown answer cell (``solution`` and ``grade``); its
  source is the model answer, replaced by "YOUR ANSWER HERE" in the release.

Sources are dedented and stripped so specs can use indented triple-quoted strings.
"""

from __future__ import annotations

import textwrap

import nbformat
from nbformat.notebooknode import NotebookNode

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float = 0) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def instructions(grade_id: str, text: str) -> NotebookNode:
    """A read-only markdown cell (instructions, rubric, context)."""
    return nbformat.v4.new_markdown_cell(
        _src(text), metadata=_meta(grade_id, grade=False, solution=False, locked=True)
    )


def locked_code(grade_id: str, text: str) -> NotebookNode:
    """A read-only code cell (data generation, plotting, provided helpers)."""
    return nbformat.v4.new_code_cell(
        _src(text), metadata=_meta(grade_id, grade=False, solution=False, locked=True)
    )


def solution(grade_id: str, text: str) -> NotebookNode:
    """An editable code cell holding a ``### BEGIN SOLUTION`` region."""
    source = _src(text)
    if "### BEGIN SOLUTION" not in source or "### END SOLUTION" not in source:
        raise ValueError(f"{grade_id}: a solution cell needs BEGIN/END SOLUTION markers")
    return nbformat.v4.new_code_cell(
        source, metadata=_meta(grade_id, grade=False, solution=True, locked=False)
    )


def tests(grade_id: str, points: float, text: str) -> NotebookNode:
    """A locked autograded test cell worth ``points``."""
    if points <= 0:
        raise ValueError(f"{grade_id}: a test cell needs positive points")
    return nbformat.v4.new_code_cell(
        _src(text), metadata=_meta(grade_id, grade=True, solution=False, locked=True, points=points)
    )


def manual(grade_id: str, points: float, model_answer: str) -> NotebookNode:
    """A manually graded markdown answer cell; the source is the model answer."""
    return nbformat.v4.new_markdown_cell(
        _src(model_answer),
        metadata=_meta(grade_id, grade=True, solution=True, locked=False, points=points),
    )


def notebook(cells: list[NotebookNode]) -> NotebookNode:
    """A v4 notebook with the python3 kernelspec, validated by nbformat."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate grade_id(s): {duplicates}")
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index:02d}-{ids[index]}"[:64]
    nbformat.validate(nb)
    return nb
