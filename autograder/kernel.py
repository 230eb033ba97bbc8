"""``KernelExecutor``: a fresh ipykernel per job, driven with jupyter_client (reference path).

Sandboxed (``kernel``): the kernel is started through :mod:`autograder.kernel_launch`, so it
runs in the same namespaces, mount view, uid and cgroup as the zygote's children, talking to
the grader over IPC-transport (unix socket) ZeroMQ channels in a per-job directory that is
bound read-write into the sandbox. GPU jobs use this path (CUDA cannot be initialised in a
forked process): ``gpu_device`` becomes ``CUDA_VISIBLE_DEVICES`` and ``/dev/nvidia*`` is bound.

Unsandboxed (``unsandboxed``): the same kernel with the grader's own rights, for development
on machines without the sandbox. It refuses to start without an explicit opt-in and logs a
warning on every job.
"""

from __future__ import annotations

import contextlib
import glob
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager

from autograder.contract import Limits
from autograder.execute import (
    CellRun,
    CodeCell,
    Execution,
    Executor,
    SandboxUnavailable,
    register_executor,
    unsandboxed_allowed,
)
from autograder.kernel_guard import GuardClient
from autograder.sandbox import sandbox_env, sandbox_status
from autograder.zygote.outputs import OutputSink
from autograder.zygote.protocol import clip_error
from autograder.zygote.session import PreparedJob, prepare_job

log = logging.getLogger(__name__)
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])
_LAUNCH = "import sys; sys.path.insert(0, sys.argv.pop(1)); from autograder.kernel_launch import main; sys.exit(main(sys.argv[1:]))"
STARTUP_TIMEOUT_S = 60.0
INTERRUPT_GRACE_S = 2.0


class _SandboxKernelManager(KernelManager):
    """Hands the connection file (it holds the HMAC key) to the sandbox uid."""

    sandbox_uid: int | None = None

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        if self.sandbox_uid is not None:
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)


def gpu_devices() -> list[str]:
    return sorted(p for p in glob.glob("/dev/nvidia*") if not os.path.isdir(p)) + sorted(
        glob.glob("/dev/nvidia-caps/*")
    )


class KernelExecutor(Executor):
    """Fresh kernel per job; see the module docstring."""

    name = "kernel"

    def __init__(
        self, sandboxed: bool = True, allow_unsandboxed: bool | None = None, **_: Any
    ) -> None:
        self.sandboxed = sandboxed
        if sandboxed:
            status = sandbox_status()
            if not status.available:
                raise SandboxUnavailable(str(status))
        elif not unsandboxed_allowed(allow_unsandboxed):
            raise SandboxUnavailable(
                "refusing to run student code unsandboxed: pass --unsandboxed or set "
                "AUTOGRADER_ALLOW_UNSANDBOXED=1 (development only)"
            )

    def run(
        self,
        cells: list[CodeCell],
        *,
        workdir: Path,
        limits: Limits,
        resource_class: str = "cpu",
        gpu_device: str | None = None,
    ) -> Execution:
        started = time.monotonic()
        if not self.sandboxed:
            log.warning("UNSANDBOXED execution: student code runs with the grader's rights")
        try:
            job = prepare_job(Path(workdir), limits) if self.sandboxed else None
        except (OSError, ValueError) as exc:
            return Execution.failed(cells, "sandbox_error", f"could not prepare the job: {exc}")
        scratch = tempfile.mkdtemp(prefix="ag-kernel-")
        try:
            km = self._start(job, Path(workdir), scratch, resource_class, gpu_device)
        except Exception as exc:  # noqa: BLE001  (any start failure is an infrastructure failure)
            _cleanup(None, job, scratch)
            return Execution.failed(cells, "sandbox_error", f"kernel did not start: {exc}")
        try:
            execution = _KernelSession(km, job, cells, limits).drive()
        finally:
            _cleanup(km, job, scratch)
        execution.timings["total_s"] = time.monotonic() - started
        return execution

    def _start(
        self,
        job: PreparedJob | None,
        workdir: Path,
        scratch: str,
        resource_class: str,
        gpu_device: str | None,
    ) -> KernelManager:
        kernel_cmd = [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--InteractiveShell.colors=nocolor",
            "--HistoryManager.enabled=False",
        ]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": scratch,
            "IPYTHONDIR": "/tmp/.ipython" if job is not None else f"{scratch}/ipython",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
        if gpu_device is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu_device
        km = _SandboxKernelManager(
            transport="ipc", ip=f"{scratch}/conn/k", connection_file=f"{scratch}/conn/kernel.json"
        )
        os.makedirs(f"{scratch}/conn", mode=0o700)
        cwd = str(workdir)
        if job is not None:
            uid = job.spec.uid
            os.chown(f"{scratch}/conn", uid, uid)
            os.makedirs(f"{scratch}/root")
            km.sandbox_uid = uid
            job.spec.rw_paths = [f"{scratch}/conn"]
            job.spec.root_mountpoint = f"{scratch}/root"
            job.spec.env = {k: v for k, v in env.items() if k == "CUDA_VISIBLE_DEVICES"}
            if resource_class == "gpu":
                job.spec.devices = gpu_devices()
                job.spec.bind_sys = True
            launch = [
                sys.executable,
                "-I",
                "-c",
                _LAUNCH,
                _PACKAGE_PARENT,
                job.spec.to_json(),
                json.dumps(job.cgroup.procs_files),
                "--",
            ]
            kernel_cmd = launch + kernel_cmd
            env = {
                **sandbox_env(job.spec),
                **env,
                "HOME": "/home/sandbox",
                "IPYTHONDIR": "/tmp/.ipython",
            }
            cwd = "/"
        km._kernel_spec = KernelSpec(
            argv=kernel_cmd,
            env={},
            language="python",
            display_name="autograder",
            interrupt_mode="signal",
        )
        with open(f"{scratch}/kernel.log", "wb") as kernel_log:
            km.start_kernel(
                env=env,
                cwd=cwd,
                stdout=subprocess.DEVNULL,
                stderr=kernel_log,
                stdin=subprocess.DEVNULL,
            )
        return km


