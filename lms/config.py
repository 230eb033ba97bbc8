"""Settings of the portal: every ``LMS_*`` environment variable, typed and documented here.

This module is the one place that reads the environment. ``Settings.from_env()`` parses and
validates the variables, ``Settings.flask_config()`` turns them into Flask configuration keys.
The defaults are the safe one-machine form: a SQLite file and a generated secret key, both
under the instance folder.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

SUPPORTED_LOCALES = ("ko", "en")
_REPO_ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = "secret_key"


class ConfigError(ValueError):
    """An ``LMS_*`` variable holds a value that cannot be used; the message names it."""


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _parse_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _setting(doc: str, parse: Callable[[str, str], Any] | None = None) -> Any:
    """A dataclass field whose metadata carries the documentation and the parser."""
    return field(default=None, metadata={"doc": doc, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """All settings; a field ``x`` is read from ``LMS_X``. ``None`` means "use the default"."""

    instance_path: Path = _setting(
        "Folder for local state (SQLite file, secret key). Default: `instance/` in the checkout.",
        lambda _n, raw: Path(raw),
    )
    database_url: str = _setting(
        "SQLAlchemy database URL. Default: `sqlite:///<instance>/lms.sqlite3`. "
        "PostgreSQL: `postgresql+psycopg://user@host/db`."
    )
    secret_key: str = _setting(
        "Key that signs sessions and CSRF tokens. Default: generated once and stored in "
        "`<instance>/secret_key` (mode 0600)."
    )
    default_locale: str = _setting("UI language when the user chose none: `ko` or `en`.")
    default_timezone: str = _setting("Time zone for users who chose none. Default `Asia/Seoul`.")
    base_url: str = _setting(
        "Public URL of the portal. Default `http://127.0.0.1:5000`. An `https://` URL turns "
        "secure cookies on."
    )
    session_cookie_secure: bool = _setting(
        "Send session cookies over HTTPS only. Default: true when LMS_BASE_URL is https.",
        _parse_bool,
    )
    ratelimit_storage_url: str = _setting(
        "Flask-Limiter storage. Default `memory://` (one process); e.g. `redis://127.0.0.1:6379/1`."
    )
    login_rate_limit: str = _setting(
        "Rate limit on login attempts per client address. Default `10 per minute`."
    )
    login_lockout_attempts: int = _setting(
        "Failed logins in a row that lock an account. Default 5.", _parse_int
    )
    login_lockout_s: int = _setting("Seconds an account stays locked. Default 900.", _parse_int)
    api_token_ttl_days: int = _setting(
        "Lifetime of new personal API tokens in days; 0 = no expiry. Default 365.", _parse_int
    )
    log_level: str = _setting("Logging level of the `lms` loggers. Default `INFO`.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``LMS_*`` variable, validate it and fill in the defaults.

        Raises ``ConfigError`` naming the variable when a value is unusable. May create the
        instance folder and the secret key file (the only side effects).
        """
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f"LMS_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            parse = f.metadata["parse"]
            values[f.name] = parse(f"LMS_{f.name.upper()}", raw) if parse else raw
        return cls(**values)._with_defaults()

    def _with_defaults(self) -> Settings:
        instance = (self.instance_path or _REPO_ROOT / "instance").resolve()
        base_url = (self.base_url or "http://127.0.0.1:5000").rstrip("/")
        locale = self.default_locale or "ko"
        if locale not in SUPPORTED_LOCALES:
            raise ConfigError(f"LMS_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        secure = self.session_cookie_secure
        if not self.database_url:
            instance.mkdir(parents=True, exist_ok=True)  # the default SQLite file lives there
        return Settings(
            instance_path=instance,
            database_url=self.database_url or f"sqlite:///{instance / 'lms.sqlite3'}",
            secret_key=self.secret_key or load_or_create_secret_key(instance),
            default_locale=locale,
            default_timezone=self.default_timezone or "Asia/Seoul",
            base_url=base_url,
            session_cookie_secure=base_url.startswith("https://") if secure is None else secure,
            ratelimit_storage_url=self.ratelimit_storage_url or "memory://",
            login_rate_limit=self.login_rate_limit or "10 per minute",
            login_lockout_attempts=_default(self.login_lockout_attempts, 5),
            login_lockout_s=_default(self.login_lockout_s, 900),
            api_token_ttl_days=_default(self.api_token_ttl_days, 365),
            log_level=(self.log_level or "INFO").upper(),
        )

    def flask_config(self) -> dict[str, Any]:
        """The Flask configuration these settings stand for (keys Flask and extensions read)."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": "UTC",
            "LMS_DEFAULT_TIMEZONE": self.default_timezone,
            "LMS_BASE_URL": self.base_url,
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_url,
            "RATELIMIT_HEADERS_ENABLED": True,
            "LMS_LOGIN_RATE_LIMIT": self.login_rate_limit,
            "LMS_LOGIN_LOCKOUT_ATTEMPTS": self.login_lockout_attempts,
            "LMS_LOGIN_LOCKOUT_S": self.login_lockout_s,
            "LMS_API_TOKEN_TTL_DAYS": self.api_token_ttl_days,
            "LMS_LOG_LEVEL": self.log_level,
        }


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def load_or_create_secret_key(instance_path: Path) -> str:
    """Return the key stored in ``<instance>/secret_key``, creating it (mode 0600) when absent."""
    path = instance_path / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def settings_table() -> str:
    """The Markdown table of every variable (for docs/portal.md and the README)."""
    rows = ["| variable | description |", "|---|---|"]
    rows += [f"| `LMS_{f.name.upper()}` | {f.metadata['doc']} |" for f in fields(Settings)]
    return "\n".join(rows)
