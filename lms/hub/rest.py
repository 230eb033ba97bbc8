"""``HubClient`` over JupyterHub's REST API (service token) and the Jupyter Server
contents API through the hub's proxy (a short-lived token minted per user)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from lms.hub.base import HubClient, LabFile, ProgressEvent, RunningServer, ServerStatus, clean_path
from lms.hub.config import HubSettings
from lms.hub.errors import (
    ContentsError,
    HubError,
    HubMisconfigured,
    HubUnavailable,
    LabFileExists,
    LabFileMissing,
    ProfileNotAllowed,
    ServerNotRunning,
    SpawnFailed,
    SpawnTimeout,
)

logger = logging.getLogger(__name__)
USER_TOKEN_TTL_S = 300  # single-user servers cache hub auth for 300 s: keep tokens short
USER_TOKEN_REUSE_S = 240


class _StreamQuiet(Exception):
    """The progress stream said nothing for a while (or closed): check the status."""


def _event(event: dict[str, Any]) -> ProgressEvent:
    return ProgressEvent(
        int(event.get("progress") or 0),
        str(event.get("message", "")),
        ready=bool(event.get("ready")),
        url=event.get("url"),
    )


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _server_path(username: str, server: str) -> str:
    user = quote(username, safe="")
    return f"/users/{user}/servers/{quote(server, safe='')}" if server else f"/users/{user}/server"


class RestHubClient(HubClient):
    """Talks to ``settings.url`` (the proxy); the hub API lives under ``/hub/api``."""

    def __init__(self, settings: HubSettings, session: requests.Session | None = None):
        self.settings = settings
        self.http = session or requests.Session()
        self._user_tokens: dict[str, tuple[str, float]] = {}

    # -- plumbing -------------------------------------------------------------------
    def _request(
        self, method: str, url: str, token: str | None, **kwargs: Any
    ) -> requests.Response:
        headers = {"Authorization": f"token {token}"} if token else {}
        kwargs.setdefault("timeout", self.settings.timeout_s)
        try:
            return self.http.request(method, url, headers=headers, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            logger.warning("hub %s %s failed: %s", method, url.split("?")[0], type(exc).__name__)
            raise HubUnavailable() from None

    def _api(
        self, method: str, path: str, ok: tuple[int, ...] = (200, 201, 204), **kwargs: Any
    ) -> requests.Response:
        reply = self._request(
            method, f"{self.settings.url}/hub/api{path}", self.settings.api_token, **kwargs
        )
        if reply.status_code in ok:
            return reply
        if reply.status_code in (401, 403):
            raise HubMisconfigured()
        if reply.status_code in (502, 503, 504):
            raise HubUnavailable()
        raise HubError(
            message=f"hub {method} {path}: HTTP {reply.status_code} {_hub_message(reply)}"
        )

    # -- users and groups -----------------------------------------------------------
    def _user(self, username: str) -> dict[str, Any] | None:
        reply = self._api("GET", f"/users/{quote(username, safe='')}", ok=(200, 404))
        return reply.json() if reply.status_code == 200 else None

    def ensure_user(self, username: str, groups: Mapping[str, Mapping[str, Any]]) -> None:
        user = quote(username, safe="")
        current = self._user(username)
        if current is None:
            self._api("POST", f"/users/{user}", ok=(201, 409))
            current = {"groups": []}
        for name, properties in groups.items():
            group = quote(name, safe="")
            self._api("POST", f"/groups/{group}", ok=(201, 409), json={})
            self._api("PUT", f"/groups/{group}/properties", json=dict(properties))
            if name not in current.get("groups", []):
                self._api("POST", f"/groups/{group}/users", json={"users": [username]})
        for stale in set(current.get("groups", [])) - set(groups):
            self._api(
                "DELETE",
                f"/groups/{quote(stale, safe='')}/users",
                ok=(200, 204, 404),
                json={"users": [username]},
            )

    # -- servers --------------------------------------------------------------------
    def server_status(self, username: str, server: str = "") -> ServerStatus:
        user = self._user(username)
        model = (user or {}).get("servers", {}).get(server)
        if not model:
            return ServerStatus("stopped")
        state = (
            "ready" if model.get("ready") else ("pending" if model.get("pending") else "stopped")
        )
        return ServerStatus(
            state,
            url=model.get("url"),
            profile=(model.get("user_options") or {}).get("profile"),
            started=_when(model.get("started")),
            last_activity=_when(model.get("last_activity")),
        )

    def start_server(
        self, username: str, profile: str, server: str = ""
    ) -> Iterator[ProgressEvent]:
        status = self.server_status(username, server)
        if status.is_ready:
            yield ProgressEvent(100, "Server ready", ready=True, url=status.url)
            return
        if status.state == "stopped":
            reply = self._api(
                "POST",
                _server_path(username, server),
                ok=(201, 202, 400, 403),
                json={"profile": profile},
            )
            if reply.status_code in (400, 403):
                raise _spawn_refusal(reply, profile)
        yield from self._follow_progress(username, server, profile)

    def _follow_progress(self, username: str, server: str, profile: str) -> Iterator[ProgressEvent]:
        """Read the SSE progress stream; a quiet stream is re-checked and re-opened until
        ``spawn_timeout_s`` has passed."""
        deadline = time.monotonic() + self.settings.spawn_timeout_s
        while time.monotonic() < deadline:
            read_s = max(0.1, min(self.settings.timeout_s, deadline - time.monotonic()))
            try:
                for event in self._progress_events(username, server, read_s):
                    if event.get("failed"):
                        raise _failure(str(event.get("message", "")), profile)
                    yield _event(event)
                    if event.get("ready"):
                        return
            except _StreamQuiet:
                pass
            status = self.server_status(username, server)
            if status.is_ready:
                yield ProgressEvent(100, "Server ready", ready=True, url=status.url)
                return
            if status.state == "stopped":
                raise SpawnFailed("the server stopped while starting")
        raise SpawnTimeout(self.settings.spawn_timeout_s)

    def _progress_events(self, username: str, server: str, read_s: float) -> Iterator[dict]:
        url = f"{self.settings.url}/hub/api{_server_path(username, server)}/progress"
        timeout = (self.settings.timeout_s, read_s)
        reply = self._request("GET", url, self.settings.api_token, stream=True, timeout=timeout)
        with reply:
            if reply.status_code != 200:
                raise HubError(message=f"hub progress: HTTP {reply.status_code}")
            try:
                for line in reply.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:"):
                        yield json.loads(line[5:])
            except (requests.ConnectionError, requests.Timeout):
                raise _StreamQuiet() from None

    def stop_server(self, username: str, server: str = "", remove: bool = False) -> None:
        body = {"remove": True} if remove and server else None
        self._api("DELETE", _server_path(username, server), ok=(202, 204, 400, 404), json=body)

    def list_running(self) -> list[RunningServer]:
        reply = self._api("GET", "/users", params={"state": "active", "limit": 1000})
        found = []
        for user in reply.json():
            for name, model in (user.get("servers") or {}).items():
                found.append(
                    RunningServer(
                        user["name"],
                        name,
                        (model.get("user_options") or {}).get("profile"),
                        _when(model.get("started")),
                        _when(model.get("last_activity")),
                    )
                )
        return found

    def end_session(self, username: str, stop_servers: bool = True) -> None:
        user = self._user(username)
        if user is None:
            return
        if stop_servers:
            for name in user.get("servers") or {}:
                self.stop_server(username, name)
        self._user_tokens.pop(username, None)
        path = f"/users/{quote(username, safe='')}/tokens"
        listing = self._api("GET", path).json()
        for token in listing.get("api_tokens", []) + listing.get("oauth_tokens", []):
            self._api("DELETE", f"{path}/{quote(str(token['id']), safe='')}", ok=(200, 204, 404))

    # -- files (contents API through the proxy) -------------------------------------
    def _user_token(self, username: str) -> str:
        cached = self._user_tokens.get(username)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        body = {
            "expires_in": USER_TOKEN_TTL_S,
            "scopes": [f"access:servers!user={username}"],
            "note": "lms contents",
        }
        token = self._api("POST", f"/users/{quote(username, safe='')}/tokens", json=body).json()[
            "token"
        ]
        self._user_tokens[username] = (token, time.monotonic() + USER_TOKEN_REUSE_S)
        return token

    def _contents(
        self, username: str, server: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response:
        status = self.server_status(username, server)
        if not status.is_ready or not status.url:
            raise ServerNotRunning()
        url = f"{self.settings.url}{status.url.rstrip('/')}/api/contents/{quote(path)}"
        reply = self._request(
            method, url, self._user_token(username), allow_redirects=False, **kwargs
        )
        if reply.status_code in (301, 302, 303, 307, 424, 503):
            raise ServerNotRunning()  # the proxy sent us to the hub: the server has gone
        return reply

    def get_file(self, username: str, path: str, server: str = "") -> LabFile:
        path = clean_path(path)
        reply = self._contents(username, server, "GET", path, params={"content": "1"})
        if reply.status_code == 404:
            raise LabFileMissing(path)
        if reply.status_code != 200:
            raise ContentsError(path, reply.status_code)
        model = reply.json()
        if model.get("type") == "directory":
            raise LabFileMissing(path)
        return LabFile(path, _model_bytes(model), _when(model.get("last_modified")))

    def put_file(
        self, username: str, path: str, content: bytes, server: str = "", overwrite: bool = False
    ) -> None:
        path = clean_path(path)
        if not overwrite:
            probe = self._contents(username, server, "GET", path, params={"content": "0"})
            if probe.status_code == 200:
                raise LabFileExists(path)
        folder = ""
        for part in path.split("/")[:-1]:
            folder = f"{folder}/{part}" if folder else part
            reply = self._contents(username, server, "PUT", folder, json={"type": "directory"})
            if reply.status_code not in (200, 201):
                raise ContentsError(folder, reply.status_code)
        reply = self._contents(username, server, "PUT", path, json=_file_model(path, content))
        if reply.status_code not in (200, 201):
            raise ContentsError(path, reply.status_code)


def _file_model(path: str, content: bytes) -> dict[str, Any]:
    if path.endswith(".ipynb"):
        try:
            notebook = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ContentsError(path, 400) from None
        return {"type": "notebook", "format": "json", "content": notebook}
    return {"type": "file", "format": "base64", "content": base64.b64encode(content).decode()}


def _model_bytes(model: dict[str, Any]) -> bytes:
    content = model.get("content")
    if model.get("type") == "notebook":
        return json.dumps(content, ensure_ascii=False, indent=1).encode()
    if model.get("format") == "base64":
        return base64.b64decode(content or "")
    return (content or "").encode()


def _hub_message(reply: requests.Response) -> str:
    try:
        return str(reply.json().get("message", ""))[:200]
    except ValueError:
        return ""


def _failure(message: str, profile: str) -> HubError:
    if "not allowed" in message:
        return ProfileNotAllowed(profile)
    return SpawnFailed(message[:300] or "unknown reason")


def _spawn_refusal(reply: requests.Response, profile: str) -> HubError:
    message = _hub_message(reply)
    if reply.status_code == 403 and "not allowed" not in message:
        return HubMisconfigured()
    return _failure(message, profile)
