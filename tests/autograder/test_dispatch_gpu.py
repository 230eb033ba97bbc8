"""GPU slots: configured by AUTOGRADER_GPU_SLOTS or detected from `nvidia-smi -L`."""

from __future__ import annotations

import os

import pytest

from autograder.dispatch import gpu
from autograder.dispatch.worker import build_parser, celery_worker_argv

NVIDIA_SMI_PLAIN = """\
GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1b2c3d4e-0000-1111-2222-333344445555)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-9f8e7d6c-0000-1111-2222-333344445555)
"""

NVIDIA_SMI_MIG = """\
GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d1f0000-aaaa-bbbb-cccc-ddddeeeeffff)
  MIG 3g.20gb     Device  0: (UUID: MIG-aaaa1111-2222-3333-4444-555566667777)
  MIG 3g.20gb     Device  1: (UUID: MIG-bbbb1111-2222-3333-4444-555566667777)
GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-6e2a0000-aaaa-bbbb-cccc-ddddeeeeffff)
"""


def test_count_means_device_indices() -> None:
    assert gpu.parse_slots("2") == ["0", "1"]


def test_none_means_no_gpu() -> None:
    assert gpu.parse_slots("0") == [] and gpu.parse_slots("none") == []


def test_list_of_devices_and_mig_uuids() -> None:
    assert gpu.parse_slots("0, 3") == ["0", "3"]
    assert gpu.parse_slots("MIG-aaaa1111-2222") == ["MIG-aaaa1111-2222"]


@pytest.mark.parametrize("bad", ["0;rm -rf /", "gpu0", "1,1"])
def test_malformed_slot_list_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="AUTOGRADER_GPU_SLOTS"):
        gpu.parse_slots(bad)


def test_whole_gpus_from_nvidia_smi() -> None:
    assert gpu.parse_nvidia_smi(NVIDIA_SMI_PLAIN) == ["0", "1"]


def test_mig_slices_replace_their_gpu() -> None:
    assert gpu.parse_nvidia_smi(NVIDIA_SMI_MIG) == [
        "MIG-aaaa1111-2222-3333-4444-555566667777",
        "MIG-bbbb1111-2222-3333-4444-555566667777",
        "1",
    ]


def test_configuration_wins_over_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_GPU_SLOTS", "3")
    monkeypatch.setattr(gpu, "detect_slots", lambda: pytest.fail("must not detect"))
    assert gpu.gpu_slots() == ["0", "1", "2"]


def test_gpu_worker_runs_one_child_per_slot() -> None:
    args = build_parser().parse_args(["--queues", "gpu"])
    argv = celery_worker_argv(args, ("gpu",), ["0", "1", "2"])
    assert argv[argv.index("--concurrency") + 1] == "3"
    assert argv[argv.index("--prefetch-multiplier") + 1] == "1"


def test_gpu_worker_refuses_a_concurrency_other_than_its_slots() -> None:
    args = build_parser().parse_args(["--queues", "gpu", "--concurrency", "4"])
    with pytest.raises(ValueError, match="one child per GPU slot"):
        celery_worker_argv(args, ("gpu",), ["0", "1"])


def test_gpu_worker_child_is_pinned_to_the_slot_of_its_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from autograder.dispatch import gpu_pinning

    monkeypatch.setenv("AUTOGRADER_WORKER_QUEUES", "gpu")
    monkeypatch.setenv("AUTOGRADER_GPU_SLOTS", "MIG-aaaa,MIG-bbbb")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    monkeypatch.setattr(gpu_pinning, "_child_index", lambda: 1)
    assert gpu_pinning.pin_child_to_slot() == "MIG-bbbb"
    assert gpu_pinning.slot_of_this_child() == "MIG-bbbb"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "MIG-bbbb"


def test_cpu_worker_child_sees_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.dispatch import gpu_pinning

    monkeypatch.setenv("AUTOGRADER_WORKER_QUEUES", "cpu")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert gpu_pinning.pin_child_to_slot() == ""
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""
