"""Lab profiles (CPU sizes, GPUs, MIG slices) and who may use which: defined once, here.

Every hub configuration (``deploy/dev``, ``deploy/docker``, ``deploy/k8s``, ``deploy/slurm``)
imports this module, and the portal imports it to know which profiles a course offers. The
module is pure (standard library only; tornado is imported lazily inside the hub hook) so it
can be tested without a hub.

Entitlement model. The portal puts each learner in one hub group per active enrolment,
``course:<slug>`` (from the OIDC ``groups`` claim at login, and over REST before a lab is
opened), plus ``role:<role>``. Each course group carries the property ``lab_profiles``: the
profile slugs that course allows, written by the portal. On every spawn the hub recomputes
the allowed set from the user's groups and refuses any other profile: ``user_options`` come
from the client and are never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

COURSE_GROUP_PREFIX = "course:"
ROLE_GROUP_PREFIX = "role:"
PROFILES_PROPERTY = "lab_profiles"
ALL_PROFILES_ROLES = frozenset({"admin"})
MIG_SLICES_PER_GPU = 7


@dataclass(frozen=True)
class Profile:
    """One kind of lab server. ``gpus`` counts whole GPUs; ``mig`` names a MIG slice
    (``1g.10gb``) instead. Limits are per server."""

    slug: str
    display_name: str
    cpu_limit: float
    mem_limit: str
    gpus: int = 0
    mig: str | None = None
    image: str = "cpu"  # which lab image: "cpu" or "gpu"
    shm_size: str = "1g"

    @property
    def uses_gpu(self) -> bool:
        return self.gpus > 0 or self.mig is not None

    @property
    def gpu_share(self) -> float:
        """How much of one GPU this profile holds: whole GPUs, or a MIG slice's share of the
        7 compute slices of an A100/H100 (``1g`` = 1/7, ``3g`` = 3/7). GPU-hours use it."""
        if self.mig:
            return int(self.mig.split("g", 1)[0]) / MIG_SLICES_PER_GPU
        return float(self.gpus)

    @property
    def mem_limit_bytes(self) -> int:
        return parse_size(self.mem_limit)


PROFILES: tuple[Profile, ...] = (
    Profile("cpu-small", "CPU · 1 core · 2 GB", 1.0, "2G"),
    Profile("cpu-large", "CPU · 4 cores · 8 GB", 4.0, "8G"),
    Profile("gpu-mig-1g", "GPU MIG 1g.10gb · 2 cores · 16 GB", 2.0, "16G", mig="1g.10gb",
            image="gpu", shm_size="4g"),
    Profile("gpu-mig-3g", "GPU MIG 3g.40gb · 4 cores · 32 GB", 4.0, "32G", mig="3g.40gb",
            image="gpu", shm_size="8g"),
    Profile("gpu-full", "GPU · 1 whole GPU · 8 cores · 64 GB", 8.0, "64G", gpus=1,
            image="gpu", shm_size="16g"),
)  # fmt: skip
BY_SLUG: dict[str, Profile] = {p.slug: p for p in PROFILES}
DEFAULT_PROFILE = "cpu-small"
CPU_FALLBACK = DEFAULT_PROFILE  # what a learner over GPU quota gets instead
CPU_COURSE_PROFILES = ("cpu-small", "cpu-large")
GPU_COURSE_PROFILES = ("cpu-small", "cpu-large", "gpu-mig-1g")


class ProfileError(ValueError):
    """A requested profile cannot be used. ``status`` is the HTTP status the hub answers:
    400 for malformed options or unknown profiles, 403 for a profile the user may not use."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_size(text: str) -> int:
    """``"2G"`` → 2147483648. Units K, M, G, T (powers of 1024); a bare number is bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r}")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def course_group(slug: str) -> str:
    """The hub group of a course: ``course:<slug>``."""
    return f"{COURSE_GROUP_PREFIX}{slug}"


def role_group(role: str) -> str:
    return f"{ROLE_GROUP_PREFIX}{role}"


def course_profiles(needs_gpu: bool) -> tuple[str, ...]:
    """The profile slugs a course offers (the portal writes them on the course group)."""
    return GPU_COURSE_PROFILES if needs_gpu else CPU_COURSE_PROFILES


def entitled_profiles(groups: Mapping[str, Mapping[str, Any] | None]) -> list[Profile]:
    """Profiles a user may start, from their hub groups (name → properties), in table order.

    Everyone gets the default CPU profile; course groups add their ``lab_profiles``; the
    ``role:admin`` group gets everything. Unknown slugs in properties are ignored.
    """
    roles = {
        name.removeprefix(ROLE_GROUP_PREFIX)
        for name in groups
        if name.startswith(ROLE_GROUP_PREFIX)
    }
    if roles & ALL_PROFILES_ROLES:
        return list(PROFILES)
    allowed = {DEFAULT_PROFILE}
    for name, properties in groups.items():
        if name.startswith(COURSE_GROUP_PREFIX) and properties:
            slugs = properties.get(PROFILES_PROPERTY) or []
            if isinstance(slugs, list):
                allowed.update(s for s in slugs if isinstance(s, str))
    return [p for p in PROFILES if p.slug in allowed]


def validate_choice(
    user_options: Mapping[str, Any] | None, groups: Mapping[str, Mapping[str, Any] | None]
) -> Profile:
    """The profile that ``user_options`` asks for, if the user's groups allow it.

    ``user_options`` must be ``{}`` (→ the default profile) or ``{"profile": slug}``; any
    other key is refused, so a client cannot smuggle spawner settings. Raises ``ProfileError``
    (400 malformed/unknown, 403 not entitled).
    """
    options = dict(user_options or {})
    extra = sorted(set(options) - {"profile"})
    if extra:
        raise ProfileError(f"unsupported lab options: {', '.join(extra)}")
    slug = options.get("profile") or DEFAULT_PROFILE
    if not isinstance(slug, str) or slug not in BY_SLUG:
        raise ProfileError(f"unknown lab profile {slug!r}")
    if slug not in {p.slug for p in entitled_profiles(groups)}:
        raise ProfileError(f"lab profile {slug!r} is not allowed for this user", status=403)
    return BY_SLUG[slug]


def environment(profile: Profile) -> dict[str, str]:
    """Environment variables every spawner sets in the lab (read by notebooks and the portal)."""
    env = {"LAB_PROFILE": profile.slug, "LAB_CPU_LIMIT": f"{profile.cpu_limit:g}"}
    if profile.mig:
        env["LAB_GPU"] = f"mig-{profile.mig}"
    elif profile.gpus:
        env["LAB_GPU"] = f"gpu-{profile.gpus}"
    return env


def docker_settings(profile: Profile, device_ids: Iterable[str] = ()) -> dict[str, Any]:
    """DockerSpawner attributes for ``profile``: limits, shm and the GPU device request.

    ``device_ids`` are the GPU indexes or MIG UUIDs to hand over (the Docker hub picks them);
    an empty list with a GPU profile means "any one GPU" (``count=1``).
    """
    host_config: dict[str, Any] = {"shm_size": profile.shm_size}
    if profile.uses_gpu:
        # docker-py turns these dicts into docker.types.DeviceRequest (lower-case keys).
        ids = list(device_ids)
        request: dict[str, Any] = {"driver": "nvidia", "capabilities": [["gpu"]]}
        request.update({"device_ids": ids} if ids else {"count": profile.gpus or 1})
        host_config["device_requests"] = [request]
    return {
        "cpu_limit": profile.cpu_limit,
        "mem_limit": profile.mem_limit,
        "extra_host_config": host_config,
        "image_kind": profile.image,
    }


def kubernetes_resource(profile: Profile) -> dict[str, str]:
    """Extended resources for ``profile`` (MIG "mixed" strategy names, else whole GPUs)."""
    if profile.mig:
        return {f"nvidia.com/mig-{profile.mig}": "1"}
    if profile.gpus:
        return {"nvidia.com/gpu": str(profile.gpus)}
    return {}


def kubespawner_profile(profile: Profile, images: Mapping[str, str]) -> dict[str, Any]:
    """One entry of ``KubeSpawner.profile_list`` for ``profile`` (``images``: kind → image)."""
    override: dict[str, Any] = {
        "cpu_limit": profile.cpu_limit,
        "mem_limit": profile.mem_limit,
        "image": images[profile.image],
        "environment": environment(profile),
    }
    if profile.uses_gpu:
        override["extra_resource_limits"] = kubernetes_resource(profile)
        override["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    return {
        "slug": profile.slug,
        "display_name": profile.display_name,
        "default": profile.slug == DEFAULT_PROFILE,
        "kubespawner_override": override,
    }


def slurm_settings(profile: Profile, gpu_partition: str, cpu_partition: str) -> dict[str, str]:
    """BatchSpawner ``req_*`` values for ``profile`` (GRES for GPUs and MIG slices)."""
    settings = {
        "req_nprocs": str(max(1, int(profile.cpu_limit))),
        "req_memory": profile.mem_limit,
        "req_partition": gpu_partition if profile.uses_gpu else cpu_partition,
        "req_gres": "",
    }
    if profile.mig:
        settings["req_gres"] = f"gpu:{profile.mig.replace('.', '_')}:1"
    elif profile.gpus:
        settings["req_gres"] = f"gpu:{profile.gpus}"
    return settings


def hub_groups(spawner: Any) -> dict[str, dict[str, Any]]:
    """The spawner's user's hub groups as name → properties."""
    return {g.name: dict(getattr(g, "properties", None) or {}) for g in spawner.user.groups}


def make_apply_user_options(
    apply: Callable[[Any, Profile], Any],
) -> Callable[[Any, Mapping[str, Any]], Any]:
    """A ``Spawner.apply_user_options`` hook: validate the choice against the user's groups,
    then let ``apply(spawner, profile)`` set the spawner-specific limits. Refusals become
    ``tornado.web.HTTPError`` with the ``ProfileError`` status and message."""

    def hook(spawner: Any, user_options: Mapping[str, Any]) -> None:
        from tornado import web

        try:
            profile = validate_choice(user_options, hub_groups(spawner))
        except ProfileError as error:
            raise web.HTTPError(error.status, str(error)) from None
        # A new dict: the configured one may be shared by every spawner, and a previous
        # GPU start must not leave LAB_GPU behind.
        kept = {k: v for k, v in spawner.environment.items() if not k.startswith("LAB_")}
        spawner.environment = {**kept, **environment(profile)}
        apply(spawner, profile)

    return hook


def configure_portal_login(
    c: Any, portal_url: str, hub_url: str, client_secret: str, client_id: str = "jupyterhub"
) -> None:
    """Log the hub in through the portal's OpenID Connect provider (every hub form uses this).

    Groups come from the ``groups`` claim (course entitlements); the portal decides who may log
    in. Single logout: the portal revokes the user's tokens at logout, ``refresh_user`` then
    fails (userinfo answers 401) within ``auth_refresh_age`` and the hub session ends.
    """
    c.JupyterHub.authenticator_class = "generic-oauth"
    oauth = c.GenericOAuthenticator
    oauth.client_id = client_id
    oauth.client_secret = client_secret
    oauth.oauth_callback_url = f"{hub_url}/hub/oauth_callback"
    oauth.authorize_url = f"{portal_url}/oauth/authorize"
    oauth.token_url = f"{portal_url}/oauth/token"
    oauth.userdata_url = f"{portal_url}/oauth/userinfo"  # back channel, unlike the id_token
    oauth.scope = ["openid", "profile", "email", "groups"]
    oauth.username_claim = "preferred_username"
    oauth.login_service = "AI Talent Academy"
    oauth.auto_login = True
    oauth.manage_groups = True
    oauth.auth_state_groups_key = "oauth_user.groups"
    oauth.allow_all = True
    oauth.enable_auth_state = True
    oauth.logout_redirect_url = f"{portal_url}/oauth/logout"
    c.Authenticator.auth_refresh_age = 60
    c.Authenticator.refresh_pre_spawn = True
    c.JupyterHub.shutdown_on_logout = True
