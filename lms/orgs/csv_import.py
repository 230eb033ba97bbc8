"""Invite members from a CSV file: decode (UTF-8, UTF-8 with BOM, CP949/EUC-KR), check every
row, then write everything in a few bulk statements — or nothing at all.

Columns (header row, any order): ``email`` (required), ``name``, ``department``, ``role``
(``member``/``manager``). Korean headers (이메일, 이름, 부서, 역할) work too. Every problem is
reported with its row number (the header is row 1), what is wrong and how to fix it. If any
row has a problem nothing is written, unless the manager asks to import the valid rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert

from lms.accounts.models import User
from lms.accounts.services import normalise_email
from lms.audit.services import record
from lms.db import db, utcnow
from lms.errors import Forbidden, ValidationError
from lms.orgs.invitation_mail import Invited, queue_invitation_mails
from lms.orgs.invitations import (
    _require_manager,
    check_role,
    invitation_ttl,
    member_emails,
    new_token,
    pending_emails,
)
from lms.orgs.models import Department, Invitation, InvitationStatus, MemberRole, Organisation

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp949", "euc-kr")
CHUNK = 1000
HEADERS = {
    "email": "email",
    "e-mail": "email",
    "이메일": "email",
    "전자우편": "email",
    "name": "name",
    "이름": "name",
    "성명": "name",
    "department": "department",
    "부서": "department",
    "role": "role",
    "역할": "role",
}
ROLES = {
    "": "member",
    "member": "member",
    "구성원": "member",
    "manager": "manager",
    "관리자": "manager",
}

#: code → (what is wrong, how to fix it)
PROBLEMS = {
    "missing_email": (_l("The e-mail is empty."), _l("Fill in the person's e-mail address.")),
    "invalid_email": (
        _l("This is not a valid e-mail address."),
        _l("Correct the address (for example name@company.com)."),
    ),
    "duplicate_in_file": (
        _l("The same e-mail is also on row %(other)s."),
        _l("Keep one of the two rows."),
    ),
    "already_member": (
        _l("This person is already a member."),
        _l("Remove the row; move members between departments on the members page."),
    ),
    "already_invited": (
        _l("This address already has a pending invitation."),
        _l("Remove the row, or send the invitation again from the invitations page."),
    ),
    "unknown_department": (
        _l("The department %(department)s does not exist."),
        _l("Correct the name, create the department first, or choose to create missing ones."),
    ),
    "invalid_role": (
        _l("Unknown role %(role)s."),
        _l("Write member or manager, or leave it empty."),
    ),
    "manager_role": (
        _l("Only administrators can invite managers."),
        _l("Write member, or ask an administrator to invite this manager."),
    ),
    "too_long": (
        _l("The name or department is longer than 200 characters."),
        _l("Shorten it."),
    ),
}


@dataclass
class RowProblem:
    row: int
    email: str
    code: str
    message: str
    fix: str


@dataclass
class CsvRow:
    row: int
    email: str
    name: str = ""
    department: str = ""
    role: str = ""


@dataclass
class ImportReport:
    """What an import found and did. ``invited`` holds (e-mail, link secret) pairs: show
    them once (the CLI writes them to a file), they are not stored."""

    encoding: str
    rows: int = 0
    valid: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    departments_created: list[str] = field(default_factory=list)
    invited: list[tuple[str, str]] = field(default_factory=list)
    applied: bool = False
    mails_queued: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text of ``data`` and the encoding used. ``auto``: a UTF-8 BOM, else UTF-8, else
    CP949 (a superset of EUC-KR, what Korean Excel saves). ``ValidationError`` when the
    bytes do not fit the chosen encoding, or the file is too large."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            "file_too_large",
            _l(
                "The file is larger than %(mb)s MB; split it into smaller files.",
                mb=MAX_BYTES // 2**20,
            ),
            "file",
        )
    if encoding not in ENCODINGS:
        raise ValidationError("invalid_encoding", _l("Unknown encoding."), "encoding")
    candidates = [encoding]
    if encoding == "auto":
        candidates = ["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp949"]
    elif encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    for candidate in candidates:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        "undecodable",
        _l(
            "The file could not be read as %(encoding)s. Save it as CSV UTF-8, or choose the "
            "encoding it was saved in (Korean Excel usually saves CP949).",
            encoding=encoding if encoding != "auto" else "UTF-8 / CP949",
        ),
        "encoding",
    )


def parse(text: str) -> list[CsvRow]:
    """Rows of the CSV text (comma, semicolon or tab separated) by header name.
    ``ValidationError`` without an e-mail column or with more than ``MAX_ROWS`` rows."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None) or []
    columns = {HEADERS.get(h.strip().lower()): i for i, h in enumerate(header)}
    columns.pop(None, None)
    if "email" not in columns:
        raise ValidationError(
            "missing_columns",
            _l("The first row must name the columns: email,name,department (role optional)."),
            "file",
        )
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        cell = {k: (values[i].strip() if i < len(values) else "") for k, i in columns.items()}
        rows.append(CsvRow(reader.line_num, **cell))
        if len(rows) > MAX_ROWS:
            raise ValidationError(
                "too_many_rows",
                _l("A file may have at most %(max)s rows; split it.", max=MAX_ROWS),
                "file",
            )
    return rows


