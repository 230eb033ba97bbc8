"""`python -m autograder worker`: bad options are refused with a clear message, exit 2."""

from __future__ import annotations

import pytest

from autograder.contract import Limits, Result
from autograder.dispatch.common import check_job_id, hard_time_limit_s, not_gradable
from autograder.dispatch.worker import main


def test_unknown_queue_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--queues", "cpu,tpu"]) == 2
    assert "--queues must list some of cpu, gpu" in capsys.readouterr().err


def test_gpu_queue_without_a_gpu_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTOGRADER_GPU_SLOTS", "none")
    assert main(["--queues", "gpu"]) == 2
    assert "queue gpu needs GPU slots" in capsys.readouterr().err


def test_zero_concurrency_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--concurrency", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_local_worker_needs_a_spool(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AUTOGRADER_SPOOL_DIR", raising=False)
    monkeypatch.setenv("AUTOGRADER_EXECUTOR", "unsandboxed")
    monkeypatch.setenv("AUTOGRADER_ALLOW_UNSANDBOXED", "1")
    assert main(["--backend", "local"]) == 2
    assert "AUTOGRADER_SPOOL_DIR" in capsys.readouterr().err


def test_unsandboxed_executor_without_the_opt_in_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AUTOGRADER_EXECUTOR", "unsandboxed")
    monkeypatch.delenv("AUTOGRADER_ALLOW_UNSANDBOXED", raising=False)
    assert main(["--backend", "local", "--spool", "/nonexistent"]) == 2
    assert "AUTOGRADER_ALLOW_UNSANDBOXED=1" in capsys.readouterr().err


def test_hard_limit_is_above_the_notebook_limit() -> None:
    assert hard_time_limit_s(Limits(notebook_timeout_s=300)) > 300


@pytest.mark.parametrize("bad", ["", "../x", "a/b", ".hidden", "x" * 129, "a@b"])
def test_unsafe_job_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid job id"):
        check_job_id(bad)


def test_not_gradable_result_is_valid_and_never_a_score() -> None:
    result = Result.from_json(not_gradable("j1", "worker died", attempt=3).to_json())
    assert result.status == "not_gradable" and result.reason == "worker died"
    assert result.possible == 0 and result.attempt == 3
