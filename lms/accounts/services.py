"""Accounts: registration, passwords, login with lockout, segments, personal API tokens.

Services flush and never commit; the caller (view, CLI command) commits once.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta

import email_validator
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import ApiToken, Role, Segment, SegmentChange, User
from lms.audit.services import record
from lms.config import SUPPORTED_LOCALES
from lms.db import db, utcnow
from lms.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "lms_"
_DUMMY_HASH: str | None = None

# Air-gapped intranet sites (and the demo accounts) use *.local addresses, which
# email_validator rejects as special-use; accept that one name everywhere (forms too).
if "local" in email_validator.SPECIAL_USE_DOMAIN_NAMES:
    email_validator.SPECIAL_USE_DOMAIN_NAMES.remove("local")


def _hasher() -> PasswordHasher:
    # Tests may set LMS_PASSWORD_HASHER_PARAMS to cheap argon2id parameters to stay fast.
    params = current_app.config.get("LMS_PASSWORD_HASHER_PARAMS") or {}
    return PasswordHasher(**params)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def check_password_policy(password: str, email: str = "") -> None:
    """Raise ``ValidationError`` (code ``weak_password``) unless the password is at least
    10 characters, mixes at least two character classes and is not the e-mail address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "weak_password",
            _l("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH),
            field="password",
        )
    classes = [str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum()]
    if sum(any(test(c) for c in password) for test in classes) < 2:
        raise ValidationError(
            "weak_password",
            _l("The password must mix letters with digits or symbols."),
            field="password",
        )
    if email and password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        raise ValidationError(
            "weak_password", _l("The password must not be your e-mail address."), field="password"
        )


def normalise_email(email: str) -> str:
    """The lower-cased, validated address; ``ValidationError`` (``invalid_email``) if not one."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError(
            "invalid_email", _l("Enter a valid e-mail address."), field="email"
        ) from None


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def register(
    email: str,
    name: str,
    password: str,
    role: Role = Role.LEARNER,
    segment: Segment | None = None,
    locale: str | None = None,
    actor: User | None = None,
) -> User:
    """Create an active user. Raises ``ValidationError`` (bad e-mail, name, locale, weak
    password) or ``Conflict`` (``email_taken``). Audited as ``user.create``."""
    email = normalise_email(email)
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("invalid_name", _l("Enter your name (up to 200 characters)."), "name")
    if locale is not None and locale not in SUPPORTED_LOCALES:
        raise ValidationError("invalid_locale", _l("Choose Korean or English."), field="locale")
    check_password_policy(password, email)
    if get_user_by_email(email) is not None:
        raise Conflict("email_taken", _l("An account with this e-mail address already exists."))
    user = User(email=email, name=name, password_hash=hash_password(password), role=role)
    user.locale = locale
    db.session.add(user)
    if segment is not None:
        user.segments.append(SegmentChange(segment=Segment(segment), since=utcnow()))
    db.session.flush()
    record("user.create", actor=actor or user, obj=user, details={"role": str(role)})
    return user


def authenticate(email: str, password: str) -> User:
    """Return the active user with these credentials, else raise ``Unauthorized``
    (``invalid_credentials`` or ``account_locked``).

    A failure still changes state (failed-attempt counter, lockout, ``login.failed`` audit
    event): the caller must commit whether or not this raises.
    """
    user = get_user_by_email(email)
    now = utcnow()
    if user is None or not user.is_active:
        _verify_dummy(password)
        record("login.failed", details={"reason": "unknown_or_inactive"})
        raise Unauthorized("invalid_credentials", _l("The e-mail or password is wrong."))
    if user.locked_until is not None and user.locked_until > now:
        record("login.failed", actor=user, obj=user, details={"reason": "locked"})
        raise Unauthorized(
            "account_locked", _l("Too many failed logins. Try again in a few minutes.")
        )
    if not _verify(user, password):
        _count_failure(user, now)
        raise Unauthorized("invalid_credentials", _l("The e-mail or password is wrong."))
    user.failed_logins, user.locked_until = 0, None
    record("login.ok", actor=user, obj=user)
    return user


def _verify(user: User, password: str) -> bool:
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def _verify_dummy(password: str) -> None:
    # Spend the same time as a real check so unknown addresses cannot be told apart.
    global _DUMMY_HASH
    _DUMMY_HASH = _DUMMY_HASH or hash_password(secrets.token_hex(8))
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher().verify(_DUMMY_HASH, password)


def _count_failure(user: User, now) -> None:
    user.failed_logins += 1
    details = {"reason": "bad_password", "attempt": user.failed_logins}
    if user.failed_logins >= current_app.config["LMS_LOGIN_LOCKOUT_ATTEMPTS"]:
        user.locked_until = now + timedelta(seconds=current_app.config["LMS_LOGIN_LOCKOUT_S"])
        user.failed_logins = 0
        details["locked"] = True
    record("login.failed", actor=user, obj=user, details=details)


def change_password(actor: User, user: User, new_password: str) -> None:
    """Set a new password (self or admin). Audited as ``user.password``."""
    _require_self_or_admin(actor, user)
    check_password_policy(new_password, user.email)
    user.password_hash = hash_password(new_password)
    record("user.password", actor=actor, obj=user)


def change_segment(actor: User, user: User, segment: Segment) -> SegmentChange:
    """Record that ``user`` is now in ``segment`` (self or admin); history is kept."""
    _require_self_or_admin(actor, user)
    change = SegmentChange(segment=Segment(segment), since=utcnow())
    user.segments.append(change)
    db.session.flush()
    record("user.segment", actor=actor, obj=user, details={"segment": str(segment)})
    return change


def set_role(actor: User, user: User, role: Role) -> None:
    """Change a user's role (admins only). Audited as ``user.role``."""
    if actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators can change roles."))
    old, user.role = user.role, Role(role)
    record("user.role", actor=actor, obj=user, details={"from": str(old), "to": str(role)})


