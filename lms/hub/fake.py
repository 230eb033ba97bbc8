"""An in-memory ``HubClient`` for tests and demos (``LMS_HUB_BACKEND=fake``).

It keeps the real contract, including the hub-side profile check (``deploy.profiles``),
stopped servers, missing files and refusing to overwrite. Set ``is_down = True`` to make
every call raise ``HubUnavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from deploy.profiles import ProfileError, validate_choice
from lms.db import utcnow
from lms.hub.base import HubClient, LabFile, ProgressEvent, RunningServer, ServerStatus, clean_path
from lms.hub.errors import (
    HubUnavailable,
    LabFileExists,
    LabFileMissing,
    ProfileNotAllowed,
    ServerNotRunning,
    SpawnFailed,
)


@dataclass
class _Server:
    profile: str
    started: Any = field(default_factory=utcnow)
    files: dict[str, bytes] = field(default_factory=dict)


class FakeHubClient(HubClient):
    def __init__(self, settings: Any = None):
        self.settings = settings
        self.is_down = False
        self.users: dict[str, dict[str, dict[str, Any]]] = {}  # name -> groups
        self.servers: dict[tuple[str, str], _Server] = {}
        self.files: dict[tuple[str, str], dict[str, bytes]] = {}  # kept across restarts
        self.revoked_sessions: list[str] = []

    def _check(self) -> None:
        if self.is_down:
            raise HubUnavailable()

    def ensure_user(self, username: str, groups: Mapping[str, Mapping[str, Any]]) -> None:
        self._check()
        self.users[username] = {name: dict(props) for name, props in groups.items()}

    def start_server(
        self, username: str, profile: str, server: str = ""
    ) -> Iterator[ProgressEvent]:
        self._check()
        key = (username, server)
        url = f"/user/{username}/{server}/" if server else f"/user/{username}/"
        if key not in self.servers:
            try:
                validate_choice({"profile": profile}, self.users.get(username, {}))
            except ProfileError as error:
                raise (
                    ProfileNotAllowed(profile) if error.status == 403 else SpawnFailed(str(error))
                ) from None
            yield ProgressEvent(0, "Server requested")
            yield ProgressEvent(50, "Spawning server...")
            self.servers[key] = _Server(profile, files=self.files.setdefault(key, {}))
        yield ProgressEvent(100, f"Server ready at {url}", ready=True, url=url)

    def server_status(self, username: str, server: str = "") -> ServerStatus:
        self._check()
        running = self.servers.get((username, server))
        if running is None:
            return ServerStatus("stopped")
        url = f"/user/{username}/{server}/" if server else f"/user/{username}/"
        return ServerStatus("ready", url=url, profile=running.profile, started=running.started)

    def stop_server(self, username: str, server: str = "", remove: bool = False) -> None:
        self._check()
        self.servers.pop((username, server), None)
        if remove and server:
            self.files.pop((username, server), None)

    def _running(self, username: str, server: str) -> _Server:
        self._check()
        running = self.servers.get((username, server))
        if running is None:
            raise ServerNotRunning()
        return running

    def put_file(
        self, username: str, path: str, content: bytes, server: str = "", overwrite: bool = False
    ) -> None:
        path = clean_path(path)
        files = self._running(username, server).files
        if path in files and not overwrite:
            raise LabFileExists(path)
        files[path] = bytes(content)

    def get_file(self, username: str, path: str, server: str = "") -> LabFile:
        path = clean_path(path)
        files = self._running(username, server).files
        if path not in files:
            raise LabFileMissing(path)
        return LabFile(path, files[path])

    def list_running(self) -> list[RunningServer]:
        self._check()
        return [
            RunningServer(u, s, srv.profile, srv.started, None)
            for (u, s), srv in self.servers.items()
        ]

    def end_session(self, username: str, stop_servers: bool = True) -> None:
        self._check()
        self.revoked_sessions.append(username)
        if stop_servers:
            for key in [k for k in self.servers if k[0] == username]:
                self.servers.pop(key)
