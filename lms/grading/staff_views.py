"""Instructor pages of the grading workflow: the gradebook with filters and exports, and the
submitted notebook rendered where it cannot script the portal.

The notebook is untrusted HTML. It is served from its own route with
``Content-Security-Policy: sandbox; default-src 'none'; …`` (an opaque origin, no script, no
network) and shown in an ``<iframe sandbox="">`` (neither allow-scripts nor
allow-same-origin), so even a ``<script>`` in an output cannot run in the portal's origin.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import escape

from lms.catalog.models import Course
from lms.catalog.services import can_manage_course, get_course
from lms.grading.access import get_submission
from lms.grading.gradebook import FILTER_STATUSES, build_gradebook, to_csv, to_xlsx
from lms.storage import blob_store
from lms.web import me

logger = logging.getLogger(__name__)
bp = Blueprint("gradebook", __name__, template_folder="templates")

#: The notebook frame's policy: sandboxed (opaque origin, no scripts, no forms), nothing
#: loaded from anywhere except inline styles and data: images; framed only by the portal.
NOTEBOOK_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def managed_course(slug: str) -> Course:
    """The course ``slug`` if the signed-in user manages it (else 404 or 403)."""
    course = get_course(me(), slug)
    if not can_manage_course(me(), course):
        abort(403)
    return course


def _filters(course: Course) -> tuple[int | None, str | None]:
    cohort_id = request.args.get("cohort", type=int)
    if cohort_id is not None and cohort_id not in {c.id for c in course.cohorts}:
        cohort_id = None
    status = request.args.get("status") or None
    return cohort_id, status if status in FILTER_STATUSES else None


@bp.get("/teach/courses/<slug>/gradebook")
@login_required
def gradebook(slug: str) -> ResponseReturnValue:
    """Learners × assignments with the counted grade and status per cell."""
    return gradebook_page(managed_course(slug))


def gradebook_page(course: Course, extension_form=None, status_code: int = 200):
    """The gradebook page (also re-rendered by the extension form with its errors)."""
    from lms.grading.forms import ExtensionForm

    cohort_id, status = _filters(course)
    book = build_gradebook(course, cohort_id, status)
    if extension_form is None:
        extension_form = ExtensionForm(formdata=None)
        extension_form.assignment.choices = [(a.name, a.name) for a in book.assignments]
    page = render_template(
        "grading/gradebook.html",
        book=book,
        course=course,
        cohort_id=cohort_id,
        status=status,
        statuses=FILTER_STATUSES,
        export_args={k: v for k, v in (("cohort", cohort_id), ("status", status)) if v},
        extension_form=extension_form,
    )
    return page, status_code


@bp.get("/teach/courses/<slug>/gradebook.<fmt>")
@login_required
def export(slug: str, fmt: str) -> Response:
    """The (filtered) gradebook as CSV or XLSX."""
    course = managed_course(slug)
    book = build_gradebook(course, *_filters(course))
    name = f"{course.slug}-grades.{fmt}"
    if fmt == "csv":
        body, mimetype = ("\ufeff" + to_csv(book)).encode("utf-8"), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, mimetype = to_xlsx(book), XLSX
    else:
        abort(404)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/submissions/<int:submission_id>/notebook")
@login_required
def notebook_frame(submission_id: int) -> Response:
    """The submitted notebook as static HTML for the sandboxed frame (same access rules as
    the submission)."""
    submission = get_submission(me(), submission_id)
    response = Response(render_notebook(blob_store().get(submission.content_sha)))
    response.headers["Content-Security-Policy"] = NOTEBOOK_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def render_notebook(data: bytes) -> str:
    """HTML of a notebook (nbconvert's basic template: no external assets). A notebook
    nbconvert cannot read gives a short page saying so, never an error."""
    import nbformat
    from nbconvert import HTMLExporter

    try:
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4)
        body, _resources = HTMLExporter(template_name="basic").from_notebook_node(notebook)
    except Exception:  # any malformed upload: nbformat/nbconvert raise many kinds
        logger.info("notebook could not be rendered", exc_info=True)
        message = escape(_("This notebook cannot be displayed."))
        return f"<!doctype html><meta charset='utf-8'><p>{message}</p>"
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


@bp.get("/teach/courses/<slug>/assignments/<name>/analytics")
@login_required
def analytics(slug: str, name: str) -> ResponseReturnValue:
    """Score distribution and per-test failure shares of one assignment, as SVG charts."""
    from lms.grading.analytics import assignment_analytics
    from lms.publishing.services import current_assignment

    course = managed_course(slug)
    stats = assignment_analytics(course, current_assignment(course, name))
    return render_template("grading/analytics.html", course=course, stats=stats)
