"""A local pool's workers share ONE zygote, and that changes nothing a job can observe.

Every job is still a fresh fork of the pristine zygote (nothing one student's code leaves
behind is visible to the next, whichever worker grades them); a worker's jobs die with the
worker; a worker whose shared zygote is gone falls back to a zygote of its own.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.contract import Job, Limits, Result
from autograder.dispatch import LocalPool
from tests.autograder.dispatch_support import CORRECT, generate_lab

pytestmark = pytest.mark.slow

# Full marks only when no earlier job left anything behind in the interpreter: a global, a
# module attribute, a builtin. Every job then leaves all three for the next one to find.
NO_LEFTOVERS = (
    "import builtins, json\n"
    "_leftovers = [n for n in ('LEFT_BY_A_STUDENT',) if n in globals()]\n"
    "_leftovers += ['json._ag_mark'] if hasattr(json, '_ag_mark') else []\n"
    "_leftovers += ['builtins._ag_mark'] if hasattr(builtins, '_ag_mark') else []\n"
    "LEFT_BY_A_STUDENT = 1\n"
    "json._ag_mark = builtins._ag_mark = 1\n"
    "def double(x):\n"
    "    return 2 * x if not _leftovers else repr(_leftovers)\n"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_lab(tmp_path_factory.mktemp("course"))


@pytest.fixture(autouse=True)
def needs_sandbox() -> None:
    from autograder.execute import sandbox_status

    if not sandbox_status().available:
        pytest.skip("the zygote executor needs the sandbox (root, namespaces, cgroups)")


@pytest.fixture
def make_job(lab: Path, tmp_path: Path) -> Callable[..., Job]:
    def make(job_id: str, answer: str) -> Job:
        release = json.loads((lab / "release" / "lab" / "lab.ipynb").read_text())
        release["cells"][0]["source"] = answer
        submission = tmp_path / f"{job_id}.ipynb"
        submission.write_text(json.dumps(release))
        return Job(job_id=job_id, assignment="lab", notebook_name="lab.ipynb",
                   release_dir=str(lab / "release" / "lab"),
                   template_path=str(lab / "autograder" / "lab" / "template.json"),
                   submission_path=str(submission),
                   limits=Limits(cell_timeout_s=20, notebook_timeout_s=60))  # fmt: skip

    return make


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                found.update(int(p) for p in fh.read().split())
    except OSError:
        pass
    return found


def _descendants(pid: int) -> set[int]:
    found = _children(pid)
    for child in list(found):
        found |= _descendants(child)
    return found


def _wait_for(predicate: Callable[[], object], timeout: float = 60.0) -> object:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def test_workers_share_one_zygote_and_every_job_starts_clean(
    make_job: Callable[..., Job],
) -> None:
    pool = LocalPool(2)
    seen: list[Result] = []
    observed: list[tuple[int, set[int]]] = []

    def on_result(result: Result) -> None:
        seen.append(result)
        zygote = pool._zygote.proc.pid
        workers = {w.proc.pid for w in pool._pool if w.proc.poll() is None}
        observed.append((zygote, set().union(*(_children(w) for w in workers))))

    jobs = [make_job(f"student{i}", NO_LEFTOVERS) for i in range(6)]
    pool.run(jobs, on_result)
    assert sorted(r.job_id for r in seen) == sorted(j.job_id for j in jobs)
    for result in seen:
        assert result.status == "graded", result.reason
        assert result.earned == 1.0, result.cells[0].message  # nothing left by anyone else
    zygotes = {zygote for zygote, _ in observed}
    assert len(zygotes) == 1  # one zygote served both workers ...
    assert all(not children for _, children in observed)  # ... and no worker made its own


def test_a_killed_workers_job_dies_with_it(make_job: Callable[..., Job]) -> None:
    sleeper = "import time\ntime.sleep(45)\n" + CORRECT
    results: list[Result] = []
    with LocalPool(1, max_attempts=1) as pool:
        pool.submit(make_job("sleeper", sleeper))
        worker = _wait_for(lambda: (pool.poll(0.1) or True) and pool.worker_pids().get("sleeper"))
        zygote = pool._zygote.proc.pid
        time.sleep(2.0)  # the cell is sleeping now (a job waiting for a cell would just end)
        job_processes = _descendants(zygote)  # supervisor, namespace init, runner
        assert len(job_processes) >= 3
        os.kill(worker, signal.SIGKILL)
        _wait_for(lambda: results.extend(pool.poll(0.2)) or results)
        # long before the 45 s sleep ends, the job's processes are gone
        _wait_for(lambda: not (_descendants(zygote) & job_processes), timeout=10)
    assert results[0].status == "not_gradable" and "died" in results[0].reason


def test_a_worker_whose_shared_zygote_died_uses_its_own(make_job: Callable[..., Job]) -> None:
    results: list[Result] = []
    with LocalPool(1) as pool:
        pool.submit(make_job("first", CORRECT))
        _wait_for(lambda: results.extend(pool.poll(0.2)) or results)
        os.kill(pool._zygote.proc.pid, signal.SIGKILL)
        pool._zygote.proc.wait()
        pool.submit(make_job("second", CORRECT))
        _wait_for(lambda: results.extend(pool.poll(0.2)) or len(results) == 2)
    assert [(r.job_id, r.status, r.earned) for r in results] == [
        ("first", "graded", 1.0),
        ("second", "graded", 1.0),
    ]
