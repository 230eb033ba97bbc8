"""grade(job): rebuilding from the template, nbgrader scoring, bad input, infrastructure errors.

These use the in-process executor double (conftest); parity with real nbgrader and the real
executor is in test_parity.py.
"""

from __future__ import annotations

import json

import pytest

from autograder.execute import CellRun
from autograder.grading import grade
from tests.autograder.ag_support import InProcessExecutor, answer, release_notebook

MEAN = "def mean(xs):\n    return sum(xs) / len(xs)"
SCALE = "def scale(xs, k):\n    return [x * k for x in xs]"


@pytest.fixture
def release(generated):
    return release_notebook(generated)


@pytest.fixture
def correct(release):
    return answer(answer(release, "mean_answer", MEAN), "scale_answer", SCALE)


def _scores(result):
    return {c.cell_id: (c.status, c.earned) for c in result.cells}


def test_correct_submission_earns_every_automatic_point(job_for, correct):
    result = grade(job_for(correct), executor=InProcessExecutor())
    assert result.status == "graded"
    assert (result.earned, result.possible) == (7.0, 9.0)
    assert _scores(result)["explain"] == ("manual", 0.0)


def test_blank_submission_scores_zero_and_manual_cell_has_no_response(job_for, release):
    result = grade(job_for(release), executor=InProcessExecutor())
    assert result.status == "graded" and result.earned == 0.0
    explain = next(c for c in result.cells if c.cell_id == "explain")
    assert (explain.status, explain.message) == ("manual", "No response.")
    assert _scores(result)["test_scale"] == ("error", 0.0)


def test_numeric_test_output_gives_partial_credit(job_for, release):
    half_scale = "def scale(xs, k):\n    return [x * k for x in xs] if xs else None"
    nb = answer(answer(release, "mean_answer", MEAN), "scale_answer", half_scale)
    result = grade(job_for(nb), executor=InProcessExecutor())
    assert _scores(result)["test_partial"] == ("partial", 2.0)


def test_failed_assertion_is_failed_and_message_is_shown(job_for, release):
    nb = answer(
        answer(release, "mean_answer", MEAN), "scale_answer", "def scale(xs, k):\n    return xs"
    )
    result = grade(job_for(nb), executor=InProcessExecutor())
    cell = next(c for c in result.cells if c.cell_id == "test_scale")
    assert (cell.status, cell.earned, cell.message) == ("failed", 0.0, "AssertionError")


def test_stderr_warning_does_not_zero_a_passing_test(job_for, correct):
    # nbgrader 0.9.6 gives 0 here (determine_grade treats stderr as failure); we do not.
    warning = {"output_type": "stream", "name": "stderr", "text": "UserWarning: careful\n"}
    script = {"test_warns": {"status": "ok", "outputs": [warning]}}
    result = grade(job_for(correct), executor=InProcessExecutor(script))
    assert _scores(result)["test_warns"] == ("passed", 1.0)


def test_hidden_tests_run_but_their_source_and_errors_stay_hidden(job_for, release):
    wrong_mean = "def mean(xs):\n    return 2 if xs == [1, 2, 3] else 0"
    ex = InProcessExecutor()
    result = grade(job_for(answer(release, "mean_answer", wrong_mean)), executor=ex)
    cell = next(c for c in result.cells if c.cell_id == "test_mean")
    assert cell.hidden and cell.status == "failed" and cell.earned == 0.0
    assert "mean of the data file" not in cell.message
    ran = {c.cell_id: c.source for c in ex.calls[0]}
    assert "assert mean(DATA) == 2.5" in ran["test_mean"]
    assert "mean(DATA)" not in result.feedback_html and "data file" not in result.feedback_html


def test_edited_test_cell_is_restored_and_flagged(job_for, correct):
    nb = json.loads(json.dumps(correct))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "test_scale":
            cell["source"] = "pass"
            cell["metadata"]["nbgrader"]["points"] = 100
    ex = InProcessExecutor()
    result = grade(job_for(nb), executor=ex)
    assert result.status == "needs_review"
    assert any("test_scale" in f and "points" in f for f in result.flags)
    assert _scores(result)["test_scale"] == ("passed", 1.0)
    assert next(c.source for c in ex.calls[0] if c.cell_id == "test_scale").startswith("assert")