class _KernelSession:
    """Runs the cells of one job over the Jupyter messaging protocol."""

    def __init__(
        self, km: KernelManager, job: PreparedJob | None, cells: list[CodeCell], limits: Limits
    ) -> None:
        self.km, self.job, self.cells, self.limits = km, job, cells, limits
        self.kc = km.client()
        self.flags: list[str] = []
        self.log: list[str] = []
        self.budget = limits.output_bytes
        self.truncated = False
        self.guard = GuardClient(self)

    def drive(self) -> Execution:
        began = time.monotonic()
        self.kc.start_channels()
        try:
            self.kc.wait_for_ready(timeout=STARTUP_TIMEOUT_S)
            self.guard.install()
        except Exception as exc:  # noqa: BLE001
            return Execution.failed(
                self.cells, "sandbox_error", f"kernel did not become ready: {exc}"
            )
        timings = {"start_s": time.monotonic() - began}
        deadline = time.monotonic() + self.limits.notebook_timeout_s
        runs: list[CellRun] = []
        status = "ok"
        for cell in self.cells:
            if status != "ok":
                runs.append(CellRun(cell.cell_id, "not_run"))
                continue
            run, status = self._run_cell(cell, deadline)
            runs.append(run)
        self.kc.stop_channels()
        if status == "ok" and self.truncated:
            status = "output_limit"
        timings["cells_s"] = time.monotonic() - began - timings["start_s"]
        return Execution(status, runs, self.flags, "\n".join(self.log), timings)

    def _run_cell(self, cell: CodeCell, deadline: float) -> tuple[CellRun, str]:
        if cell.role == "test":
            self.flags += [
                f"before test cell {cell.cell_id}: {f}" for f in self.guard.before_test(cell.source)
            ]
        began = time.monotonic()
        msg_id = self.kc.execute(cell.source, store_history=True, allow_stdin=False)
        sink = OutputSink(self.budget)
        outputs = sink.outputs
        state = self.collect(msg_id, sink, min(began + self.limits.cell_timeout_s, deadline))
        interrupted = False
        if state == "timeout" and time.monotonic() < deadline:
            self.km.interrupt_kernel()  # like nbgrader: interrupt, then carry on with the next cell
            interrupted = True
            state = self.collect(msg_id, sink, time.monotonic() + INTERRUPT_GRACE_S)
        self.budget = max(self.budget - sink.used, 0)
        self.truncated = self.truncated or sink.truncated
        run = CellRun(cell.cell_id, "ok", outputs, None, time.monotonic() - began)
        errors = [o for o in outputs if o.get("output_type") == "error"]
        if errors:
            run.status = "error"
            run.error = {k: errors[-1].get(k) for k in ("ename", "evalue", "traceback")}
        if state in ("timeout", "dead") or not self.km.is_alive():
            return self._fatal(run, state)
        if interrupted:
            run.status = "timeout"
        if cell.role == "test":
            self.flags += [f"test cell {cell.cell_id}: {f}" for f in self.guard.after_test()]
        return run, "ok"

    def _fatal(self, run: CellRun, state: str) -> tuple[CellRun, str]:
        if state == "timeout" and self.km.is_alive():
            run.status = "timeout"  # the interrupt was ignored: kill and stop
            return run, "timeout"
        run.status = "killed" if state != "timeout" else "timeout"
        if self.job is not None:
            self.job.cgroup.kill()
            if self.job.cgroup.oom_killed():
                self.log.append("the kernel's OOM killer ended the job (memory limit)")
                return run, "memory"
        self.log.append(f"cell {run.cell_id}: the kernel died")
        return run, "crashed" if state != "timeout" else "timeout"

    def collect(self, msg_id: str, sink: OutputSink, deadline: float) -> str:
        """Gather iopub outputs of ``msg_id`` until idle ("done"), "timeout" or "dead"."""
        from nbformat.v4 import output_from_msg

        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            try:
                msg = self.kc.get_iopub_msg(timeout=min(remaining, 0.5))
            except Exception:  # noqa: BLE001  (queue.Empty: poll liveness, then keep waiting)
                if not self.km.is_alive():
                    return "dead"
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"].get("execution_state") == "idle":
                return "done"
            if kind == "clear_output":
                sink.clear()
            elif kind == "stream":
                sink.stream(msg["content"].get("name", "stdout"), msg["content"].get("text", ""))
            elif kind == "error":
                sink.outputs.append(clip_error(dict(output_from_msg(msg))))
            elif kind in ("display_data", "execute_result"):
                sink.rich(dict(output_from_msg(msg)))


def _cleanup(km: KernelManager | None, job: PreparedJob | None, scratch: str) -> None:
    if km is not None:
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)
        with contextlib.suppress(Exception):
            km.cleanup_resources()
    if job is not None:
        job.destroy()
    shutil.rmtree(scratch, ignore_errors=True)


register_executor("kernel", KernelExecutor)
register_executor("unsandboxed", lambda **opts: KernelExecutor(sandboxed=False, **opts))
