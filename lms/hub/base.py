"""The JupyterHub client contract. Only implementations of ``HubClient`` talk to the hub.

Names: ``username`` is the hub user name (``lms.oidc.claims.hub_username``); ``server`` is
a named server, ``""`` for the default one; ``path`` is relative to the lab's root folder
(``"ml101/lab1.ipynb"``), with ``/`` separators and no ``..``.

Every method raises only ``lms.hub.errors.HubError`` subclasses for hub trouble:
``HubUnavailable`` (hub down or not answering), ``HubMisconfigured`` (the service token is
refused), ``SpawnTimeout``, ``SpawnFailed``/``ProfileNotAllowed``, ``ServerNotRunning``,
``LabFileMissing``, ``LabFileExists``, ``ContentsError``. Messages are translated.
"""

from __future__ import annotations

import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lms.errors import ValidationError


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a server start: ``progress`` 0-100, a hub ``message``; the last event has
    ``ready=True`` and the server's ``url`` (path on the hub, e.g. ``/user/u7/``)."""

    progress: int
    message: str
    ready: bool = False
    url: str | None = None


@dataclass(frozen=True)
class ServerStatus:
    """``state`` is ``stopped``, ``pending`` (starting or stopping) or ``ready``."""

    state: str
    url: str | None = None
    profile: str | None = None
    started: datetime | None = None
    last_activity: datetime | None = None

    @property
    def is_ready(self) -> bool:
        return self.state == "ready"


@dataclass(frozen=True)
class RunningServer:
    username: str
    server: str
    profile: str | None
    started: datetime | None
    last_activity: datetime | None


@dataclass(frozen=True)
class LabFile:
    path: str
    content: bytes
    last_modified: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def clean_path(path: str) -> str:
    """``path`` normalised; refuses absolute paths and ``..`` (``ValidationError``)."""
    normal = posixpath.normpath(path.strip().replace("\\", "/")) if path else ""
    if not normal or normal == "." or normal.startswith(("/", "..")) or "/../" in f"/{normal}/":
        raise ValidationError("invalid_lab_path", f"invalid lab path {path!r}", "path")
    return normal


class HubClient(ABC):
    """What the portal needs from JupyterHub."""

    @abstractmethod
    def ensure_user(self, username: str, groups: Mapping[str, Mapping[str, Any]]) -> None:
        """Create the hub user if missing and make its groups exactly ``groups`` (name →
        properties, e.g. ``{"course:ml101": {"lab_profiles": [...]}, "role:learner": {}}``):
        missing groups are created, properties written, stale memberships removed."""

    @abstractmethod
    def start_server(
        self, username: str, profile: str, server: str = ""
    ) -> Iterator[ProgressEvent]:
        """Start the server with ``{"profile": profile}`` (always sent in full) or reuse the
        running one; yields progress events, the last with ``ready=True``. The hub checks the
        profile against the user's groups: a refusal raises ``ProfileNotAllowed``. Raises
        ``SpawnTimeout`` after ``spawn_timeout_s``, ``SpawnFailed`` when the hub reports a failure."""

    @abstractmethod
    def server_status(self, username: str, server: str = "") -> ServerStatus:
        """The server's state (``stopped`` when the user or server does not exist)."""

    @abstractmethod
    def stop_server(self, username: str, server: str = "", remove: bool = False) -> None:
        """Stop the server (no error if it is not running); ``remove`` deletes a named server."""

    @abstractmethod
    def put_file(
        self, username: str, path: str, content: bytes, server: str = "", overwrite: bool = False
    ) -> None:
        """Write ``content`` at ``path`` in the running server, creating folders. ``.ipynb``
        files must hold notebook JSON. Raises ``LabFileExists`` when the file exists and
        ``overwrite`` is false (never clobber a learner's work silently)."""

    @abstractmethod
    def get_file(self, username: str, path: str, server: str = "") -> LabFile:
        """Read ``path`` from the running server (notebooks as their JSON bytes)."""

    @abstractmethod
    def list_running(self) -> list[RunningServer]:
        """Every ready or pending server on the hub."""

    @abstractmethod
    def end_session(self, username: str, stop_servers: bool = True) -> None:
        """After a portal logout: revoke the user's hub tokens (lab cookies stop working)
        and, with ``stop_servers``, stop their servers. A missing user is not an error."""
