"""The fake hub client keeps the contract: profiles checked, files kept, clear errors."""

from __future__ import annotations

import pytest

from lms.errors import ValidationError
from lms.hub import BACKENDS, get_hub_client
from lms.hub.config import load_settings
from lms.hub.errors import (
    HubUnavailable,
    LabFileExists,
    LabFileMissing,
    ProfileNotAllowed,
    ServerNotRunning,
    SpawnFailed,
)
from lms.hub.fake import FakeHubClient

GPU_COURSE = {"course:dl201": {"lab_profiles": ["cpu-small", "cpu-large", "gpu-mig-1g"]}}


@pytest.fixture
def hub() -> FakeHubClient:
    client = FakeHubClient()
    client.ensure_user("u1", {**GPU_COURSE, "role:learner": {}})
    return client


def test_backend_is_chosen_by_configuration(app):
    app.config["LMS_HUB_BACKEND"] = "fake"
    assert isinstance(get_hub_client(app), FakeHubClient)
    assert set(BACKENDS) == {"rest", "fake"}


def test_unknown_backend_or_bad_timeout_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="LMS_HUB_BACKEND"):
        load_settings({"LMS_HUB_BACKEND": "docker"}, tmp_path, {})
    with pytest.raises(ValueError, match="LMS_HUB_SPAWN_TIMEOUT_S"):
        load_settings({"LMS_HUB_SPAWN_TIMEOUT_S": "soon"}, tmp_path, {})


def test_service_token_comes_from_the_environment_or_the_instance_file(tmp_path):
    assert not load_settings({}, tmp_path, {}).is_configured
    (tmp_path / "hub_api_token").write_text("from-file\n")
    assert load_settings({}, tmp_path, {}).api_token == "from-file"
    assert load_settings({}, tmp_path, {"LMS_HUB_API_TOKEN": "env"}).api_token == "env"


def test_start_reports_progress_and_ends_ready(hub):
    events = list(hub.start_server("u1", "gpu-mig-1g"))
    assert [e.progress for e in events] == [0, 50, 100]
    assert events[-1].ready and events[-1].url == "/user/u1/"
    assert hub.server_status("u1").profile == "gpu-mig-1g"


def test_a_profile_outside_the_users_courses_is_refused(hub):
    with pytest.raises(ProfileNotAllowed):
        list(hub.start_server("u1", "gpu-full"))
    with pytest.raises(SpawnFailed):
        list(hub.start_server("u1", "no-such-profile"))
    assert hub.server_status("u1").state == "stopped"


def test_files_are_not_overwritten_without_asking(hub):
    list(hub.start_server("u1", "cpu-small"))
    hub.put_file("u1", "ml101/lab1.ipynb", b"{}")
    with pytest.raises(LabFileExists):
        hub.put_file("u1", "ml101/lab1.ipynb", b"new")
    hub.put_file("u1", "ml101/lab1.ipynb", b"new", overwrite=True)
    assert hub.get_file("u1", "ml101/lab1.ipynb").content == b"new"


def test_missing_file_and_stopped_server_are_distinct_errors(hub):
    list(hub.start_server("u1", "cpu-small"))
    with pytest.raises(LabFileMissing):
        hub.get_file("u1", "ml101/gone.ipynb")
    hub.stop_server("u1")
    with pytest.raises(ServerNotRunning):
        hub.get_file("u1", "ml101/gone.ipynb")


def test_files_survive_a_restart_of_the_server(hub):
    list(hub.start_server("u1", "cpu-small"))
    hub.put_file("u1", "work.py", b"print(1)")
    hub.stop_server("u1")
    list(hub.start_server("u1", "cpu-small"))
    assert hub.get_file("u1", "work.py").content == b"print(1)"


@pytest.mark.parametrize("path", ["/etc/passwd", "../other/x", "a/../../b", ""])
def test_paths_outside_the_lab_are_refused(hub, path):
    list(hub.start_server("u1", "cpu-small"))
    with pytest.raises(ValidationError):
        hub.put_file("u1", path, b"x")


def test_hub_down_is_reported_as_such(hub):
    hub.is_down = True
    with pytest.raises(HubUnavailable):
        hub.server_status("u1")


def test_end_session_stops_the_users_servers_only(hub):
    hub.ensure_user("u2", {})
    list(hub.start_server("u1", "cpu-small"))
    list(hub.start_server("u2", "cpu-small"))
    hub.end_session("u1")
    assert [r.username for r in hub.list_running()] == ["u2"]