def _problem(row: CsvRow, code: str, **values: object) -> RowProblem:
    what, fix = PROBLEMS[code]
    return RowProblem(row.row, row.email, code, str(what % values if values else what), str(fix))


class _Checker:
    """Checks rows against the file so far and the organisation's members and invitations
    (loaded once)."""

    def __init__(self, actor: User | None, org: Organisation, create_departments: bool):
        self.actor, self.create_departments = actor, create_departments
        self.members, self.invited = member_emails(org), pending_emails(org)
        self.departments = {d.name: d for d in org.departments}
        self.seen: dict[str, int] = {}

    def check(self, row: CsvRow) -> RowProblem | None:
        if not row.email:
            return _problem(row, "missing_email")
        try:
            row.email = normalise_email(row.email)
        except ValidationError:
            return _problem(row, "invalid_email")
        if row.email in self.seen:
            return _problem(row, "duplicate_in_file", other=self.seen[row.email])
        self.seen[row.email] = row.row
        if row.email in self.members:
            return _problem(row, "already_member")
        if row.email in self.invited:
            return _problem(row, "already_invited")
        return self._check_fields(row)

    def _check_fields(self, row: CsvRow) -> RowProblem | None:
        if len(row.name) > 200 or len(row.department) > 200:
            return _problem(row, "too_long")
        role = ROLES.get(row.role.lower())
        if role is None:
            return _problem(row, "invalid_role", role=row.role)
        try:
            check_role(self.actor, role)
        except (Forbidden, ValidationError):
            return _problem(row, "manager_role")
        row.role = role
        unknown = row.department and row.department not in self.departments
        if unknown and not self.create_departments:
            return _problem(row, "unknown_department", department=row.department)
        return None


def import_invitations(
    actor: User | None,
    org: Organisation,
    data: bytes,
    encoding: str = "auto",
    create_departments: bool = False,
    apply_valid: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Check every row of a CSV file and invite the people in it.

    Nothing is written when any row has a problem (unless ``apply_valid``), or with
    ``dry_run``. Unknown departments are created with ``create_departments``, else they are
    a problem. ``progress(step, total)`` is called as rows are checked and written
    (``total`` is 2 × rows).
    Errors for the whole file: ``Forbidden``, ``ValidationError`` (size, encoding, header).
    One invitation e-mail per person is queued with the invitations (``mails_queued``).
    Flushes, never commits. Audited as ``org.import`` (counts only)."""
    _require_manager(actor, org)
    text, used = decode(data, encoding)
    rows = parse(text)
    report = ImportReport(encoding=used, rows=len(rows))
    checker = _Checker(actor, org, create_departments)
    valid = []
    for row in rows:
        problem = checker.check(row)
        if problem is None:
            valid.append(row)
        else:
            report.problems.append(problem)
        if progress:
            progress(1, 2 * len(rows))
    report.valid = len(valid)
    if dry_run or (report.problems and not apply_valid) or not valid:
        return report
    _write(actor, org, valid, checker.departments, report, progress)
    return report


def _write(actor, org, rows, departments, report, progress) -> None:
    new = sorted({r.department for r in rows if r.department and r.department not in departments})
    for name in new:
        departments[name] = Department(org=org, name=name)
        db.session.add(departments[name])
    db.session.flush()
    report.departments_created = new
    now, expires = utcnow(), utcnow() + invitation_ttl()
    mails: list[Invited] = []
    for start in range(0, len(rows), CHUNK):
        values = []
        for row in rows[start : start + CHUNK]:
            secret, digest = new_token()
            report.invited.append((row.email, secret))
            mails.append(Invited(row.email, row.name, row.department, row.role, secret, expires))
            department = departments.get(row.department)
            values.append(
                {
                    "org_id": org.id,
                    "email": row.email,
                    "name": row.name,
                    "department_id": department.id if department else None,
                    "role": MemberRole(row.role),
                    "status": InvitationStatus.PENDING,
                    "token_sha256": digest,
                    "expires_at": expires,
                    "invited_by_id": getattr(actor, "id", None),
                    "created_at": now,
                    "sent_at": now,
                }
            )
        db.session.execute(insert(Invitation), values)
        if progress:
            progress(len(values), 2 * report.rows)
    report.applied = True
    # Every row is a new invitation (pending ones were refused): no older mail to replace.
    report.mails_queued = queue_invitation_mails(actor, org, mails, replace=False)
    details = {"invited": len(rows), "problems": len(report.problems), "departments": len(new)}
    record("org.import", actor=actor, obj=org, details=details)
