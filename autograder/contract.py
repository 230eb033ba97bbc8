"""Job and result types shared by every part of the autograder (stdlib only).

A :class:`Job` is self-contained: everything needed to grade one submission. A :class:`Result`
is what grading returns. Both round-trip through JSON; ``from_json`` validates every field and
raises :class:`ValueError` with a message naming the offending field for malformed input, so a
broker message or spool file that was truncated or tampered with is never half-used.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

JOB_STATUSES = ("graded", "not_gradable", "needs_review")
CELL_STATUSES = ("passed", "failed", "error", "timeout", "not_run", "manual", "partial")
RESOURCE_CLASSES = ("cpu", "gpu")


@dataclass(frozen=True)
class Limits:
    """Resource limits for one job's student code."""

    cell_timeout_s: float = 30.0  # per cell wall time
    notebook_timeout_s: float = 300.0  # whole notebook wall time
    memory_mb: int = 2048  # cgroup memory (or RLIMIT_AS fallback)
    max_pids: int = 64
    cpu_time_s: int = 600  # RLIMIT_CPU for the kernel process
    disk_mb: int = 256  # tmpfs size / RLIMIT_FSIZE
    output_bytes: int = 1_000_000  # total captured output; more => output_limit

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Limits:
        """Build limits from a mapping; unknown keys or non-positive numbers are refused."""
        obj = _require_mapping(data, "limits")
        _refuse_unknown(obj, cls, "limits")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in obj:
                continue
            want = int if f.type in ("int", int) else float
            values[f.name] = _positive_number(obj[f.name], f"limits.{f.name}", want)
        return cls(**values)


@dataclass
class Job:
    """Everything needed to grade one submission.

    ``template_path`` is the JSON gradebook template written by ``generate`` (per cell: kind,
    points, checksum, locked source and hidden-test source). Hidden-test source lives ONLY
    there, never in ``release_dir``.
    """

    job_id: str
    assignment: str
    notebook_name: str
    release_dir: str
    template_path: str
    submission_path: str
    limits: Limits = field(default_factory=Limits)
    resource_class: str = "cpu"
    student_id: str = ""
    extra_files_dir: str | None = None
    # Optional: where to also write the executed notebook (nbgrader's autograded/ copy,
    # hidden tests included, instructor-only). None: not written.
    autograded_path: str | None = None
    # Release files (relative paths) that must NOT overwrite the student's own version
    # (nbgrader's Autograde.exclude_overwriting), e.g. a helper module students edit.
    keep_student_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["limits"] = self.limits.to_dict()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        obj = _require_mapping(data, "job")
        _refuse_unknown(obj, cls, "job")
        required = (
            "job_id",
            "assignment",
            "notebook_name",
            "release_dir",
            "template_path",
            "submission_path",
        )
        values: dict[str, Any] = {k: _nonempty_str(obj, k, "job") for k in required}
        values["limits"] = Limits.from_dict(obj.get("limits", {}))
        rc = _str(obj.get("resource_class", "cpu"), "job.resource_class")
        if rc not in RESOURCE_CLASSES:
            raise ValueError(f"job.resource_class must be one of {RESOURCE_CLASSES}, got {rc!r}")
        values["resource_class"] = rc
        values["student_id"] = _str(obj.get("student_id", ""), "job.student_id")
        extra = obj.get("extra_files_dir")
        values["extra_files_dir"] = None if extra is None else _str(extra, "job.extra_files_dir")
        out = obj.get("autograded_path")
        values["autograded_path"] = None if out is None else _str(out, "job.autograded_path")
        keep = obj.get("keep_student_files", [])
        if not isinstance(keep, list) or not all(isinstance(k, str) and k for k in keep):
            raise ValueError("job.keep_student_files must be a list of file paths")
        values["keep_student_files"] = list(keep)
        return cls(**values)

    @classmethod
    def from_json(cls, s: str | bytes) -> Job:
        """Parse and validate a job; raises ValueError with a clear message when malformed."""
        return cls.from_dict(_loads(s, "job"))


