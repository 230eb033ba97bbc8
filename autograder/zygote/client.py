"""``ZygoteExecutor``: the fast default executor (a fork of a pre-imported zygote per job).

The grader process keeps one zygote (``python -I``, clean environment, see
:mod:`autograder.zygote.server`). Per job it creates the job's cgroup and two pipes, hands the
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

from autograder.cgroups import remove_orphaned_groups
from autograder.contract import Limits
from autograder.execute import CodeCell, Execution, Executor, SandboxUnavailable, register_executor
from autograder.sandbox import sandbox_status
from autograder.zygote.session import JobSession, prepare_job

log = logging.getLogger(__name__)
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from autograder.zygote.server import main; sys.exit(main(int(sys.argv[2])))"
)


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

    def _start(self) -> None:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            "AUTOGRADER_PREIMPORT": self.preimport,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _PACKAGE_PARENT, str(child.fileno())],
            pass_fds=(child.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            cwd="/",
        )
        child.close()
        self.sock = parent
        parent.settimeout(120)
        data = parent.recv(1 << 16)
        if not data:
            raise RuntimeError("the zygote exited during start-up")
        self.hello = json.loads(data)
        parent.settimeout(30)
        log.info(
            "zygote %s started, pre-imported %s",
            self.hello.get("pid"),
            self.hello.get("preimported"),
        )

    def _ensure(self) -> socket.socket:
        if self.proc is None or self.proc.poll() is not None or self.sock is None:
            self.close()
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
                    return int(json.loads(reply)["pid"])
            except OSError as exc:
                log.warning("zygote unreachable (attempt %d): %s", attempt, exc)
            self.close()
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

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self._kernel is not None:
            self._kernel.close()
            self._kernel = None


register_executor("zygote", ZygoteExecutor)
