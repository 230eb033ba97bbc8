"""JupyterHub for one GPU server: DockerSpawner, one container per learner, GPUs handed out
per profile with Docker device requests. Loaded by the `hub` service of compose.yaml.

Profiles and who may use them come from ``deploy/profiles.py`` (copied to /srv/app/deploy).
GPU/MIG devices per profile: ``LMS_DOCKER_DEVICES_<SLUG>`` (e.g.
``LMS_DOCKER_DEVICES_GPU_MIG_1G=MIG-uuid-a,MIG-uuid-b``); a profile's containers get the
first device not used by another running lab, else Docker's ``count=1``.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # holds deploy/ (repo or /srv/app in the image)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy.profiles import configure_portal_login, docker_settings, make_apply_user_options  # noqa: E402

c = get_config()  # noqa: F821
env = os.environ.get

PORTAL = (env("LMS_BASE_URL") or "https://lms.example").rstrip("/")
HUB_URL = (env("LMS_HUB_URL") or "https://hub.example").rstrip("/")
IMAGES = {
    "cpu": env("LMS_LAB_IMAGE_CPU") or "lms-lab-cpu:2026.11",
    "gpu": env("LMS_LAB_IMAGE_GPU") or "lms-lab-gpu:2026.11",
}

c.JupyterHub.bind_url = "http://0.0.0.0:8000"
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = "http://hub:8081"  # containers reach the hub by service name
c.JupyterHub.db_url = env("LMS_HUB_DB_URL") or "sqlite:////srv/jupyterhub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/jupyterhub_cookie_secret"
c.CryptKeeper.keys = (
    [bytes.fromhex(env("JUPYTERHUB_CRYPT_KEY", ""))] if env("JUPYTERHUB_CRYPT_KEY") else []
)

configure_portal_login(
    c,
    PORTAL,
    HUB_URL,
    env("LMS_HUB_OAUTH_CLIENT_SECRET", ""),
    env("LMS_HUB_OAUTH_CLIENT_ID") or "jupyterhub",
)

c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = IMAGES["cpu"]
c.DockerSpawner.allowed_images = sorted(set(IMAGES.values()))
c.DockerSpawner.network_name = env("LMS_DOCKER_NETWORK") or "lms"
c.DockerSpawner.remove = True  # containers go; the per-user volume stays
c.DockerSpawner.volumes = {"lms-lab-{username}": "/home/jovyan/work"}
c.DockerSpawner.notebook_dir = "/home/jovyan/work"
c.DockerSpawner.default_url = "/lab"
c.DockerSpawner.start_timeout = 300  # a first GPU image pull is slow
c.DockerSpawner.http_timeout = 120
c.DockerSpawner.environment = {"LMS_BASE_URL": PORTAL}


# device -> "user/server" holding it. In memory: after a hub restart running labs are not
# counted until they stop, so a new lab may share a device for a while (documented).
ALLOCATED = {}


def devices_for(profile):
    listed = env(f"LMS_DOCKER_DEVICES_{profile.slug.upper().replace('-', '_')}") or ""
    return [d.strip() for d in listed.split(",") if d.strip()]


def pick_device(profile, holder):
    """The first configured device of ``profile`` that no other lab holds (or none)."""
    for device in devices_for(profile):
        if ALLOCATED.get(device) in (None, holder):
            ALLOCATED[device] = holder
            return [device]
    return []


def release_devices(spawner):
    holder = f"{spawner.user.name}/{spawner.name}"
    for device in [d for d, h in ALLOCATED.items() if h == holder]:
        del ALLOCATED[device]


def apply_docker(spawner, profile):
    release_devices(spawner)
    chosen = pick_device(profile, f"{spawner.user.name}/{spawner.name}") if profile.uses_gpu else []
    settings = docker_settings(profile, chosen)
    spawner.image = IMAGES[settings["image_kind"]]
    spawner.cpu_limit = settings["cpu_limit"]
    spawner.mem_limit = settings["mem_limit"]
    spawner.extra_host_config = settings["extra_host_config"]


c.Spawner.post_stop_hook = release_devices
c.Spawner.apply_user_options = make_apply_user_options(apply_docker)
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 2
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

c.JupyterHub.services = [{"name": "portal", "api_token": env("LMS_HUB_API_TOKEN", "")}]
c.JupyterHub.load_roles = [
    {"name": "portal-role", "services": ["portal"],
     "scopes": ["admin:users", "admin:groups", "servers", "tokens"]},
    {"name": "idle-culler-role", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]  # fmt: skip
c.JupyterHub.services.append({
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600",
                "--cull-every=300", "--remove-named-servers"],
})  # fmt: skip
