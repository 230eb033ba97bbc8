"""The similarity page for course staff: pairs of learners whose answer code of one
assignment is suspiciously alike, both snippets side by side (escaped), for a human to
judge. Nothing is flagged on a learner's record and no score changes."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from lms.grading.similarity import find_similar
from lms.grading.staff_views import managed_course
from lms.web import me

bp = Blueprint("similarity", __name__, template_folder="templates")
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


@bp.get("/teach/courses/<slug>/assignments/<name>/similarity")
@login_required
def pairs(slug: str, name: str) -> ResponseReturnValue:
    """Pairs above the chosen threshold (``?threshold=0.7``; other values: the default)."""
    course = managed_course(slug)
    threshold = request.args.get("threshold", type=float)
    if threshold not in THRESHOLDS:
        threshold = 0.7
    found = find_similar(me(), course, name, threshold)
    return render_template(
        "grading/similarity.html",
        course=course,
        name=name,
        pairs=found,
        threshold=threshold,
        thresholds=THRESHOLDS,
    )
