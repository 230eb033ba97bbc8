"""Accounts: registration, password policy, login lockout, segments, API tokens."""

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.accounts import services
from lms.accounts.models import Role, Segment
from lms.audit.models import AuditEvent
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_register_normalises_email_and_hashes_with_argon2id(app):
    user = services.register("  Kim@Example.COM ", "김민수", "Secret-pass-1", segment="worker")
    assert user.email == "kim@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert user.segment == Segment.WORKER
    assert "user.create" in _actions()


def test_duplicate_email_is_refused(make_user):
    make_user(email="dup@example.com")
    with pytest.raises(Conflict) as err:
        services.register("DUP@example.com", "Dup", "Another-pass-2")
    assert err.value.code == "email_taken"


@pytest.mark.parametrize("password", ["short1!", "alllowercaseletters", "1234567890123"])
def test_weak_passwords_are_refused(app, password):
    with pytest.raises(ValidationError) as err:
        services.register("weak@example.com", "Weak", password)
    assert err.value.code == "weak_password"
    assert err.value.field == "password"


def test_password_equal_to_email_is_refused(app):
    with pytest.raises(ValidationError) as err:
        services.register("longname99@example.com", "X", "longname99@example.com")
    assert err.value.code == "weak_password"
    with force_locale("en"):
        assert "e-mail" in str(err.value)


def test_invalid_email_is_refused(app):
    with pytest.raises(ValidationError) as err:
        services.register("not-an-address", "X", "Secret-pass-1")
    assert err.value.code == "invalid_email"


def test_demo_local_addresses_are_accepted(app):
    assert services.register("admin@demo.local", "A", "Secret-pass-1").email == "admin@demo.local"


def test_authenticate_with_right_password(make_user, password):
    user = make_user(email="ok@example.com")
    assert services.authenticate("OK@example.com", password) is user
    assert _actions()[-1] == "login.ok"


def test_wrong_password_and_unknown_email_read_the_same(make_user, password):
    make_user(email="ok@example.com")
    with pytest.raises(Unauthorized) as wrong:
        services.authenticate("ok@example.com", "Wrong-pass-1")
    with pytest.raises(Unauthorized) as unknown:
        services.authenticate("nobody@example.com", password)
    assert wrong.value.code == unknown.value.code == "invalid_credentials"
    assert _actions()[-2:] == ["login.failed", "login.failed"]


def test_repeated_failures_lock_the_account(app, make_user, password):
    user = make_user(email="ok@example.com")
    for _ in range(app.config["LMS_LOGIN_LOCKOUT_ATTEMPTS"]):
        with pytest.raises(Unauthorized):
            services.authenticate("ok@example.com", "Wrong-pass-1")
    assert user.locked_until is not None
    with pytest.raises(Unauthorized) as err:
        services.authenticate("ok@example.com", password)
    assert err.value.code == "account_locked"
    user.locked_until = utcnow() - timedelta(seconds=1)
    assert services.authenticate("ok@example.com", password) is user


def test_inactive_user_cannot_log_in(make_user, password):
    make_user(email="gone@example.com", is_active=False)
    with pytest.raises(Unauthorized):
        services.authenticate("gone@example.com", password)


def test_segment_history_keeps_every_change(make_user):
    user = make_user(segment="school")
    services.change_segment(user, user, Segment.UNIVERSITY)
    services.change_segment(user, user, Segment.WORKER)
    assert [c.segment for c in user.segments] == ["school", "university", "worker"]
    assert user.segment == Segment.WORKER


def test_learner_cannot_change_anothers_segment(make_user):
    with pytest.raises(Forbidden):
        services.change_segment(make_user(), make_user(), Segment.WORKER)


def test_only_admin_changes_roles_and_it_is_audited(make_user):
    admin, learner = make_user(role="admin"), make_user()
    with pytest.raises(Forbidden):
        services.set_role(learner, learner, Role.ADMIN)
    services.set_role(admin, learner, Role.INSTRUCTOR)
    assert learner.role == Role.INSTRUCTOR
    assert _actions()[-1] == "user.role"


def test_token_is_stored_hashed_and_authenticates(make_user):
    user = make_user()
    token, secret = services.create_token(user, user, "laptop")
    assert secret.startswith("lms_") and secret not in token.token_sha256
    assert token.prefix == secret[:12]
    assert services.authenticate_token(secret) is user
    assert token.last_used_at is not None


def test_revoked_expired_and_malformed_tokens_are_refused(make_user):
    user = make_user()
    revoked, revoked_secret = services.create_token(user, user)
    expired, expired_secret = services.create_token(user, user)
    services.revoke_token(user, revoked.id)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    for secret in (revoked_secret, expired_secret, "lms_nonsense", "garbage", ""):
        with pytest.raises(Unauthorized):
            services.authenticate_token(secret)


def test_token_of_deactivated_user_is_refused(make_user):
    user = make_user()
    _token, secret = services.create_token(user, user)
    user.is_active = False
    with pytest.raises(Unauthorized):
        services.authenticate_token(secret)


def test_cannot_revoke_someone_elses_token(make_user):
    owner, other = make_user(), make_user()
    token, _secret = services.create_token(owner, owner)
    with pytest.raises(NotFound):
        services.revoke_token(other, token.id)


def test_login_audit_records_where_from(app, make_user, password):
    make_user(email="ok@example.com")
    environ = {"REMOTE_ADDR": "10.0.0.7", "HTTP_USER_AGENT": "pytest-browser"}
    with app.test_request_context(environ_base=environ):
        services.authenticate("ok@example.com", password)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.ip, event.user_agent) == ("login.ok", "10.0.0.7", "pytest-browser")
    assert event.at.tzinfo is not None
