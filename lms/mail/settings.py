"""Settings of outgoing e-mail, read from the Flask config or else ``LMS_*`` variables.

| variable | default | meaning |
|---|---|---|
| ``LMS_MAIL_BACKEND`` | ``file`` | ``smtp`` (a mail server), ``file`` (``.eml`` files in ``LMS_MAIL_DIR``; air-gapped and development), ``none`` (the portal queues no e-mail) |
| ``LMS_MAIL_DIR`` | ``<instance>/mail`` | where the ``file`` backend writes (folder 0700, files 0600) |
| ``LMS_MAIL_FROM`` | ``AI 인재 아카데미 <noreply@localhost>`` | the From address |
| ``LMS_SMTP_HOST`` / ``LMS_SMTP_PORT`` | ``localhost`` / ``25`` | the mail server |
| ``LMS_SMTP_USER`` / ``LMS_SMTP_PASSWORD`` | none | log in when a user is set |
| ``LMS_SMTP_STARTTLS`` / ``LMS_SMTP_SSL`` | ``false`` / ``false`` | STARTTLS on a plain port (587), or TLS from the start (465) |
| ``LMS_SMTP_TIMEOUT_S`` | ``10`` | seconds to wait for the server |
| ``LMS_MAIL_MAX_ATTEMPTS`` | ``20`` | attempts before a mail is marked failed (about 14 hours of retries) |
| ``LMS_MAIL_KEEP_DAYS`` | ``30`` | sent, failed and cancelled mails are deleted after this many days |

Links in e-mails start with ``LMS_BASE_URL``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app

BACKENDS = ("smtp", "file", "none")

DEFAULTS: dict[str, Any] = {
    "LMS_MAIL_BACKEND": "file",
    "LMS_MAIL_FROM": "AI 인재 아카데미 <noreply@localhost>",
    "LMS_SMTP_HOST": "localhost",
    "LMS_SMTP_PORT": 25,
    "LMS_SMTP_USER": "",
    "LMS_SMTP_PASSWORD": "",
    "LMS_SMTP_STARTTLS": False,
    "LMS_SMTP_SSL": False,
    "LMS_SMTP_TIMEOUT_S": 10.0,
    "LMS_MAIL_MAX_ATTEMPTS": 20,
    "LMS_MAIL_KEEP_DAYS": 30,
}


def setting(name: str) -> Any:
    """``name`` from the Flask config, else the environment, else ``DEFAULTS``, converted to
    the default's type. A bad value raises ValueError naming the variable."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, "").strip() or None
    default = DEFAULTS.get(name)
    if value is None:
        return default
    if isinstance(default, bool):
        return _boolean(name, value)
    if isinstance(default, int | float):
        return _number(name, value, type(default))
    return value


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def backend_name() -> str:
    """``LMS_MAIL_BACKEND``, checked."""
    name = str(setting("LMS_MAIL_BACKEND")).strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"LMS_MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return name


def is_enabled() -> bool:
    """Whether the portal queues e-mail at all (``LMS_MAIL_BACKEND`` is not ``none``)."""
    return backend_name() != "none"


def mail_dir() -> Path:
    """The ``file`` backend's folder (made on first use, owner-only: the mails carry links)."""
    value = setting("LMS_MAIL_DIR")
    folder = Path(value) if value else Path(current_app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def public_url(path: str) -> str:
    """``path`` (starting with ``/``) under the portal's public address, ``LMS_BASE_URL``."""
    base = str(current_app.config.get("LMS_BASE_URL") or "http://127.0.0.1:5000")
    return base.rstrip("/") + path


def check_settings() -> None:
    """Read every mail setting once (at start-up): a wrong value stops the portal with the
    variable's name instead of failing at the first invitation."""
    for name in DEFAULTS:
        setting(name)
    backend_name()
