"""Settings of the grading workflow, read from the Flask config or else ``LMS_*`` variables.

| variable | default | meaning |
|---|---|---|
| ``LMS_GRADING_BACKEND`` | ``local`` | dispatch backend: ``local`` (spool worker), ``celery``, ``fake`` (tests) |
| ``LMS_GRADING_SPOOL_DIR`` | ``<instance>/spool`` | spool of the local worker (its ``AUTOGRADER_SPOOL_DIR``) |
| ``LMS_BLOB_DIR`` | ``<instance>/blobs`` | content-addressed store of submissions, releases, templates |
| ``LMS_MAX_SUBMISSION_BYTES`` | ``5000000`` | largest accepted notebook upload |
| ``LMS_DOUBLE_SUBMIT_WINDOW_S`` | ``10`` | identical content within this many seconds is the same submission |
| ``LMS_GRADING_LEASE_S`` | ``900`` | a dispatched job without a result after this long is dispatched again |
| ``LMS_GRADING_MAX_DISPATCHES`` | ``3`` | dispatches of one job before it is recorded as failed |
| ``LMS_GRADING_POLL_S`` | ``0.5`` | how often ``flask grading collect`` looks for results |
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "LMS_GRADING_BACKEND": "local",
    "LMS_MAX_SUBMISSION_BYTES": 5_000_000,
    "LMS_DOUBLE_SUBMIT_WINDOW_S": 10.0,
    "LMS_GRADING_LEASE_S": 900.0,
    "LMS_GRADING_MAX_DISPATCHES": 3,
    "LMS_GRADING_POLL_S": 0.5,
}


def setting(name: str) -> Any:
    """The value of ``name``: Flask config first, then the environment, then ``DEFAULTS``.

    Numbers from the environment are converted to the default's type; a bad value raises
    ValueError naming the variable.
    """
    value = current_app.config.get(name)
    if value is None:
        raw = os.environ.get(name, "").strip()
        value = raw or None
    default = DEFAULTS.get(name)
    if value is None:
        return default
    if isinstance(default, bool) or not isinstance(default, int | float):
        return value
    try:
        number = type(default)(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must not be negative")
    return number


def spool_dir() -> Path:
    """The local worker's spool (``LMS_GRADING_SPOOL_DIR`` or ``<instance>/spool``)."""
    value = setting("LMS_GRADING_SPOOL_DIR")
    return Path(value) if value else Path(current_app.instance_path) / "spool"
