"""``grade(job)``: THE grading function, used by the CLI, the local pool and Celery alike.

Pipeline for one submission: read the template -> read the submission -> rebuild the notebook
from the template (locked and test cells, hidden tests included, restored; answers taken by
``grade_id``; the student's outputs dropped) -> prepare a private working directory (the
release's data files and the student's own files only) -> run the code cells with the
executor -> score every graded cell here, in the grader process -> render learner feedback.

It never raises: a bad submission gets a result with a clear message; an infrastructure
failure gets ``status="not_gradable"`` with the reason (never a zero). Same job, same result.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from autograder.contract import CellResult, Job, Result
from autograder.feedback import render_feedback
from autograder.notebook import Plan, SubmissionError, plan_notebook, read_submission
from autograder.scoring import score_manual, score_test
from autograder.template import load_template, write_json_atomic

log = logging.getLogger(__name__)
WORK_DIR_ENV = "AUTOGRADER_WORK_DIR"  # where per-job workdirs are made (default: the tmp dir)
# nbgrader autograde runs kernels with NBGRADER_EXECUTION=autograde and its FAQ tells authors to
# test it (e.g. to skip training while grading); a first setup cell gives notebooks the same.
ENV_CELL_ID = "autograder:nbgrader-env"
ENV_CELL_SOURCE = (
    "import os as _ag_os\n_ag_os.environ['NBGRADER_EXECUTION'] = 'autograde'\ndel _ag_os"
)

_STOP_REASONS = {
    "timeout": "the notebook exceeded its total time limit ({notebook_timeout_s:g} s)",
    "memory": "the notebook ran out of memory (limit {memory_mb} MB)",
    "output_limit": "the notebook produced more than {output_bytes} bytes of output",
    "crashed": "the notebook's process died before this cell ran",
}


def grade(job: Job, *, executor: Any | None = None, gpu_device: str | None = None) -> Result:
    """Grade one job. Never raises; see the module docstring for the contract.

    ``executor``: an :class:`autograder.execute.Executor` to reuse (a worker keeps one);
    when None, one is created from ``AUTOGRADER_EXECUTOR`` and closed afterwards.
    ``gpu_device``: the GPU (or MIG slice) for a "gpu" job; default: this process's
    ``CUDA_VISIBLE_DEVICES``, which the dispatchers pin per worker.
    """
    started = time.perf_counter()
    if job.resource_class == "gpu" and gpu_device is None:
        gpu_device = os.environ.get("CUDA_VISIBLE_DEVICES") or None
    try:
        result = _grade(job, executor, gpu_device)
    except Exception as exc:  # a bug or an unexpected infrastructure failure
        log.exception("grading job %s failed", job.job_id)
        result = not_gradable(job, f"internal error while grading: {type(exc).__name__}: {exc}")
    result.timings["total"] = round(time.perf_counter() - started, 4)
    return result


def not_gradable(job: Job, reason: str) -> Result:
    """The result for an infrastructure failure: no score is recorded from it."""
    return Result(job.job_id, "not_gradable", 0.0, 0.0, [], "", [], reason=reason)


def _grade(job: Job, executor: Any | None, gpu_device: str | None) -> Result:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        template = load_template(job.template_path)
    except ValueError as exc:
        return not_gradable(job, str(exc))
    name = Path(job.notebook_name).stem
    tnb = template["notebooks"].get(name)
    if template["assignment"] != job.assignment or tnb is None:
        return not_gradable(
            job, f"the template {job.template_path} has no notebook {job.assignment}/{name}"
        )
    try:
        plan = plan_notebook(tnb, read_submission(job.submission_path), f"{job.assignment}/{name}")
    except SubmissionError as exc:
        return rejected(job, tnb, str(exc))
    timings["prepare"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="ag-job-", dir=os.environ.get(WORK_DIR_ENV)) as tmp:
        os.chmod(tmp, 0o755)  # the sandbox's unprivileged uid must reach the workdir
        workdir = Path(tmp) / "work"
        try:
            plan.notes.extend(prepare_workdir(workdir, job))
        except OSError as exc:
            return not_gradable(job, f"could not prepare the working directory: {exc}")
        t1 = time.perf_counter()
        timings["workdir"] = t1 - t0 - timings["prepare"]
        execution = _execute(job, plan, workdir, executor, gpu_device)
        timings["execute"] = time.perf_counter() - t1
    if isinstance(execution, str):
        return not_gradable(job, execution)
    return _score(job, tnb, plan, execution, timings)


def rejected(job: Job, tnb: dict, message: str) -> Result:
    """A submission that cannot be graded as submitted: 0 points, the reason, for review."""
    cells = [
        CellResult(c["grade_id"], c["kind"], 0.0, float(c["points"]), "not_run", message)
        for c in tnb["cells"]
        if c["kind"] in ("test", "manual", "task")
    ]
    possible = sum(c.possible for c in cells)
    html = render_feedback(job.notebook_name, cells, 0.0, possible, [message], True)
    flags = [f"submission rejected: {message}"]
    return Result(job.job_id, "needs_review", 0.0, possible, cells, html, flags, reason=message)


def prepare_workdir(workdir: Path, job: Job) -> list[str]:
    """Fill ``workdir`` with the student's own files, then the release's data files.

    Release files win over student files of the same name (as nbgrader's autograde copies
    the source files over the submission), except ``job.keep_student_files`` (nbgrader's
    ``exclude_overwriting``). Notebooks and symbolic links are never copied;
    the student's files are capped at ``limits.disk_mb``. Returns notes for the learner.
    """
    workdir.mkdir(mode=0o755)
    notes = []
    if job.extra_files_dir:
        budget = job.limits.disk_mb * 1024 * 1024
        skipped = copy_plain_files(Path(job.extra_files_dir), workdir, link=True, budget=budget)
        if skipped:
            notes.append(
                f"{len(skipped)} of your files were not provided to the grader (more than "
                f"{job.limits.disk_mb} MB in all): {', '.join(skipped[:5])}"
            )
    keep = {os.path.normpath(k) for k in job.keep_student_files}
    copy_plain_files(Path(job.release_dir), workdir, link=True, keep_existing=keep)
    os.chmod(workdir, 0o755)
    return notes


def copy_plain_files(
    src: Path,
    dest: Path,
    *,
    link: bool = False,
    budget: int | None = None,
    keep_existing: Collection[str] = (),
) -> list[str]:
    """Copy regular files (no notebooks, no symlinks, no checkpoints) from src into dest.

    ``link=True`` hard-links world-readable files where possible (same file system) instead
    of copying: the sandbox mounts the workdir read-only and runs as another uid, so a link
    is as safe as a copy and makes large data files free. Files beyond ``budget`` bytes in
    all are skipped; their relative paths are returned. Relative paths in ``keep_existing``
    are not replaced when ``dest`` already has them.
    """
    if not src.is_dir():
        raise FileNotFoundError(f"no such directory: {src}")
    skipped: list[str] = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if not d.startswith(".ipynb_checkpoints")]
        rel = Path(dirpath).relative_to(src)
        for fname in filenames:
            path = Path(dirpath) / fname
            if fname.endswith(".ipynb") or path.is_symlink() or not path.is_file():
                continue
            if budget is not None:
                budget -= path.stat().st_size
                if budget < 0:
                    skipped.append(str(rel / fname))
                    continue
            target = dest / rel / fname
            if os.path.normpath(rel / fname) in keep_existing and target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            if target.exists():
                target.unlink()
            _place(path, target, link)
    return skipped


def _place(path: Path, target: Path, link: bool) -> None:
    if link:
        try:
            os.link(path, target)
        except OSError:
            pass
        else:
            if os.stat(target).st_mode & 0o004:  # world-readable: the sandbox uid can read it
                return
            target.unlink()  # copy instead of changing the original's mode
    shutil.copyfile(path, target)
    os.chmod(target, 0o644)


def _execute(
    job: Job, plan: Plan, workdir: Path, executor: Any | None, gpu_device: str | None
) -> Any:
    """Run the code cells; returns the Execution, or a string saying why nothing could run."""
    from autograder.execute import CodeCell, get_executor

    cells = [CodeCell(ENV_CELL_ID, ENV_CELL_SOURCE, "setup")]
    cells += [CodeCell(c.cell_id, c.source, c.role) for c in plan.cells if c.cell_type == "code"]
    own = executor is None
    try:
        if own:
            executor = get_executor()
        execution = executor.run(
            cells,
            workdir=workdir,
            limits=job.limits,
            resource_class=job.resource_class,
            gpu_device=gpu_device if job.resource_class == "gpu" else None,
        )
    except Exception as exc:
        log.exception("executor failed for job %s", job.job_id)
        return f"the executor failed: {type(exc).__name__}: {exc}"
    finally:
        if own and executor is not None:
            executor.close()
    if execution.status == "sandbox_error":
        return f"the sandbox failed: {execution.log.strip()[-500:] or 'no details'}"
    return execution


def _score(job: Job, tnb: dict, plan: Plan, execution: Any, timings: dict) -> Result:
    t0 = time.perf_counter()
    runs = {run.cell_id: run for run in execution.cells}
    stop = _STOP_REASONS.get(execution.status, "").format(**job.limits.to_dict())
    cells: list[CellResult] = []
    for pc in plan.cells:
        if pc.template is None or pc.template["kind"] not in ("test", "manual", "task"):
            continue
        if pc.template["kind"] == "test":
            cells.append(score_test(pc.template, runs.get(pc.cell_id), stop))
        else:
            cells.append(score_manual(pc.template, pc.cell_id in plan.unanswered))
    flags = list(plan.flags) + [str(f) for f in execution.flags]
    if execution.status == "crashed":
        flags.append("the notebook's process died during grading (killed or crashed)")
    notes = list(plan.notes) + _answer_errors(plan, runs)
    if stop:
        notes.append(stop)
    notes, cells = redact_hidden(tnb, notes, cells)
    earned = round(sum(c.earned for c in cells), 6)
    possible = round(sum(c.possible for c in cells), 6)
    status = "needs_review" if flags else "graded"
    html = render_feedback(job.notebook_name, cells, earned, possible, notes, bool(flags))
    timings.update({f"exec.{k}": v for k, v in execution.timings.items()})
    if job.autograded_path:
        write_autograded(Path(job.autograded_path), tnb, plan, runs, cells)
    timings["score"] = time.perf_counter() - t0
    logs = "\n".join([*notes, execution.log]).strip()
    timings = {k: round(v, 4) for k, v in timings.items()}
    return Result(job.job_id, status, earned, possible, cells, html, flags, "", logs, timings)


def redact_hidden(
    tnb: dict, notes: list[str], cells: list[CellResult]
) -> tuple[list[str], list[CellResult]]:
    """Remove hidden-test lines from learner-visible text.

    Student code can observe the cells that run after it (tracing hooks, frames) and smuggle
    their source out through an error message; whatever path it takes, a hidden line never
    reaches the feedback.
    """
    secret = _hidden_lines(tnb)
    if not secret:
        return notes, cells

    def scrub(text: str) -> str:
        for line in secret:
            text = text.replace(line, "[hidden]")
        return text

    for cell in cells:
        cell.message = scrub(cell.message)
    return [scrub(n) for n in notes], cells


def _hidden_lines(tnb: dict) -> list[str]:
    lines: set[str] = set()
    for cell in tnb["cells"]:
        if cell.get("hidden"):
            visible = set(cell["visible_source"].splitlines())
            for line in cell["source"].splitlines():
                if line not in visible and len(line.strip()) >= 6:
                    lines.add(line.strip())
    return sorted(lines, key=len, reverse=True)


def _answer_errors(plan: Plan, runs: dict[str, Any]) -> list[str]:
    """One line per answer cell of the student that raised (shown to the learner)."""
    notes = []
    for pc in plan.cells:
        run = runs.get(pc.cell_id)
        if pc.role == "student" and run is not None and run.status == "error" and run.error:
            err = run.error
            notes.append(f"{pc.cell_id}: {err.get('ename', 'Error')}: {err.get('evalue', '')}")
    return notes


def write_autograded(
    path: Path, tnb: dict, plan: Plan, runs: dict[str, Any], cells: list[CellResult]
) -> None:
    """The executed notebook as nbgrader's autograded/ copy (nbgrader metadata restored)."""
    scores = {c.cell_id: c for c in cells}
    out_cells = []
    for count, pc in enumerate(plan.cells, start=1):
        cell: dict[str, Any] = {"cell_type": pc.cell_type, "metadata": {}, "source": pc.source}
        if pc.template is not None:
            cell["metadata"]["nbgrader"] = _nbgrader_meta(pc.template)
        if pc.cell_id in scores:
            sc = scores[pc.cell_id]
            cell["metadata"]["autograder"] = {
                "earned": sc.earned,
                "possible": sc.possible,
                "status": sc.status,
            }
        if pc.cell_type == "code":
            run = runs.get(pc.cell_id)
            cell["outputs"] = list(run.outputs) if run is not None else []
            cell["execution_count"] = count if run is not None and run.status != "not_run" else None
        out_cells.append(cell)
    nb = {
        "cells": out_cells,
        "metadata": {"kernelspec": tnb.get("kernelspec") or {}},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    write_json_atomic(path, nb, indent=None)  # one per job: the fast encoder


def _nbgrader_meta(tcell: dict) -> dict[str, Any]:
    flags = tcell.get("flags", {})
    meta = {
        "grade": flags.get("grade", False),
        "solution": flags.get("solution", False),
        "locked": flags.get("locked", False),
        "grade_id": tcell["grade_id"],
        "checksum": tcell["checksum"],
        "schema_version": 3,
        "cell_type": tcell["cell_type"],
    }
    if tcell["kind"] == "task":
        meta["task"] = True
    if tcell["kind"] in ("test", "manual", "task"):
        meta["points"] = float(tcell["points"])
    return meta
