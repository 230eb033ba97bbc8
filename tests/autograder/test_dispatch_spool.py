"""The spool directory: atomic submit, single claim, leases, re-queue of dead claims, one result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.contract import Job, Result
from autograder.dispatch.common import not_gradable
from autograder.dispatch.spool import Spool, read_result, submit_job, write_result


def make_job(job_id: str = "job-1", resource_class: str = "cpu") -> Job:
    return Job(
        job_id=job_id,
        assignment="ps1",
        notebook_name="ps1.ipynb",
        release_dir="/nonexistent/release",
        template_path="/nonexistent/template.json",
        submission_path="/nonexistent/ps1.ipynb",
        resource_class=resource_class,
    )


def graded(job_id: str, earned: float = 3.0) -> Result:
    return Result(job_id, "graded", earned, 5.0, [], "<p>ok</p>", [], attempt=1)


def test_submitted_job_is_claimed_once(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    first, second = Spool(tmp_path), Spool(tmp_path)
    claim = first.claim_next("cpu")
    assert claim is not None and claim.job.job_id == "a" and claim.attempt == 1
    assert second.claim_next("cpu") is None
    assert not list((tmp_path / "incoming" / "cpu").iterdir())


def test_jobs_wait_in_their_own_queue(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("g", resource_class="gpu"))
    spool = Spool(tmp_path)
    assert spool.claim_next("cpu") is None
    claim = spool.claim_next("gpu")
    assert claim is not None and claim.job.resource_class == "gpu"


def test_oldest_job_is_claimed_first(tmp_path: Path) -> None:
    for name in ("late", "early"):
        submit_job(tmp_path, make_job(name))
    old = time.time() - 100
    os.utime(tmp_path / "incoming" / "cpu" / "early.json", (old, old))
    claim = Spool(tmp_path).claim_next("cpu")
    assert claim is not None and claim.job.job_id == "early"


def test_second_result_for_a_job_is_dropped(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    assert write_result(tmp_path, graded("a", 3.0)) is True
    assert write_result(tmp_path, graded("a", 5.0)) is False
    result = read_result(tmp_path, "a")
    assert result is not None and result.earned == 3.0
    assert not list((tmp_path / "tmp").iterdir())


def test_finishing_releases_the_claim_and_records_the_result(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    spool = Spool(tmp_path)
    claim = spool.claim_next("cpu")
    assert claim is not None
    assert spool.finish(claim.path, graded("a")) is True
    assert not list((tmp_path / "claimed").iterdir())
    assert read_result(tmp_path, "a") is not None


def test_graded_job_is_not_queued_again(tmp_path: Path) -> None:
    write_result(tmp_path, graded("a"))
    submit_job(tmp_path, make_job("a"))
    assert Spool(tmp_path).claim_next("cpu") is None


def test_unsafe_job_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid job id"):
        submit_job(tmp_path, make_job("../../etc/passwd"))
    assert read_result(tmp_path, "missing") is None


def test_malformed_job_file_gets_a_not_gradable_result(tmp_path: Path) -> None:
    Spool(tmp_path)
    (tmp_path / "incoming" / "cpu" / "bad.json").write_text("{not json")
    submit_job(tmp_path, make_job("good"))
    claim = Spool(tmp_path).claim_next("cpu")
    assert claim is not None and claim.job.job_id == "good"
    bad = read_result(tmp_path, "bad")
    assert bad is not None and bad.status == "not_gradable"
    assert "malformed job file" in bad.reason


def test_claim_of_a_dead_local_process_is_requeued_with_next_attempt(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    holder = Spool(tmp_path)
    holder.pid = dead.pid  # the claim looks like the dead process's
    assert holder.claim_next("cpu") is not None
    sweeper = Spool(tmp_path, lease_s=3600)
    assert sweeper.requeue_expired() == 1
    claim = sweeper.claim_next("cpu")
    assert claim is not None and claim.attempt == 2


def test_claim_of_a_live_process_is_kept_until_its_lease_expires(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    holder = Spool(tmp_path)
    holder.host = "other-host"  # cannot check its process: only the lease counts
    claim = holder.claim_next("cpu")
    assert claim is not None
    sweeper = Spool(tmp_path, lease_s=30)
    assert sweeper.requeue_expired() == 0
    old = time.time() - 31
    os.utime(claim.path, (old, old))
    assert sweeper.requeue_expired() == 1
    assert sweeper.claim_next("cpu") is not None


def test_renewed_lease_is_not_requeued(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    holder = Spool(tmp_path)
    holder.host = "other-host"
    claim = holder.claim_next("cpu")
    assert claim is not None
    old = time.time() - 31
    os.utime(claim.path, (old, old))
    holder.renew([claim.path])
    assert Spool(tmp_path, lease_s=30).requeue_expired() == 0


def test_requeue_skips_a_job_that_already_has_its_result(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    holder = Spool(tmp_path)
    holder.host = "other-host"
    claim = holder.claim_next("cpu")
    assert claim is not None
    write_result(tmp_path, not_gradable("a", "test"))  # died after recording, before release
    old = time.time() - 31
    os.utime(claim.path, (old, old))
    Spool(tmp_path, lease_s=30).requeue_expired()
    assert not list((tmp_path / "incoming" / "cpu").iterdir())
    assert not list((tmp_path / "claimed").iterdir())


def test_spooled_envelope_is_plain_json(tmp_path: Path) -> None:
    submit_job(tmp_path, make_job("a"))
    data = json.loads((tmp_path / "incoming" / "cpu" / "a.json").read_text())
    assert data["attempt"] == 1 and Job.from_dict(data["job"]) == make_job("a")
