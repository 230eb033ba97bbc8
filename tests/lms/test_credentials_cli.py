"""``flask credentials verify`` (database or exported files), export, key rotation."""

from __future__ import annotations

import json

import pytest

from lms.completion.models import Completion
from lms.completion.signals import completion_confirmed
from lms.credentials import services
from lms.credentials.models import Credential, IssuerKey
from lms.db import db


@pytest.fixture
def credential(make_user, make_course) -> Credential:
    learner = make_user(name="Choi Minjun", locale="en")
    course = make_course(title_ko="반도체 공정 AI", title_en="AI for chip fabs")
    completion = Completion(user_id=learner.id, course_id=course.id, qualified=True, criteria={})
    db.session.add(completion)
    db.session.flush()
    completion_confirmed.send(completion)
    db.session.commit()
    return db.session.scalars(db.select(Credential)).one()


def _verify(app, path, *options):
    return app.test_cli_runner().invoke(args=["credentials", "verify", str(path), *options])


def test_verify_a_valid_jwt_exits_0(app, credential, tmp_path):
    path = tmp_path / "badge.jwt"
    path.write_text(credential.token)
    result = _verify(app, path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VALID")
    assert "AI for chip fabs" in result.output and "Choi Minjun" in result.output


def test_verify_a_tampered_jwt_exits_3(app, credential, tmp_path):
    header, payload, signature = credential.token.split(".")
    path = tmp_path / "badge.jwt"
    path.write_text(f"{header}.{payload[:-4]}AAAA.{signature}")
    result = _verify(app, path)
    assert result.exit_code in (3, 5), result.output  # altered bytes: bad signature or JSON
    assert not result.output.startswith("VALID")


def test_verify_edited_json_says_tampered(app, credential, tmp_path):
    path = tmp_path / "badge.json"
    path.write_text(json.dumps({**credential.payload, "name": "Doctorate"}))
    result = _verify(app, path)
    assert result.exit_code == 3 and result.output.startswith("TAMPERED")


def test_verify_a_revoked_credential_exits_1_with_the_reason(app, credential, make_user, tmp_path):
    services.revoke(make_user(role="admin"), credential, "exam misconduct")
    db.session.commit()
    path = tmp_path / "badge.jwt"
    path.write_text(credential.token)
    result = _verify(app, path)
    assert result.exit_code == 1 and result.output.startswith("REVOKED")
    assert "exam misconduct" in result.output


def test_verify_not_a_credential_exits_5(app, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("shopping list")
    assert _verify(app, path).exit_code == 5


def test_offline_verification_with_exported_files(app, credential, make_user, tmp_path):
    badge = tmp_path / "badge.jwt"
    badge.write_text(credential.token)
    export = app.test_cli_runner().invoke(args=["credentials", "export", str(tmp_path / "out")])
    assert export.exit_code == 0, export.output
    jwks, status = tmp_path / "out" / "jwks.json", tmp_path / "out" / "status-1.jwt"
    result = _verify(app, badge, "--jwks", str(jwks), "--status-list", str(status))
    assert result.exit_code == 0, result.output
    services.revoke(make_user(role="admin"), credential, "mistake")
    db.session.commit()
    app.test_cli_runner().invoke(args=["credentials", "export", str(tmp_path / "out")])
    result = _verify(app, badge, "--jwks", str(jwks), "--status-list", str(status))
    assert result.exit_code == 1, result.output


def test_offline_verification_refuses_a_foreign_jwks(app, credential, tmp_path):
    from joserfc.jwk import RSAKey

    badge = tmp_path / "badge.jwt"
    badge.write_text(credential.token)
    other = RSAKey.generate_key(2048, private=True).as_dict(private=False)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [other]}))
    assert _verify(app, badge, "--jwks", str(jwks)).exit_code == 4


def test_rotate_key_then_old_credentials_still_verify(app, credential, tmp_path):
    result = app.test_cli_runner().invoke(args=["credentials", "rotate-key"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count(IssuerKey.id))) == 2
    path = tmp_path / "badge.jwt"
    path.write_text(credential.token)
    assert _verify(app, path).exit_code == 0


def test_issue_missing_covers_completions_confirmed_without_a_credential(
    app, make_user, make_course
):
    learner = make_user()
    completion = Completion(
        user_id=learner.id, course_id=make_course().id, qualified=True, criteria={}
    )
    db.session.add(completion)  # no signal: as if confirmed before credentials existed
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["credentials", "issue-missing"])
    assert result.exit_code == 0 and "1 credential(s) issued" in result.output
    again = app.test_cli_runner().invoke(args=["credentials", "issue-missing"])
    assert "0 credential(s) issued" in again.output
    assert [c.completion_id for c in services.credentials_for(learner)] == [completion.id]
