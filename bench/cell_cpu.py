"""Measure the CPU time of every code cell of graded notebooks: the "own compute" floor.

    python bench/cell_cpu.py AUTOGRADED_DIR CELL_TIMEOUT_S    (prints JSON)

Each notebook under ``AUTOGRADED_DIR/<student>/<assignment>/`` runs in a fresh namespace of
this one process, with numpy and pandas already imported (so import time is excluded, as in a
pre-imported zygote), its working directory set to the notebook's folder. A cell that runs past
the timeout is stopped and counted at its CPU time so far (the runaway costs that much in any
grader). Only bench-generated notebooks are run here: this process is not a sandbox.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy  # noqa: F401  (pre-imported, like the zygote)
import pandas  # noqa: F401


class _CellTimeout(BaseException):
    pass


def _alarm(*_: object) -> None:
    raise _CellTimeout


def notebook_cpu(path: Path, timeout: float) -> tuple[float, float]:
    """(CPU seconds of all code cells, CPU seconds of cells stopped by the timeout)."""
    cells = json.loads(path.read_text())["cells"]
    namespace: dict = {"__name__": "__main__"}
    total = runaway = 0.0
    old = os.getcwd()
    os.chdir(path.parent)
    try:
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            start = time.process_time()
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102
            except _CellTimeout:
                runaway += time.process_time() - start
            except Exception:  # noqa: BLE001, S110 - errors are part of the mix
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            total += time.process_time() - start
    finally:
        os.chdir(old)
    return total, runaway


def main() -> None:
    root, timeout = Path(sys.argv[1]), float(sys.argv[2])
    signal.signal(signal.SIGALRM, _alarm)
    total = runaway = 0.0
    count = 0
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # the cells print
        for path in sorted(root.glob("*/*/*.ipynb")):
            cpu, stopped = notebook_cpu(path, timeout)
            total, runaway, count = total + cpu, runaway + stopped, count + 1
    sys.stdout.write(json.dumps({"notebooks": count, "cpu_s": total, "runaway_cpu_s": runaway}))


if __name__ == "__main__":
    main()
