"""LocalPool and the spool worker grade real jobs exactly once, whatever dies on the way.

These run the real ``grade()`` and the real executor (sandboxed where this machine has the
sandbox, else the development-only unsandboxed one) on a one-question nbgrader lab.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.contract import Job, Limits, Result
from autograder.dispatch import LocalPool, read_result, submit_job
from tests.autograder.dispatch_support import CORRECT, generate_lab

pytestmark = pytest.mark.slow

WRONG = "def double(x):\n    return x\n"
SLOW = "import time\ntime.sleep(3)\n" + CORRECT
LOOP = "while True:\n    pass\n"
CRASH = "import os\nos._exit(1)\n"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated nbgrader course with one assignment ``lab`` (release + template)."""
    return generate_lab(tmp_path_factory.mktemp("course"))


@pytest.fixture(autouse=True)
def executor_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandboxed executor where available; otherwise the explicit development opt-in."""
    from autograder.execute import sandbox_status

    if not sandbox_status().available:
        monkeypatch.setenv("AUTOGRADER_EXECUTOR", "unsandboxed")
        monkeypatch.setenv("AUTOGRADER_ALLOW_UNSANDBOXED", "1")


@pytest.fixture
def make_job(lab: Path, tmp_path: Path) -> Callable[..., Job]:
    def make(job_id: str, answer: str, cell_timeout_s: float = 20.0, **kw: object) -> Job:
        release = json.loads((lab / "release" / "lab" / "lab.ipynb").read_text())
        release["cells"][0]["source"] = answer
        submission = tmp_path / f"{job_id}.ipynb"
        submission.write_text(json.dumps(release))
        return Job(job_id=job_id, assignment="lab", notebook_name="lab.ipynb",
                   release_dir=str(lab / "release" / "lab"),
                   template_path=str(lab / "autograder" / "lab" / "template.json"),
                   submission_path=str(submission),
                   limits=Limits(cell_timeout_s=cell_timeout_s, notebook_timeout_s=60), **kw)  # fmt: skip

    return make


def _run(pool: LocalPool, jobs: list[Job]) -> dict[str, Result]:
    seen: list[Result] = []
    pool.run(jobs, seen.append)
    ids = [r.job_id for r in seen]
    assert len(ids) == len(set(ids)), f"a job was delivered twice: {ids}"
    return {r.job_id: r for r in seen}


def _wait_for(predicate: Callable[[], object], timeout: float = 60.0) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_every_job_gets_exactly_one_correct_result(make_job: Callable[..., Job]) -> None:
    jobs = [make_job(f"ok{i}", CORRECT) for i in range(3)] + [make_job("wrong", WRONG)]
    results = _run(LocalPool(2), jobs)
    assert set(results) == {"ok0", "ok1", "ok2", "wrong"}
    assert all(results[f"ok{i}"].earned == 1.0 for i in range(3))
    assert results["wrong"].earned == 0.0 and results["wrong"].status == "graded"


def test_runaway_and_crashing_submissions_do_not_affect_others(
    make_job: Callable[..., Job],
) -> None:
    jobs = [make_job("loop", LOOP, cell_timeout_s=2), make_job("crash", CRASH)]
    jobs += [make_job(f"ok{i}", CORRECT) for i in range(2)]
    results = _run(LocalPool(2), jobs)
    assert results["ok0"].earned == results["ok1"].earned == 1.0
    assert results["loop"].earned == 0.0 and results["crash"].earned == 0.0
    assert results["loop"].attempt == results["crash"].attempt == 1


def test_worker_killed_mid_job_is_replaced_and_the_job_rerun(
    make_job: Callable[..., Job],
) -> None:
    with LocalPool(1) as pool:
        pool.submit(make_job("slow", SLOW))
        pid = _wait_for(lambda: (pool.poll(0.1) or True) and pool.worker_pids().get("slow"))
        time.sleep(1.0)  # well inside the 3 s the notebook sleeps
        os.kill(pid, signal.SIGKILL)
        results: list[Result] = []
        _wait_for(lambda: results.extend(pool.poll(0.5)) or results, timeout=120)
    assert [r.job_id for r in results] == ["slow"]
    assert results[0].status == "graded" and results[0].earned == 1.0
    assert results[0].attempt == 2


def test_job_whose_worker_keeps_dying_becomes_not_gradable(
    make_job: Callable[..., Job],
) -> None:
    results: list[Result] = []
    killed: set[int] = set()

    def fresh_worker_pid() -> int | None:
        results.extend(pool.poll(0.1))
        pid = pool.worker_pids().get("doomed")
        return pid if pid not in killed else None

    with LocalPool(1, max_attempts=2) as pool:
        pool.submit(make_job("doomed", SLOW))
        for _ in range(2):
            pid = _wait_for(fresh_worker_pid)
            os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        _wait_for(lambda: results.extend(pool.poll(0.5)) or results, timeout=60)
    assert len(results) == 1 and results[0].status == "not_gradable"
    assert "died" in results[0].reason and results[0].attempt == 2


def test_grading_past_the_hard_limit_is_killed_not_retried(
    make_job: Callable[..., Job],
) -> None:
    # A grace below zero puts the outer fence inside the notebook's own limit.
    pool = LocalPool(1, hard_limit_grace_s=-59.0)
    results = _run(pool, [make_job("hang", SLOW)])
    assert results["hang"].status == "not_gradable"
    assert "hard time limit" in results["hang"].reason and results["hang"].attempt == 1


def test_same_job_id_twice_is_graded_once(make_job: Callable[..., Job]) -> None:
    results = _run(LocalPool(1), [make_job("twice", CORRECT), make_job("twice", CORRECT)])
    assert list(results) == ["twice"]


def test_gpu_job_without_a_gpu_slot_is_not_gradable(make_job: Callable[..., Job]) -> None:
    results = _run(LocalPool(1, gpu_slots=[]), [make_job("g", CORRECT, resource_class="gpu")])
    assert results["g"].status == "not_gradable" and "GPU" in results["g"].reason


def test_killed_spool_worker_loses_nothing_and_grades_once(
    make_job: Callable[..., Job], tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    job = make_job("portal-1", SLOW)
    submit_job(spool, job)
    cmd = [sys.executable, "-m", "autograder", "worker", "--backend", "local",
           "--spool", str(spool), "--concurrency", "1", "--lease-s", "30"]  # fmt: skip
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: list((spool / "claimed").glob("portal-1@*")))
        time.sleep(1.5)
        first.kill()
        first.wait(10)
        assert read_result(spool, "portal-1") is None
        second = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            result = _wait_for(lambda: read_result(spool, "portal-1"), timeout=120)
            submit_job(spool, job)  # submitting again after the result: no second grading
            time.sleep(1.0)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    assert isinstance(result, Result) and result.status == "graded" and result.attempt == 2
    assert [p.name for p in (spool / "results").iterdir()] == ["portal-1.json"]
    assert not list((spool / "claimed").iterdir())
    assert not list((spool / "incoming" / "cpu").iterdir())
    assert read_result(spool, "portal-1") == result


def test_pool_that_cannot_start_a_worker_reports_why(make_job: Callable[..., Job]) -> None:
    results = _run(LocalPool(1, executor_name="no-such-executor"), [make_job("x", CORRECT)])
    assert results["x"].status == "not_gradable"
    assert "unknown executor" in results["x"].reason


def test_broken_spool_worker_leaves_its_jobs_queued(
    make_job: Callable[..., Job], tmp_path: Path
) -> None:
    from autograder.dispatch.local_worker import SpoolWorker, WorkerBroken

    spool = tmp_path / "spool"
    submit_job(spool, make_job("kept", CORRECT))
    worker = SpoolWorker(spool, workers=1, executor_name="no-such-executor")
    with pytest.raises(WorkerBroken, match="unknown executor"):
        worker.serve()
    assert read_result(spool, "kept") is None
    queued = json.loads((spool / "incoming" / "cpu" / "kept.json").read_text())
    assert queued["attempt"] == 1


PINNED = (
    "import os\n"
    "if os.environ.get('CUDA_VISIBLE_DEVICES') == '7':\n"
    "    def double(x):\n"
    "        return 2 * x\n"
)


def test_gpu_job_runs_on_a_worker_pinned_to_its_slot(make_job: Callable[..., Job]) -> None:
    jobs = [make_job("on-gpu", PINNED, resource_class="gpu"), make_job("on-cpu", PINNED)]
    results = _run(LocalPool(1, gpu_slots=["7"]), jobs)
    assert results["on-gpu"].status == "graded" and results["on-gpu"].earned == 1.0
    assert results["on-cpu"].earned == 0.0  # CPU workers see no GPU


def test_idle_workers_shut_down_while_the_last_jobs_run(make_job):
    pool = LocalPool(workers=2)
    alive_at_end: list[int] = []

    def on_result(result: Result) -> None:
        if result.job_id == "slow":  # the quick job's worker had nothing left to do meanwhile
            alive_at_end.append(sum(1 for w in pool._pool if w.proc.poll() is None))

    slow = "import time\ntime.sleep(8)\n" + CORRECT  # outlasts the other worker's start-up
    summary = pool.run([make_job("slow", slow), make_job("quick", CORRECT)], on_result)
    assert summary.by_status == {"graded": 2}
    assert alive_at_end == [1]


def test_prestarted_workers_are_capped_and_then_grade(make_job: Callable[..., Job]) -> None:
    pool = LocalPool(workers=2)
    pool.prestart(1)
    pool.prestart(5)  # never more than the pool's workers, counting those already started
    assert sum(1 for w in pool._pool if w.kind == "cpu") == 2
    results = _run(pool, [make_job(f"j{i}", CORRECT) for i in range(3)])
    assert {r.earned for r in results.values()} == {1.0}
    assert pool._pool == []  # run() stopped them


def test_workers_leave_no_job_cgroup_behind(make_job: Callable[..., Job]) -> None:
    from autograder.cgroups import cgroup_support, parent_name
    from autograder.execute import sandbox_status

    if not sandbox_status().available:
        pytest.skip("job cgroups belong to the sandboxed executor")
    support = cgroup_support()
    base = (
        support.root / parent_name()
        if support.version == 2
        else support.root / "pids" / parent_name()
    )
    pool = LocalPool(workers=2)
    workers: set[int] = set()
    pool.run(
        [make_job(f"j{i}", CORRECT) for i in range(4)],
        lambda _: workers.update(w.proc.pid for w in pool._pool),
    )
    left = [p.name for p in base.iterdir() if p.is_dir() and p.name.split("-")[0][1:].isdigit()]
    assert not [name for name in left if int(name.split("-")[0][1:]) in workers]
