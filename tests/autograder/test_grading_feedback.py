"""Learner feedback HTML: escaped, CSP-safe, hidden tests reduced to pass/fail."""

from __future__ import annotations

from autograder.contract import CellResult
from autograder.feedback import render_feedback

CELLS = [
    CellResult("t_visible", "test", 0.0, 2.0, "failed", "AssertionError: <b>x</b>"),
    CellResult("t_hidden", "test", 0.0, 3.0, "failed", "a hidden test did not pass", hidden=True),
    CellResult("essay", "manual", 0.0, 1.0, "manual", "No response."),
]


def test_feedback_is_escaped_and_has_no_scripts_or_inline_styles():
    html = render_feedback("<lab>.ipynb", CELLS, 0.0, 6.0, ["note <i>"], lang="en")
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;lab&gt;" in html and "note &lt;i&gt;" in html
    assert "<script" not in html and "<style" not in html and "style=" not in html


def test_hidden_tests_show_only_pass_or_fail():
    html = render_feedback("lab.ipynb", CELLS, 0.0, 6.0, [], lang="en")
    row = html[html.index("t_hidden") :].split("</tr>")[0]
    assert "failed" in row and "0 / 3" not in row and "hidden test did not pass" not in row


def test_labels_are_korean_by_default_and_english_on_request(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_FEEDBACK_LANG", raising=False)
    assert "채점 결과" in render_feedback("lab", CELLS, 0.0, 6.0, [])
    assert "답안이 없습니다." in render_feedback("lab", CELLS, 0.0, 6.0, [])
    monkeypatch.setenv("AUTOGRADER_FEEDBACK_LANG", "en")
    html = render_feedback("lab", CELLS, 0.0, 6.0, [], needs_review=True)
    assert "Grading result" in html and "An instructor will review" in html
