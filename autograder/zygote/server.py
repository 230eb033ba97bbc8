"""The zygote: a pristine, pre-imported parent that forks one sandboxed child per job.

Started by :class:`autograder.zygote.client.ZygoteExecutor` as ``python -I -c ...`` with a clean
environment, so it holds no secrets; it never runs student code and never sees a job's cells
(those travel over the job's own pipes, straight from the grader to the child). Per request it
receives ``{"spec", "cgroup_procs", "output_bytes"}`` plus two file descriptors (the job's
command pipe read end and result pipe write end) over a SOCK_SEQPACKET socket, forks, and
answers ``{"op": "spawned", "pid": ...}``. The forked child joins the job's cgroup, enters the
sandbox (:func:`autograder.sandbox.run_isolated`) and serves cells
(:class:`autograder.zygote.runner.CellServer`). The zygote exits when the process that started
it goes away. A local pool starts ONE zygote and attaches each of its worker processes to it
(``{"op": "attach"}`` plus a socket end): every job is still a fresh fork of the pristine
zygote, whichever worker asked for it; a worker's jobs are killed when its socket closes.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import random
import select
import signal
import socket
import sys
import tempfile
from typing import Any

DEFAULT_PREIMPORT = ("numpy", "pandas")
# Our own code, run once in the zygote so that lazily imported parts of numpy/pandas/IPython
# are loaded before the fork instead of in every job.
WARM_UP = """
import numpy as np, pandas as pd, numpy.testing, pandas.testing
df = pd.DataFrame({"a": np.arange(3.0), "b": list("xyz")})
repr(df); df._repr_html_(); df.describe(); df.groupby("b").a.sum(); df.a.mean()
np.testing.assert_allclose(1.0, 1.0); pd.testing.assert_frame_equal(df, df)
"""


def preimport(extra: str) -> list[str]:
    """Import numpy, pandas and ``AUTOGRADER_PREIMPORT`` (comma-separated); return what loaded."""
    loaded = []
    for name in [*DEFAULT_PREIMPORT, *(n.strip() for n in extra.split(",") if n.strip())]:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception as exc:  # noqa: BLE001  (a missing optional module must not stop grading)
            print(f"zygote: cannot pre-import {name}: {exc!r}", file=sys.stderr)
    return loaded


def main(sock_fd: int) -> int:
    from autograder.sandbox import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, prctl

    # An ignored SIGINT is inherited across exec (Celery's pool children ignore it); the
    # kernels forked from here are interrupted with SIGINT when a cell times out, so restore
    # Python's default handler whatever the parent did.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of a job are reaped here, not by the host init
    loaded = preimport(os.environ.get("AUTOGRADER_PREIMPORT", ""))
    from autograder.zygote.runner import build_shell

    _warm_up()
    shell, guard = build_shell()
    # Move everything alive now out of the collector's reach: a forked job's collections then
    # never walk (and so never copy-on-write) the zygote's numpy/pandas/IPython objects.
    gc.collect()
    gc.freeze()
    root_mountpoint = tempfile.mkdtemp(prefix="ag-zygote-root-")
    sock = socket.socket(fileno=sock_fd)
    sock.send(json.dumps({"op": "hello", "pid": os.getpid(), "preimported": loaded}).encode())
    try:
        _serve(sock, shell, guard, root_mountpoint)
    finally:
        os.rmdir(root_mountpoint)
    return 0


def _serve(control: socket.socket, shell: Any, guard: Any, root: str) -> None:
    """Answer spawn requests from the starter and from every attached grader until the
    starter goes away.

    ``{"op": "attach"}`` with one socket end attaches another grader (a pool's workers share
    one zygote; each gets its own socket). Each socket's requests are answered on it, in
    order. When a grader's socket closes (it exited or was killed), the job children it
    started are killed: a job never outlives the grader that drives it.
    """
    clients: dict[socket.socket, set[int]] = {control: set()}
    while True:
        _reap(clients)
        for sock in select.select(list(clients), [], [], 1.0)[0]:
            try:
                data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 2)
            except OSError:
                data, fds = b"", []
            if not data:
                for fd in fds:
                    os.close(fd)
                if sock is control:
                    return
                _kill_jobs(clients.pop(sock))
                sock.close()
                continue
            request = json.loads(data)
            if request.get("op") == "attach":
                for fd in fds[1:]:
                    os.close(fd)
                if fds:
                    clients[socket.socket(fileno=fds[0])] = set()
                continue
            pid = _spawn(list(clients), request, fds, shell, guard, root)
            clients[sock].add(pid)
            # a grader that went away: its EOF ends its jobs in the next round
            with contextlib.suppress(OSError):
                sock.send(json.dumps({"op": "spawned", "pid": pid}).encode())


def _warm_up() -> None:
    try:
        exec(compile(WARM_UP, "<zygote-warm-up>", "exec"), {})  # noqa: S102  (trusted, ours)
    except Exception as exc:  # noqa: BLE001  (numpy/pandas missing: nothing to warm)
        print(f"zygote: warm-up skipped: {exc!r}", file=sys.stderr)


def _reap(clients: dict[socket.socket, set[int]]) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for pids in clients.values():
            pids.discard(pid)


def _kill_jobs(pids: set[int]) -> None:
    """SIGKILL job supervisors (our children, not yet reaped, so the pids are still theirs);
    each job's namespace init dies with its supervisor (PDEATHSIG), and with it the job."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _spawn(
    socks: list[socket.socket],
    request: dict[str, Any],
    fds: list[int],
    shell: Any,
    guard: Any,
    root: str,
) -> int:
    cmd_fd, res_fd = fds
    pid = os.fork()
    if pid == 0:
        for sock in socks:
            sock.close()
        code = 70
        try:
            code = _job_child(request, cmd_fd, res_fd, shell, guard, root)
        finally:
            os._exit(code)
    os.close(cmd_fd)
    os.close(res_fd)
    return pid


