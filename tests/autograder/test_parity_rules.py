"""Our per-cell scoring rule equals nbgrader 0.9.6's determine_grade, except for stderr."""

from __future__ import annotations

import pytest
from nbformat import from_dict
from nbgrader.utils import compute_checksum, determine_grade

from autograder.execute import CellRun
from autograder.scoring import score_manual, score_test

ERROR = {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": []}
OUT = {"output_type": "stream", "name": "stdout", "text": "hello\n"}
ERR = {"output_type": "stream", "name": "stderr", "text": "DeprecationWarning: x\n"}


def result(text):
    return {
        "output_type": "execute_result",
        "data": {"text/plain": text},
        "metadata": {},
        "execution_count": 1,
    }


def nbgrader_score(outputs, points):
    meta = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": points}}
    cell = from_dict(
        {
            "cell_type": "code",
            "metadata": meta,
            "source": "",
            "outputs": outputs,
            "execution_count": 1,
        }
    )
    return determine_grade(cell)[0]


CASES = [
    [],
    [OUT],
    [ERROR],
    [OUT, ERROR],
    [result("1.5")],
    [result("0")],
    [result("3")],
    [result("'text'")],
    [result("-1")],
    [result("nan")],
    [result(["1", "2"])],
    [result(["0.5"])],
    [OUT, result("2")],
    [result("2"), ERROR],
]


@pytest.mark.parametrize("outputs", CASES)
def test_test_cell_score_matches_nbgrader(outputs):
    ours = score_test({"grade_id": "t", "points": 3.0}, CellRun("t", "ok", outputs), "")
    assert ours.earned == nbgrader_score(outputs, 3.0)


@pytest.mark.parametrize("outputs", [[ERR], [OUT, ERR], [ERR, result("2")]])
def test_stderr_alone_no_longer_zeroes_a_test(outputs):
    assert nbgrader_score(outputs, 3.0) == 0  # nbgrader 0.9.6: stderr counts as a failure
    ours = score_test({"grade_id": "t", "points": 3.0}, CellRun("t", "ok", outputs), "")
    assert ours.earned == (2.0 if outputs[-1].get("output_type") == "execute_result" else 3.0)


def test_stderr_with_an_error_still_scores_zero():
    ours = score_test({"grade_id": "t", "points": 3.0}, CellRun("t", "error", [ERR, ERROR]), "")
    assert (ours.earned, nbgrader_score([ERR, ERROR], 3.0)) == (0.0, 0)


def test_partial_credit_above_the_points_is_an_error_not_a_crash():
    with pytest.raises(ValueError):
        nbgrader_score([result("5")], 3.0)  # nbgrader aborts the whole submission
    ours = score_test({"grade_id": "t", "points": 3.0}, CellRun("t", "ok", [result("5")]), "")
    assert (ours.status, ours.earned) == ("error", 0.0)


def test_unchanged_manual_answer_is_no_response_like_nbgrader():
    meta = {"nbgrader": {"grade": True, "solution": True, "grade_id": "m", "points": 2.0}}
    cell = from_dict({"cell_type": "markdown", "metadata": meta, "source": "YOUR ANSWER HERE"})
    cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
    assert determine_grade(cell)[0] == 0
    ours = score_manual({"grade_id": "m", "kind": "manual", "points": 2.0}, unanswered=True)
    assert (ours.status, ours.earned, ours.message) == ("manual", 0.0, "No response.")
    cell.source = "my answer"
    assert determine_grade(cell)[0] is None
    assert score_manual({"grade_id": "m", "kind": "manual", "points": 2.0}, False).message == ""
