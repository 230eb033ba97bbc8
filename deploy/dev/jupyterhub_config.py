"""The one-machine JupyterHub: local processes, logging in through the portal (OIDC).

Started by ``deploy/dev/run.py`` (``jupyterhub -f deploy/dev/jupyterhub_config.py``) after
``flask --app lms oidc ensure-hub-client``. Everything comes from the environment, with the
portal's defaults:

| variable | default |
|---|---|
| ``LMS_BASE_URL`` | ``http://127.0.0.1:5000`` (the portal: the identity provider) |
| ``LMS_HUB_URL`` | ``http://127.0.0.1:8000`` (public URL; the hub binds to its host:port) |
| ``LMS_HUB_API_BIND`` / ``LMS_HUB_PROXY_API_URL`` | ``http://127.0.0.1:8081`` / ``:8001`` |
| ``LMS_INSTANCE_PATH`` | ``instance/`` in the checkout (portal secrets live there) |
| ``LMS_HUB_STATE_DIR`` | ``<instance>/hub`` (hub database, cookie secret, crypt key, homes) |
| ``LMS_HUB_OAUTH_CLIENT_SECRET`` | else ``<instance>/hub_oauth_client_secret`` |
| ``LMS_HUB_API_TOKEN`` | else ``<instance>/hub_api_token`` (the portal service's token) |
| ``JUPYTERHUB_CRYPT_KEY`` | else ``<state>/crypt_key`` (generated, 0600) |
| ``LMS_HUB_IDLE_CULL_S`` | ``3600``; ``0`` turns the idle culler off |
| ``CHP_BIN`` | ``node_modules/.bin/configurable-http-proxy`` in the checkout |

SimpleLocalProcessSpawner gives NO isolation between users: one machine, trusted dev use only.
"""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy.profiles import configure_portal_login, make_apply_user_options  # noqa: E402

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)
env = os.environ.get
BIN = Path(sys.executable).parent

PORTAL = (env("LMS_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
HUB_URL = (env("LMS_HUB_URL") or "http://127.0.0.1:8000").rstrip("/")
INSTANCE = Path(env("LMS_INSTANCE_PATH") or ROOT / "instance")
STATE = Path(env("LMS_HUB_STATE_DIR") or INSTANCE / "hub")
STATE.mkdir(parents=True, exist_ok=True)


def secret(variable, path, create=False):
    """A secret from ``variable``, else from the file ``path`` (created 0600 if asked)."""
    value = env(variable)
    if value:
        return value.strip()
    if path.exists():
        return path.read_text().strip()
    if not create:
        sys.exit(
            f"{variable} is not set and {path} does not exist: "
            "run `flask --app lms oidc ensure-hub-client` first"
        )
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


# -- network: everything on loopback ---------------------------------------------------
public = urlsplit(HUB_URL)
c.JupyterHub.bind_url = f"{public.scheme}://{public.hostname}:{public.port or 80}"
c.JupyterHub.hub_bind_url = env("LMS_HUB_API_BIND") or "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = env("LMS_HUB_PROXY_API_URL") or "http://127.0.0.1:8001"
chp = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [
    env("CHP_BIN") or (str(chp) if chp.exists() else "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# -- state -----------------------------------------------------------------------------
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.CryptKeeper.keys = [
    bytes.fromhex(secret("JUPYTERHUB_CRYPT_KEY", STATE / "crypt_key", create=True))
]

# -- login through the portal (OIDC, PKCE) --------------------------------------------
configure_portal_login(
    c,
    PORTAL,
    HUB_URL,
    secret("LMS_HUB_OAUTH_CLIENT_SECRET", INSTANCE / "hub_oauth_client_secret"),
    env("LMS_HUB_OAUTH_CLIENT_ID") or "jupyterhub",
)

# -- lab servers: local processes, profiles checked on the hub side --------------------
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 60
c.Spawner.environment = {"LMS_BASE_URL": PORTAL}


def apply_local(spawner, profile):
    # Local processes are not confined; the limits are advertised (MEM_LIMIT, CPU_LIMIT).
    spawner.mem_limit = profile.mem_limit
    spawner.cpu_limit = profile.cpu_limit


c.Spawner.apply_user_options = make_apply_user_options(apply_local)
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 2
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}  # start answers 202 at once

# -- the portal's service token and the idle culler ------------------------------------
c.JupyterHub.services = [
    {"name": "portal", "api_token": secret("LMS_HUB_API_TOKEN", INSTANCE / "hub_api_token")}
]
c.JupyterHub.load_roles = [
    {
        "name": "portal-role",
        "services": ["portal"],
        "scopes": ["admin:users", "admin:groups", "servers", "tokens"],
    }
]
cull_s = int(env("LMS_HUB_IDLE_CULL_S") or 3600)
if cull_s > 0:
    c.JupyterHub.services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={cull_s}",
                f"--cull-every={max(60, cull_s // 6)}",
                "--remove-named-servers",
            ],
        }
    )
    c.JupyterHub.load_roles.append(
        {
            "name": "idle-culler-role",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        }
    )
