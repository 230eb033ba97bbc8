"""The REST hub client against a small local stub of JupyterHub: error paths and the exact
calls it makes. (The happy path against a real hub is tests/integration/test_hub_sso.py.)"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from lms.hub.config import HubSettings
from lms.hub.errors import (
    ContentsError,
    HubMisconfigured,
    HubUnavailable,
    LabFileExists,
    LabFileMissing,
    ProfileNotAllowed,
    ServerNotRunning,
    SpawnFailed,
    SpawnTimeout,
)
from lms.hub.rest import RestHubClient

READY_USER = {"name": "u1", "groups": ["course:old"], "servers": {
    "": {"ready": True, "pending": None, "url": "/user/u1/", "user_options": {"profile": "cpu-small"},
         "started": "2026-11-21T10:00:00.000000Z", "last_activity": None}}}  # fmt: skip


class Stub:
    """Routes ``(method, path)`` → ``(status, body)``; body may be a callable or SSE lines."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}
        self.calls: list[tuple[str, str, Any]] = []

    def route(self, method: str, path: str, status: int, body: Any = None) -> None:
        self.routes[(method, path)] = (status, body)


@pytest.fixture
def stub() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            path = unquote(self.path.split("?")[0])
            state.calls.append((self.command, path, body))
            status, reply = state.routes.get((self.command, path), (404, {"message": "nope"}))
            if callable(reply):
                reply = reply()
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", "/hub/user/u1/")
            if isinstance(reply, list):  # SSE progress events
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for event in reply:
                    if event == "stall":
                        time.sleep(1.5)
                        continue
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                return
            data = json.dumps(reply).encode() if reply is not None else b""
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def client_for(url: str, spawn_timeout_s: float = 5) -> RestHubClient:
    return RestHubClient(HubSettings("rest", url, "service-token", 1.0, spawn_timeout_s, True))


def ready_with_token(stub: Stub) -> None:
    stub.route("GET", "/hub/api/users/u1", 200, READY_USER)
    stub.route("POST", "/hub/api/users/u1/tokens", 201, {"token": "user-token"})


def test_hub_down_is_hub_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HubUnavailable):
        client_for(f"http://127.0.0.1:{port}").server_status("u1")


def test_refused_service_token_is_a_configuration_error(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 403, {"message": "forbidden"})
    with pytest.raises(HubMisconfigured):
        client_for(url).server_status("u1")


def test_hub_gateway_errors_are_hub_unavailable(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 503, {"message": "starting"})
    with pytest.raises(HubUnavailable):
        client_for(url).server_status("u1")


def test_missing_user_means_stopped(stub):
    _state, url = stub
    assert client_for(url).server_status("u1").state == "stopped"


def test_start_sends_the_full_options_and_follows_progress(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, {"name": "u1", "servers": {}})
    state.route("POST", "/hub/api/users/u1/server", 202, None)
    state.route("GET", "/hub/api/users/u1/server/progress", 200, [
        {"progress": 0, "message": "Server requested"},
        {"progress": 100, "message": "ready", "ready": True, "url": "/user/u1/"}])  # fmt: skip
    events = list(client_for(url).start_server("u1", "cpu-large"))
    assert events[-1].ready and events[-1].url == "/user/u1/"
    assert ("POST", "/hub/api/users/u1/server", {"profile": "cpu-large"}) in state.calls


def test_failed_spawn_event_names_the_reason(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, {"name": "u1", "servers": {}})
    state.route("POST", "/hub/api/users/u1/server", 202, None)
    state.route("GET", "/hub/api/users/u1/server/progress", 200, [
        {"progress": 100, "failed": True, "message": "Spawn failed: out of memory"}])  # fmt: skip
    with pytest.raises(SpawnFailed, match="out of memory"):
        list(client_for(url).start_server("u1", "cpu-small"))


def test_hub_refusing_the_profile_is_profile_not_allowed(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, {"name": "u1", "servers": {}})
    state.route("POST", "/hub/api/users/u1/servers/gpu", 403,
                {"message": "lab profile 'gpu-full' is not allowed for this user"})  # fmt: skip
    with pytest.raises(ProfileNotAllowed):
        list(client_for(url).start_server("u1", "gpu-full", server="gpu"))


def test_stalled_spawn_is_a_timeout(stub):
    state, url = stub
    replies = iter([{"name": "u1", "servers": {}}])
    pending = {"name": "u1", "servers": {"": {"ready": False, "pending": "spawn"}}}
    state.route("GET", "/hub/api/users/u1", 200, lambda: next(replies, pending))
    state.route("POST", "/hub/api/users/u1/server", 202, None)
    state.route("GET", "/hub/api/users/u1/server/progress", 200, [{"progress": 10}, "stall"])
    with pytest.raises(SpawnTimeout):
        list(client_for(url, spawn_timeout_s=1).start_server("u1", "cpu-small"))