def set_active(actor: User, user: User, active: bool) -> None:
    """Activate or deactivate an account (admins only); deactivation also stops its tokens."""
    if actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("Only administrators can change accounts."))
    user.is_active = active
    record("user.activate" if active else "user.deactivate", actor=actor, obj=user)


def _require_self_or_admin(actor: User, user: User) -> None:
    if actor.id != user.id and actor.role != Role.ADMIN:
        raise Forbidden("forbidden", _l("You are not allowed to do this."))


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the active user with this id, else None."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(actor: User, user: User, name: str = "cli") -> tuple[ApiToken, str]:
    """Create a personal API token for ``user`` (self or admin); returns it with the secret,
    which is shown once and only its SHA-256 kept. Expires after LMS_API_TOKEN_TTL_DAYS."""
    _require_self_or_admin(actor, user)
    name = name.strip()[:100] or "token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl_days = current_app.config["LMS_API_TOKEN_TTL_DAYS"]
    token = ApiToken(
        user=user,
        name=name,
        token_sha256=_token_digest(secret),
        prefix=secret[:12],
        expires_at=utcnow() + timedelta(days=ttl_days) if ttl_days else None,
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", actor=actor, obj=token, details={"user_id": user.id, "name": name})
    return token, secret


def list_tokens(actor: User, user: User) -> list[ApiToken]:
    _require_self_or_admin(actor, user)
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(db.session.scalars(stmt))


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token (its owner or an admin). ``NotFound`` for others' tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound("token_not_found", _l("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoke", actor=actor, obj=token, details={"user_id": token.user_id})
    return token


def authenticate_token(secret: str) -> User:
    """The user owning this usable token, else ``Unauthorized`` (``invalid_token``).
    Updates ``last_used_at`` at most once a minute (the caller commits)."""
    invalid = Unauthorized("invalid_token", _l("The API token is missing, invalid, or revoked."))
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        raise invalid
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_sha256 == _token_digest(secret))
    )
    now = utcnow()
    if token is None or not token.is_usable(now):
        raise invalid
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return token.user


def count_users_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role))
    return {str(role): n for role, n in rows}
