"""JupyterHub for an HPC site: each lab is a Slurm job (BatchSpawner), GPUs through GRES.

Compute nodes need the same Python environment as the hub (jupyterhub, batchspawner,
jupyterlab) and must reach the hub API (``LMS_HUB_API_CONNECT_URL``). Profiles and their
entitlements come from ``deploy/profiles.py``; a profile maps to partition, CPUs, memory and
GRES (``gpu:1`` or a MIG type such as ``gpu:1g_10gb:1``).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import batchspawner  # noqa: E402,F401 (registers /hub/api/batchspawner)

from deploy.profiles import configure_portal_login, make_apply_user_options, slurm_settings  # noqa: E402

c = get_config()  # noqa: F821
env = os.environ.get

PORTAL = (env("LMS_BASE_URL") or "https://lms.example").rstrip("/")
HUB_URL = (env("LMS_HUB_URL") or "https://hub.example").rstrip("/")
GPU_PARTITION = env("LMS_SLURM_GPU_PARTITION") or "gpu"
CPU_PARTITION = env("LMS_SLURM_CPU_PARTITION") or "cpu"

c.JupyterHub.bind_url = env("LMS_HUB_BIND_URL") or "http://0.0.0.0:8000"
c.JupyterHub.hub_bind_url = "http://0.0.0.0:8081"
c.JupyterHub.hub_connect_url = env("LMS_HUB_API_CONNECT_URL") or "http://hub-login-node:8081"
c.JupyterHub.db_url = env("LMS_HUB_DB_URL") or "sqlite:///jupyterhub.sqlite"

configure_portal_login(
    c,
    PORTAL,
    HUB_URL,
    env("LMS_HUB_OAUTH_CLIENT_SECRET", ""),
    env("LMS_HUB_OAUTH_CLIENT_ID") or "jupyterhub",
)

c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
c.SlurmSpawner.req_runtime = env("LMS_SLURM_RUNTIME") or "08:00:00"
c.SlurmSpawner.req_account = env("LMS_SLURM_ACCOUNT") or ""
c.SlurmSpawner.req_srun = "srun"
c.SlurmSpawner.start_timeout = 900  # queue waits
c.SlurmSpawner.http_timeout = 300
c.SlurmSpawner.default_url = "/lab"
c.SlurmSpawner.environment = {"LMS_BASE_URL": PORTAL}
# Slurm runs the job as the hub user name: map portal users (u<id>) to site accounts, or run
# labs under one service account per course (set req_username in apply_slurm).
c.SlurmSpawner.batch_script = """#!/bin/bash
#SBATCH --output={{homedir}}/.lms-lab-%j.log
#SBATCH --job-name=lms-lab
#SBATCH --chdir={{homedir}}
#SBATCH --export={{keepvars}}
#SBATCH --get-user-env=L
{% if partition %}#SBATCH --partition={{partition}}{% endif %}
{% if runtime %}#SBATCH --time={{runtime}}{% endif %}
{% if memory %}#SBATCH --mem={{memory}}{% endif %}
{% if gres %}#SBATCH --gres={{gres}}{% endif %}
{% if nprocs %}#SBATCH --cpus-per-task={{nprocs}}{% endif %}
{% if account %}#SBATCH --account={{account}}{% endif %}
trap 'echo SIGTERM received' TERM
{{prologue}}
{% if srun %}{{srun}} {% endif %}{{cmd}}
echo "jupyterhub-singleuser ended gracefully"
{{epilogue}}
"""


def apply_slurm(spawner, profile):
    for name, value in slurm_settings(profile, GPU_PARTITION, CPU_PARTITION).items():
        setattr(spawner, name, value)


c.Spawner.apply_user_options = make_apply_user_options(apply_slurm)
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 2
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

c.JupyterHub.services = [
    {"name": "portal", "api_token": env("LMS_HUB_API_TOKEN", "")},
    {"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                                        "--timeout=3600", "--cull-every=300", "--remove-named-servers"]},
]  # fmt: skip
c.JupyterHub.load_roles = [
    {"name": "portal-role", "services": ["portal"],
     "scopes": ["admin:users", "admin:groups", "servers", "tokens"]},
    {"name": "idle-culler-role", "services": ["idle-culler"],
     "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
]  # fmt: skip
