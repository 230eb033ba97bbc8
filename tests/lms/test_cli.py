"""The command line: users, orgs, tokens and demo data; clear errors, never a traceback."""

import pytest
from sqlalchemy import func, select

from lms.accounts.models import ApiToken, Role
from lms.accounts.services import authenticate_token, get_user_by_email
from lms.catalog.models import Course, Enrollment, Programme
from lms.db import db
from lms.demo import ACCOUNTS, DEMO_PASSWORD
from lms.errors import Unauthorized
from lms.orgs.models import MemberRole, Organisation
from lms.orgs.services import current_memberships


@pytest.fixture
def app_config():
    # English messages, so the assertions below can read them; Korean is checked apart.
    return {"BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        assert "Traceback" not in result.output
        return result

    return invoke


def test_create_user_reads_the_password_from_stdin(cli, password):
    result = cli(
        "users",
        "create",
        "Kim@Example.com",
        "--role",
        "instructor",
        "--name",
        "Kim",
        "--password-stdin",
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    user = get_user_by_email("kim@example.com")
    assert user.role == Role.INSTRUCTOR and user.name == "Kim"
    assert password not in result.output


def test_org_manager_with_org_becomes_its_manager(cli, make_org, password):
    make_org(slug="hyundai")
    result = cli(
        "users",
        "create",
        "boss@example.com",
        "--role",
        "org-manager",
        "--org",
        "hyundai",
        "--segment",
        "worker",
        "--password-stdin",
        input=password,
    )
    assert result.exit_code == 0, result.output
    user = get_user_by_email("boss@example.com")
    assert [(m.org.slug, m.role) for m in current_memberships(user)] == [
        ("hyundai", MemberRole.MANAGER)
    ]
    assert user.segment == "worker"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--org", "nowhere"], "Correct-horse-9", "nowhere"),
        ([], "short", "10"),
        ([], "", "standard input"),
    ],
)
def test_create_user_errors_are_clear(cli, args, stdin, message):
    result = cli("users", "create", "x@example.com", *args, "--password-stdin", input=stdin)
    assert result.exit_code == 1
    assert "Error:" in result.output and message in result.output
    assert get_user_by_email("x@example.com") is None


def test_duplicate_email_is_an_error(cli, make_user, password):
    make_user(email="taken@example.com")
    result = cli("users", "create", "taken@example.com", "--password-stdin", input=password)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_password_is_never_an_argument(cli):
    result = cli("users", "create", "x@example.com", "--role", "learner")
    assert result.exit_code == 2
    assert "--password-stdin" in result.output


def test_create_org_and_refuse_duplicate_and_bad_kind(cli):
    ok = cli("orgs", "create", "ulsan-tech", "--name", "울산과기대", "--kind", "university")
    assert ok.exit_code == 0, ok.output
    org = db.session.scalar(select(Organisation))
    assert (org.slug, org.name_ko, org.name_en, org.kind) == (
        "ulsan-tech",
        "울산과기대",
        "울산과기대",
        "university",
    )
    again = cli("orgs", "create", "ulsan-tech", "--name", "X", "--kind", "university")
    assert again.exit_code == 1 and "already exists" in again.output
    bad = cli("orgs", "create", "x-corp", "--name", "X", "--kind", "bakery")
    assert bad.exit_code == 2


def test_bad_slug_is_refused(cli):
    result = cli("orgs", "create", "Bad Slug!", "--name", "X", "--kind", "company")
    assert result.exit_code == 1 and "lowercase" in result.output


def test_token_create_prints_a_working_token_once(cli, make_user):
    user = make_user(email="api@example.com")
    result = cli("tokens", "create", "api@example.com", "--name", "laptop")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert authenticate_token(secret) == user
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_sha256 != secret and secret not in stored.prefix + stored.name


def test_token_for_unknown_user_is_an_error(cli):
    result = cli("tokens", "create", "ghost@example.com")
    assert result.exit_code == 1 and "ghost@example.com" in result.output


def test_token_revoke(cli, make_user):
    make_user(email="api@example.com")
    secret = cli("tokens", "create", "api@example.com").stdout.strip().splitlines()[-1]
    token_id = db.session.scalar(select(ApiToken.id))
    assert cli("tokens", "revoke", str(token_id)).exit_code == 0
    db.session.expire_all()
    with pytest.raises(Unauthorized):
        authenticate_token(secret)


def _counts():
    return [
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Organisation, Course, Programme, Enrollment)
    ]


def test_demo_load_is_idempotent_and_prints_accounts(cli):
    first = cli("demo", "load")
    assert first.exit_code == 0, first.output
    for email, *_ in ACCOUNTS:
        assert email in first.output
    assert DEMO_PASSWORD in first.output
    counts = _counts()
    assert counts[0] >= 5 and counts[1] >= 12 and counts[2] >= 5
    db.session.expire_all()
    second = cli("demo", "load")
    assert second.exit_code == 0, second.output
    assert "(0 new objects)" in second.output
    assert _counts() == counts


def test_demo_covers_every_org_kind_and_track(cli):
    cli("demo", "load")
    kinds = set(db.session.scalars(select(Organisation.kind)))
    tracks = set(db.session.scalars(select(Programme.track)))
    assert kinds == {"company", "school", "university", "agency"}
    assert len(tracks) == 5


def test_errors_are_in_korean_by_default(app, make_user, password):
    app.config["BABEL_DEFAULT_LOCALE"] = "ko"
    make_user(email="taken@example.com")
    runner = app.test_cli_runner()
    args = ["users", "create", "taken@example.com", "--password-stdin"]
    result = runner.invoke(args=args, input=password)
    assert result.exit_code == 1
    assert "already exists" not in result.output
    assert any("\uac00" <= ch <= "\ud7a3" for ch in result.output)  # Hangul syllables
