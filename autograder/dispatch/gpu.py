"""GPU slots: which CUDA_VISIBLE_DEVICES values grading jobs may be given, one job per slot.

``AUTOGRADER_GPU_SLOTS`` configures them: a count (``"2"`` means devices ``0`` and ``1``), a
comma-separated list of device indices or UUIDs (``"0,3"``, ``"MIG-5d1f...,MIG-8a3c..."``), or
``"0"``/``"none"`` for no GPU. Unset: detected with ``nvidia-smi -L``; a GPU split into MIG
instances contributes its MIG slices (hardware-isolated) instead of the whole GPU. Time-sliced
sharing is never configured here: untrusted code gets a whole GPU or a MIG slice.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess

log = logging.getLogger(__name__)

_GPU_LINE = re.compile(r"^GPU (\d+):.*\(UUID: (GPU-[0-9A-Fa-f-]+)\)")
_MIG_LINE = re.compile(r"^\s+MIG .*\(UUID: (MIG-[0-9A-Za-z/-]+)\)")


def parse_slots(value: str) -> list[str]:
    """Parse an ``AUTOGRADER_GPU_SLOTS`` value; raises ValueError for a malformed one."""
    text = value.strip()
    if text.lower() in ("", "0", "none"):
        return []
    if text.isdigit():
        return [str(i) for i in range(int(text))]
    slots = [part.strip() for part in text.split(",")]
    for slot in slots:
        if not re.fullmatch(r"[0-9]+|(GPU|MIG)-[0-9A-Za-z/-]+", slot):
            raise ValueError(
                f"AUTOGRADER_GPU_SLOTS: {slot!r} is not a device index, GPU-... or MIG-... UUID"
            )
    if len(set(slots)) != len(slots):
        raise ValueError("AUTOGRADER_GPU_SLOTS lists a device twice")
    return slots


def parse_nvidia_smi(listing: str) -> list[str]:
    """Slots from ``nvidia-smi -L`` output: MIG UUIDs where a GPU has them, else GPU indices."""
    slots: list[str] = []
    current_gpu: str | None = None
    current_migs: list[str] = []

    def flush() -> None:
        if current_gpu is not None:
            slots.extend(current_migs or [current_gpu])

    for line in listing.splitlines():
        gpu = _GPU_LINE.match(line)
        if gpu:
            flush()
            current_gpu, current_migs = gpu.group(1), []
            continue
        mig = _MIG_LINE.match(line)
        if mig and current_gpu is not None:
            current_migs.append(mig.group(1))
    flush()
    return slots


def detect_slots() -> list[str]:
    """Ask ``nvidia-smi -L``; no binary, an error or a timeout means no GPU."""
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return []
    try:
        done = subprocess.run(
            [binary, "-L"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("nvidia-smi -L failed: %s", exc)
        return []
    if done.returncode != 0:
        log.warning("nvidia-smi -L exited %s: %s", done.returncode, done.stderr.strip()[:200])
        return []
    return parse_nvidia_smi(done.stdout)


def gpu_slots() -> list[str]:
    """The configured (``AUTOGRADER_GPU_SLOTS``) or detected GPU slots of this host."""
    configured = os.environ.get("AUTOGRADER_GPU_SLOTS")
    if configured is not None:
        return parse_slots(configured)
    return detect_slots()


def default_gpu_executor(cpu_executor: str | None) -> str:
    """Executor for GPU jobs: ``AUTOGRADER_GPU_EXECUTOR`` or ``kernel`` (a fresh kernel: CUDA
    cannot be initialised in a forked zygote); ``unsandboxed`` stays so in development mode."""
    if (cpu_executor or os.environ.get("AUTOGRADER_EXECUTOR")) == "unsandboxed":
        return "unsandboxed"
    return os.environ.get("AUTOGRADER_GPU_EXECUTOR") or "kernel"
