"""The member export of an organisation as CSV or XLSX: one line per member, stable English
column names (HR systems import them), empty cells where a member does not share that kind."""

from __future__ import annotations

import csv
import io

from lms.grading.gradebook import _safe
from lms.reporting.rows import MemberRow

COLUMNS = (
    "email",
    "name",
    "department",
    "member_since",
    "shares",
    "enrolments",
    "completed",
    "progress_percent",
    "at_risk",
    "last_activity_at",
    "gpu_hours",
    "score_percent",
    "labs_failed",
    "skills",
)


def export_lines(found: list[MemberRow]) -> list[list[object]]:
    """The header and one line per member."""
    lines: list[list[object]] = [list(COLUMNS)]
    for row in found:
        m = row.membership
        lines.append(
            [
                m.user.email,
                m.user.name,
                m.department.name if m.department else "",
                m.started_on.isoformat(),
                " ".join(sorted(k.value for k in row.kinds)),
                row.enrolments,
                row.completed,
                row.progress_percent,
                None if row.at_risk is None else ("yes" if row.at_risk else "no"),
                row.last_activity_at.isoformat() if row.last_activity_at else None,
                row.gpu_hours,
                row.score_percent,
                row.labs_failed,
                row.skills,
            ]
        )
    return lines


def to_csv(found: list[MemberRow]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Korean names right."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in export_lines(found):
        writer.writerow([_safe(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(found: list[MemberRow]) -> bytes:
    """One sheet, figures as numbers (write-only mode: fast for thousands of lines)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("members")
    for line in export_lines(found):
        sheet.append([_safe(v) for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
