"""Run one notebook's code cells for one submission: the executor contract and its registry.

An :class:`Executor` takes the cells to run (student, test and setup cells, in notebook
order), the job's working directory (submission-derived files and the release's data files,
prepared by the grader) and :class:`~autograder.contract.Limits`, and returns an
:class:`Execution`: one :class:`CellRun` per cell plus a job status and cheat flags.

Executors never compute scores: the grader does that from the cell runs, outside the student's
process. Backends, picked by name (``AUTOGRADER_EXECUTOR``, default ``zygote``):

* ``zygote`` -- a pre-imported, pristine parent forks one sandboxed child per job (fast path).
* ``kernel`` -- a fresh, sandboxed ipykernel per job (reference path; used for GPU jobs because
  CUDA cannot be initialised before ``fork``).
* ``unsandboxed`` -- a fresh ipykernel with the grader's rights. Development only: it refuses to
  start unless ``allow_unsandboxed=True`` or ``AUTOGRADER_ALLOW_UNSANDBOXED=1``.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autograder.contract import Limits
from autograder.sandbox import SandboxStatus, sandbox_status

log = logging.getLogger(__name__)

CELL_ROLES = ("student", "test", "setup")
RUN_STATUSES = ("ok", "error", "timeout", "not_run", "killed")
EXECUTION_STATUSES = ("ok", "timeout", "memory", "output_limit", "crashed", "sandbox_error")

__all__ = [
    "CellRun",
    "CodeCell",
    "Execution",
    "Executor",
    "SandboxStatus",
    "SandboxUnavailable",
    "available_executors",
    "get_executor",
    "register_executor",
    "sandbox_status",
]


class SandboxUnavailable(RuntimeError):
    """The requested executor needs the sandbox and it is not available here."""


@dataclass
class CodeCell:
    """One code cell to run. ``role`` decides which integrity checks run before it."""

    cell_id: str
    source: str
    role: str = "student"  # "student" | "test" | "setup"

    def __post_init__(self) -> None:
        if self.role not in CELL_ROLES:
            raise ValueError(f"CodeCell.role must be one of {CELL_ROLES}, got {self.role!r}")


@dataclass
class CellRun:
    """What running one cell produced. ``outputs`` are nbformat v4 output dicts."""

    cell_id: str
    status: str  # "ok" | "error" | "timeout" | "not_run" | "killed"
    outputs: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None  # {"ename", "evalue", "traceback"} when status "error"
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Execution:
    """The whole run. ``flags`` are human-readable tamper detections for manual review."""

    status: str  # "ok" | "timeout" | "memory" | "output_limit" | "crashed" | "sandbox_error"
    cells: list[CellRun]
    flags: list[str] = field(default_factory=list)
    log: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def failed(cls, cells: list[CodeCell], status: str, message: str) -> Execution:
        """An execution in which nothing ran (e.g. the sandbox could not be set up)."""
        runs = [CellRun(c.cell_id, "not_run") for c in cells]
        return cls(status=status, cells=runs, flags=[], log=message)


class Executor(ABC):
    """Runs the code cells of one submission; one instance serves many jobs sequentially.

    Contract of :meth:`run`: never raises for anything the student code does; returns one
    :class:`CellRun` per input cell, in order (cells after a fatal event are ``not_run``).
    Infrastructure failures give ``Execution.status == "sandbox_error"`` with the reason in
    ``log``. Nothing the student started outlives the call.
    """

    name: str = ""
    sandboxed: bool = True

    @abstractmethod
    def run(
        self,
        cells: list[CodeCell],
        *,
        workdir: Path,
        limits: Limits,
        resource_class: str = "cpu",
        gpu_device: str | None = None,
    ) -> Execution: ...

    def close(self) -> None:
        """Release long-lived resources (the zygote process). Safe to call twice."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_REGISTRY: dict[str, Callable[..., Executor]] = {}


def register_executor(name: str, factory: Callable[..., Executor]) -> None:
    """Register an executor factory under ``name`` (tests may register doubles)."""
    _REGISTRY[name] = factory


def available_executors() -> list[str]:
    _load_builtin_backends()
    return sorted(_REGISTRY)


def get_executor(name: str | None = None, **opts: Any) -> Executor:
    """Create the executor called ``name`` (default: ``$AUTOGRADER_EXECUTOR`` or ``zygote``).

    Raises :class:`ValueError` for an unknown name and :class:`SandboxUnavailable` when a
    sandboxed executor is asked for on a machine without the sandbox, or ``unsandboxed`` is
    asked for without the explicit opt-in.
    """
    _load_builtin_backends()
    chosen = name or os.environ.get("AUTOGRADER_EXECUTOR") or "zygote"
    try:
        factory = _REGISTRY[chosen]
    except KeyError:
        raise ValueError(
            f"unknown executor {chosen!r}; choose one of {', '.join(sorted(_REGISTRY))}"
        ) from None
    return factory(**opts)


def unsandboxed_allowed(explicit: bool | None = None) -> bool:
    """True when running student code unsandboxed was explicitly allowed."""
    if explicit is not None:
        return explicit
    return os.environ.get("AUTOGRADER_ALLOW_UNSANDBOXED", "") in ("1", "true", "yes")


def _load_builtin_backends() -> None:
    if "zygote" in _REGISTRY:
        return
    from autograder import kernel  # noqa: F401  (registers "kernel" and "unsandboxed")
    from autograder.zygote import client  # noqa: F401  (registers "zygote")
