"""Lab profiles and entitlements (deploy/profiles.py): pure functions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from deploy import profiles as P

GPU_COURSE = {"course:dl201": {"lab_profiles": list(P.course_profiles(needs_gpu=True))}}
CPU_COURSE = {"course:ml101": {"lab_profiles": list(P.course_profiles(needs_gpu=False))}}


def slugs(found):
    return [p.slug for p in found]


def test_everyone_gets_the_default_cpu_profile():
    assert slugs(P.entitled_profiles({})) == [P.DEFAULT_PROFILE]


def test_courses_add_their_profiles_and_gpu_courses_add_a_mig_slice():
    assert slugs(P.entitled_profiles(CPU_COURSE)) == ["cpu-small", "cpu-large"]
    assert "gpu-mig-1g" in slugs(P.entitled_profiles({**CPU_COURSE, **GPU_COURSE}))
    assert "gpu-full" not in slugs(P.entitled_profiles(GPU_COURSE))


def test_admins_may_use_every_profile():
    assert slugs(P.entitled_profiles({"role:admin": {}})) == [p.slug for p in P.PROFILES]


def test_properties_on_non_course_groups_grant_nothing():
    assert slugs(P.entitled_profiles({"role:learner": {"lab_profiles": ["gpu-full"]}})) == [
        "cpu-small"
    ]


def test_unknown_slugs_and_malformed_properties_are_ignored():
    groups = {
        "course:a": {"lab_profiles": ["warp-drive", 7]},
        "course:b": {"lab_profiles": "gpu-full"},
    }
    assert slugs(P.entitled_profiles(groups)) == ["cpu-small"]


def test_validate_choice_defaults_and_accepts_entitled_profiles():
    assert P.validate_choice({}, {}).slug == "cpu-small"
    assert P.validate_choice({"profile": "gpu-mig-1g"}, GPU_COURSE).mig == "1g.10gb"


@pytest.mark.parametrize(
    ("options", "status"),
    [
        ({"profile": "gpu-full"}, 403),
        ({"profile": "nope"}, 400),
        ({"profile": ["cpu-small"]}, 400),
        ({"profile": "cpu-small", "mem_limit": "512G"}, 400),
    ],
)
def test_validate_choice_refuses_what_the_user_may_not_have(options, status):
    with pytest.raises(P.ProfileError) as caught:
        P.validate_choice(options, GPU_COURSE)
    assert caught.value.status == status


def test_sizes_parse_in_binary_units():
    assert P.parse_size("2G") == 2 * 1024**3
    assert P.parse_size("512M") == 512 * 1024**2
    with pytest.raises(ValueError):
        P.parse_size("lots")


def test_docker_settings_request_gpus_only_for_gpu_profiles():
    cpu = P.docker_settings(P.BY_SLUG["cpu-small"])
    assert "device_requests" not in cpu["extra_host_config"]
    mig = P.docker_settings(P.BY_SLUG["gpu-mig-1g"], ["MIG-abc"])
    assert mig["extra_host_config"]["device_requests"] == [
        {"driver": "nvidia", "capabilities": [["gpu"]], "device_ids": ["MIG-abc"]}
    ]
    assert (
        P.docker_settings(P.BY_SLUG["gpu-full"])["extra_host_config"]["device_requests"][0]["count"]
        == 1
    )


def test_kubernetes_resources_use_mig_names_or_whole_gpus():
    assert P.kubernetes_resource(P.BY_SLUG["gpu-mig-3g"]) == {"nvidia.com/mig-3g.40gb": "1"}
    assert P.kubernetes_resource(P.BY_SLUG["gpu-full"]) == {"nvidia.com/gpu": "1"}
    entry = P.kubespawner_profile(P.BY_SLUG["gpu-full"], {"cpu": "c", "gpu": "g"})
    assert entry["kubespawner_override"]["image"] == "g"
    assert entry["kubespawner_override"]["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_slurm_settings_use_gres():
    assert P.slurm_settings(P.BY_SLUG["gpu-mig-1g"], "gpu", "cpu")["req_gres"] == "gpu:1g_10gb:1"
    cpu = P.slurm_settings(P.BY_SLUG["cpu-large"], "gpu", "cpu")
    assert cpu == {"req_nprocs": "4", "req_memory": "8G", "req_partition": "cpu", "req_gres": ""}


def fake_spawner(groups):
    hub_groups = [SimpleNamespace(name=n, properties=p) for n, p in groups.items()]
    return SimpleNamespace(
        user=SimpleNamespace(name="u1", groups=hub_groups), name="", environment={}
    )


def test_hub_hook_applies_the_profile_and_refuses_with_http_errors():
    from tornado import web

    applied = []
    hook = P.make_apply_user_options(lambda spawner, profile: applied.append(profile.slug))
    spawner = fake_spawner(GPU_COURSE)
    hook(spawner, {"profile": "gpu-mig-1g"})
    assert applied == ["gpu-mig-1g"] and spawner.environment["LAB_GPU"] == "mig-1g.10gb"
    with pytest.raises(web.HTTPError) as caught:
        hook(fake_spawner(CPU_COURSE), {"profile": "gpu-mig-1g"})
    assert caught.value.status_code == 403


def test_hub_hook_never_mutates_a_shared_environment_or_keeps_a_stale_gpu():
    hook = P.make_apply_user_options(lambda spawner, profile: None)
    shared = {"LMS_BASE_URL": "http://portal"}
    gpu, cpu = fake_spawner(GPU_COURSE), fake_spawner(GPU_COURSE)
    gpu.environment = cpu.environment = shared
    hook(gpu, {"profile": "gpu-mig-1g"})
    hook(cpu, {"profile": "cpu-small"})
    assert shared == {"LMS_BASE_URL": "http://portal"}
    assert "LAB_GPU" not in cpu.environment and cpu.environment["LMS_BASE_URL"] == "http://portal"
    hook(gpu, {"profile": "cpu-small"})
    assert "LAB_GPU" not in gpu.environment