def test_deleted_test_cell_is_restored_run_and_flagged(job_for, release):
    nb = json.loads(json.dumps(release))
    nb["cells"] = [
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "test_scale"
    ]
    result = grade(job_for(nb), executor=InProcessExecutor())
    assert _scores(result)["test_scale"] == ("error", 0.0)
    assert any("deleted" in f for f in result.flags)


def test_cells_added_by_the_student_run_in_place(job_for, release):
    nb = answer(release, "mean_answer", "def mean(xs):\n    return helper(xs)")
    index = next(
        i
        for i, c in enumerate(nb["cells"])
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "mean_answer"
    )
    helper = {
        "cell_type": "code",
        "metadata": {},
        "source": "def helper(xs):\n    return sum(xs) / len(xs)",
        "outputs": [],
        "execution_count": None,
    }
    nb["cells"].insert(index, helper)
    result = grade(job_for(nb), executor=InProcessExecutor())
    assert _scores(result)["test_mean"] == ("passed", 2.0)


def test_student_outputs_are_ignored(job_for, release):
    nb = json.loads(json.dumps(release))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = [
                {
                    "output_type": "execute_result",
                    "data": {"text/plain": "3"},
                    "metadata": {},
                    "execution_count": 1,
                }
            ]
    result = grade(job_for(nb), executor=InProcessExecutor())
    assert result.earned == 0.0


def test_workdir_holds_release_data_and_student_files_but_no_notebooks(job_for, correct, tmp_path):
    files = tmp_path / "student_files"
    files.mkdir()
    (files / "notes.txt").write_text("mine")
    (files / "numbers.csv").write_text("9\n")  # release data wins, as in nbgrader
    (files / "other.ipynb").write_text("{}")
    (files / "link").symlink_to("/etc/passwd")
    seen = {}

    class Peek(InProcessExecutor):
        def run(self, cells, *, workdir, **kw):
            seen.update({p.name: p.read_text() for p in workdir.iterdir()})
            return super().run(cells, workdir=workdir, **kw)

    result = grade(job_for(correct, extra_files_dir=str(files)), executor=Peek())
    assert seen == {"numbers.csv": "1\n2\n3\n4\n", "notes.txt": "mine"}
    assert result.earned == 7.0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "bad JSON"),
        ("[1, 2]", "no JSON object"),
        ('{"nbformat": 5, "cells": []}', "nbformat 5"),
        ('{"nbformat": 4}', "no list of cells"),
        ('{"nbformat": 4, "cells": [3]}', "cell 0"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"nbformat": "4", "cells": []}', "no integer 'nbformat'"),
        ('{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}', "invalid 'source'"),
    ],
)
def test_unreadable_submission_gets_a_clear_message_not_a_crash(
    job_for, tmp_path, content, fragment
):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    result = grade(job_for(path), executor=InProcessExecutor())
    assert result.status == "needs_review" and result.earned == 0.0
    assert fragment in result.reason
    assert all(c.status == "not_run" for c in result.cells)


def test_notebook_of_another_assignment_is_rejected(job_for):
    other = {
        "nbformat": 4,
        "nbformat_minor": 4,
        "metadata": {},
        "cells": [
            {
                "cell_type": "code",
                "source": "x = 1",
                "outputs": [],
                "execution_count": None,
                "metadata": {"nbgrader": {"grade_id": "ps9_answer", "solution": True}},
            }
        ],
    }
    result = grade(job_for(other), executor=InProcessExecutor())
    assert result.status == "needs_review"
    assert "does not belong to lab/lab" in result.reason and "ps9_answer" in result.reason


