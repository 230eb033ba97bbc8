"""``python -m autograder worker``: start a grading worker (Celery, or the local spool worker).

    python -m autograder worker --queues cpu,gpu [--backend celery|local] [--concurrency N]

``celery`` (default) consumes the broker's queues (``AUTOGRADER_BROKER_URL``); ``local`` grades
the jobs dropped in the spool directory (``AUTOGRADER_SPOOL_DIR`` or ``--spool``) with a
LocalPool. A worker serving ``gpu`` runs one pool child per GPU slot (``AUTOGRADER_GPU_SLOTS``
or ``nvidia-smi -L``), each pinned to its slot. The sandbox status is printed at start-up; with
no sandbox the worker refuses to start unless the unsandboxed executor was explicitly allowed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from autograder.dispatch.gpu import gpu_slots
from autograder.dispatch.spool import QUEUES

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder worker", description="Run a grading worker."
    )
    parser.add_argument("--queues", default="cpu", help="comma-separated: cpu, gpu (default cpu)")
    parser.add_argument("--backend", choices=("celery", "local"), default="celery")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="parallel jobs (default: cores)"
    )
    parser.add_argument("--spool", default=None, help="local backend: spool directory")
    parser.add_argument("--executor", default=None, help="executor name (AUTOGRADER_EXECUTOR)")
    parser.add_argument("--lease-s", type=float, default=60.0, help="local backend: claim lease")
    parser.add_argument("--loglevel", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, report the sandbox, then run the worker until stopped; exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.loglevel.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        queues = _parse_queues(args.queues)
        if args.concurrency is not None and args.concurrency < 1:
            raise ValueError("--concurrency must be at least 1")
        slots = gpu_slots() if "gpu" in queues else []
        if "gpu" in queues and not slots:
            raise ValueError(
                "queue gpu needs GPU slots: none configured (AUTOGRADER_GPU_SLOTS)"
                " or detected (nvidia-smi -L)"
            )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.executor:
        os.environ["AUTOGRADER_EXECUTOR"] = args.executor
    if not _report_sandbox():
        return 2
    if args.backend == "local":
        return _run_local(args, queues, slots)
    return _run_celery(args, queues, slots)


def _parse_queues(text: str) -> tuple[str, ...]:
    queues = tuple(dict.fromkeys(q.strip() for q in text.split(",") if q.strip()))
    if not queues or set(queues) - set(QUEUES):
        raise ValueError(f"--queues must list some of {', '.join(QUEUES)}; got {text!r}")
    return queues


def _report_sandbox() -> bool:
    """Print the sandbox status; False if grading must not start (no sandbox, no opt-in).

    With ``AUTOGRADER_ALLOW_UNSANDBOXED=1`` (development only) and no executor chosen, the
    ``unsandboxed`` executor is used, as ``python -m autograder autograde`` does.
    """
    from autograder.execute import sandbox_status, unsandboxed_allowed

    status = sandbox_status()
    if unsandboxed_allowed() and not os.environ.get("AUTOGRADER_EXECUTOR"):
        os.environ["AUTOGRADER_EXECUTOR"] = "unsandboxed"
    executor = os.environ.get("AUTOGRADER_EXECUTOR") or "zygote"
    print(f"{status}; executor: {executor}", flush=True)
    if executor == "unsandboxed":
        if not unsandboxed_allowed():
            print(
                "error: the unsandboxed executor needs AUTOGRADER_ALLOW_UNSANDBOXED=1 "
                "(development only)",
                file=sys.stderr,
            )
            return False
        print(
            "WARNING: grading WITHOUT the sandbox (development only): student code runs "
            "with this worker's rights",
            flush=True,
        )
        return True
    if status.available:
        return True
    print(
        "refusing to grade untrusted work without the sandbox. For development only: "
        "AUTOGRADER_ALLOW_UNSANDBOXED=1",
        file=sys.stderr,
    )
    return False


def _run_local(args: argparse.Namespace, queues: tuple[str, ...], slots: list[str]) -> int:
    from autograder.dispatch.local_worker import SpoolWorker
    from autograder.dispatch.spool import spool_dir_from_env

    try:
        spool = args.spool or spool_dir_from_env()
        worker = SpoolWorker(
            spool,
            workers=args.concurrency,
            executor_name=args.executor,
            queues=queues,
            lease_s=args.lease_s,
            gpu_slots=slots,
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(
        f"local grading worker: spool {spool}, queues {','.join(queues)}, "
        f"{worker.pool.workers} worker process(es), GPU slots {slots or 'none'}",
        flush=True,
    )
    from autograder.dispatch.local_worker import WorkerBroken

    try:
        done = worker.serve(stop)
    except WorkerBroken as exc:
        print(f"error: {exc}; queued jobs are left for another worker", file=sys.stderr)
        return 3
    print(f"stopped after {done} result(s)", flush=True)
    return 0


def celery_worker_argv(args: Any, queues: tuple[str, ...], slots: list[str]) -> list[str]:
    """The ``celery worker`` arguments for these options (GPU: one child per slot)."""
    if "gpu" in queues:
        if args.concurrency not in (None, len(slots)):
            raise ValueError(
                f"a gpu worker runs one child per GPU slot ({len(slots)}); "
                "drop --concurrency or change AUTOGRADER_GPU_SLOTS"
            )
        concurrency = len(slots)
    else:
        concurrency = args.concurrency or (os.cpu_count() or 1)
    return ["worker", "--queues", ",".join(queues), "--concurrency", str(concurrency),
            "--prefetch-multiplier", "1", "--loglevel", args.loglevel.upper(),
            "--hostname", f"autograder-{'-'.join(queues)}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle"]  # fmt: skip


def _run_celery(args: argparse.Namespace, queues: tuple[str, ...], slots: list[str]) -> int:
    try:
        argv = celery_worker_argv(args, queues, slots)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    os.environ["AUTOGRADER_WORKER_QUEUES"] = ",".join(queues)
    if slots:
        os.environ["AUTOGRADER_GPU_SLOTS"] = ",".join(slots)
    from autograder.dispatch.celery_app import app, broker_url

    print(
        f"celery grading worker: broker {_redact(broker_url())}, queues {','.join(queues)}, "
        f"GPU slots {slots or 'none'}",
        flush=True,
    )
    app.worker_main(argv)
    return 0


def _redact(url: str) -> str:
    """Hide a password in a broker URL before printing it."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


if __name__ == "__main__":
    sys.exit(main())
