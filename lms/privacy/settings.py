"""Settings of the privacy features, read from the Flask config or else ``LMS_*`` variables.

| variable | default | meaning |
|---|---|---|
| ``LMS_PRIVACY_EXPORT_DIR`` | ``<instance>/exports`` | where export zips are kept until they expire |
| ``LMS_PRIVACY_EXPORT_TTL_H`` | ``72`` | hours an export can be downloaded |
| ``LMS_PRIVACY_EXPORT_INLINE_BYTES`` | ``20000000`` | notebooks up to this size: zip made at once, else in the background |
| ``LMS_PRIVACY_EXPORTS_PER_DAY`` | ``5`` | exports one person may request per 24 hours |
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "LMS_PRIVACY_EXPORT_TTL_H": 72,
    "LMS_PRIVACY_EXPORT_INLINE_BYTES": 20_000_000,
    "LMS_PRIVACY_EXPORTS_PER_DAY": 5,
}


def setting(name: str) -> Any:
    """``name`` from the Flask config, else the environment, else ``DEFAULTS`` (numbers are
    converted to the default's type; a bad or negative value raises ValueError naming it)."""
    value = current_app.config.get(name)
    if value is None:
        value = os.environ.get(name, "").strip() or None
    default = DEFAULTS.get(name)
    if value is None:
        return default
    if not isinstance(default, int | float):
        return value
    try:
        number = type(default)(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def export_dir() -> Path:
    """The folder of export zips (made on first use, owner-only)."""
    value = setting("LMS_PRIVACY_EXPORT_DIR")
    folder = Path(value) if value else Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
