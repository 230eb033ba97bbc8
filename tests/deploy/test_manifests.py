"""The YAML deployment files parse and carry the settings that matter (z2jh values, k8s
manifests, Docker compose, the Slurm grading job)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config import Config

from deploy import profiles

ROOT = Path(__file__).resolve().parents[2]


def docs(relative: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((ROOT / relative).read_text()) if d]


def by_kind(relative: str) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs(relative)}


@pytest.fixture
def values() -> dict:
    return docs("deploy/k8s/values.yaml")[0]


def test_z2jh_values_log_in_through_the_portal(values):
    oauth = values["hub"]["config"]["GenericOAuthenticator"]
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "generic-oauth"
    assert oauth["userdata_url"].endswith("/oauth/userinfo") and oauth["auto_login"]
    assert oauth["auth_state_groups_key"] == "oauth_user.groups"
    assert values["hub"]["loadRoles"]["portal"]["scopes"] == [
        "admin:users",
        "admin:groups",
        "servers",
        "tokens",
    ]
    assert values["cull"]["enabled"] and values["cull"]["removeNamedServers"]


def test_z2jh_values_mount_memory_backed_shm_and_isolate_labs(values):
    storage = values["singleuser"]["storage"]
    assert storage["extraVolumes"][0]["emptyDir"]["medium"] == "Memory"
    assert storage["extraVolumeMounts"][0]["mountPath"] == "/dev/shm"
    assert values["singleuser"]["networkPolicy"]["egressAllowRules"]["privateIPs"] is False


def test_z2jh_profile_list_comes_from_course_groups(values, monkeypatch):
    monkeypatch.setitem(sys.modules, "lms_profiles", profiles)
    config = Config()
    code = values["hub"]["extraConfig"]["10-lms-profiles"]
    exec(compile(code, "values.yaml:10-lms-profiles", "exec"), {"c": config})  # noqa: S102
    course = SimpleNamespace(name="course:dl201", properties={"lab_profiles": ["gpu-mig-1g"]})
    learner = SimpleNamespace(user=SimpleNamespace(groups=[course]))
    listing = config.KubeSpawner.profile_list(learner)
    assert [p["slug"] for p in listing] == ["cpu-small", "gpu-mig-1g"]
    gpu = listing[1]["kubespawner_override"]
    assert gpu["extra_resource_limits"] == {"nvidia.com/mig-1g.10gb": "1"}
    assert gpu["tolerations"][0]["effect"] == "NoSchedule"
    nobody = SimpleNamespace(user=SimpleNamespace(groups=[]))
    assert [p["slug"] for p in config.KubeSpawner.profile_list(nobody)] == ["cpu-small"]


def test_portal_pods_may_reach_the_hub_api():
    found = by_kind("deploy/k8s/portal.yaml")
    labels = found[("Deployment", "lms-portal")]["spec"]["template"]["metadata"]["labels"]
    assert labels["hub.jupyter.org/network-access-hub"] == "true"
    assert ("NetworkPolicy", "lms-portal") in found and ("Service", "lms-portal") in found


def test_gpu_grading_workers_ask_for_a_gpu_and_tolerate_the_taint():
    pod = by_kind("deploy/k8s/grader-gpu.yaml")[("Deployment", "lms-grader-gpu")]["spec"][
        "template"
    ]["spec"]
    worker = pod["containers"][0]
    assert worker["command"][-1] == "gpu"
    assert any(k.startswith("nvidia.com/") for k in worker["resources"]["limits"])
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_database_and_broker_are_closed_to_labs():
    found = by_kind("deploy/k8s/data.yaml")
    assert {
        ("StatefulSet", "postgres"),
        ("StatefulSet", "redis"),
        ("NetworkPolicy", "lms-data"),
    } <= set(found)


def test_compose_runs_every_part_and_gives_gpu_workers_gpus():
    compose = docs("deploy/docker/compose.yaml")[0]
    assert {
        "postgres",
        "redis",
        "portal",
        "hub",
        "grader-cpu",
        "grader-gpu",
        "lab-cpu",
        "lab-gpu",
    } <= set(compose["services"])
    devices = compose["services"]["grader-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["dockerfile"]).exists(), name
    hub_config = compose["services"]["hub"]["command"][-1].replace("/srv/app/", "")
    assert (ROOT / hub_config).exists()


def test_lab_image_pins_jupyterhub_to_the_hub_major():
    text = (ROOT / "deploy/docker/lab.Dockerfile").read_text()
    assert "jupyterhub==6." in text and "LAB_KIND" in text


def test_slurm_grading_job_asks_for_a_gpu_and_runs_the_gpu_queue():
    text = (ROOT / "deploy/slurm/grader-gpu.sbatch").read_text()
    assert "#SBATCH --gres=gpu:1" in text
    assert "--backend celery --queues gpu" in text