def test_huge_submission_is_refused(job_for, correct, tmp_path, monkeypatch):
    import autograder.notebook as notebook

    path = tmp_path / "huge.ipynb"
    path.write_text(json.dumps(correct) + " " * 4096)
    monkeypatch.setattr(notebook, "MAX_SUBMISSION_BYTES", 2048)
    monkeypatch.setattr(notebook.read_submission, "__defaults__", (2048,))
    result = grade(job_for(path), executor=InProcessExecutor())
    assert "MiB allowed" in result.reason


def test_nbformat_3_submission_is_upgraded_and_graded(job_for, correct, tmp_path):
    import nbformat

    v3 = nbformat.convert(nbformat.reads(json.dumps(correct), as_version=4), 3)
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(v3))
    result = grade(job_for(path), executor=InProcessExecutor())
    assert result.earned == 7.0


def test_duplicate_answer_cells_grade_the_last_copy(job_for, release):
    nb = answer(release, "mean_answer", "def mean(xs):\n    return 0")
    dup = next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "mean_answer"
    )
    nb["cells"].insert(nb["cells"].index(dup) + 1, dict(dup, source=MEAN))
    result = grade(job_for(nb), executor=InProcessExecutor())
    assert _scores(result)["test_mean"] == ("passed", 2.0)
    assert "more than once" in result.logs


def test_timeout_and_stopped_cells_score_zero_with_reason(job_for, correct):
    script = {"test_scale": {"status": "timeout"}}
    result = grade(job_for(correct), executor=InProcessExecutor(script))
    assert _scores(result)["test_scale"] == ("timeout", 0.0)
    ex = InProcessExecutor({"test_partial": CellRun("test_partial", "killed")}, status="memory")
    result = grade(job_for(correct), executor=ex)
    cell = next(c for c in result.cells if c.cell_id == "test_partial")
    assert (cell.status, cell.earned) == ("not_run", 0.0) and "memory" in cell.message
    assert _scores(result)["test_warns"] == ("not_run", 0.0)


def test_crashed_kernel_keeps_earlier_points_and_needs_review(job_for, correct):
    ex = InProcessExecutor({"test_partial": CellRun("test_partial", "killed")}, status="crashed")
    result = grade(job_for(correct), executor=ex)
    assert result.status == "needs_review" and result.earned == 3.0
    assert any("died" in f for f in result.flags)


def test_sandbox_failure_is_not_gradable_never_zero(job_for, correct):
    result = grade(job_for(correct), executor=InProcessExecutor(status="sandbox_error"))
    assert result.status == "not_gradable" and "sandbox" in result.reason and result.cells == []


def test_executor_exception_is_not_gradable(job_for, correct):
    class Broken(InProcessExecutor):
        def run(self, *a, **kw):
            raise OSError("fork failed")

    result = grade(job_for(correct), executor=Broken())
    assert result.status == "not_gradable" and "fork failed" in result.reason


def test_missing_template_is_not_gradable(job_for, correct):
    job = job_for(correct, template_path="/nonexistent/template.json")
    result = grade(job, executor=InProcessExecutor())
    assert result.status == "not_gradable" and "template" in result.reason


def test_wrong_assignment_in_job_is_not_gradable(job_for, correct):
    result = grade(job_for(correct, assignment="other"), executor=InProcessExecutor())
    assert result.status == "not_gradable"


def test_executor_flags_mean_review_with_points_kept(job_for, correct):
    class Flagging(InProcessExecutor):
        def run(self, *a, **kw):
            execution = super().run(*a, **kw)
            execution.flags.append("builtins patched: print")
            return execution

    result = grade(job_for(correct), executor=Flagging())
    assert result.status == "needs_review" and result.earned == 7.0
    assert "builtins patched: print" in result.flags


def test_grading_twice_gives_the_same_result(job_for, correct):
    job = job_for(correct)
    first, second = (
        grade(job, executor=InProcessExecutor()),
        grade(job, executor=InProcessExecutor()),
    )
    first.timings = second.timings = {}
    assert first == second


