"""CSV import of invitations: encodings (UTF-8, BOM, CP949/EUC-KR), a per-row report, and
nothing half-done unless the manager asks for the valid rows."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.errors import Forbidden, ValidationError
from lms.orgs import csv_import, invitations, services
from lms.orgs.models import Department, Invitation

HEADER = "email,name,department,role\n"


@pytest.fixture
def org(make_org):
    return make_org(slug="hd", name_ko="HD 조선")


@pytest.fixture
def manager(make_user, org):
    return make_user(role="org_manager", org=org, org_role="manager")


def _import(manager, org, text, encoding="utf-8", codec="auto", **options):
    data = text.encode(encoding) if isinstance(text, str) else text
    report = csv_import.import_invitations(manager, org, data, codec, **options)
    db.session.commit()
    return report


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_korean_names_are_read_in_every_encoding(manager, org, encoding):
    services.add_department(manager, org, "생산기술팀")
    text = HEADER + "kim@example.com,김민준,생산기술팀,\nlee@example.com,이서연,생산기술팀,member\n"
    report = _import(manager, org, text, encoding)
    assert report.ok and report.applied and len(report.invited) == 2
    names = set(db.session.scalars(select(Invitation.name)))
    assert names == {"김민준", "이서연"}
    assert report.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig"}.get(encoding, "cp949")


def test_the_chosen_encoding_is_used_and_a_wrong_one_explained(manager, org):
    data = (HEADER + "kim@example.com,김민준,,\n").encode("cp949")
    with pytest.raises(ValidationError, match="UTF-8"):
        csv_import.import_invitations(manager, org, data, "utf-8")
    report = _import(manager, org, data, codec="euc-kr")
    assert report.encoding == "euc-kr" and report.invited


def test_every_bad_row_is_reported_and_nothing_is_written(manager, org, make_user):
    make_user(email="member@example.com", org=org)
    invitations.invite(manager, org, "invited@example.com")
    db.session.commit()
    text = HEADER + (
        "ok@example.com,좋은 행,,\n"  # row 2
        "not-an-email,나쁜 주소,,\n"  # row 3
        "ok@example.com,중복,,\n"  # row 4
        "member@example.com,구성원,,\n"  # row 5
        "invited@example.com,초대됨,,\n"  # row 6
        "new@example.com,부서,없는팀,\n"  # row 7
        "boss@example.com,역할,,manager\n"  # row 8
        ",빈 주소,,\n"  # row 9
        "x@example.com,이상한 역할,,owner\n"  # row 10
    )
    report = _import(manager, org, text)
    problems = {(p.row, p.code) for p in report.problems}
    assert problems == {
        (3, "invalid_email"),
        (4, "duplicate_in_file"),
        (5, "already_member"),
        (6, "already_invited"),
        (7, "unknown_department"),
        (8, "manager_role"),
        (9, "missing_email"),
        (10, "invalid_role"),
    }
    duplicate = next(p for p in report.problems if p.code == "duplicate_in_file")
    assert "2행" in duplicate.message and duplicate.fix
    assert not report.applied and _count() == 1  # only the earlier invitation
    assert db.session.scalar(select(Department)) is None


def test_the_valid_rows_can_be_imported_on_request(manager, org):
    text = HEADER + "ok@example.com,좋음,,\nbad,나쁨,,\nnew@example.com,새 팀원,신규팀,\n"
    report = _import(manager, org, text, apply_valid=True, create_departments=True)
    assert report.applied and [p.row for p in report.problems] == [3]
    assert report.departments_created == ["신규팀"]
    invited = db.session.scalar(select(Invitation).where(Invitation.email == "new@example.com"))
    assert invited.department.name == "신규팀" and invited.status == "pending"
    assert _count() == 2


def test_dry_run_checks_without_writing(manager, org):
    report = _import(manager, org, HEADER + "ok@example.com,좋음,,\n", dry_run=True)
    assert report.ok and report.valid == 1 and not report.applied and _count() == 0


def test_whole_file_errors_are_clear(manager, org, make_org):
    with pytest.raises(ValidationError, match="email,name,department"):
        csv_import.import_invitations(manager, org, "이름,부서\n김,팀\n".encode())
    too_big = b"email\n" + b"a@example.com\n" * (csv_import.MAX_BYTES // 14 + 1)
    with pytest.raises(ValidationError, match="MB"):
        csv_import.import_invitations(manager, org, too_big)
    with pytest.raises(Forbidden):
        csv_import.import_invitations(manager, make_org(), b"email\na@example.com\n")


def test_korean_headers_and_semicolons_work(manager, org):
    report = _import(manager, org, "이메일;이름;부서\nkim@example.com;김민준;\n")
    assert report.applied and report.invited[0][0] == "kim@example.com"


def test_five_thousand_rows_import_quickly_in_bulk(manager, org):
    rows = "".join(f"worker{i}@example.com,직원{i},팀{i % 20},\n" for i in range(5000))
    started = time.perf_counter()
    report = _import(manager, org, HEADER + rows, create_departments=True)
    elapsed = time.perf_counter() - started
    assert report.applied and len(report.invited) == 5000 and _count() == 5000
    assert len(report.departments_created) == 20
    assert elapsed < 30  # generous: bulk statements take a few seconds even on a busy machine


def test_upload_page_reports_per_row_and_writes_nothing(client, login, manager, org):
    login(client, manager)
    data = (HEADER + "ok@example.com,김민준,,\nbad-address,이서연,,\n").encode("cp949")
    response = client.post(
        "/orgs/hd/import",
        data={"file": (io.BytesIO(data), "staff.csv"), "encoding": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert (
        "올바른 이메일 주소가 아닙니다" in response.text
        and "아무도 초대하지 않았습니다" in response.text
    )
    assert _count() == 0


def test_upload_page_invites_and_can_download_the_links(client, login, manager, org):
    login(client, manager)
    data = "\ufeff" + HEADER + "kim@example.com,김민준,,\n"
    response = client.post(
        "/orgs/hd/import",
        data={"file": (io.BytesIO(data.encode()), "staff.csv"), "download_links": "y"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    link = response.text.splitlines()[1].split(",")[1]
    assert invitations.find_by_token(link.rsplit("/", 1)[1]).email == "kim@example.com"
