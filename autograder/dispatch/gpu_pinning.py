"""Pin each Celery pool child of a GPU worker to one GPU slot via ``CUDA_VISIBLE_DEVICES``.

The worker entry point exports ``AUTOGRADER_WORKER_QUEUES`` and ``AUTOGRADER_GPU_SLOTS`` (the
slots it found) and starts ``len(slots)`` children; child *i* (billiard keeps indices stable
when it replaces a dead child) gets slot *i*. Children of a CPU-only worker see no GPU.
"""

from __future__ import annotations

import logging
import os

from autograder.dispatch.gpu import gpu_slots

log = logging.getLogger(__name__)

_SLOT: list[str] = []


def pin_child_to_slot() -> str:
    """Set this process's CUDA_VISIBLE_DEVICES to its slot ("" for none); return the slot."""
    _SLOT.clear()
    queues = os.environ.get("AUTOGRADER_WORKER_QUEUES", "cpu").split(",")
    slot = ""
    if "gpu" in queues:
        slots = gpu_slots()
        index = _child_index()
        if slots and index is not None and index < len(slots):
            slot = slots[index]
        else:
            log.error(
                "GPU worker child %s has no slot (index %s, slots %s)", os.getpid(), index, slots
            )
    os.environ["CUDA_VISIBLE_DEVICES"] = slot
    _SLOT.append(slot)
    return slot


def slot_of_this_child() -> str:
    """The GPU slot this child was pinned to ("" if none)."""
    return _SLOT[0] if _SLOT else ""


def _child_index() -> int | None:
    from billiard.process import current_process

    index = getattr(current_process(), "index", None)
    return index if isinstance(index, int) else None
