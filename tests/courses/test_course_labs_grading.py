"""Every lab of the starter curriculum through the real nbgrader 0.9.6 pipeline.

For each assignment: generate_assignment, then autograde the model solution (the source
notebook) and the blank release as two submissions. The solution must earn every automatic
point, the blank release none, the reflection cell must wait for a human, and the release
must carry neither solutions nor hidden tests.
"""

from __future__ import annotations

import pytest
from check_courses import load_course
from course_harness import COURSES, all_labs, grade_lab

LABS = all_labs()
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader 0.9.6 noise


def _course_points(slug: str, assignment: str) -> float:
    meta = load_course(COURSES / slug)
    return next(a["points"] for a in meta["assignments"] if a["name"] == assignment)


@pytest.mark.slow
@pytest.mark.parametrize(("slug", "assignment"), LABS, ids=[f"{s}/{a}" for s, a in LABS])
def test_solution_scores_full_and_blank_release_scores_zero(
    slug, assignment, tmp_path, template_gradebook
):
    grades = grade_lab(slug, assignment, tmp_path, template_gradebook)

    earned, possible = grades.auto("solution")
    assert possible > 0
    assert earned == possible, f"solution loses points in {grades.failing('solution')}"
    assert grades.auto("blank") == (0.0, possible), "the blank release must earn nothing"

    assert grades.manual("solution"), "each lab has a manually graded cell"
    assert all(g.auto_score is None for g in grades.manual("solution")), "answered: needs a human"
    assert all(g.auto_score == 0 for g in grades.manual("blank")), "unanswered: scored 0"

    total = sum(g.max_score for g in grades.solution)
    assert total == _course_points(slug, assignment), "course.toml points = nbgrader points"

    release = "".join(p.read_text(encoding="utf-8") for p in grades.release_dir.glob("*.ipynb"))
    assert "BEGIN HIDDEN TESTS" not in release and "BEGIN SOLUTION" not in release
    assert "raise NotImplementedError()" in release and "YOUR ANSWER HERE" in release


@pytest.mark.slow
def test_hidden_tests_catch_a_mistake_the_visible_tests_miss(tmp_path, template_gradebook):
    # A classic error: averaging per-row defect rates instead of pooling the counts. The
    # visible asserts of that cell still pass with it (checked when this test was written).
    pooled = 'totals = df.groupby("line")[["defects", "produced"]].sum()'
    mean_of_ratios = (
        'totals = df.assign(defects=df["defects"] / df["produced"], produced=1)'
        '.groupby("line")[["defects", "produced"]].mean()'
    )
    grades = grade_lab(
        "ai-foundations",
        "lab02-pandas-production",
        tmp_path,
        template_gradebook,
        edits={"defect_rate_by_line": (pooled, mean_of_ratios)},
    )
    by_cell = {g.grade_id: g.auto_score for g in grades.edited}
    assert by_cell["test_defect_rate_by_line"] == 0, "the hidden toy example must catch it"
    others = [g for g in grades.edited if (g.notebook, g.grade_id) in grades.test_ids]
    assert all(
        g.auto_score == g.max_score for g in others if g.grade_id != "test_defect_rate_by_line"
    )
