"""``generate``: the student release and the grading template of an nbgrader assignment.

The release is made by nbgrader's own ``GenerateAssignment`` converter, in process, so solution
regions, hidden tests, locked cells, checksums, data files and the gradebook rows are exactly
what ``nbgrader generate_assignment`` produces and the course stays an nbgrader course.

The template is a JSON file (``<course>/autograder/<assignment>/template.json``; never inside
``release/``) holding, per notebook and per nbgrader cell in release order::

    {"grade_id", "kind", "cell_type", "points", "locked", "checksum",
     "source",          # what grading executes: the full locked source incl. hidden tests,
                        # or the released stub for answer cells
     "visible_source",  # the released source (hidden tests stripped)
     "hidden",          # True when the cell has hidden tests
     "flags"}           # the released nbgrader grade/solution/locked flags

``kind`` is one of ``test`` (autograded test), ``answer`` (autograded answer),
``manual`` (manually graded answer), ``task`` (manually graded task), ``locked`` (read-only).
Grading reads only this file (no database, no nbgrader import per submission).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from autograder.course_dir import (
    CourseError,
    course_directory,
    gradebook,
    nbgrader_config,
    template_path,
)

TEMPLATE_FORMAT = "autograder-template/1"
KINDS = ("test", "answer", "manual", "task", "locked")
_CACHE: dict[str, tuple[float, dict]] = {}


def generate(course_root: str | os.PathLike[str], assignment: str) -> Path:
    """Release ``source/<assignment>`` with nbgrader and write the grading template.

    Returns the template path. Raises :class:`CourseError` with nbgrader's log when the
    source cannot be released (bad metadata, unterminated solution region, ...).
    """
    root = Path(course_root).resolve()
    _run_nbgrader_generate(root, assignment)
    coursedir = course_directory(root)
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    with gradebook(coursedir) as gb:
        template = build_template(gb, assignment, release)
    out = template_path(root, assignment)
    write_json_atomic(out, template)
    return out


def _run_nbgrader_generate(root: Path, assignment: str) -> None:
    import logging

    from nbgrader.converters import GenerateAssignment
    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory

    if not (root / "source" / assignment).is_dir():
        raise CourseError(f"no source/{assignment} directory in {root}")
    config = nbgrader_config(root)
    config.GenerateAssignment.force = True
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    log = logging.getLogger("autograder.generate")
    converter = GenerateAssignment(coursedir=coursedir, config=config, log=log)
    cwd = os.getcwd()
    try:
        with gradebook(coursedir):  # creates the database (alembic on PATH) if needed
            pass
        converter.start()
    except NbGraderException as exc:
        raise CourseError(f"nbgrader could not release {assignment!r}: {exc}") from None
    finally:
        os.chdir(cwd)  # BaseConverter.start() chdirs into the course root


def build_template(gb: Any, assignment: str, release_dir: Path) -> dict:
    """The template of ``assignment`` from the gradebook rows and the released notebooks."""
    notebooks = {}
    for nb in gb.find_assignment(assignment).notebooks:
        release_nb = _read_json(release_dir / f"{nb.name}.ipynb")
        notebooks[nb.name] = _notebook_template(nb, release_nb)
    return {"format": TEMPLATE_FORMAT, "assignment": assignment, "notebooks": notebooks}


def _notebook_template(nb: Any, release_nb: dict) -> dict:
    sources = {c.name: c for c in nb.source_cells}
    points = {c.name: float(c.max_score) for c in nb.grade_cells}
    points.update({c.name: float(c.max_score) for c in nb.task_cells})
    solutions = {c.name for c in nb.solution_cells}
    tasks = {c.name for c in nb.task_cells}
    cells = []
    for cell in release_nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if gid not in sources:
            continue
        src = sources[gid]
        visible = _joined(cell.get("source", ""))
        kind = _kind(gid in points, gid in solutions, gid in tasks, bool(src.locked))
        cells.append(
            {
                "grade_id": gid,
                "kind": kind,
                "cell_type": src.cell_type,
                "points": points.get(gid, 0.0),
                "locked": bool(src.locked),
                "checksum": src.checksum,
                "source": src.source,
                "visible_source": visible,
                "hidden": bool(src.locked) and src.source != visible,
                "flags": {k: bool(meta.get(k, False)) for k in ("grade", "solution", "locked")},
            }
        )
    language = release_nb.get("metadata", {}).get("kernelspec", {}).get("language", "python")
    return {"kernelspec": json.loads(nb.kernelspec or "{}"), "language": language, "cells": cells}


def _kind(graded: bool, solution: bool, task: bool, locked: bool) -> str:
    if task:
        return "task"
    if graded and solution:
        return "manual"
    if graded:
        return "test"
    if solution:
        return "answer"
    return "locked"


def load_template(path: str) -> dict:
    """Read and check a template; cached per path and modification time.

    Raises ValueError with a clear message when the file is missing or not a template.
    """
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise ValueError(f"grading template not readable: {path}: {exc.strerror}") from None
    cached = _CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data = _read_json(Path(path))
    _validate_template(data, path)
    _CACHE[path] = (mtime, data)
    return data


def _validate_template(data: Any, path: str) -> None:
    if not isinstance(data, dict) or data.get("format") != TEMPLATE_FORMAT:
        raise ValueError(f"{path} is not an autograder template ({TEMPLATE_FORMAT})")
    if not isinstance(data.get("notebooks"), dict) or not isinstance(data.get("assignment"), str):
        raise ValueError(f"{path}: template needs 'assignment' and 'notebooks'")
    for name, nb in data["notebooks"].items():
        cells = nb.get("cells") if isinstance(nb, dict) else None
        if not isinstance(cells, list):
            raise ValueError(f"{path}: notebook {name!r} has no cell list")
        for cell in cells:
            if not isinstance(cell, dict) or cell.get("kind") not in KINDS:
                raise ValueError(f"{path}: notebook {name!r} has an invalid cell entry")


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None


def _joined(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def write_json_atomic(path: Path, data: Any, *, indent: int | None = 1) -> None:
    """Write JSON via a temporary file and rename, so readers never see half a file.

    ``indent=None`` writes compact JSON with the C encoder (about 10x faster than the
    pure-Python encoder that any indent uses): for files written per job, read by programs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=indent, sort_keys=True))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
