"""``ZygoteExecutor``: the fast default executor (a fork of a pre-imported zygote per job).

The grader process keeps one zygote (``python -I``, clean environment, see
:mod:`autograder.zygote.server`), or uses the one its local pool shares between its workers
(:class:`SharedZygote`; the worker finds its socket in ``AUTOGRADER_ZYGOTE_FD``, and falls back
to a zygote of its own if that one is gone). Per job it creates the job's cgroup and two pipes, hands the
child's ends to the zygote, and then drives the child itself: every timeout is enforced here,
outside the sandbox, and ends in killing the job's whole cgroup (the child is PID 1 of its own
PID namespace, so every process it started dies with it). GPU jobs are delegated to the kernel
executor because CUDA cannot be initialised in a forked process.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from autograder.cgroups import remove_orphaned_groups, wait_for_cleanup
from autograder.contract import Limits
from autograder.execute import CodeCell, Execution, Executor, SandboxUnavailable, register_executor
from autograder.sandbox import sandbox_status
from autograder.zygote.session import JobSession, prepare_job

log = logging.getLogger(__name__)
#: A socket (file descriptor number) attached to a zygote shared by a local pool's workers.
SHARED_FD_ENV = "AUTOGRADER_ZYGOTE_FD"
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from autograder.zygote.server import main; sys.exit(main(int(sys.argv[2])))"
)


def start_zygote(
    preimport: str, *, wait: bool = True
) -> tuple[subprocess.Popen[bytes], socket.socket, dict[str, Any]]:
    """Start a zygote; returns its process, our socket to it and its hello message.

    ``wait=False`` returns at once (hello ``{}``): requests sent meanwhile wait in the socket
    until the zygote has finished its pre-imports.
    """
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "AUTOGRADER_PREIMPORT": preimport,
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", "-c", _BOOT, _PACKAGE_PARENT, str(child.fileno())],
        pass_fds=(child.fileno(),),
        env=env,
        stdin=subprocess.DEVNULL,
        cwd="/",
    )
    child.close()
    if not wait:
        return proc, parent, {}
    try:
        parent.settimeout(120)
        data = parent.recv(1 << 16)
        if not data:
            raise RuntimeError("the zygote exited during start-up")
        hello = json.loads(data)
    except BaseException:
        parent.close()
        proc.kill()
        proc.wait()
        raise
    parent.settimeout(30)
    log.info("zygote %s started, pre-imported %s", hello.get("pid"), hello.get("preimported"))
    return proc, parent, hello


def _stop_zygote(holder: Any) -> None:
    """Close ``holder.sock`` and kill and reap ``holder.proc`` (either may be None)."""
    if holder.sock is not None:
        holder.sock.close()
        holder.sock = None
    if holder.proc is not None:
        if holder.proc.poll() is None:
            holder.proc.kill()
        holder.proc.wait()
        holder.proc = None


class SharedZygote:
    """One zygote for all the worker processes of a local pool (started in the pool's process).

    :meth:`attach` gives each worker its own socket to it (passed to the worker as an
    inherited file descriptor named by ``AUTOGRADER_ZYGOTE_FD``). The zygote's pre-imports are
    then paid once per pool instead of once per worker; every job is still a fresh fork of
    the pristine zygote. The zygote dies with this process; :meth:`close` stops it.
    """

    def __init__(self, preimport: str | None = None) -> None:
        self.preimport = (
            preimport if preimport is not None else os.environ.get("AUTOGRADER_PREIMPORT", "")
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.hello: dict[str, Any] = {}

    def attach(self) -> socket.socket | None:
        """A new socket to the zygote for one worker (None if the zygote cannot be had:
        the worker then starts its own)."""
        for _ in (1, 2):
            try:
                if self.proc is None or self.proc.poll() is not None or self.sock is None:
                    self._restart()
                assert self.sock is not None
                mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                try:
                    socket.send_fds(self.sock, [b'{"op": "attach"}'], [theirs.fileno()])
                finally:
                    theirs.close()
                return mine
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("shared zygote unavailable: %s", exc)
                self._stop()
        return None

    def _restart(self) -> None:
        self._stop()
        self.proc, self.sock, self.hello = start_zygote(self.preimport, wait=False)

    def _stop(self) -> None:
        _stop_zygote(self)

    def close(self) -> None:
        """Stop the zygote (EOF on its socket; it exits and its remaining jobs with it)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            try:
                self.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class ZygoteExecutor(Executor):
    """Fork-per-job executor; see the module docstring. Not thread-safe (one job at a time)."""

    name = "zygote"

    def __init__(self, preimport: str | None = None, **_: Any) -> None:
        status = sandbox_status()
        if not status.available:
            raise SandboxUnavailable(str(status))
        if remove_orphaned_groups():
            log.warning("removed job cgroups left behind by a grader that died")
        self.preimport = (
            preimport if preimport is not None else os.environ.get("AUTOGRADER_PREIMPORT", "")
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.hello: dict[str, Any] = {}
        self._kernel: Executor | None = None
        self._shared = _shared_socket()

    def _start(self) -> None:
        if self._shared is not None:  # the pool's zygote, once; later restarts are our own
            self.sock, self._shared = self._shared, None
            self.sock.settimeout(120)  # it may still be importing; 30 s after its first answer
            return
        self.proc, self.sock, self.hello = start_zygote(self.preimport)

    def _ensure(self) -> socket.socket:
        if self.sock is None or (self.proc is not None and self.proc.poll() is not None):
            self._drop_zygote()
            self._start()
        assert self.sock is not None
        return self.sock

    def _fork_child(self, request: dict[str, Any], fds: list[int]) -> int:
        for attempt in (1, 2):
            try:
                sock = self._ensure()
                socket.send_fds(sock, [json.dumps(request).encode()], fds)
                reply = sock.recv(1 << 16)
                if reply:
                    sock.settimeout(30)
                    return int(json.loads(reply)["pid"])
            except OSError as exc:
                log.warning("zygote unreachable (attempt %d): %s", attempt, exc)
            self._drop_zygote()
        raise RuntimeError("the zygote did not answer")

    def run(
        self,
        cells: list[CodeCell],
        *,
        workdir: Path,
        limits: Limits,
        resource_class: str = "cpu",
        gpu_device: str | None = None,
    ) -> Execution:
        if resource_class == "gpu":
            return self._kernel_executor().run(
                cells,
                workdir=workdir,
                limits=limits,
                resource_class=resource_class,
                gpu_device=gpu_device,
            )
        started = time.monotonic()
        try:
            job = prepare_job(workdir, limits)
        except (OSError, ValueError) as exc:
            return Execution.failed(cells, "sandbox_error", f"could not prepare the job: {exc}")
        try:
            try:
                self._fork_child(job.request(), job.child_fds())
            except RuntimeError as exc:
                return Execution.failed(cells, "sandbox_error", str(exc))
            finally:
                job.close_child_fds()
            execution = JobSession(job, cells, limits).drive()
        finally:
            teardown = time.monotonic()
            job.destroy()
        execution.timings["teardown_s"] = time.monotonic() - teardown
        execution.timings["total_s"] = time.monotonic() - started
        return execution

    def _kernel_executor(self) -> Executor:
        if self._kernel is None:
            from autograder.kernel import KernelExecutor

            self._kernel = KernelExecutor()
        return self._kernel

    def _drop_zygote(self) -> None:
        """Close our socket and stop our own zygote (a shared one only loses this client)."""
        _stop_zygote(self)

    def close(self) -> None:
        self._drop_zygote()
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None
        # The last job's cgroup is removed in the background; a worker that exits right
        # after closing would leave it behind (for the next grader to remove, with a warning).
        wait_for_cleanup()


def _shared_socket() -> socket.socket | None:
    """The socket to a pool's shared zygote this process inherited, if any (taken once)."""
    raw = os.environ.pop(SHARED_FD_ENV, "")
    if not raw.isdigit():
        return None
    try:
        sock = socket.socket(fileno=int(raw))
    except OSError as exc:
        log.warning("%s=%s is not a usable socket: %s", SHARED_FD_ENV, raw, exc)
        return None
    if sock.type != socket.SOCK_SEQPACKET:
        sock.detach()
        return None
    return sock


register_executor("zygote", ZygoteExecutor)