def test_running_server_is_reused_without_a_new_start(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, READY_USER)
    events = list(client_for(url).start_server("u1", "cpu-small"))
    assert len(events) == 1 and events[0].ready
    assert not [c for c in state.calls if c[0] == "POST"]


def test_contents_of_a_stopped_server_is_server_not_running(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, {"name": "u1", "servers": {}})
    with pytest.raises(ServerNotRunning):
        client_for(url).get_file("u1", "lab.ipynb")


def test_proxy_redirect_to_the_hub_means_the_server_has_gone(stub):
    state, url = stub
    ready_with_token(state)
    state.route("GET", "/user/u1/api/contents/lab.ipynb", 302, None)
    with pytest.raises(ServerNotRunning):
        client_for(url).get_file("u1", "lab.ipynb")


def test_missing_notebook_is_lab_file_missing(stub):
    state, url = stub
    ready_with_token(state)
    with pytest.raises(LabFileMissing):
        client_for(url).get_file("u1", "renamed.ipynb")


def test_contents_api_failure_is_a_contents_error(stub):
    state, url = stub
    ready_with_token(state)
    state.route("GET", "/user/u1/api/contents/lab.ipynb", 500, {"message": "disk"})
    with pytest.raises(ContentsError):
        client_for(url).get_file("u1", "lab.ipynb")


def test_existing_file_is_not_overwritten(stub):
    state, url = stub
    ready_with_token(state)
    state.route("GET", "/user/u1/api/contents/lab.ipynb", 200, {"type": "notebook"})
    with pytest.raises(LabFileExists):
        client_for(url).put_file("u1", "lab.ipynb", b"{}")
    assert not [c for c in state.calls if c[0] == "PUT"]


def test_put_creates_folders_and_sends_a_notebook_model(stub):
    state, url = stub
    ready_with_token(state)
    state.route("PUT", "/user/u1/api/contents/ml101", 201, {})
    state.route("PUT", "/user/u1/api/contents/ml101/lab.ipynb", 201, {})
    client_for(url).put_file("u1", "ml101/lab.ipynb", b'{"cells": []}')
    puts = [(p, b) for m, p, b in state.calls if m == "PUT"]
    assert puts == [("/user/u1/api/contents/ml101", {"type": "directory"}),
                    ("/user/u1/api/contents/ml101/lab.ipynb",
                     {"type": "notebook", "format": "json", "content": {"cells": []}})]  # fmt: skip


def test_user_token_is_short_lived_and_scoped_to_the_users_servers(stub):
    state, url = stub
    ready_with_token(state)
    state.route("GET", "/user/u1/api/contents/a.txt", 200,
                {"type": "file", "format": "base64", "content": "aGk="})  # fmt: skip
    assert client_for(url).get_file("u1", "a.txt").content == b"hi"
    body = next(b for m, p, b in state.calls if p == "/hub/api/users/u1/tokens")
    assert body["expires_in"] <= 300 and body["scopes"] == ["access:servers!user=u1"]


def test_ensure_user_creates_groups_and_drops_stale_memberships(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, READY_USER)
    state.route("POST", "/hub/api/groups/course:ml101", 201, {})
    state.route("PUT", "/hub/api/groups/course:ml101/properties", 200, {})
    state.route("POST", "/hub/api/groups/course:ml101/users", 200, {})
    state.route("DELETE", "/hub/api/groups/course:old/users", 200, {})
    client_for(url).ensure_user("u1", {"course:ml101": {"lab_profiles": ["cpu-small"]}})
    assert (
        "PUT",
        "/hub/api/groups/course:ml101/properties",
        {"lab_profiles": ["cpu-small"]},
    ) in state.calls
    assert ("DELETE", "/hub/api/groups/course:old/users", {"users": ["u1"]}) in state.calls


def test_end_session_stops_servers_and_revokes_every_token(stub):
    state, url = stub
    state.route("GET", "/hub/api/users/u1", 200, READY_USER)
    state.route("DELETE", "/hub/api/users/u1/server", 204, None)
    state.route(
        "GET", "/hub/api/users/u1/tokens", 200, {"api_tokens": [{"id": "a1"}, {"id": "o2"}]}
    )
    state.route("DELETE", "/hub/api/users/u1/tokens/a1", 204, None)
    state.route("DELETE", "/hub/api/users/u1/tokens/o2", 204, None)
    client_for(url).end_session("u1")
    deletes = [p for m, p, _b in state.calls if m == "DELETE"]
    assert deletes == ["/hub/api/users/u1/server", "/hub/api/users/u1/tokens/a1",
                       "/hub/api/users/u1/tokens/o2"]  # fmt: skip
