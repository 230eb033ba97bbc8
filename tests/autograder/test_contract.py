"""The job/result contract round-trips through JSON and refuses malformed input clearly."""

from __future__ import annotations

import json

import pytest

from autograder.contract import CellResult, Job, Limits, Result


def _job(**kw) -> Job:
    base = dict(
        job_id="j1",
        assignment="ps1",
        notebook_name="ps1.ipynb",
        release_dir="/r",
        template_path="/t.json",
        submission_path="/s.ipynb",
    )
    return Job(**(base | kw))


def _result(**kw) -> Result:
    cells = [CellResult("t1", "test", 0.5, 1.0, "partial", "partial credit: 0.5", hidden=True)]
    base = dict(
        job_id="j1",
        status="graded",
        earned=0.5,
        possible=1.0,
        cells=cells,
        feedback_html="<p>x</p>",
        flags=[],
        timings={"total": 0.1},
    )
    return Result(**(base | kw))


def test_job_round_trips_with_limits_and_optional_fields():
    job = _job(
        limits=Limits(cell_timeout_s=5, memory_mb=512),
        resource_class="gpu",
        student_id="s1",
        extra_files_dir="/x",
        autograded_path="/a.ipynb",
        keep_student_files=["helper.py"],
    )
    assert Job.from_json(job.to_json()) == job


def test_result_round_trips():
    result = _result(status="needs_review", flags=["test cell edited"], attempt=2)
    assert Result.from_json(result.to_json()) == result


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "malformed job JSON"),
        ("[]", "must be a JSON object"),
        ('{"job_id": "j"}', "missing required field 'assignment'"),
    ],
)
def test_malformed_job_json_is_refused_with_a_message(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        Job.from_json(text)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"resource_class": "tpu"}, "resource_class"),
        ({"job_id": 3}, "job.job_id must be a string"),
        ({"limits": {"memory_mb": -1}}, "limits.memory_mb must be positive"),
        ({"limits": {"max_pids": 1.5}}, "must be an integer"),
        ({"limits": {"swap": 1}}, "unknown field"),
        ({"surprise": 1}, "unknown field"),
        ({"submission_path": ""}, "must not be empty"),
        ({"keep_student_files": "helper.py"}, "keep_student_files"),
    ],
)
def test_job_with_wrong_fields_is_refused(change, fragment):
    data = json.loads(_job().to_json()) | change
    with pytest.raises(ValueError, match=fragment):
        Job.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"status": "done"}, "result.status"),
        ({"earned": "1"}, "result.earned must be a number"),
        ({"cells": [{"cell_id": "a"}]}, r"result.cells\[0\]"),
        ({"flags": [1]}, "result.flags"),
        ({"attempt": 0}, "attempt"),
        ({"timings": {"x": "slow"}}, "timings"),
    ],
)
def test_result_with_wrong_fields_is_refused(change, fragment):
    data = json.loads(_result().to_json()) | change
    with pytest.raises(ValueError, match=fragment):
        Result.from_json(json.dumps(data))


def test_non_finite_points_are_refused():
    data = json.loads(_result().to_json())
    data["cells"][0]["earned"] = float("inf")
    with pytest.raises(ValueError, match="finite"):
        Result.from_json(json.dumps(data))
