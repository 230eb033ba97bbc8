"""``flask --app lms orgs invite SLUG FILE.csv``: a report per row, all or nothing, links."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.db import db
from lms.orgs.invitations import find_by_token
from lms.orgs.models import Invitation


@pytest.fixture
def app_config():
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(args=list(args))
        assert "Traceback" not in result.output
        return result

    return invoke


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation))


def test_invite_from_a_cp949_file_and_write_the_links(cli, make_org, tmp_path):
    make_org(slug="hd")
    staff = tmp_path / "staff.csv"
    staff.write_bytes("email,name,department\nkim@example.com,김민준,설계팀\n".encode("cp949"))
    links = tmp_path / "links.csv"
    result = cli(
        "orgs",
        "invite",
        "hd",
        str(staff),
        "--create-departments",
        "--links",
        str(links),
        "--base-url",
        "https://lms.example",
    )
    assert result.exit_code == 0, result.output
    assert "1 rows (cp949): 1 valid, 0 with problems; invited 1" in result.output
    link = links.read_text(encoding="utf-8-sig").splitlines()[1].split(",")[1]
    assert link.startswith("https://lms.example/invitations/")
    invitation = find_by_token(link.rsplit("/", 1)[1])
    assert (invitation.name, invitation.department.name) == ("김민준", "설계팀")


def test_bad_rows_are_listed_and_nothing_is_written(cli, make_org, tmp_path):
    make_org(slug="hd")
    staff = tmp_path / "staff.csv"
    staff.write_text("email,name\nok@example.com,A\nbroken,B\nok@example.com,C\n", "utf-8")
    result = cli("orgs", "invite", "hd", str(staff))
    assert result.exit_code == 1
    assert "row 3\tbroken\tThis is not a valid e-mail address." in result.output
    assert "row 4\tok@example.com\tThe same e-mail is also on row 2." in result.output
    assert "nothing was written" in result.output and _count() == 0


def test_dry_run_and_errors(cli, make_org, tmp_path):
    make_org(slug="hd")
    staff = tmp_path / "staff.csv"
    staff.write_text("email\nok@example.com\n", "utf-8")
    assert cli("orgs", "invite", "hd", str(staff), "--dry-run").exit_code == 0
    assert _count() == 0
    missing = cli("orgs", "invite", "nope", str(staff))
    assert missing.exit_code == 1 and "No organisation is called nope" in missing.output
    staff.write_bytes("email,name\nkim@example.com,김민준\n".encode("cp949"))
    wrong = cli("orgs", "invite", "hd", str(staff), "--encoding", "utf-8")
    assert wrong.exit_code == 1 and "could not be read as utf-8" in wrong.output
