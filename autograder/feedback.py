"""Feedback HTML for the learner.

An HTML fragment with no scripts, no inline styles (the portal's CSP forbids them; style the
``ag-feedback`` block and its ``ag-<status>`` cells there) and no external resources, built
only from escaped text: everything here comes from untrusted student code or output. Visible tests show their
status, points and error message; hidden tests show only whether they passed, never their
source or traceback. Labels are Korean by default (``AUTOGRADER_FEEDBACK_LANG=en`` for English).
"""

from __future__ import annotations

import os
import re
from html import escape

from autograder.contract import CellResult

_LABELS = {
    "ko": {
        "title": "채점 결과",
        "total": "총점",
        "cell": "셀",
        "status": "결과",
        "points": "점수",
        "hidden": "비공개 테스트",
        "notes": "참고",
        "review": "이 제출물은 교수자가 검토합니다.",
        "passed": "통과",
        "partial": "부분 점수",
        "failed": "실패",
        "error": "오류",
        "timeout": "시간 초과",
        "not_run": "실행되지 않음",
        "manual": "교수자 채점",
        "no_response": "답안이 없습니다.",
    },
    "en": {
        "title": "Grading result",
        "total": "Total",
        "cell": "Cell",
        "status": "Result",
        "points": "Points",
        "hidden": "hidden test",
        "notes": "Notes",
        "review": "An instructor will review this submission.",
        "passed": "passed",
        "partial": "partial credit",
        "failed": "failed",
        "error": "error",
        "timeout": "timed out",
        "not_run": "not run",
        "manual": "graded by the instructor",
        "no_response": "No response.",
    },
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def labels(lang: str | None = None) -> dict[str, str]:
    lang = lang or os.environ.get("AUTOGRADER_FEEDBACK_LANG", "ko")
    return _LABELS.get(lang, _LABELS["ko"])


def clean(text: str) -> str:
    """Escape untrusted text for HTML (ANSI colour codes removed first)."""
    return escape(_ANSI.sub("", text), quote=True)


def render_feedback(
    title: str,
    cells: list[CellResult],
    earned: float,
    possible: float,
    notes: list[str],
    needs_review: bool = False,
    lang: str | None = None,
) -> str:
    """The learner's feedback page fragment for one graded notebook."""
    lab = labels(lang)
    rows = "".join(_row(c, lab) for c in cells)
    parts = [
        f'<div class="ag-feedback"><h2>{clean(lab["title"])}: {clean(title)}</h2>',
        f"<p><strong>{lab['total']}: {earned:g} / {possible:g}</strong></p>",
        f"<table><tr><th>{lab['cell']}</th><th>{lab['status']}</th>"
        f"<th>{lab['points']}</th></tr>{rows}</table>",
    ]
    if notes:
        items = "".join(f"<li>{clean(n)}</li>" for n in notes)
        parts.append(f"<h3>{lab['notes']}</h3><ul>{items}</ul>")
    if needs_review:
        parts.append(f"<p>{lab['review']}</p>")
    parts.append("</div>")
    return "".join(parts)


def _row(cell: CellResult, lab: dict[str, str]) -> str:
    status = cell.status if cell.status in lab else "error"
    if cell.hidden:
        verdict = "passed" if cell.earned >= cell.possible else "failed"
        name = f"{clean(cell.cell_id)} ({lab['hidden']})"
        return f'<tr><td>{name}</td><td class="ag-{verdict}">{lab[verdict]}</td><td></td></tr>'
    text = lab["no_response"] if cell.message == "No response." else cell.message
    message = f"<pre>{clean(text)}</pre>" if text else ""
    points = (
        f"{cell.earned:g} / {cell.possible:g}" if status != "manual" else f"– / {cell.possible:g}"
    )
    return (
        f'<tr><td>{clean(cell.cell_id)}</td><td class="ag-{status}">{lab[status]}{message}</td>'
        f"<td>{points}</td></tr>"
    )
