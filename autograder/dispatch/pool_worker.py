"""One LocalPool worker process: holds ONE executor for its lifetime and grades jobs one at a time.

Protocol (one JSON object per line): the parent writes ``{"job": <Job JSON>, "attempt": n}``
to stdin; this process answers on its original stdout with ``{"event": "ready"}`` once the
executor exists (or ``{"event": "fatal", "reason": ...}`` and exit 3 if it cannot be made),
then ``{"event": "result", "result": <Result JSON>}`` per job. File descriptor 1 is pointed at
stderr after start-up, so anything else that prints cannot corrupt the protocol. EOF on stdin
means "close the executor and exit". Run as ``python -m autograder.dispatch.pool_worker``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from typing import IO, Any

from autograder.contract import Job
from autograder.dispatch.common import (
    grade_safely,
    not_gradable,
    set_parent_death_signal,
    warm_up,
)

log = logging.getLogger(__name__)


def _send(channel: IO[str], message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _make_executor(name: str | None) -> Any:
    from autograder.execute import get_executor

    return get_executor(name or None)


def _serve(executor: Any, channel: IO[str]) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        attempt = int(message.get("attempt", 1))
        try:
            job = Job.from_json(message["job"])
        except ValueError as exc:  # the parent validated it; keep the batch going regardless
            result = not_gradable(str(message.get("job_id", "unknown")), str(exc), attempt=attempt)
        else:
            result = grade_safely(job, executor, attempt=attempt)
        _send(channel, {"event": "result", "result": result.to_json()})


def main(argv: list[str] | None = None) -> int:
    """Entry point of a pool worker process; returns the exit status."""
    parser = argparse.ArgumentParser(prog="autograder.dispatch.pool_worker")
    parser.add_argument("--executor", default="")
    args = parser.parse_args(argv)
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    set_parent_death_signal()
    # An ignored SIGINT (a background job of a shell) would be inherited by the executor's
    # zygote and kernels, which are interrupted with SIGINT when a cell times out.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    logging.basicConfig(level=logging.WARNING, format="pool-worker %(process)d: %(message)s")
    try:
        executor = _make_executor(args.executor)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which stops respawning
        _send(channel, {"event": "fatal", "reason": f"{type(exc).__name__}: {exc}"})
        return 3
    warm_up(executor)
    _send(channel, {"event": "ready", "pid": os.getpid()})
    try:
        _serve(executor, channel)
    except BrokenPipeError:  # the parent went away: nothing to report to
        return 0
    finally:
        executor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
