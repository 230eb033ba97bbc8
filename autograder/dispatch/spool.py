"""A durable job spool on the local filesystem: the portal's default grading queue (no server).

Layout under the spool directory (``AUTOGRADER_SPOOL_DIR``)::

    tmp/                                    staging; every write is tmp + fsync + rename/link
    incoming/<queue>/<job_id>.json          queued jobs ({"job": ..., "attempt": n})
    claimed/<job_id>@<host>@<pid>.json      a worker's claim (an atomic rename of the job file);
                                            its mtime is the lease, renewed while grading
    results/<job_id>.json                   the Result, created once with link(2), never replaced

Guarantees: a job is claimed by one worker at a time (rename is atomic); a claim whose worker
died is put back (at start-up at once for dead processes on this host, otherwise once its lease
expires), with ``attempt + 1``; a job id gets at most one result file, whatever is re-run.
Everything must be on one filesystem (rename/link are atomic only within one). A job id that
already has a result is never graded again: a regrade needs a new job id.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from autograder.contract import Job, Result
from autograder.dispatch.common import check_job_id, not_gradable

log = logging.getLogger(__name__)

QUEUES = ("cpu", "gpu")


def spool_dir_from_env() -> Path:
    """The spool directory from ``AUTOGRADER_SPOOL_DIR``; ValueError if it is unset."""
    value = os.environ.get("AUTOGRADER_SPOOL_DIR", "").strip()
    if not value:
        raise ValueError("set AUTOGRADER_SPOOL_DIR to the grading spool directory")
    return Path(value)


def ensure_layout(spool: str | os.PathLike[str]) -> Path:
    """Create the spool's sub-directories (idempotent, private to this user) and return it."""
    root = Path(spool)
    for sub in ("tmp", "claimed", "results", *(f"incoming/{q}" for q in QUEUES)):
        (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    return root


def submit_job(spool: str | os.PathLike[str], job: Job) -> str:
    """Queue ``job`` in the spool atomically and return its job id.

    Submitting a job id that already has a result does nothing (the result stands); submitting
    one that is still queued replaces the queued copy. Raises ValueError for an unsafe job id.
    """
    root = ensure_layout(spool)
    check_job_id(job.job_id)
    if (root / "results" / f"{job.job_id}.json").exists():
        log.info("job %s already has a result; not queued again", job.job_id)
        return job.job_id
    envelope = {"job": job.to_dict(), "attempt": 1, "submitted_at": time.time()}
    target = root / "incoming" / job.resource_class / f"{job.job_id}.json"
    os.replace(_write_tmp(root, json.dumps(envelope)), target)
    return job.job_id


def read_result(spool: str | os.PathLike[str], job_id: str) -> Result | None:
    """The job's Result, or None while it has none. Raises ValueError if the file is corrupt."""
    path = Path(spool) / "results" / f"{check_job_id(job_id)}.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return Result.from_json(text)


def write_result(spool: str | os.PathLike[str], result: Result) -> bool:
    """Record ``result`` unless its job id already has one; True if this call recorded it."""
    root = ensure_layout(spool)
    tmp = _write_tmp(root, result.to_json())
    try:
        os.link(tmp, root / "results" / f"{check_job_id(result.job_id)}.json")
    except FileExistsError:
        log.info("job %s already has a result; duplicate dropped", result.job_id)
        return False
    finally:
        tmp.unlink()
    return True


@dataclass
class Claim:
    """A job this process holds: the claim file (its lease) and the job's attempt number."""

    job: Job
    attempt: int
    path: Path


class Spool:
    """Claim/lease operations on a spool directory for one worker process."""

    def __init__(self, spool: str | os.PathLike[str], *, lease_s: float = 60.0) -> None:
        self.root = ensure_layout(spool)
        self.lease_s = lease_s
        self.host = socket.gethostname().replace("@", "_").replace("/", "_") or "host"
        self.pid = os.getpid()

    def claim_next(self, queue: str) -> Claim | None:
        """Claim the oldest queued job of ``queue``; None when there is none.

        A malformed job file gets a not_gradable result; a job that already has a result is
        dropped. Both are skipped, so the caller only ever sees gradable claims.
        """
        for path in _oldest_first(self.root / "incoming" / queue):
            job_id = path.stem
            claimed = self.root / "claimed" / f"{job_id}@{self.host}@{self.pid}.json"
            try:
                os.rename(path, claimed)
            except FileNotFoundError:
                continue  # another worker was faster
            claim = self._open_claim(job_id, claimed)
            if claim is not None:
                return claim
        return None

    def finish(self, claim_path: Path, result: Result) -> bool:
        """Record the result (idempotently), then release the claim; True if recorded now."""
        recorded = write_result(self.root, result)
        with contextlib.suppress(FileNotFoundError):
            claim_path.unlink()
        return recorded

    def release(self, claim: Claim) -> None:
        """Put a held job back in its queue unchanged (this worker cannot grade it)."""
        target = self.root / "incoming" / claim.job.resource_class / f"{claim.job.job_id}.json"
        with contextlib.suppress(FileNotFoundError):
            os.rename(claim.path, target)

    def renew(self, claims: list[Path]) -> None:
        """Push the lease of each held claim ``lease_s`` further (touch its mtime)."""
        for path in claims:
            with contextlib.suppress(FileNotFoundError):
                os.utime(path)

    def requeue_expired(self) -> int:
        """Put back claims whose holder died (same host) or whose lease expired; return count."""
        count = 0
        now = time.time()
        for path in (self.root / "claimed").glob("*.json"):
            job_id, host, pid = _parse_claim_name(path.name)
            if job_id is None or (host == self.host and pid == self.pid):
                continue
            if not self._claim_is_dead(path, host, pid, now):
                continue
            count += self._requeue(path, job_id)
        return count

    # --- helpers ------------------------------------------------------------------------

    def _open_claim(self, job_id: str, claimed: Path) -> Claim | None:
        if (self.root / "results" / f"{job_id}.json").exists():
            claimed.unlink()
            return None
        try:
            envelope = json.loads(claimed.read_text(encoding="utf-8"))
            job = Job.from_dict(envelope["job"])
            attempt = int(envelope.get("attempt", 1))
            if job.job_id != job_id:
                raise ValueError(f"file {job_id}.json holds job {job.job_id!r}")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("malformed spooled job %s: %s", job_id, exc)
            self.finish(claimed, not_gradable(job_id, f"malformed job file: {exc}"))
            return None
        os.utime(claimed)  # the lease starts now, not when the job was queued
        return Claim(job=job, attempt=attempt, path=claimed)

    def _claim_is_dead(self, path: Path, host: str, pid: int, now: float) -> bool:
        if host == self.host and not _pid_alive(pid):
            return True
        try:
            return now - path.stat().st_mtime > self.lease_s
        except FileNotFoundError:
            return False

    def _requeue(self, path: Path, job_id: str) -> int:
        mine = self.root / "tmp" / f"{path.name}.requeue-{self.pid}"
        try:
            os.rename(path, mine)  # only one sweeper wins
        except FileNotFoundError:
            return 0
        try:
            envelope = json.loads(mine.read_text(encoding="utf-8"))
            queue = envelope["job"].get("resource_class", "cpu")
            envelope["attempt"] = int(envelope.get("attempt", 1)) + 1
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            write_result(self.root, not_gradable(job_id, f"malformed job file: {exc}"))
            mine.unlink()
            return 0
        if not (self.root / "results" / f"{job_id}.json").exists():
            target = self.root / "incoming" / (queue if queue in QUEUES else "cpu")
            os.replace(_write_tmp(self.root, json.dumps(envelope)), target / f"{job_id}.json")
            log.warning("job %s re-queued (attempt %d)", job_id, envelope["attempt"])
        mine.unlink()
        return 1


def _write_tmp(root: Path, text: str) -> Path:
    tmp = root / "tmp" / f"{uuid.uuid4().hex}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def _oldest_first(directory: Path) -> list[Path]:
    entries = []
    for path in directory.glob("*.json"):
        with contextlib.suppress(FileNotFoundError):
            entries.append((path.stat().st_mtime, path.name, path))
    return [path for _, _, path in sorted(entries)]


def _parse_claim_name(name: str) -> tuple[str | None, str, int]:
    parts = name.removesuffix(".json").split("@")
    if len(parts) != 3 or not parts[2].isdigit():
        return None, "", 0
    return parts[0], parts[1], int(parts[2])


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process that nobody reaped yet is a zombie: dead for our purpose
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]
