"""Lab (JupyterHub) settings, read from ``LMS_HUB_*`` variables (Flask config wins).

| variable | meaning | default |
|---|---|---|
| ``LMS_HUB_BACKEND`` | ``rest`` (a real hub) or ``fake`` (in memory, for tests/demos) | ``rest`` |
| ``LMS_HUB_URL`` | the hub's public URL (proxy), used for the API and the contents API | ``http://127.0.0.1:8000`` |
| ``LMS_HUB_API_TOKEN`` | the portal service's hub token; else ``<instance>/hub_api_token`` | none |
| ``LMS_HUB_TIMEOUT_S`` | timeout of one HTTP request to the hub | 10 |
| ``LMS_HUB_SPAWN_TIMEOUT_S`` | how long a lab may take to start | 120 |
| ``LMS_HUB_STOP_ON_LOGOUT`` | portal logout also stops the user's lab servers | true |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_TOKEN_FILE = "hub_api_token"


@dataclass(frozen=True)
class HubSettings:
    backend: str
    url: str
    api_token: str | None
    timeout_s: float
    spawn_timeout_s: float
    stop_on_logout: bool

    @property
    def is_configured(self) -> bool:
        """Whether the portal can talk to a hub (a fake, or a REST hub with a token)."""
        return self.backend == "fake" or bool(self.api_token)


def _value(name: str, config: Mapping[str, Any], environ: Mapping[str, str]) -> Any:
    value = config.get(name)
    return environ.get(name) if value is None else value


def load_settings(
    config: Mapping[str, Any], instance_path: Path, environ: Mapping[str, str] | None = None
) -> HubSettings:
    """Settings for one app. Raises ``ValueError`` naming the variable on a bad value."""
    env = os.environ if environ is None else environ
    backend = str(_value("LMS_HUB_BACKEND", config, env) or "rest")
    if backend not in {"rest", "fake"}:
        raise ValueError(f"LMS_HUB_BACKEND must be rest or fake, not {backend!r}")
    token = _value("LMS_HUB_API_TOKEN", config, env)
    token_file = instance_path / API_TOKEN_FILE
    if not token and token_file.exists():
        token = token_file.read_text().strip()
    return HubSettings(
        backend=backend,
        url=str(_value("LMS_HUB_URL", config, env) or "http://127.0.0.1:8000").rstrip("/"),
        api_token=token or None,
        timeout_s=_number("LMS_HUB_TIMEOUT_S", _value("LMS_HUB_TIMEOUT_S", config, env), 10),
        spawn_timeout_s=_number(
            "LMS_HUB_SPAWN_TIMEOUT_S", _value("LMS_HUB_SPAWN_TIMEOUT_S", config, env), 120
        ),
        stop_on_logout=str(_value("LMS_HUB_STOP_ON_LOGOUT", config, env) or "true").lower()
        in {"1", "true", "yes", "on"},
    )


def _number(name: str, raw: Any, default: float) -> float:
    if raw is None or raw == "":
        return float(default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive")
    return value
