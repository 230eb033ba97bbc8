"""``autograde``: grade every submission of an nbgrader course like ``nbgrader autograde``.

Builds one :class:`~autograder.contract.Job` per submitted notebook, grades them with the
local pool (or in this process, for tests), writes ``autograded/<student>/<assignment>/`` and
then records every grade in the gradebook in ONE session at the end (see
:func:`autograder.course_dir.record_results`). One student's failure never stops the batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.contract import Job, Limits, Result
from autograder.course_dir import (
    CourseError,
    CoursePaths,
    Submission,
    find_submissions,
    record_results,
    template_path,
)
from autograder.grading import copy_plain_files
from autograder.template import load_template, write_json_atomic

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass
class BatchReport:
    """What ``autograde`` did: per (student, notebook) results and the missing notebooks."""

    assignment: str
    results: dict[tuple[str, str], Result] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results.values() if r.status == status)

    def to_dict(self) -> dict[str, Any]:
        """Per-student and per-cell results (the ``--json`` output)."""
        students: dict[str, Any] = {}
        for (student, nb), result in sorted(self.results.items()):
            entry = students.setdefault(student, {"earned": 0.0, "possible": 0.0, "notebooks": {}})
            entry["notebooks"][nb] = result.to_dict()
            entry["earned"] += result.earned
            entry["possible"] += result.possible
        for student, nb in self.missing:
            entry = students.setdefault(student, {"earned": 0.0, "possible": 0.0, "notebooks": {}})
            entry["notebooks"][nb] = {"status": "missing", "earned": 0.0}
        return {
            "assignment": self.assignment,
            "students": students,
            "summary": {s: self.count(s) for s in ("graded", "needs_review", "not_gradable")}
            | {"missing": len(self.missing)},
        }


def autograde(
    course_root: Path,
    assignment: str,
    *,
    student_glob: str = "*",
    workers: int | None = None,
    executor_name: str | None = None,
    limits: Limits | None = None,
    resource_class: str = "cpu",
    progress: bool = False,
    run_jobs: Callable[[list[Job], Callable[[Result], None]], None] | None = None,
) -> BatchReport:
    """Grade ``submitted/<student>/<assignment>`` for every matching student.

    ``resource_class="gpu"`` sends every job to the pool's GPU workers (one GPU slot each).
    ``run_jobs(jobs, on_result)`` replaces the local pool (tests grade in-process with it).
    Raises :class:`CourseError` when the course or the assignment's template is missing.
    """
    coursedir = CoursePaths.load(course_root)
    tpl = template_path(Path(coursedir.root), assignment)
    try:
        notebooks = sorted(load_template(str(tpl))["notebooks"])
    except ValueError as exc:
        raise CourseError(
            f"no usable grading template for {assignment!r} ({exc}); run "
            f"`python -m autograder generate {course_root} {assignment}` first"
        ) from None
    release = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    subs = find_submissions(coursedir, assignment, notebooks, student_glob)
    pool = None
    if run_jobs is None:  # the workers start while the autograded/ directories are made
        pool = _start_pool(
            workers, executor_name, resource_class, sum(s.path.is_file() for s in subs)
        )
    try:
        return _autograde(coursedir, assignment, subs, release, tpl, limits, resource_class,
                          progress, run_jobs, pool)  # fmt: skip
    finally:
        if pool is not None:
            pool.close()


def _autograde(
    coursedir: CoursePaths,
    assignment: str,
    subs: list[Submission],
    release: Path,
    tpl: Path,
    limits: Limits | None,
    resource_class: str,
    progress: bool,
    run_jobs: Callable[[list[Job], Callable[[Result], None]], None] | None,
    pool: Any,
) -> BatchReport:
    report = BatchReport(assignment)
    jobs: dict[str, tuple[Submission, Job]] = {}
    for sub in subs:
        if not sub.path.is_file():
            report.missing.append((sub.student_id, sub.notebook_name))
            continue
        dest = Path(
            coursedir.format_path(coursedir.autograded_directory, sub.student_id, assignment)
        )
        job = _job(assignment, sub, release, tpl, dest, limits or Limits())
        job.resource_class = resource_class
        job.keep_student_files = [str(k) for k in coursedir.exclude_overwriting.get(assignment, [])]
        jobs[job.job_id] = (sub, job)
        _prepare_autograded_dir(sub.directory, release, dest, job.keep_student_files)

    def on_result(result: Result) -> None:
        sub, _ = jobs[result.job_id]
        report.results[(sub.student_id, sub.notebook_name)] = result
        if len(report.results) == 1:  # the grades are recorded right after the last job
            threading.Thread(target=_import_recording, daemon=True).start()

    job_list = [job for _, job in jobs.values()]
    if run_jobs is not None:
        run_jobs(job_list, on_result)
    else:
        _run_pool(pool, job_list, on_result, progress)
    graded = [(sub, report.results.get((sub.student_id, sub.notebook_name))) for sub in subs]
    record_results(coursedir, assignment, _with_missing(graded, report))
    return report


def _with_missing(
    graded: list[tuple[Submission, Result | None]], report: BatchReport
) -> list[tuple[Submission, Result | None]]:
    """Drop notebooks that were submitted but produced no result (never record a zero)."""
    missing = set(report.missing)
    return [
        (sub, res)
        for sub, res in graded
        if res is not None or (sub.student_id, sub.notebook_name) in missing
    ]


def _job(
    assignment: str, sub: Submission, release: Path, tpl: Path, dest: Path, limits: Limits
) -> Job:
    return Job(
        job_id=safe_job_id(assignment, sub.student_id, sub.notebook_name),
        assignment=assignment,
        notebook_name=f"{sub.notebook_name}.ipynb",
        release_dir=str(release),
        template_path=str(tpl),
        submission_path=str(sub.path),
        limits=limits,
        student_id=sub.student_id,
        extra_files_dir=str(sub.directory),
        autograded_path=str(dest / f"{sub.notebook_name}.ipynb"),
    )


def safe_job_id(*parts: str) -> str:
    """A job id usable as a file name and broker key, unique for the given parts."""
    raw = ".".join(parts)
    clean = _UNSAFE.sub("_", raw).lstrip(".-") or "job"
    if clean != raw or len(clean) > 100:
        clean = f"{clean[:100]}-{hashlib.sha1(raw.encode()).hexdigest()[:10]}"
    return clean


def _prepare_autograded_dir(submitted: Path, release: Path, dest: Path, keep: list[str]) -> None:
    """Copy the student's files, then the release's files, like nbgrader's autograded/."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copy_plain_files(submitted, dest)
    copy_plain_files(release, dest, keep_existing={os.path.normpath(k) for k in keep})


def _start_pool(
    workers: int | None, executor_name: str | None, resource_class: str, jobs: int
) -> Any:
    from autograder.dispatch.pool import LocalPool

    pool = LocalPool(workers, executor_name)
    if resource_class == "cpu":
        pool.prestart(jobs)
    return pool


def _import_recording() -> None:
    """Import the gradebook writer while the workers grade (off the batch's serial tail)."""
    with contextlib.suppress(Exception):
        import dateutil.parser  # noqa: F401
        import dateutil.tz  # noqa: F401

        import autograder.gradebook_rows  # noqa: F401


def _run_pool(
    pool: Any, jobs: list[Job], on_result: Callable[[Result], None], progress: bool
) -> None:
    summary = pool.run(jobs, on_result, progress=progress)
    log.info(
        "graded %s jobs in %.1f s (%s retries)", summary.total, summary.wall_s, summary.retries
    )


def write_report(report: BatchReport, path: Path) -> None:
    write_json_atomic(path, report.to_dict(), indent=None)


__all__ = ["BatchReport", "CourseError", "autograde", "safe_job_id", "write_report"]
