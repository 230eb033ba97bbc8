"""Lab pages: "Open lab" with live spawn progress, the learner's choice when the notebook is
already in the lab, "Submit from the lab", and the progress JSON that ``lab.js`` polls.

``POST …/lab`` answers HTML (a redirect) or, when the request accepts JSON (``lab.js``),
``{"redirect": url}`` / ``{"error": message, "code": code}`` with the error's status.
Every refusal leaves the learner's files and submissions as they were.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from lms.catalog.services import get_course
from lms.db import db
from lms.errors import DomainError, Forbidden
from lms.grading.models import JobStatus
from lms.grading.results import dispatch_job
from lms.grading.submission import submit
from lms.hub import get_hub_client, hub_settings
from lms.hub.errors import HubError
from lms.hub.lab_files import (
    fresh_copy,
    last_progress,
    notebook_path,
    place_assignment,
    remember_progress,
)
from lms.hub.services import may_open_lab, pull_notebook, start_lab
from lms.oidc.claims import hub_username
from lms.publishing.services import current_assignment
from lms.web import me

bp = Blueprint("labs", __name__, template_folder="templates")


@bp.app_context_processor
def lab_helpers() -> dict[str, Any]:
    return {"lab_enabled": _lab_enabled, "lab_key": lambda: uuid.uuid4().hex}


def _lab_enabled() -> bool:
    return hub_settings().is_configured


class LabsOff(DomainError):
    status = 503
    default_code = "labs_not_configured"

    def __init__(self) -> None:
        super().__init__(message=_l("Labs are not set up on this portal."))


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _lab_url(path_on_hub: str | None, user, lab_path: str) -> str:
    base = path_on_hub or f"/user/{hub_username(user)}/"
    return f"{hub_settings().url}{base}lab/tree/{quote(lab_path)}"


def _wanted_profile(course, assignment) -> str:
    wanted = request.form.get("profile", "").strip()
    if wanted:
        return wanted
    return "gpu-mig-1g" if course.needs_gpu and assignment.resource_class == "gpu" else "cpu-small"


def _refuse(error: DomainError, back: str) -> ResponseReturnValue:
    db.session.rollback()
    if _wants_json():
        return jsonify({"error": str(error.message), "code": error.code}), error.status
    flash(str(error.message), "error")
    return redirect(back, 303)


def _go(url: str) -> ResponseReturnValue:
    return jsonify({"redirect": url}) if _wants_json() else redirect(url, 303)


def _page(slug: str, name: str) -> str:
    return url_for("grading.assignment", slug=slug, name=name)


@bp.post("/courses/<slug>/assignments/<name>/lab")
@login_required
def open_lab(slug: str, name: str) -> ResponseReturnValue:
    """Start (or reuse) the lab, place the assignment, then open JupyterLab on the notebook;
    when the notebook was already there (or the lab fell back to CPU) show the lab page."""
    course = get_course(me(), slug)
    assignment = current_assignment(course, name)
    user = me()
    try:
        if not _lab_enabled():
            raise LabsOff()
        hub = get_hub_client()
        try:
            started = start_lab(
                hub,
                user,
                course,
                _wanted_profile(course, assignment),
                on_progress=lambda event: remember_progress(user.id, event),
            )
        finally:
            remember_progress(user.id, None)
        db.session.commit()  # the usage record counts from here, whatever happens next
        page_url = url_for("grading.assignment", slug=slug, name=name, _external=True)
        placement = place_assignment(hub, user, course, assignment, page_url)
    except DomainError as error:
        return _refuse(error, _page(slug, name))
    path = notebook_path(course, assignment)
    if started.fallback_reason:
        flash(started.fallback_reason, "warning")
    if path in placement.kept or started.fallback_reason:
        return _go(url_for("labs.lab_page", slug=slug, name=name))
    return _go(_lab_url(started.url, user, path))


@bp.get("/courses/<slug>/assignments/<name>/lab")
@login_required
def lab_page(slug: str, name: str) -> ResponseReturnValue:
    """The lab's state for this assignment: open my copy, get a fresh copy, or open the lab."""
    course = get_course(me(), slug)
    assignment = current_assignment(course, name)
    path = notebook_path(course, assignment)
    context: dict[str, Any] = {"course": course, "assignment": assignment, "path": path}
    context["status"] = None
    if _lab_enabled() and may_open_lab(me(), course):
        try:
            context["status"] = get_hub_client().server_status(hub_username(me()))
        except HubError as error:
            flash(str(error.message), "error")
    if context["status"] is not None and context["status"].is_ready:
        context["lab_url"] = _lab_url(context["status"].url, me(), path)
    return render_template("hub/lab.html", **context)


@bp.post("/courses/<slug>/assignments/<name>/lab/fresh")
@login_required
def fresh(slug: str, name: str) -> ResponseReturnValue:
    """Keep the learner's notebook as a backup, put the release copy in its place, open it."""
    course = get_course(me(), slug)
    assignment = current_assignment(course, name)
    try:
        if not _lab_enabled() or not may_open_lab(me(), course):
            raise Forbidden("not_enrolled", _l("Enrol in this course to open its lab."))
        hub = get_hub_client()
        backup = fresh_copy(hub, me(), course, assignment)
        status = hub.server_status(hub_username(me()))
    except DomainError as error:
        return _refuse(error, url_for("labs.lab_page", slug=slug, name=name))
    flash(str(_l("Your copy is kept as %(name)s.", name=backup)), "info")
    return redirect(_lab_url(status.url, me(), notebook_path(course, assignment)), 303)


@bp.post("/courses/<slug>/assignments/<name>/lab/submit")
@login_required
def submit_from_lab(slug: str, name: str) -> ResponseReturnValue:
    """Pull the notebook from the learner's lab and submit it like an upload (same rules,
    same idempotency key semantics). Nothing is submitted when the pull fails."""
    course = get_course(me(), slug)
    assignment = current_assignment(course, name)
    key = request.form.get("idempotency_key") or None
    try:
        if not _lab_enabled():
            raise LabsOff()
        lab_file = pull_notebook(get_hub_client(), me(), notebook_path(course, assignment))
        submission = submit(me(), assignment, lab_file.content, key)
    except DomainError as error:
        return _refuse(error, _page(slug, name))
    db.session.commit()
    job = submission.job
    if job is not None and job.status == JobStatus.QUEUED and job.dispatches == 0:
        dispatch_job(job)  # after the commit, as for uploads
        db.session.commit()
    return redirect(url_for("grading.submission", submission_id=submission.id), 303)


@bp.get("/labs/progress.json")
@login_required
def progress() -> ResponseReturnValue:
    """The signed-in user's lab start: ``state`` from the hub (``stopped``, ``pending``,
    ``ready``; ``unknown`` when the hub does not answer) and the latest progress event."""
    body: dict[str, Any] = {"state": "unknown", "progress": 0, "message": ""}
    if _lab_enabled():
        try:
            body["state"] = get_hub_client().server_status(hub_username(me())).state
        except HubError as error:
            body["message"] = str(error.message)
    event = last_progress(me().id)
    if event is not None:
        body.update(progress=event.progress, message=event.message)
    elif body["state"] == "ready":
        body["progress"] = 100
    return jsonify(body)
