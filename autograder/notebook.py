"""Reading an untrusted submission and rebuilding the notebook to execute from the template.

The executed notebook is the template's skeleton: locked cells and test cells (hidden tests
included) come from the template, whatever the submission says about them; answer cells come
from the submission by ``grade_id``; cells the student added (no known ``grade_id``) run where
the student put them, after the nbgrader cell that precedes them, as nbgrader would run them.
Outputs in the submission are never read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

MAX_SUBMISSION_BYTES = int(os.environ.get("AUTOGRADER_MAX_SUBMISSION_MB", "50")) * 1024 * 1024
SUPPORTED_NBFORMAT = 4


class SubmissionError(ValueError):
    """The submission cannot be graded as it is; the message is meant for the learner."""


@dataclass
class PlannedCell:
    """One cell of the notebook to execute (or, for markdown, to show)."""

    cell_id: str
    cell_type: str
    source: str
    role: str  # "setup" | "test" | "student"
    template: dict | None = None  # the template entry, None for cells the student added


@dataclass
class Plan:
    """The rebuilt notebook plus what was noticed while rebuilding it."""

    cells: list[PlannedCell]
    unanswered: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # for the learner, not cheating
    flags: list[str] = field(default_factory=list)  # tampering: needs review


def read_submission(path: str, max_bytes: int = MAX_SUBMISSION_BYTES) -> dict[str, Any]:
    """Parse a submitted notebook into nbformat 4 form, or raise SubmissionError.

    Older nbformat versions (1-3) are upgraded with nbformat's converter; newer ones are
    refused. Each cell is normalised to ``cell_type`` / ``source`` (str) / ``metadata`` (dict).
    """
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise SubmissionError(
                f"the submitted notebook is {size // 1_048_576} MiB, more than the "
                f"{max_bytes // 1_048_576} MiB allowed; clear large outputs and resubmit"
            )
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise SubmissionError(f"the submitted notebook cannot be read: {exc.strerror}") from None
    try:
        nb = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"the submission is not a valid notebook (bad JSON: {exc})") from None
    except RecursionError:
        raise SubmissionError("the submission is not a notebook (JSON nested too deeply)") from None
    if not isinstance(nb, dict):
        raise SubmissionError("the submission is not a notebook (no JSON object at top level)")
    nb = _upgrade(nb)
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError("the submission is not a notebook (it has no list of cells)")
    nb["cells"] = [_normalise_cell(c, i) for i, c in enumerate(cells)]
    return nb


def _upgrade(nb: dict[str, Any]) -> dict[str, Any]:
    major = nb.get("nbformat")
    if isinstance(major, bool) or not isinstance(major, int):
        raise SubmissionError("the submission is not a notebook (no integer 'nbformat' field)")
    if major == SUPPORTED_NBFORMAT:
        return nb
    if major > SUPPORTED_NBFORMAT or major < 1:
        raise SubmissionError(
            f"the notebook uses nbformat {major}; only versions 1-{SUPPORTED_NBFORMAT} "
            "can be graded (save it with Jupyter as a version 4 notebook)"
        )
    import nbformat

    try:
        upgraded = nbformat.convert(nbformat.from_dict(nb), SUPPORTED_NBFORMAT)
    except Exception as exc:  # nbformat raises many types on malformed old notebooks
        raise SubmissionError(
            f"the nbformat {major} notebook could not be upgraded: {exc}"
        ) from None
    return json.loads(json.dumps(upgraded))


def _normalise_cell(cell: Any, index: int) -> dict[str, Any]:
    if not isinstance(cell, dict):
        raise SubmissionError(f"cell {index} of the submission is not a JSON object")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise SubmissionError(f"cell {index} of the submission has an invalid 'source'")
    meta = cell.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    nbg = meta.get("nbgrader")
    return {
        "cell_type": cell.get("cell_type") if isinstance(cell.get("cell_type"), str) else "raw",
        "source": source,
        "nbgrader": nbg if isinstance(nbg, dict) else {},
        "id": cell.get("id") if isinstance(cell.get("id"), str) else None,
    }


def plan_notebook(template_nb: dict, submission: dict[str, Any], where: str) -> Plan:
    """Rebuild the notebook to execute; raise SubmissionError if it is not this assignment.

    ``where`` names the assignment/notebook in messages.
    """
    tcells = template_nb["cells"]
    known = {c["grade_id"]: c for c in tcells}
    sub_cells = submission["cells"]
    owner = _claimed_ids(sub_cells, known)
    if tcells and not owner:
        ids = sorted({_gid(c) for c in sub_cells if _gid(c)})[:5]
        detail = f" (its graded cells are {', '.join(ids)})" if ids else ""
        raise SubmissionError(
            f"this notebook does not belong to {where}: none of its cells are cells of the "
            f"assignment{detail}; submit the notebook that was released for {where}"
        )
    plan = Plan(cells=[])
    extras = _extra_cells(sub_cells, owner, known, plan)
    _note_duplicate_ids(sub_cells, plan)
    plan.cells.extend(extras.get(None, []))
    for tcell in tcells:
        gid = tcell["grade_id"]
        index = owner.get(gid)
        plan.cells.append(_planned(tcell, None if index is None else sub_cells[index], plan))
        plan.cells.extend(extras.get(gid, []))
    return plan


def _gid(cell: dict[str, Any]) -> str | None:
    gid = cell["nbgrader"].get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _claimed_ids(sub_cells: list[dict], known: dict[str, dict]) -> dict[str, int]:
    """grade_id -> index of the submission cell that holds it (the last one, as nbgrader)."""
    owner: dict[str, int] = {}
    for i, cell in enumerate(sub_cells):
        gid = _gid(cell)
        if gid in known:
            owner[gid] = i
    return owner


def _extra_cells(
    sub_cells: list[dict], owner: dict[str, int], known: dict[str, dict], plan: Plan
) -> dict[str | None, list[PlannedCell]]:
    """Cells the student added, keyed by the nbgrader cell they follow (None: at the start)."""
    extras: dict[str | None, list[PlannedCell]] = {}
    anchor: str | None = None
    for i, cell in enumerate(sub_cells):
        gid = _gid(cell)
        if gid in known and owner[gid] == i:
            anchor = gid
            continue
        if gid in known:  # an earlier duplicate: nbgrader strips its metadata and runs it
            kind = known[gid]["kind"]
            msg = f"cell '{gid}' appears more than once; only its last copy is graded"
            (plan.flags if kind in ("test", "locked") else plan.notes).append(msg)
        if cell["cell_type"] not in ("code", "markdown"):
            continue
        cid = f"added-{i}"
        extras.setdefault(anchor, []).append(
            PlannedCell(cid, cell["cell_type"], cell["source"], "student")
        )
    return extras


def _note_duplicate_ids(sub_cells: list[dict], plan: Plan) -> None:
    ids = [c["id"] for c in sub_cells if c["id"]]
    if len(ids) != len(set(ids)):
        plan.notes.append("the notebook has duplicate cell ids; they were ignored")


def _planned(tcell: dict, sub: dict[str, Any] | None, plan: Plan) -> PlannedCell:
    gid, kind = tcell["grade_id"], tcell["kind"]
    role = {"test": "test", "locked": "setup"}.get(kind, "student")
    if kind in ("test", "locked") or (kind == "task" and tcell["locked"]):
        if sub is None:
            plan.flags.append(f"{kind} cell '{gid}' was deleted; it was restored")
        else:
            _flag_tampering(tcell, sub, plan)
        return PlannedCell(gid, tcell["cell_type"], tcell["source"], role, tcell)
    if kind == "task":  # an unlocked task: the student's text, never "No response."
        source = tcell["source"] if sub is None else sub["source"]
        return PlannedCell(gid, tcell["cell_type"], source, role, tcell)
    if sub is None:
        plan.notes.append(f"answer cell '{gid}' is missing from the submission")
        plan.unanswered.add(gid)
        return PlannedCell(gid, tcell["cell_type"], tcell["source"], role, tcell)
    if sub["source"] == tcell["source"]:
        plan.unanswered.add(gid)
    return PlannedCell(gid, tcell["cell_type"], sub["source"], role, tcell)


def _flag_tampering(tcell: dict, sub: dict[str, Any], plan: Plan) -> None:
    gid, meta = tcell["grade_id"], sub["nbgrader"]
    changed = []
    if sub["source"] != tcell["visible_source"]:
        changed.append("source")
    if sub["cell_type"] != tcell["cell_type"]:
        changed.append("cell type")
    if tcell["kind"] == "test" and _points(meta.get("points")) != float(tcell["points"]):
        changed.append("points")
    expected = tcell.get("flags", {})
    for key in ("grade", "solution", "locked"):
        if bool(meta.get(key, False)) != bool(expected.get(key, False)):
            changed.append(f"'{key}' flag")
    if changed:
        plan.flags.append(
            f"{tcell['kind']} cell '{gid}' was edited ({', '.join(changed)}); "
            "the original was restored and run"
        )


def _points(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