def test_feedback_escapes_untrusted_output(job_for, release):
    evil = "def mean(xs):\n    raise ValueError('<script>alert(1)</script>')"
    result = grade(job_for(answer(release, "mean_answer", evil)), executor=InProcessExecutor())
    assert "<script>" not in result.feedback_html
    assert "&lt;script&gt;" in result.feedback_html


def test_autograded_notebook_has_outputs_scores_and_nbgrader_metadata(job_for, correct, tmp_path):
    out = tmp_path / "autograded" / "lab.ipynb"
    grade(job_for(correct, autograded_path=str(out)), executor=InProcessExecutor())
    nb = json.loads(out.read_text())
    cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in nb["cells"]}
    assert cells["test_partial"]["outputs"][0]["data"]["text/plain"] == "3"
    assert cells["test_partial"]["metadata"]["autograder"]["earned"] == 3.0
    assert cells["test_mean"]["metadata"]["nbgrader"]["points"] == 2.0
    assert "mean(DATA)" in cells["test_mean"]["source"]


def test_smuggled_hidden_test_source_is_redacted_from_feedback(job_for, correct):
    stolen = 'stolen: assert mean(DATA) == 2.5, "hidden: mean of the data file"'
    error = {"ename": "ValueError", "evalue": stolen, "traceback": []}
    run = CellRun("scale_answer", "error", [{"output_type": "error", **error}], error)
    result = grade(job_for(correct), executor=InProcessExecutor({"scale_answer": run}))
    assert "mean(DATA)" not in result.feedback_html
    assert "[hidden]" in result.feedback_html


def test_gpu_job_gets_the_worker_gpu_slot(job_for, correct, monkeypatch):
    seen = []

    class Gpu(InProcessExecutor):
        def run(self, cells, *, gpu_device=None, resource_class="cpu", **kw):
            seen.append((resource_class, gpu_device))
            return super().run(cells, **kw)

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "MIG-1234")
    grade(job_for(correct, resource_class="gpu"), executor=Gpu())
    grade(job_for(correct), executor=Gpu())
    assert seen == [("gpu", "MIG-1234"), ("cpu", None)]


def test_student_files_over_the_disk_limit_are_not_copied(job_for, correct, tmp_path):
    from autograder.contract import Limits

    files = tmp_path / "big"
    files.mkdir()
    (files / "huge.bin").write_bytes(b"x" * (2 * 1024 * 1024))
    seen = []

    class Peek(InProcessExecutor):
        def run(self, cells, *, workdir, **kw):
            seen.extend(p.name for p in workdir.iterdir())
            return super().run(cells, workdir=workdir, **kw)

    job = job_for(correct, extra_files_dir=str(files), limits=Limits(disk_mb=1))
    result = grade(job, executor=Peek())
    assert "huge.bin" not in seen and "numbers.csv" in seen
    assert "huge.bin" in result.feedback_html and result.earned == 7.0


@pytest.mark.parametrize("status", ["ok", "timeout", "memory", "output_limit", "crashed"])
def test_every_result_survives_the_validated_json_round_trip(job_for, correct, status):
    from autograder.contract import Result

    ex = InProcessExecutor({"test_scale": CellRun("test_scale", "killed")}, status=status)
    result = grade(job_for(correct), executor=ex)
    assert Result.from_json(result.to_json()) == result
    if status == "output_limit":
        cell = next(c for c in result.cells if c.cell_id == "test_scale")
        assert "bytes of output" in cell.message


def test_notebooks_see_nbgrader_execution_like_under_nbgrader(job_for, release):
    src = "import os\nMODE = os.environ.get('NBGRADER_EXECUTION')\n" + MEAN
    nb = answer(release, "mean_answer", src)
    nb = answer(nb, "scale_answer", "def scale(xs, k):\n    return [MODE]")
    ex = InProcessExecutor()
    result = grade(job_for(nb), executor=ex)
    assert ex.calls[0][0].role == "setup" and "NBGRADER_EXECUTION" in ex.calls[0][0].source
    assert _scores(result)["test_mean"] == ("passed", 2.0)
    assert "NBGRADER_EXECUTION" not in __import__("os").environ  # the double restored it
