"""The portal's JupyterHub client. ``get_hub_client()`` returns the backend that
``LMS_HUB_BACKEND`` names (``rest`` or ``fake``), one per app."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from lms.hub.base import HubClient, LabFile, ProgressEvent, RunningServer, ServerStatus
from lms.hub.config import HubSettings, load_settings
from lms.hub.fake import FakeHubClient
from lms.hub.rest import RestHubClient

BACKENDS: dict[str, type[HubClient]] = {"rest": RestHubClient, "fake": FakeHubClient}

__all__ = [
    "BACKENDS",
    "HubClient",
    "HubSettings",
    "LabFile",
    "ProgressEvent",
    "RunningServer",
    "ServerStatus",
    "get_hub_client",
    "hub_settings",
]


def hub_settings(app: Flask | None = None) -> HubSettings:
    app = app or current_app
    if "lms_hub_settings" not in app.extensions:
        app.extensions["lms_hub_settings"] = load_settings(app.config, Path(app.instance_path))
    return app.extensions["lms_hub_settings"]


def get_hub_client(app: Flask | None = None) -> HubClient:
    """The app's hub client (created on first use from its settings)."""
    app = app or current_app
    if "lms_hub_client" not in app.extensions:
        settings = hub_settings(app)
        app.extensions["lms_hub_client"] = BACKENDS[settings.backend](settings)
    return app.extensions["lms_hub_client"]
