"""Grading dispatch backends, picked by ``LMS_GRADING_BACKEND`` from a small registry.

Contract of a backend (:class:`GradingBackend`):

- ``dispatch(job)`` hands an ``autograder.contract.Job`` to the graders. It may be called again
  for the same job id (the sweeper re-dispatches after a lost lease): the backend must then
  grade it at most once more and deliver at least one Result. Raises ``DispatchError`` when the
  job could not be queued (the job stays queued in the database; the sweeper retries).
- ``collect(job_ids)`` returns the Results now available for some of ``job_ids`` without
  waiting. A Result may be returned more than once (at-least-once): the portal records it
  idempotently. A result that cannot be read becomes a ``not_gradable`` Result.
- ``running(job_ids)`` returns the ids a worker is grading now (best effort; may be empty).

Backends: ``local`` (the durable spool of ``python -m autograder worker --backend local``),
``celery`` (queues ``cpu``/``gpu``), ``fake`` (in-process, deterministic; tests only).
"""

from __future__ import annotations

import abc
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from flask import Flask, current_app

from autograder.contract import CellResult, Job, Result
from autograder.dispatch.common import not_gradable
from lms.grading.settings import setting, spool_dir

log = logging.getLogger(__name__)


class DispatchError(RuntimeError):
    """The job could not be handed to the graders (queue unwritable, broker down)."""


class GradingBackend(abc.ABC):
    """A way to get jobs graded; see the module docstring for the contract."""

    name: ClassVar[str]

    @abc.abstractmethod
    def dispatch(self, job: Job) -> None: ...

    @abc.abstractmethod
    def collect(self, job_ids: Iterable[str]) -> list[Result]: ...

    def running(self, job_ids: Iterable[str]) -> set[str]:
        return set()


class LocalSpoolBackend(GradingBackend):
    """The spool directory read by ``python -m autograder worker --backend local``
    (``LMS_GRADING_SPOOL_DIR`` here = ``AUTOGRADER_SPOOL_DIR`` there)."""

    name = "local"

    def __init__(self, spool: Path) -> None:
        self.spool = spool

    def dispatch(self, job: Job) -> None:
        from autograder.dispatch.spool import submit_job

        try:
            submit_job(self.spool, job)
        except (OSError, ValueError) as exc:
            raise DispatchError(f"cannot queue job {job.job_id} in {self.spool}: {exc}") from exc

    def collect(self, job_ids: Iterable[str]) -> list[Result]:
        from autograder.dispatch.spool import read_result

        ready = _stems(self.spool / "results")
        results = []
        for job_id in set(job_ids) & ready:
            try:
                result = read_result(self.spool, job_id)
            except ValueError as exc:
                result = not_gradable(job_id, f"the grading result is unreadable: {exc}")
            if result is not None:
                results.append(result)
        return results

    def running(self, job_ids: Iterable[str]) -> set[str]:
        claimed = {name.split("@", 1)[0] for name in _stems(self.spool / "claimed")}
        return claimed & set(job_ids)


def _stems(folder: Path) -> set[str]:
    try:
        return {p.name.removesuffix(".json") for p in folder.iterdir()}
    except FileNotFoundError:
        return set()


class CeleryBackend(GradingBackend):
    """Celery with the autograder's app (``AUTOGRADER_BROKER_URL``), queue = resource class."""

    name = "celery"

    def dispatch(self, job: Job) -> None:
        from autograder.dispatch.celery_app import submit

        try:
            submit(job)
        except Exception as exc:  # kombu raises many types when the broker is down
            raise DispatchError(f"cannot send job {job.job_id} to Celery: {exc}") from exc

    def collect(self, job_ids: Iterable[str]) -> list[Result]:
        from autograder.dispatch.celery_app import fetch_result

        results = []
        for job_id in job_ids:
            try:
                result = fetch_result(job_id)
            except ValueError as exc:
                result = not_gradable(job_id, f"the grading result is unreadable: {exc}")
            if result is not None:
                results.append(result)
        return results


class FakeBackend(GradingBackend):
    """In-process and deterministic, for unit tests: a test cell passes when no answer cell
    of the submission still raises ``NotImplementedError``. ``hold = True`` keeps jobs
    pending (a lost worker); ``dispatched`` counts dispatches per job id."""

    name = "fake"

    def __init__(self) -> None:
        self.pending: dict[str, Job] = {}
        self.dispatched: dict[str, int] = {}
        self.hold = False
        self.fail_dispatch = False

    def dispatch(self, job: Job) -> None:
        if self.fail_dispatch:
            raise DispatchError("fake backend told to fail")
        self.pending[job.job_id] = job
        self.dispatched[job.job_id] = self.dispatched.get(job.job_id, 0) + 1

    def collect(self, job_ids: Iterable[str]) -> list[Result]:
        if self.hold:
            return []
        return [self.grade(self.pending[j]) for j in job_ids if j in self.pending]

    @staticmethod
    def grade(job: Job) -> Result:
        """The deterministic Result of ``job`` (template cells, answers checked for stubs)."""
        template = json.loads(Path(job.template_path).read_text(encoding="utf-8"))
        submitted = json.loads(Path(job.submission_path).read_text(encoding="utf-8"))
        cells_of = template["notebooks"][job.notebook_name]["cells"]
        answer_ids = {c["grade_id"] for c in cells_of if c["kind"] == "answer"}
        answers = "".join(
            "".join(c.get("source", ""))
            for c in submitted.get("cells", [])
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in answer_ids
        )
        solved = "NotImplementedError" not in answers
        cells = []
        for cell in cells_of:
            if cell["kind"] == "test":
                earned = cell["points"] if solved else 0.0
                status = "passed" if solved else "failed"
            elif cell["kind"] in ("manual", "task"):
                earned, status = 0.0, "manual"
            else:
                continue
            cells.append(
                CellResult(
                    cell["grade_id"],
                    cell["kind"],
                    earned,
                    cell["points"],
                    status,
                    hidden=cell["hidden"],
                )
            )
        return Result(
            job_id=job.job_id,
            status="graded",
            earned=sum(c.earned for c in cells),
            possible=sum(c.possible for c in cells),
            cells=cells,
            feedback_html='<div class="ag-feedback">fake</div>',
            flags=[],
        )


BACKENDS: dict[str, type[GradingBackend]] = {
    b.name: b for b in (LocalSpoolBackend, CeleryBackend, FakeBackend)
}


def get_backend(app: Flask | None = None) -> GradingBackend:
    """The app's backend (``LMS_GRADING_BACKEND``), made once per app. ValueError names the
    setting when it is unknown."""
    app = app or current_app
    backend = app.extensions.get("lms_grading_backend")
    if backend is None:
        with app.app_context():
            name = setting("LMS_GRADING_BACKEND")
            if name not in BACKENDS:
                known = ", ".join(sorted(BACKENDS))
                raise ValueError(f"LMS_GRADING_BACKEND must be one of {known}, not {name!r}")
            cls = BACKENDS[name]
            backend = cls(spool_dir()) if cls is LocalSpoolBackend else cls()
        app.extensions["lms_grading_backend"] = backend
    return backend
