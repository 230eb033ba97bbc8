"""The cell runner inside a job's sandboxed child: IPython shell, output capture, frame loop.

:func:`build_shell` runs once in the zygote (before any fork), so every job starts from the same
pristine, already-initialised shell. :func:`serve` runs in the sandboxed child: it receives one
cell at a time (a test cell's source only reaches the child when it is that cell's turn),
runs it, and answers with exactly one ``cell`` frame echoing the per-cell nonce the grader sent.
After a test cell it also sends a ``checked`` frame: the grader accepts a test result only when
that second frame arrives, i.e. when the runner survived the test and re-checked its integrity.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from autograder.zygote.detect import install_audit_hook
from autograder.zygote.integrity import Guard
from autograder.zygote.outputs import OutputSink
from autograder.zygote.protocol import FrameReader, clip_error, write_frame

# Mutated in place (never rebound) so the integrity snapshot of this module stays valid.
_STATE: dict[str, OutputSink] = {"sink": OutputSink(0)}


class CaptureStream:
    """``sys.stdout``/``sys.stderr`` replacement feeding the current cell's sink."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        _STATE["sink"].stream(self.name, str(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class CaptureDisplayHook(DisplayHook):
    """Turns a cell's last expression into an ``execute_result`` output."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict: dict[str, Any], md_dict: Any = None) -> None:
        _STATE["sink"].rich(
            {
                "output_type": "execute_result",
                "execution_count": self.prompt_count,
                "data": format_dict,
                "metadata": md_dict or {},
            }
        )

    def finish_displayhook(self) -> None:
        pass


class CaptureDisplayPublisher(DisplayPublisher):
    """Turns ``display(...)`` calls into ``display_data`` outputs."""

    def publish(
        self,
        data: Any,
        metadata: Any = None,
        source: Any = None,
        *,
        transient: Any = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        _STATE["sink"].rich(
            {"output_type": "display_data", "data": data, "metadata": metadata or {}}
        )

    def clear_output(self, wait: bool = False) -> None:
        _STATE["sink"].clear()


class GradingShell(InteractiveShell):
    """An InteractiveShell whose tracebacks become nbformat ``error`` outputs."""

    displayhook_class = CaptureDisplayHook
    display_pub_class = CaptureDisplayPublisher

    def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
        name = getattr(etype, "__name__", str(etype))
        error = {
            "output_type": "error",
            "ename": name,
            "evalue": str(evalue),
            "traceback": list(stb),
        }
        _STATE["sink"].outputs.append(clip_error(error))


_RUN_CELL = InteractiveShell.run_cell


def build_shell() -> tuple[GradingShell, Guard]:
    """Create the singleton shell and its integrity snapshot (in the zygote, before forking)."""
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    config.InteractiveShell.warn_venv = False
    shell = GradingShell.instance(config=config)
    shell.user_ns["__name__"] = "__main__"
    _warm_tracebacks(shell)
    _RUN_CELL(shell, "pass", store_history=False, silent=True)  # initialise lazy shell state
    return shell, Guard(shell)


def _warm_tracebacks(shell: GradingShell) -> None:
    """Format one traceback now, so no job pays for importing IPython's traceback machinery.

    IPython imports stack_data, executing, pygments formatters ... on the first error it shows
    (tens of ms, per job after a fork). The warm-up error leaves no trace a job could see.
    """
    _RUN_CELL(shell, "def _warm_up():\n    raise ValueError('warm-up')\n_warm_up()", silent=True)
    _STATE["sink"] = OutputSink(0)
    shell.user_ns.pop("_warm_up", None)
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            delattr(sys, name)


class CellServer:
    """The per-job loop in the sandboxed child."""

    def __init__(
        self, shell: GradingShell, guard: Guard, cmd_fd: int, res_fd: int, output_bytes: int
    ) -> None:
        self.shell, self.guard = shell, guard
        self.reader = FrameReader(cmd_fd, 64 * 1024 * 1024)
        self.res_fd = res_fd
        self.budget = output_bytes
        self.armed = False
        self.fd_files = _redirect_fds()

    def send(self, obj: dict[str, Any]) -> None:
        write_frame(self.res_fd, obj)

    def alert(self, what: str) -> None:
        """Audit-hook callback: report at once, so later code cannot take it back."""
        write_frame(self.res_fd, {"op": "alert", "flag": f"tampering primitive used: {what}"})

    def serve(self) -> int:
        install_audit_hook(self.alert, lambda: self.armed)
        self.send({"op": "ready", "pid_in_ns": os.getpid()})
        while True:
            msg = self.reader.read()
            if msg is None or msg.get("op") != "cell":
                self.send({"op": "bye"})
                return 0
            self.run_one(msg)

    def run_one(self, msg: dict[str, Any]) -> None:
        role = msg.get("role", "student")
        flags = _guarded(lambda: self.guard.before_test(msg["source"])) if role == "test" else []
        _STATE["sink"] = sink = OutputSink(self.budget)
        sys.stdout, sys.stderr = CaptureStream("stdout"), CaptureStream("stderr")
        started = time.monotonic()
        self.armed = True
        try:
            result = _RUN_CELL(self.shell, msg["source"], store_history=True)
        finally:
            self.armed = False
        duration = time.monotonic() - started
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        self._drain_fds(sink)
        self.budget = max(self.budget - sink.used, 0)
        error = _error_of(result, sink)
        status = "ok" if error is None else "error"
        frame = {
            "op": "cell",
            "i": msg["i"],
            "nonce": msg["nonce"],
            "status": status,
            "outputs": sink.outputs,
            "error": error,
            "duration_s": duration,
            "flags": flags,
            "truncated": sink.truncated,
        }
        self.send(frame)
        if role == "test":
            self.send(
                {
                    "op": "checked",
                    "i": msg["i"],
                    "nonce": msg["nonce"],
                    "flags": _guarded(self.guard.after_test),
                }
            )

    def _drain_fds(self, sink: OutputSink) -> None:
        """Output written by subprocesses straight to fd 1/2 (e.g. ``!ls``) becomes stream output."""
        for name, fd in self.fd_files.items():
            size = os.lseek(fd, 0, os.SEEK_END)
            if size:
                data = os.pread(fd, min(size, sink.budget - sink.used + 1), 0)
                sink.stream(name, data.decode(errors="replace"))
                os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)


def _guarded(check: Any) -> list[str]:
    try:
        return list(check())
    except Exception as exc:  # noqa: BLE001  (a broken check is itself a reason to review)
        return [f"integrity check could not complete: {type(exc).__name__}: {exc}"[:300]]


def _redirect_fds() -> dict[str, int]:
    """Point fd 0 at /dev/null and fds 1/2 at unlinked files on the job's private /tmp."""
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    files = {}
    for name, target in (("stdout", 1), ("stderr", 2)):
        fd = os.open("/tmp", os.O_TMPFILE | os.O_RDWR, 0o600)
        os.dup2(fd, target)
        os.close(fd)
        files[name] = target
    return files


def _error_of(result: Any, sink: OutputSink) -> dict[str, Any] | None:
    exc = result.error_before_exec or result.error_in_exec
    if exc is None:
        return None
    for out in reversed(sink.outputs):
        if out["output_type"] == "error":
            return {"ename": out["ename"], "evalue": out["evalue"], "traceback": out["traceback"]}
    clipped = clip_error({"ename": type(exc).__name__, "evalue": str(exc), "traceback": []})
    return {k: clipped[k] for k in ("ename", "evalue", "traceback")}
