"""Reading a competency framework from CSV: decode, check every row, report.

Columns (header row, any order, case-insensitive): ``code``, ``name_ko``, ``name_en``,
``level`` (1-4), ``track`` (``ai_foundations`` | ``smart_factory`` | ``smart_mobility`` |
``semiconductors`` | ``smart_healthcare``), optional ``parent_code``, ``description_ko``,
``description_en``. Encodings: UTF-8, UTF-8 with BOM (Excel), CP949/EUC-KR (Korean Excel),
detected in that order or chosen. ``check_rows`` finds every problem with its row number and
how to fix it; nothing here writes to the database (``services.import_units`` applies).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.catalog.models import Track
from lms.errors import ValidationError
from lms.skills.models import CODE_PATTERN, MAX_LEVEL, MIN_LEVEL

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
REQUIRED = ("code", "name_ko", "name_en", "level", "track")
OPTIONAL = ("parent_code", "description_ko", "description_en")
#: Encodings a person may choose; "auto" tries UTF-8 (with or without BOM), then CP949.
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp949", "euc-kr")
_BOM = b"\xef\xbb\xbf"
_LENGTHS = {"name_ko": 200, "name_en": 200, "description_ko": 4000, "description_en": 4000}


@dataclass(frozen=True)
class Problem:
    """What is wrong in one row (1 = the header row) and one column, and how to fix it."""

    row: int
    column: str
    message: str


@dataclass
class UnitRow:
    row: int
    code: str
    name_ko: str
    name_en: str
    level: int
    track: str
    parent_code: str
    description_ko: str
    description_en: str


@dataclass
class Parsed:
    encoding: str
    rows: list[UnitRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """``(text, encoding used)``. ``ValidationError`` (``too_large``, ``bad_encoding``)
    when the file is over ``MAX_BYTES`` or not readable in the chosen encoding."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            "too_large",
            _l("The file is larger than %(mb)s MB. Split it into smaller files.", mb=2),
            "file",
        )
    if encoding not in ENCODINGS:
        raise ValidationError("bad_encoding", _l("Choose one of the listed encodings."), "encoding")
    if encoding == "auto":
        tries = ["utf-8-sig" if data.startswith(_BOM) else "utf-8", "cp949"]
    else:
        tries = ["utf-8-sig" if encoding == "utf-8" else encoding]
    for name in tries:
        try:
            return data.decode(name).lstrip("\ufeff"), name
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "bad_encoding",
        _l(
            "The file could not be read as %(encoding)s. Save it as CSV UTF-8, or choose "
            "the encoding it was saved in (Korean Excel: CP949).",
            encoding=encoding if encoding != "auto" else "UTF-8 / CP949",
        ),
        "encoding",
    )


def parse(data: bytes, encoding: str = "auto") -> Parsed:
    """Decode and read every row; per-row problems of format (not of the database)."""
    text, used = decode(data, encoding)
    parsed = Parsed(used)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    columns = _header(header, parsed)
    if columns is None:
        return parsed
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(parsed.rows) >= MAX_ROWS:
            parsed.problems.append(
                Problem(
                    number,
                    "",
                    str(_l("More than %(n)s rows: split the file.", n=MAX_ROWS)),
                )
            )
            break
        record = {
            name: (values[i].strip() if i < len(values) else "") for name, i in columns.items()
        }
        row = _row(number, record, parsed.problems)
        if row is not None:
            parsed.rows.append(row)
    _check_duplicates(parsed)
    return parsed


def _header(header: list[str] | None, parsed: Parsed) -> dict[str, int] | None:
    if not header:
        parsed.problems.append(Problem(1, "", str(_l("The file is empty."))))
        return None
    names = [h.strip().lower() for h in header]
    columns = {name: i for i, name in enumerate(names) if name}
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED + OPTIONAL]
    if missing:
        parsed.problems.append(
            Problem(
                1,
                ", ".join(missing),
                str(
                    _l(
                        "Missing columns: %(columns)s. The header row needs %(required)s.",
                        columns=", ".join(missing),
                        required=", ".join(REQUIRED),
                    )
                ),
            )
        )
    if unknown:
        parsed.problems.append(
            Problem(
                1,
                ", ".join(unknown),
                str(
                    _l(
                        "Unknown columns: %(columns)s. Allowed: %(allowed)s.",
                        columns=", ".join(unknown),
                        allowed=", ".join(REQUIRED + OPTIONAL),
                    )
                ),
            )
        )
    return None if missing or unknown else columns


def _row(number: int, record: Mapping[str, str], problems: list[Problem]) -> UnitRow | None:
    found: list[Problem] = []

    def bad(column: str, message: object) -> None:
        found.append(Problem(number, column, str(message)))

    code = record["code"].upper()
    if not re.match(CODE_PATTERN, code):
        bad(
            "code",
            _l(
                "Write the code like AIF-PY-01 (letters, a dash, letters or digits, a dash, two digits)."
            ),
        )
    for column in ("name_ko", "name_en"):
        if not record[column]:
            bad(
                column,
                _l("The name is missing: give it in Korean (name_ko) and English (name_en)."),
            )
    for column, limit in _LENGTHS.items():
        if len(record.get(column, "")) > limit:
            bad(column, _l("At most %(n)s characters.", n=limit))
    level = _level(record["level"])
    if level is None:
        bad(
            "level",
            _l(
                "The level must be a whole number from %(lo)s to %(hi)s.",
                lo=MIN_LEVEL,
                hi=MAX_LEVEL,
            ),
        )
    track = record["track"].lower()
    if track not in {t.value for t in Track}:
        bad(
            "track",
            _l("Unknown track. Use one of: %(tracks)s.", tracks=", ".join(t.value for t in Track)),
        )
    parent = record.get("parent_code", "").upper()
    if parent and parent == code:
        bad("parent_code", _l("A unit cannot be its own parent: leave parent_code empty."))
    problems.extend(found)
    if found:
        return None
    return UnitRow(
        number,
        code,
        record["name_ko"],
        record["name_en"],
        level,
        track,
        parent,
        record.get("description_ko", ""),
        record.get("description_en", ""),
    )


def _level(value: str) -> int | None:
    try:
        level = int(value)
    except ValueError:
        return None
    return level if MIN_LEVEL <= level <= MAX_LEVEL else None


def _check_duplicates(parsed: Parsed) -> None:
    first: dict[str, int] = {}
    kept = []
    for row in parsed.rows:
        if row.code in first:
            parsed.problems.append(
                Problem(
                    row.row,
                    "code",
                    str(
                        _l(
                            "%(code)s is already in row %(row)s of this file: keep one of the two rows.",
                            code=row.code,
                            row=first[row.code],
                        )
                    ),
                )
            )
            continue
        first[row.code] = row.row
        kept.append(row)
    parsed.rows = kept
