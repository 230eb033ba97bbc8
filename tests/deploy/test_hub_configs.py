"""Every hub configuration loads with a traitlets Config, and the key settings are right:
portal login, minimal service role, hub-side profile checks, GPU requests per spawner."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from types import SimpleNamespace

import pytest
from tornado import web
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
PORTAL_SCOPES = ["admin:users", "admin:groups", "servers", "tokens"]
GPU_GROUPS = {"course:dl201": {"lab_profiles": ["cpu-small", "cpu-large", "gpu-mig-1g"]}}


def load(relative: str) -> tuple[Config, dict]:
    """Execute a hub config file the way JupyterHub does (``get_config()`` → Config)."""
    path = ROOT / relative
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(path), "__name__": "hub_config"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    return config, namespace


def spawner(groups: dict, name: str = "u1", server: str = "") -> SimpleNamespace:
    hub_groups = [SimpleNamespace(name=g, properties=p) for g, p in groups.items()]
    return SimpleNamespace(
        user=SimpleNamespace(name=name, groups=hub_groups), name=server, environment={}
    )


@pytest.fixture
def dev_env(tmp_path, monkeypatch):
    for name in ("LMS_BASE_URL", "LMS_HUB_URL", "CHP_BIN", "LMS_HUB_IDLE_CULL_S", "JUPYTERHUB_CRYPT_KEY",
                 "LMS_HUB_OAUTH_CLIENT_SECRET", "LMS_HUB_API_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "hub_oauth_client_secret").write_text("client-secret\n")
    (tmp_path / "hub_api_token").write_text("service-token\n")
    return tmp_path


def test_dev_hub_logs_in_through_the_portal_with_portal_defaults(dev_env):
    c, _ns = load("deploy/dev/jupyterhub_config.py")
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.JupyterHub.authenticator_class == "generic-oauth"
    oauth = c.GenericOAuthenticator
    assert oauth.authorize_url == "http://127.0.0.1:5000/oauth/authorize"
    assert oauth.userdata_url == "http://127.0.0.1:5000/oauth/userinfo"
    assert oauth.oauth_callback_url == "http://127.0.0.1:8000/hub/oauth_callback"
    assert oauth.client_secret == "client-secret" and oauth.auto_login and oauth.manage_groups
    assert oauth.username_claim == "preferred_username"
    assert c.JupyterHub.services[0] == {"name": "portal", "api_token": "service-token"}
    assert c.JupyterHub.load_roles[0]["scopes"] == PORTAL_SCOPES
    assert c.JupyterHub.tornado_settings == {"slow_spawn_timeout": 0}
    assert c.ConfigurableHTTPProxy.command[0].endswith("configurable-http-proxy")
    assert (dev_env / "hub" / "crypt_key").stat().st_mode & 0o777 == 0o600


def test_dev_hub_follows_the_environment(dev_env, monkeypatch):
    monkeypatch.setenv("LMS_BASE_URL", "http://127.0.0.1:5055")
    monkeypatch.setenv("LMS_HUB_URL", "http://127.0.0.1:8055")
    monkeypatch.setenv("LMS_HUB_IDLE_CULL_S", "0")
    c, _ns = load("deploy/dev/jupyterhub_config.py")
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8055"
    assert c.GenericOAuthenticator.token_url == "http://127.0.0.1:5055/oauth/token"
    assert [s["name"] for s in c.JupyterHub.services] == ["portal"]


def test_dev_hub_runs_the_idle_culler_by_default(dev_env):
    c, _ns = load("deploy/dev/jupyterhub_config.py")
    culler = c.JupyterHub.services[1]
    assert culler["name"] == "idle-culler" and "--timeout=3600" in culler["command"]
    assert "delete:servers" in c.JupyterHub.load_roles[1]["scopes"]


def test_dev_hub_without_a_client_secret_says_what_to_run(dev_env):
    (dev_env / "hub_oauth_client_secret").unlink()
    with pytest.raises(SystemExit, match="ensure-hub-client"):
        load("deploy/dev/jupyterhub_config.py")


def test_dev_hub_checks_profiles_on_its_side(dev_env):
    c, _ns = load("deploy/dev/jupyterhub_config.py")
    hook = c.Spawner.apply_user_options
    learner = spawner(GPU_GROUPS)
    hook(learner, {"profile": "gpu-mig-1g"})
    assert learner.mem_limit == "16G" and learner.environment["LAB_PROFILE"] == "gpu-mig-1g"
    with pytest.raises(web.HTTPError) as refused:
        hook(spawner({}), {"profile": "gpu-mig-1g"})
    assert refused.value.status_code == 403


def test_docker_hub_hands_each_gpu_lab_its_own_device(monkeypatch):
    monkeypatch.setenv("LMS_DOCKER_DEVICES_GPU_MIG_1G", "MIG-a,MIG-b")
    c, ns = load("deploy/docker/jupyterhub_config.py")
    assert c.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    assert c.JupyterHub.load_roles[0]["scopes"] == PORTAL_SCOPES
    first, second = spawner(GPU_GROUPS, "u1"), spawner(GPU_GROUPS, "u2")
    c.Spawner.apply_user_options(first, {"profile": "gpu-mig-1g"})
    c.Spawner.apply_user_options(second, {"profile": "gpu-mig-1g"})
    ids = [s.extra_host_config["device_requests"][0]["device_ids"] for s in (first, second)]
    assert ids == [["MIG-a"], ["MIG-b"]] and first.image.startswith("lms-lab-gpu")
    c.Spawner.post_stop_hook(first)
    assert ns["ALLOCATED"] == {"MIG-b": "u2/"}
    cpu = spawner({}, "u3")
    c.Spawner.apply_user_options(cpu, {})
    assert "device_requests" not in cpu.extra_host_config and cpu.image.startswith("lms-lab-cpu")


def test_slurm_hub_maps_profiles_to_gres(monkeypatch):
    monkeypatch.setitem(sys.modules, "batchspawner", types.ModuleType("batchspawner"))
    c, _ns = load("deploy/slurm/jupyterhub_config.py")
    assert c.JupyterHub.spawner_class == "batchspawner.SlurmSpawner"
    assert "#SBATCH --gres={{gres}}" in c.SlurmSpawner.batch_script
    lab = spawner(GPU_GROUPS)
    c.Spawner.apply_user_options(lab, {"profile": "gpu-mig-1g"})
    assert lab.req_gres == "gpu:1g_10gb:1" and lab.req_partition == "gpu"
    with pytest.raises(web.HTTPError):
        c.Spawner.apply_user_options(spawner({}), {"profile": "gpu-full"})


def test_every_hub_config_sends_logout_to_the_portal(dev_env, monkeypatch):
    monkeypatch.setitem(sys.modules, "batchspawner", types.ModuleType("batchspawner"))
    for relative in ("deploy/dev/jupyterhub_config.py", "deploy/docker/jupyterhub_config.py",
                     "deploy/slurm/jupyterhub_config.py"):  # fmt: skip
        c, _ns = load(relative)
        assert c.GenericOAuthenticator.logout_redirect_url.endswith("/oauth/logout"), relative
        assert c.Authenticator.auth_refresh_age == 60, relative