def _job_child(
    request: dict[str, Any], cmd_fd: int, res_fd: int, shell: Any, guard: Any, root: str
) -> int:
    """The job's supervisor (root, outside the job's PID namespace): set up, fork, wait."""
    from autograder.sandbox import PR_SET_PDEATHSIG, SandboxSpec, prctl, run_isolated
    from autograder.zygote.protocol import write_frame
    from autograder.zygote.runner import CellServer

    def report_error(message: str) -> None:
        write_frame(res_fd, {"op": "sandbox_error", "message": message})

    try:
        os.setsid()
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        for path in request["cgroup_procs"]:
            with open(path, "w") as fh:
                fh.write(str(os.getpid()))
        _close_fds_except({0, 1, 2, cmd_fd, res_fd})
        spec = SandboxSpec(**request["spec"])
        spec.root_mountpoint = root
    except Exception as exc:  # noqa: BLE001
        report_error(f"job setup failed: {exc}")
        return 70

    def serve() -> int:
        os.setsid()
        _reseed()
        return CellServer(shell, guard, cmd_fd, res_fd, int(request["output_bytes"])).serve()

    def spawned(child: int) -> None:
        write_frame(res_fd, {"op": "spawned", "pid": child})
        os.close(cmd_fd)

    try:
        code = run_isolated(spec, serve, on_spawn=spawned, on_error=report_error)
    except Exception as exc:  # noqa: BLE001
        report_error(str(exc))
        return 70
    with contextlib.suppress(OSError):  # the grader may have stopped reading
        write_frame(res_fd, {"op": "exit", "code": code})
    return code


def _close_fds_except(keep: set[int]) -> None:
    start = 0
    for fd in sorted(keep):
        if fd > start:  # closerange(n, n) would close everything (close_range(n, ~0))
            os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 65536)


def _reseed() -> None:
    """Forked children share the zygote's RNG state: give each job fresh entropy."""
    random.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed(int.from_bytes(os.urandom(4), "little"))


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
