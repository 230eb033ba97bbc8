"""Per-cell scores, computed in the grader process from what the cells produced.

The rules are nbgrader 0.9.6's ``nbgrader.utils.determine_grade`` with one documented
difference:

* a test cell earns 0 when it produced an ``error`` output (or did not finish);
* otherwise its first ``execute_result`` decides: a number in ``text/plain`` between 0 and the
  cell's points is partial credit, anything else (or no result) earns full points;
* manually graded answers earn no automatic points (status "manual"); an unchanged one is
  "No response." (nbgrader records 0 for it).

The difference: nbgrader 0.9.6 also gives 0 when a test cell wrote anything to **stderr**
(``has_failed``/``determine_grade`` treat ``stream`` ``stderr`` like an error), so a
``DeprecationWarning`` or a library's progress message on stderr zeroes a passing test.
Here stderr never changes a score; only errors (exceptions, timeouts) do.
"""

from __future__ import annotations

from typing import Any

from autograder.contract import CellResult

NO_RESPONSE = "No response."
_MAX_MESSAGE = 2000


def score_test(tcell: dict, run: Any | None, stop_reason: str) -> CellResult:
    """Score an autograded test cell from its CellRun (None: the cell never ran).

    ``stop_reason`` explains cells that did not run (e.g. the notebook ran out of memory).
    Hidden-test cells never carry error details (a traceback would show hidden source).
    """
    gid, possible = tcell["grade_id"], float(tcell["points"])
    hidden = bool(tcell.get("hidden"))

    def result(earned: float, status: str, message: str) -> CellResult:
        if hidden and status not in ("passed", "not_run", "timeout"):
            message = "a hidden test did not pass" if earned < possible else ""
        return CellResult(gid, "test", earned, possible, status, message[:_MAX_MESSAGE], hidden)

    if run is None or run.status in ("not_run", "killed"):
        return result(0.0, "not_run", stop_reason or "the cell did not run")
    if run.status == "timeout":
        return result(0.0, "timeout", "the cell did not finish within the time limit")
    for output in run.outputs:
        if output.get("output_type") == "error":
            return result(0.0, _error_status(output), _error_message(output))
        if output.get("output_type") == "execute_result":
            return _partial(tcell, output, result)
    if run.status == "error":  # an error reported without an error output
        return result(0.0, _error_status(run.error or {}), _error_message(run.error or {}))
    return result(possible, "passed", "")


def _partial(tcell: dict, output: dict, result: Any) -> CellResult:
    possible = float(tcell["points"])
    text = (output.get("data") or {}).get("text/plain")
    grade = partial_grade(text, possible)
    if grade is None:
        return result(0.0, "error", "the test's partial-credit result is larger than its points")
    if grade >= possible:
        return result(possible, "passed", "")
    return result(grade, "partial" if grade > 0 else "failed", f"partial credit: {grade:g}")


def partial_grade(text: Any, max_points: float) -> float | None:
    """nbgrader's ``get_partial_grade``; None where nbgrader would raise (value > points)."""
    if not text:
        return max_points
    if isinstance(text, list):
        if len(text) > 1:
            return max_points
        text = text[0]
    try:
        value = float(text)
    except (TypeError, ValueError):
        return max_points
    if value >= 0.0:
        return None if value > max_points else value
    return max_points  # negative or NaN: nbgrader gives full points


def score_manual(tcell: dict, unanswered: bool) -> CellResult:
    """A manually graded answer or task: no automatic points; flag an unchanged answer."""
    message = NO_RESPONSE if unanswered and tcell["kind"] == "manual" else ""
    return CellResult(
        tcell["grade_id"], tcell["kind"], 0.0, float(tcell["points"]), "manual", message
    )


def _error_status(error: dict) -> str:
    return "failed" if error.get("ename") == "AssertionError" else "error"


def _error_message(error: dict) -> str:
    ename, evalue = str(error.get("ename", "Error")), str(error.get("evalue", ""))
    return f"{ename}: {evalue}" if evalue else ename