@dataclass
class CellResult:
    """Score of one graded cell. ``hidden`` marks cells whose test source is withheld."""

    cell_id: str
    kind: str
    earned: float
    possible: float
    status: str
    message: str = ""
    hidden: bool = False

    @classmethod
    def from_dict(cls, data: Any, where: str = "cell") -> CellResult:
        obj = _require_mapping(data, where)
        _refuse_unknown(obj, cls, where)
        status = _nonempty_str(obj, "status", where)
        if status not in CELL_STATUSES:
            raise ValueError(f"{where}.status must be one of {CELL_STATUSES}, got {status!r}")
        earned = _number(obj.get("earned"), f"{where}.earned")
        possible = _number(obj.get("possible"), f"{where}.possible")
        if earned < 0 or possible < 0:
            raise ValueError(f"{where}: points must not be negative")
        return cls(
            cell_id=_nonempty_str(obj, "cell_id", where),
            kind=_nonempty_str(obj, "kind", where),
            earned=earned,
            possible=possible,
            status=status,
            message=_str(obj.get("message", ""), f"{where}.message"),
            hidden=_bool(obj.get("hidden", False), f"{where}.hidden"),
        )


@dataclass
class Result:
    """Outcome of grading one job.

    ``status``: "graded", "needs_review" (points computed, but flags need a human) or
    "not_gradable" (infrastructure failure: ``reason`` says what; never read as a zero).
    ``feedback_html`` is learner-safe: hidden-test source is never included.
    """

    job_id: str
    status: str
    earned: float
    possible: float
    cells: list[CellResult]
    feedback_html: str
    flags: list[str]
    reason: str = ""
    logs: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    attempt: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Result:
        obj = _require_mapping(data, "result")
        _refuse_unknown(obj, cls, "result")
        status = _nonempty_str(obj, "status", "result")
        if status not in JOB_STATUSES:
            raise ValueError(f"result.status must be one of {JOB_STATUSES}, got {status!r}")
        cells_raw = obj.get("cells")
        if not isinstance(cells_raw, list):
            raise ValueError("result.cells must be a list")
        flags = obj.get("flags")
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise ValueError("result.flags must be a list of strings")
        timings_raw = _require_mapping(obj.get("timings", {}), "result.timings")
        timings = {
            _str(k, "result.timings key"): _number(v, f"result.timings.{k}")
            for k, v in timings_raw.items()
        }
        attempt = obj.get("attempt", 1)
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            raise ValueError("result.attempt must be an integer >= 1")
        return cls(
            job_id=_nonempty_str(obj, "job_id", "result"),
            status=status,
            earned=_number(obj.get("earned"), "result.earned"),
            possible=_number(obj.get("possible"), "result.possible"),
            cells=[CellResult.from_dict(c, f"result.cells[{i}]") for i, c in enumerate(cells_raw)],
            feedback_html=_str(obj.get("feedback_html", ""), "result.feedback_html"),
            flags=list(flags),
            reason=_str(obj.get("reason", ""), "result.reason"),
            logs=_str(obj.get("logs", ""), "result.logs"),
            timings=timings,
            attempt=attempt,
        )

    @classmethod
    def from_json(cls, s: str | bytes) -> Result:
        """Parse and validate a result; raises ValueError with a clear message when malformed."""
        return cls.from_dict(_loads(s, "result"))


# --- validation helpers -------------------------------------------------------------------


def _loads(s: str | bytes, what: str) -> Any:
    if not isinstance(s, str | bytes):
        raise ValueError(f"{what} JSON must be str or bytes, got {type(s).__name__}")
    try:
        return json.loads(s)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed {what} JSON: {exc}") from None


def _require_mapping(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(data).__name__}")
    return data


def _refuse_unknown(obj: dict[str, Any], cls: type, where: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(obj) - known)
    if unknown:
        raise ValueError(f"{where} has unknown field(s): {', '.join(map(str, unknown))}")


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, got {type(value).__name__}")
    return value


def _nonempty_str(obj: dict[str, Any], key: str, where: str) -> str:
    if key not in obj:
        raise ValueError(f"{where} is missing required field {key!r}")
    value = _str(obj[key], f"{where}.{key}")
    if not value:
        raise ValueError(f"{where}.{key} must not be empty")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{where} must be true or false, got {type(value).__name__}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{where} must be finite")
    return float(value)


def _positive_number(value: Any, where: str, want: type) -> Any:
    number = _number(value, where)
    if number <= 0:
        raise ValueError(f"{where} must be positive, got {value!r}")
    if want is int:
        if number != int(number):
            raise ValueError(f"{where} must be an integer, got {value!r}")
        return int(number)
    return number
